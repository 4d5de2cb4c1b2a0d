import { describe, expect, it } from 'vitest';
import { build, type Plugin } from 'esbuild';
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error a plain .mjs build script, without types
import { editInkOutput, fastInkOutput, INK_OUTPUT_EDITS, KEPT_BLOCKS, KEPT_LINES, PLAIN } from '../../scripts/ink-output.mjs';
// @ts-expect-error a plain .mjs build script, without types
import { INK_CACHE_LIMIT } from '../../scripts/ink-caches.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));

interface StyledChar { type: 'char'; value: string; fullWidth: boolean; styles: { code: string; endCode: string }[] }
interface Output { write(x: number, y: number, text: string, options: { transformers: unknown[] }): void; clip(clip: { x1?: number; x2?: number; y1?: number; y2?: number }): void; unclip(): void; get(): { output: string; height: number } }
/** What the tests reach of the packages the plugin edits, from one bundle. */
interface InkText {
  stringWidth(text: string, options?: { ambiguousIsNarrow?: boolean; countAnsiEscapeCodes?: boolean }): number;
  wrapAnsiStringWidth(text: string, options?: { ambiguousIsNarrow?: boolean }): number;
  tokenize(text: string, endChar?: number): unknown[];
  styledCharsFromTokens(tokens: unknown[]): StyledChar[];
  styledCharsToString(chars: StyledChar[]): string;
  sliceAnsi(text: string, start: number, end?: number): string;
  Output: new (options: { width: number; height: number }) => Output;
  /** The edited Output's test of a line it writes as it is (scripts/ink-output.mjs FITS_AS_IS); absent from the published one. */
  fitsAsIs?: (line: string) => boolean;
}
/** A bundle (its source), and what it made while it ran: Segmenters, and regular expressions made with `new RegExp`. */
interface Loaded { text: InkText; source: string; made: { segmenters: number; regExps: string[] } }

const ENTRY = [
  "export { default as stringWidth } from 'string-width';",
  "export { default as wrapAnsiStringWidth } from './node_modules/wrap-ansi/node_modules/string-width/index.js';",
  "export { tokenize, styledCharsFromTokens, styledCharsToString } from '@alcalzone/ansi-tokenize';",
  "export { default as sliceAnsi } from 'slice-ansi';",
  "export { default as Output } from './node_modules/ink/build/output.js';",
].join('\n');

/** The installed packages in one CommonJS bundle, with the plugin (as the build bundles them) or without (as published). */
async function load(plugins: Plugin[]): Promise<Loaded> {
  const entry = plugins.length > 0 ? `${ENTRY}\nexport { fitsAsIs } from './node_modules/ink/build/output.js';` : ENTRY;
  const out = await build({ stdin: { contents: entry, resolveDir: root, loader: 'js' }, bundle: true, format: 'cjs', platform: 'node', write: false, logLevel: 'silent', plugins });
  const made = { segmenters: 0, regExps: [] as string[] };
  const Segmenter = new Proxy(Intl.Segmenter, { construct: (target, args) => (made.segmenters++, Reflect.construct(target, args)) });
  const intl = Object.create(Intl, { Segmenter: { value: Segmenter } });
  const regExp = new Proxy(RegExp, { construct: (target, args) => (made.regExps.push(String(args[0])), Reflect.construct(target, args)) });
  const module = { exports: {} as InkText };
  const source = out.outputFiles[0].text;
  new Function('module', 'exports', 'require', 'Intl', 'RegExp', source)(module, module.exports, createRequire(import.meta.url), intl, regExp);
  return { text: module.exports, source, made };
}

const edited = () => load([fastInkOutput]);
const published = () => load([]);

/** Every code point of {@link PLAIN}. */
const plainCodePoints: number[] = [...(PLAIN as string).matchAll(/\\u([0-9A-F]{4})(?:-\\u([0-9A-F]{4}))?/g)].flatMap((m) => {
  const from = parseInt(m[1], 16);
  const to = m[2] ? parseInt(m[2], 16) : from;
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
});
const plainChars = plainCodePoints.map((c) => String.fromCodePoint(c));

