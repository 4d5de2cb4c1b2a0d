/**
 * The one door for outside text. Every string that comes from AWS (stop
 * reasons, rollout reasons, events, target descriptions, log messages), from
 * cdk, from an HTTP body or from a file of the config folder passes through
 * {@link displayText} before it reaches the screen or stdout:
 *
 * - control characters (C0, DEL and C1, U+0080-U+009F, which some terminals
 *   read as one-byte escapes) become a visible `\xNN`, so outside text can
 *   never move the cursor, clear the screen or retitle the window; the
 *   bidirectional controls (U+061C, U+200E-F, U+202A-E, U+2066-9), which can
 *   show text in another order than it is, and the Unicode line and paragraph
 *   separators (U+2028-9) become a visible `\uNNNN`;
 * - a one-line field stays one line: a line break shows as ` ⏎ `, so a CR/LF
 *   in a reason cannot forge a row;
 * - the length is bounded, the cut marked with an ellipsis, so a 1 MB reason
 *   costs what its shown part costs.
 *
 * The full text stays where it matters: `status --json` (escaped by JSON, see
 * {@link jsonForTerminal}), the deploy log file (cdk's output as it came).
 */

/** Characters a one-line field shows by default. */
export const LINE_MAX = 500;

/** Characters of one outside field the dashboard keeps in its state ({@link keepText}): more than a screen shows. */
export const FIELD_KEEP = 4096;

/** Marks a cut. */
export const ELLIPSIS = '…';

/** What stands for a line break in a one-line field. */
export const LINE_BREAK_MARK = ' ⏎ ';

export interface DisplayOptions {
  /** Keep line breaks (CR LF becomes LF); default false: one line. */
  readonly multiline?: boolean;
  /** Keep tabs as they are (log lines do); default: escaped in one-line text, kept in multi-line text. */
  readonly keepTabs?: boolean;
  /** At most this many characters (UTF-16 units), the last being the ellipsis when cut; default {@link LINE_MAX}. */
  readonly max?: number;
}

/**
 * What JSON.stringify leaves raw but may not show raw (a class body): DEL, C1, the bidirectional controls, the line
 * and paragraph separators. With C0 (which JSON escapes), the characters {@link displayText} escapes.
 */
const UNSHOWN_PAST_C0 = '\\u007f-\\u009f\\u061c\\u200e\\u200f\\u2028-\\u202e\\u2066-\\u2069';
/** Characters outside text may not show raw: C0 and {@link UNSHOWN_PAST_C0}. */
const CONTROL = new RegExp(`\\r\\n|[\\u0000-\\u001f${UNSHOWN_PAST_C0}]`, 'g');
/** What {@link jsonForTerminal} writes as `\uNNNN` after JSON.stringify. */
const JSON_UNSHOWN = new RegExp(`[${UNSHOWN_PAST_C0}]`, 'g');

/** `\x1b` for ESC, `\u202e` for a character past U+00FF. */
function hexEscape(c: string): string {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * Outside text made safe to show: control characters escaped, one line
 * unless `multiline`, at most `max` characters. Null and undefined are ''.
 */
export function displayText(text: string | null | undefined, options: DisplayOptions = {}): string {
  const multiline = options.multiline ?? false;
  const keepTabs = options.keepTabs ?? multiline;
  const max = Math.max(1, options.max ?? LINE_MAX);
  const raw = text ?? '';
  // Only the part that can be shown is escaped: the cost is bounded by `max`, not by the text.
  const head = raw.length > max ? raw.slice(0, max) : raw;
  const escaped = head.replace(CONTROL, (c) => {
    if (c === '\r\n' || c === '\n') return multiline ? '\n' : LINE_BREAK_MARK;
    if (c === '\t' && keepTabs) return '\t';
    return hexEscape(c);
  });
  if (raw.length <= max && escaped.length <= max) return escaped;
  return cut(escaped, max);
}

/** One line of outside text, at most `max` characters: the common case of {@link displayText}. */
export function displayLine(text: string | null | undefined, max = LINE_MAX): string {
  return displayText(text, { max });
}

/**
 * Outside text kept in the dashboard's state: cut to `max` characters with an
 * ellipsis, not yet escaped (the screens do that when they draw). This is
 * where a 1 MB stop reason becomes a few KB, so no frame ever pays for it.
 */
export function keepText(text: string, max = FIELD_KEEP): string {
  return text.length <= max ? text : cut(text, max);
}

/** `keepText` for a field that may be absent. */
export function keepOptional<T extends string | null | undefined>(text: T, max = FIELD_KEEP): T {
  return (typeof text === 'string' ? keepText(text, max) : text) as T;
}

/**
 * Whatever a command prints, as the last guard before stdout or stderr: the
 * control characters escaped, line breaks and tabs kept, nothing cut. The
 * fields inside were already made one line by {@link displayLine}.
 */
export function terminalSafe(text: string): string {
  return displayText(text, { multiline: true, max: Number.POSITIVE_INFINITY });
}

/**
 * JSON for stdout: the same value when parsed (the original strings, in
 * full), but with DEL, the C1 controls, the bidirectional controls and the
 * line and paragraph separators written as `\uNNNN`, which `JSON.stringify`
 * leaves raw (it escapes only C0).
 */
export function jsonForTerminal(value: unknown, indent = 2): string {
  return JSON.stringify(value, null, indent).replace(JSON_UNSHOWN, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** `max - 1` characters (a surrogate pair is not split) and the ellipsis. */
function cut(text: string, max: number): string {
  let end = Math.max(0, max - 1);
  const last = text.charCodeAt(end - 1);
  if (end > 0 && last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}${ELLIPSIS}`;
}

/**
 * Outside text as screen lines of at most `width` characters, broken at
 * spaces where it can be (a longer word is split), at most `maxLines` lines,
 * the last cut with an ellipsis when the text goes on. The text passes
 * {@link displayLine} first (escaped, one line, bounded by what the lines can
 * hold), so a frame costs its lines, not the text.
 */
export function wrapLines(text: string | null | undefined, width: number, maxLines = Number.POSITIVE_INFINITY): string[] {
  const w = Math.max(1, Math.floor(width));
  const budget = Number.isFinite(maxLines) ? Math.max(1, maxLines) * w + 1 : LINE_MAX * 4;
  let rest = displayLine(text, Math.max(1, budget));
  const out: string[] = [];
  while (rest.length > w) {
    if (out.length >= maxLines - 1) {
      out.push(cut(rest, w));
      return out;
    }
    const space = rest.lastIndexOf(' ', w);
    const at = space > w / 3 ? space : w;
    out.push(rest.slice(0, at).trimEnd());
    rest = rest.slice(at).trimStart();
  }
  out.push(rest);
  return out;
}
