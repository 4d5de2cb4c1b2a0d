import { describe, expect, it } from 'vitest';
import { ELLIPSIS, FIELD_KEEP, LINE_MAX, displayLine, displayText, jsonForTerminal, keepText, terminalSafe } from '../src/display-text.js';
import { HOSTILE, RAW_CONTROL } from './helpers/hostile.js';

describe('displayText: the one door for outside text', () => {
  it('shows every control character as \\xNN and keeps a one-line field on one line', () => {
    const shown = displayLine(HOSTILE);
    expect(shown).toBe('Task failed \\x1b]0;pwned\\x07\\x1b[2J boom ⏎ FAKE: prod healthy\\x7f\\x9b31m\\x85end \\u202edeliah\\u2066 x\\u2028y');
    expect(shown).not.toMatch(RAW_CONTROL);
    expect(shown).not.toContain('\n');
  });

  it('each control on its own: ESC, BEL, CR, LF, DEL, U+009B (one-byte CSI), U+0085 (NEL), tab in one line', () => {
    expect(displayLine('a\u001bb')).toBe('a\\x1bb');
    expect(displayLine('a\u0007b')).toBe('a\\x07b');
    expect(displayLine('a\rb')).toBe('a\\x0db');
    expect(displayLine('a\nb')).toBe('a ⏎ b');
    expect(displayLine('a\r\nb')).toBe('a ⏎ b');
    expect(displayLine('a\u007fb')).toBe('a\\x7fb');
    expect(displayLine('a\u009bb')).toBe('a\\x9bb');
    expect(displayLine('a\u0085b')).toBe('a\\x85b');
    expect(displayLine('a\tb')).toBe('a\\x09b');
    expect(displayLine('a\u0000b')).toBe('a\\x00b');
    // The nearest characters that are not controls pass as they are.
    expect(displayLine(' ~\u00a0é✓')).toBe(' ~\u00a0é✓');
  });

  it('each bidirectional control and the line and paragraph separators as \\uNNNN; the characters beside them and right-to-left text as they are', () => {
    for (const c of ['\u061c', '\u200e', '\u200f', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069', '\u2028', '\u2029']) {
      expect(displayLine(`a${c}b`), c.charCodeAt(0).toString(16)).toBe(`a\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}b`);
      expect(terminalSafe(`a${c}b`)).toBe(`a\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}b`);
    }
    expect(displayLine('\u200d\u2027\u202f\u2065\u206a שלום مرحبا')).toBe('\u200d\u2027\u202f\u2065\u206a שלום مرحبا');
  });

  it('multi-line text keeps its line breaks (CR LF as LF) and tabs, never its control characters', () => {
    expect(displayText('Traceback:\r\n\tline 1\n\u001b[31mred', { multiline: true })).toBe('Traceback:\n\tline 1\n\\x1b[31mred');
    expect(displayText('a\tb', { keepTabs: true })).toBe('a\tb');
  });

  it('bounds the length with an ellipsis, and leaves a text that fits whole', () => {
    const fits = 'x'.repeat(LINE_MAX);
    expect(displayLine(fits)).toBe(fits);
    const long = 'y'.repeat(LINE_MAX + 1);
    expect(displayLine(long)).toBe(`${'y'.repeat(LINE_MAX - 1)}${ELLIPSIS}`);
    expect(displayLine('abcdef', 4)).toBe(`abc${ELLIPSIS}`);
    // Escapes count: four characters each.
    expect(displayLine('\u001b\u001b', 5)).toBe(`\\x1b${ELLIPSIS}`);
    // A surrogate pair is never split by the cut.
    expect(displayLine('ab😀cd', 4)).toBe(`ab${ELLIPSIS}`);
  });

  it('costs what it shows, not what it is given: 10 MB of newlines and escapes costs what 10 KB does', () => {
    const unit = 'line\r\n\u001b[2J';
    const huge = unit.repeat(1_000_000);
    const small = unit.repeat(1_000);
    // The fastest of several runs of each, compared in one process: a ratio, so a
    // busy machine does not decide. Work that grew with the input would make the
    // 10 MB line about a thousand times dearer than the 10 KB one.
    const fastest = (text: string) => {
      let best = Infinity;
      for (let i = 0; i < 7; i++) {
        const t0 = performance.now();
        displayLine(text);
        best = Math.min(best, performance.now() - t0);
      }
      return best;
    };
    fastest(small);
    expect(fastest(huge)).toBeLessThan(Math.max(fastest(small) * 20, 5));
    const shown = displayLine(huge);
    expect(shown).toHaveLength(LINE_MAX);
    expect(shown.endsWith(ELLIPSIS)).toBe(true);
  });

  it('keepText cuts what the dashboard keeps, without escaping (the screens escape when they draw)', () => {
    expect(keepText('short')).toBe('short');
    const kept = keepText('z'.repeat(1_000_000));
    expect(kept).toHaveLength(FIELD_KEEP);
    expect(kept.endsWith(ELLIPSIS)).toBe(true);
  });

  it('terminalSafe escapes a whole printed text but keeps its lines, tabs and length', () => {
    expect(terminalSafe('row\tone\nrow two \u001b]0;x\u0007\u009b')).toBe('row\tone\nrow two \\x1b]0;x\\x07\\x9b');
    const long = 'w'.repeat(100_000);
    expect(terminalSafe(long)).toBe(long);
  });

  it('jsonForTerminal: valid JSON holding the original string, with no raw DEL, C1, bidirectional control or line separator', () => {
    const text = jsonForTerminal({ reason: HOSTILE });
    expect(text).not.toMatch(RAW_CONTROL);
    expect(JSON.parse(text)).toEqual({ reason: HOSTILE });
  });
});