/** The escape codes Ink's text carries: styles set and reset, colours of each kind, a full reset, links. */
const CODES = ['\u001b[1m', '\u001b[2m', '\u001b[22m', '\u001b[3m', '\u001b[23m', '\u001b[4m', '\u001b[24m', '\u001b[7m', '\u001b[27m', '\u001b[9m', '\u001b[29m', '\u001b[31m', '\u001b[32m', '\u001b[33m', '\u001b[90m', '\u001b[39m', '\u001b[41m', '\u001b[49m', '\u001b[38;5;208m', '\u001b[38;2;1;2;3m', '\u001b[48;5;9m', '\u001b[0m', '\u001b]8;;https://example.com\u0007', '\u001b]8;;\u0007'];
/** Characters that are not plain: they join neighbours (marks, ZWJ, selectors, jamo, CR LF), are wide, emoji, zero-width or controls. */
const OTHERS = ['\u001b', '\u001b[', '\u001b]8;;https://x', '\u001b\\', '\u001bP1;2', '\u001b[?25l', '\u001b[1:2m', '\u001b[38;5m', '\u0301', '\u200d', '\ufe0f', '\u20e3', '😀', '👩\u200d💻', '🇺🇸', '1\ufe0f\u20e3', '漢', 'Ａ', 'ｶﾞ', '\u1100\u1161\u11a8', '\r\n', '\t', '\u00ad', '\u200b', '©', '®', '\u00a0', '⚠', '↔', '\u0e33', '\u0915\u093f', '\u009b31m', '\u0007'];
const piece = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...plainChars) },
  { weight: 2, arbitrary: fc.constantFrom(...CODES) },
  { weight: 1, arbitrary: fc.constantFrom(...OTHERS) },
);
const text = fc.array(piece, { maxLength: 40 }).map((parts) => parts.join(''));
/** Text of plain characters and escape codes only: what a frame of the dashboard holds. */
const plainText = fc.array(fc.oneof(fc.constantFrom(...plainChars), fc.constantFrom(...CODES)), { maxLength: 40 }).map((parts) => parts.join(''));
/** Text of plain characters alone: most lines Ink cuts to a box before it styles them. */
const plainOnly = fc.array(fc.constantFrom(...plainChars), { maxLength: 40 }).map((parts) => parts.join(''));

describe('the bundle edits what Ink draws a frame with (scripts/ink-output.mjs)', () => {
  it('every edit applies to the installed packages', () => {
    for (const file of Object.keys(INK_OUTPUT_EDITS)) {
      const path = join(root, 'node_modules', file);
      expect(editInkOutput(readFileSync(path, 'utf8'), path)).not.toBe(readFileSync(path, 'utf8'));
    }
  });

  it('fails the build when a package no longer reads as expected', () => {
    expect(() => editInkOutput('export function styledCharsToString(chars) { return ""; }', '/x/node_modules/@alcalzone/ansi-tokenize/build/styledChars.js')).toThrow(/no longer contains .* exactly once; the package changed/);
    expect(() => editInkOutput('', '/x/node_modules/left-pad/index.js')).toThrow(/not a file this plugin edits/);
  });

  it('each plain character is a grapheme cluster of its own beside any other plain one, ESC or BEL, as the edits assume', () => {
    const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
    const neighbours = [...plainChars, '\u001b', '\u0007'];
    for (const a of neighbours) {
      expect(a.length).toBe(1);
      for (const b of neighbours) expect([...segmenter.segment(a + b)].length).toBe(2);
    }
  });

  it('measures every plain character as the published string-width does (both copies, either ambiguous width)', async () => {
    const [fast, original] = [await edited(), await published()];
    for (const c of plainChars) {
      for (const ambiguousIsNarrow of [true, false]) {
        expect(fast.text.stringWidth(c, { ambiguousIsNarrow })).toBe(original.text.stringWidth(c, { ambiguousIsNarrow }));
        expect(fast.text.wrapAnsiStringWidth(c, { ambiguousIsNarrow })).toBe(original.text.wrapAnsiStringWidth(c, { ambiguousIsNarrow }));
      }
    }
  });

  it('measures, cuts and slices any text as the published packages do', async () => {
    const [fast, original] = [await edited(), await published()];
    fc.assert(
      fc.property(fc.oneof(text, plainText, plainOnly), fc.nat(45), fc.nat(45), fc.boolean(), (t, a, b, ambiguousIsNarrow) => {
        expect(fast.text.stringWidth(t, { ambiguousIsNarrow })).toBe(original.text.stringWidth(t, { ambiguousIsNarrow }));
        expect(fast.text.stringWidth(t, { countAnsiEscapeCodes: true })).toBe(original.text.stringWidth(t, { countAnsiEscapeCodes: true }));
        expect(fast.text.wrapAnsiStringWidth(t, { ambiguousIsNarrow })).toBe(original.text.wrapAnsiStringWidth(t, { ambiguousIsNarrow }));
        expect(fast.text.tokenize(t)).toEqual(original.text.tokenize(t));
        expect(fast.text.tokenize(t, a)).toEqual(original.text.tokenize(t, a));
        expect(fast.text.sliceAnsi(t, Math.min(a, b), Math.max(a, b))).toBe(original.text.sliceAnsi(t, Math.min(a, b), Math.max(a, b)));
      }),
      { numRuns: 3000 },
    );
  });

  /** Codes of one style as slice-ansi reads them, and their near misses: every number to 110 (each style, its end, 0, none), written otherwise, or of several parameters. */
  const STYLE_CODES = [
    ...Array.from({ length: 111 }, (_, n) => `\u001b[${n}m`),
    '\u001b[m', '\u001b[00m', '\u001b[01m', '\u001b[031m', '\u001b[0039m', '\u001b[1;31m', '\u001b[38;5;208m', '\u001b[38;2;1;2;3m', '\u001b[39;49m', '\u001b[;m', '\u001b[1:2m', '\u001b[?25l', '\u001b[2K',
  ];
  /** What a nested Text leaves in its parent's line: styles opened and closed around words. */
  const DASHBOARD_LINES = ['\u001b[1mdev\u001b[22m  \u001b[32mhealthy\u001b[39m  1/1 running', '\u001b[36mq\u001b[39m quit  \u001b[36m?\u001b[39m help', '\u001b[1m\u001b[31mfailing\u001b[39m\u001b[22m ▁▂▃▅▇█', 'prod  \u001b[7m 2/2 \u001b[27m  sha256:26f368c1d9a4…', '\u001b[2mlast deploy\u001b[0m'];

  it("takes a line as fitting only when slice-ansi gives it back as it is, cut to its width (random lines)", async () => {
    const [fast, original] = [await edited(), await published()];
    const fitsAsIs = fast.text.fitsAsIs!;
    const line = fc.array(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...plainChars) }, { weight: 3, arbitrary: fc.constantFrom(...STYLE_CODES, ...CODES) }, { weight: 1, arbitrary: fc.constantFrom(...OTHERS) }), { maxLength: 30 }).map((parts) => parts.join(''));
    let styled = 0;
    fc.assert(
      fc.property(fc.oneof(line, text, plainText, plainOnly), (t) => {
        if (!fitsAsIs(t)) return;
        if (t.includes('\u001b')) styled++;
        expect(original.text.sliceAnsi(t, 0, original.text.stringWidth(t))).toBe(t);
      }),
      { numRuns: 20000 },
    );
    // Not a test that passes by saying no: lines with codes in them are taken as fitting (plain text alone would not count).
    expect(styled).toBeGreaterThan(150);
    for (const l of DASHBOARD_LINES) {
      expect(fitsAsIs(l), JSON.stringify(l)).toBe(true);
      expect(original.text.sliceAnsi(l, 0, original.text.stringWidth(l))).toBe(l);
    }
  });

  it('takes a line as fitting only when slice-ansi gives it back as it is (every line of up to four pieces)', async () => {
    const [fast, original] = [await edited(), await published()];
    const fitsAsIs = fast.text.fitsAsIs!;
    // One and two characters, each style that has an end in two kinds, their ends, a reset and near misses.
    const pieces = ['a', 'b', '\u001b[1m', '\u001b[2m', '\u001b[22m', '\u001b[31m', '\u001b[32m', '\u001b[39m', '\u001b[41m', '\u001b[49m', '\u001b[0m', '\u001b[m', '\u001b[1;31m', '\u001b[5m', '\u001b[53m', '\u001b[55m', '\u001b[38m', '\u0007'];
    let lines: string[] = [''];
    let fitting = 0;
    for (let length = 1; length <= 4; length++) {
      lines = lines.flatMap((l) => pieces.map((p) => l + p));
      for (const l of lines) {
        if (!fitsAsIs(l)) continue;
        fitting++;
        expect(original.text.sliceAnsi(l, 0, original.text.stringWidth(l)), JSON.stringify(l)).toBe(l);
      }
    }
    expect(fitting).toBeGreaterThan(450);
  });

  it('takes a line as fitting only when slice-ansi gives it back as it is (each code to 110 around characters: up to three pieces, and a c b c)', async () => {
    const [fast, original] = [await edited(), await published()];
    const fitsAsIs = fast.text.fitsAsIs!;
    // Every style, end and other number, so that each start's end (the table of ansi-styles' codes) is held to slice-ansi's.
    const codes = Array.from({ length: 111 }, (_, n) => `\u001b[${n}m`);
    const pieces = ['a', ...codes];
    const check = (l: string) => {
      if (!fitsAsIs(l)) return 0;
      expect(original.text.sliceAnsi(l, 0, original.text.stringWidth(l)), JSON.stringify(l)).toBe(l);
      return 1;
    };
    let fitting = 0;
    let lines: string[] = [''];
    for (let length = 1; length <= 3; length++) {
      lines = lines.flatMap((l) => pieces.map((p) => l + p));
      for (const l of lines) fitting += check(l);
    }
    for (const c1 of codes) for (const c2 of codes) fitting += check(`${c1}a${c2}`) + check(`a${c1}b${c2}`);
    expect(fitting).toBeGreaterThan(200);
    expect(fitsAsIs('')).toBe(true);
    expect(original.text.sliceAnsi('', 0, 0)).toBe('');
  });

  it('turns styled characters into the same text, for lines and for rows put together as Ink does (pieces among unstyled blanks)', async () => {
    const [fast, original] = [await edited(), await published()];
    const blank = (): StyledChar => ({ type: 'char', value: ' ', fullWidth: false, styles: [] });
    const row = fc.array(fc.oneof(fc.constant('blank'), text), { maxLength: 8 }).map((parts) => parts.flatMap((p) => (p === 'blank' ? [blank()] : original.text.styledCharsFromTokens(original.text.tokenize(p)))));
    fc.assert(
      fc.property(row, (chars) => {
        expect(fast.text.styledCharsToString(chars)).toBe(original.text.styledCharsToString(chars));
      }),
      { numRuns: 3000 },
    );
  });

  /** What Ink's Text passes as transformers: colour and a line prefix, applied after the cut. */
  const TRANSFORMERS = [(l: string) => `\u001b[32m${l}\u001b[39m`, (l: string, i: number) => `${i}>${l}`];

  it("draws the same frames: Ink's Output, with writes inside and across a clip", async () => {
    const [fast, original] = [await edited(), await published()];
    // Lines from a small pool (wide, emoji, styled, plain) come back frame after frame, as a screen's do; others are new.
    const POOL = ['dev  healthy  1/1 running', '\u001b[1mdev\u001b[22m  \u001b[32mhealthy\u001b[39m', '漢字 wide 😀 emoji', '\u001b[36mq\u001b[39m quit  \u001b[36m?\u001b[39m help', 'sha256:26f368c1d9a4… ▁▂▃▅▇█', 'a\tb \u0301', '+--------+'];
    const line = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...POOL) }, { weight: 1, arbitrary: fc.oneof(text, plainText, plainOnly) });
    const write = fc.record({ x: fc.integer({ min: -3, max: 30 }), y: fc.integer({ min: -1, max: 6 }), lines: fc.array(line, { minLength: 1, maxLength: 3 }), transformers: fc.constantFrom(0, 1, 2) });
    const frame = fc.record({
      width: fc.integer({ min: 1, max: 30 }),
      height: fc.integer({ min: 1, max: 6 }),
      clip: fc.option(fc.record({ x1: fc.integer({ min: 0, max: 10 }), x2: fc.integer({ min: 0, max: 30 }), y1: fc.integer({ min: 0, max: 3 }), y2: fc.integer({ min: 0, max: 6 }) })),
      writes: fc.array(write, { maxLength: 6 }),
    });
    const draw = (Output: InkText['Output'], f: typeof frame extends fc.Arbitrary<infer T> ? T : never) => {
      const output = new Output({ width: f.width, height: f.height });
      if (f.clip) output.clip(f.clip);
      for (const w of f.writes) output.write(w.x, w.y, w.lines.join('\n'), { transformers: TRANSFORMERS.slice(0, w.transformers) });
      if (f.clip) output.unclip();
      return output.get();
    };
    // Frames in a row, as a screen draws them: the edited Output keeps what it worked out across frames.
    fc.assert(
      fc.property(fc.array(frame, { minLength: 1, maxLength: 4 }), (frames) => {
        for (const f of frames) expect(draw(fast.text.Output, f)).toEqual(draw(original.text.Output, f));
      }),
      { numRuns: 1500 },
    );
  });

  it("draws the same frames after more distinct lines than Ink's Output keeps, and again after the oldest went", async () => {
    const [fast, original] = [await edited(), await published()];
    const frameOf = (Output: InkText['Output'], lines: string[]) => {
      const output = new Output({ width: 40, height: lines.length });
      output.clip({ x1: 0, x2: 40, y1: 0, y2: lines.length });
      lines.forEach((line, y) => output.write(y % 3, y, line, { transformers: [] }));
      output.unclip();
      return output.get().output;
    };
    const line = (i: number) => (i % 2 ? `\u001b[1mline ${i}\u001b[22m \u001b[36m…${'x'.repeat(i % 50)}\u001b[39m` : `line ${i} ${'y'.repeat(i % 50)}`);
    const screens = Array.from({ length: 700 }, (_, s) => Array.from({ length: 5 }, (_, y) => line(s * 5 + y)));
    for (const lines of [...screens, ...screens.slice(0, 50)]) expect(frameOf(fast.text.Output, lines)).toBe(frameOf(original.text.Output, lines));
  });

  it('draws the same frames when one line is cut at different starts and ends, frame after frame', async () => {
    const [fast, original] = [await edited(), await published()];
    const styled = '\u001b[1mdev\u001b[22m  \u001b[32mhealthy\u001b[39m  1/1 running';
    for (const text of [styled, 'prod  healthy  2/2 running']) {
      for (let x = -4; x <= 8; x++) {
        for (const x1 of [0, 3, 5]) {
          const draw = (Output: InkText['Output']) => {
            const output = new Output({ width: 24, height: 1 });
            output.clip({ x1, x2: 20, y1: 0, y2: 1 });
            output.write(x, 0, text, { transformers: [] });
            output.unclip();
            return output.get();
          };
          expect(draw(fast.text.Output), `${JSON.stringify(text)} at ${x}, clip from ${x1}`).toEqual(draw(original.text.Output));
        }
      }
    }
  });

  it("bounds what Ink's Output keeps across frames", () => {
    const path = join(root, 'node_modules', 'ink', 'build', 'output.js');
    const out: string = editInkOutput(readFileSync(path, 'utf8'), path);
    expect(out).not.toMatch(/(widths|blockWidths|styledChars) = new Map\(\)/);
    expect(out.match(/__boundedCache\(\d+\)/g)).toEqual([`__boundedCache(${INK_CACHE_LIMIT})`, `__boundedCache(${KEPT_BLOCKS})`, `__boundedCache(${KEPT_LINES})`, `__boundedCache(${INK_CACHE_LIMIT})`]);
    expect(out).toContain('caches = keptCaches;');
  });

  it('makes no Segmenter and no RGI_Emoji expression for text of plain characters; makes them for text that needs them', async () => {
    const fast = await edited();
    expect(fast.made.segmenters).toBe(0);
    expect(fast.made.regExps.filter((r) => r.includes('RGI_Emoji'))).toEqual([]);
    const line = `\u001b[1mdev\u001b[22m  healthy  1/1 running  sha256:26f368c1d9a4… ▁▂▃▅▇█ › ⏎ ${plainChars.join('')}`;
    fast.text.stringWidth(line);
    fast.text.wrapAnsiStringWidth(line);
    fast.text.styledCharsToString(fast.text.styledCharsFromTokens(fast.text.tokenize(line)));
    const output = new fast.text.Output({ width: 120, height: 2 });
    output.clip({ x1: 0, x2: 120, y1: 0, y2: 2 });
    output.write(0, 0, 'dev  healthy  1/1 running  sha256:26f368c1d9a4…', { transformers: [] });
    output.unclip();
    output.get();
    expect(fast.made.segmenters).toBe(0);
    expect(fast.made.regExps.filter((r) => r.includes('RGI_Emoji'))).toEqual([]);

    expect(fast.text.stringWidth('ok 😀')).toBe(5);
    expect(fast.made.segmenters).toBe(1);
    expect(fast.made.regExps.filter((r) => r.includes('RGI_Emoji'))).toEqual(['^\\p{RGI_Emoji}$']);
    fast.text.tokenize('😀');
    fast.text.wrapAnsiStringWidth('😀');
    fast.text.sliceAnsi('😀 ok', 0, 2);
    expect(fast.made.segmenters).toBe(4);
  });

  it('the published packages make their four Segmenters as they load, and write the emoji expression as a literal (what the edits save)', async () => {
    const [fast, original] = [await edited(), await published()];
    expect(original.made.segmenters).toBe(4);
    expect(original.source).toContain('/^\\p{RGI_Emoji}$/v');
    expect(fast.source).not.toContain('/^\\p{RGI_Emoji}$/v');
  });

  it("the built bundles that hold Ink carry every edit (dist/, as npm test builds it)", () => {
    const dist = join(root, 'dist');
    const holders = readdirSync(dist).filter((f) => /\.(c?js)$/.test(f) && readFileSync(join(dist, f), 'utf8').includes('styledCharsToString'));
    expect(holders).toContain('dashboard.cjs');
    expect(holders.length).toBe(2);
    for (const file of holders) {
      const code = readFileSync(join(dist, file), 'utf8');
      expect(code, file).toContain('function sameStyles');
      expect(code, file).toContain('function plainSegments');
      expect(code, file).toContain('rgiEmojiRegexMade');
      expect(code, file).toMatch(/caches\s*=\s*keptCaches/);
      expect(code.match(/new Intl\.Segmenter/g)?.length, file).toBe(4);
      expect(code.match(/Made\d*\?\?=new Intl\.Segmenter/g)?.length, file).toBe(4);
      expect(code, file).toMatch(/from===0&&to\d*===width\d*&&fitsAsIs\d*\(line\d*\)/);
    }
  });
});
