// What Ink does to draw a frame, made cheaper in the bundles, with the same text on the screen.
// Each edit replaces an exact piece of a pinned package's source; if a package no longer reads
// as expected, the build fails here. test/scripts/ink-output.test.ts compares each edited
// function with the original on random and exhaustive inputs.
//
// 1. Ink turns every row of a frame into text through @alcalzone/ansi-tokenize's
//    styledCharsToString, which for every character built the escape codes leading from the
//    previous character's style to its own (three Sets and two filtered arrays, then a Set, an
//    array and a join), even when both have the same codes, which is nearly always: some 5,000
//    such steps a frame at 120x40. The edit skips the step when the codes are the same (their
//    difference is then empty).
// 2. Measuring text (string-width, twice: Ink's own and wrap-ansi's older copy) and cutting it
//    into characters (ansi-tokenize's tokenize and slice-ansi, every line of every frame) go through
//    Intl.Segmenter. The first Segmenter of a process starts ICU (some 15 ms), and string-width's
//    RGI_Emoji regular expression costs some 25 ms to make from a code cache. Both were made as
//    the modules loaded, before the first frame. Now they are made when first needed, and text of
//    plain characters ({@link PLAIN}: printable ASCII and the narrow symbols and letters a
//    screen of this tool shows) is measured and cut without them: each such character is a
//    grapheme cluster of its own, as wide as its East Asian Width says, which is what the full
//    paths compute for it.
// 3. Ink cuts every line written inside a box with overflow="hidden" with slice-ansi, even a line
//    that fits; a line that fits is written as it is when slice-ansi would give it back unchanged:
//    plain characters, with style codes that the cut would neither drop, add nor reorder.
// 4. Ink's Output kept what it measured and cut into characters for one frame only, and sliced
//    every line anew, though most lines of a frame were in the one before (the footer, the labels,
//    the borders): now all of these are kept across frames, each cache bounded (oldest in, first
//    out). All are pure functions of their key, and nothing changes what they give, so a kept
//    answer is the answer.
import { readFile } from 'node:fs/promises';
import { HELPER as BOUNDED_CACHE, INK_CACHE_LIMIT } from './ink-caches.mjs';

/**
 * The plain characters, as a regular-expression class body: printable ASCII, Latin-1's letters
 * and signs (not U+00A0, U+00A9 ©, U+00AD soft hyphen, U+00AE ®), punctuation U+2010–U+2027 and
 * U+2030–U+203A (… ‹ › † • “ ”), arrows U+2190–U+2193, ⏎, box drawing and block elements
 * U+2500–U+259F (the sparklines). No two of them join in a grapheme cluster (a mark, a joiner
 * or a variation selector after one would, and is not plain), none is an emoji or zero-width on
 * its own, all are one UTF-16 unit; the test holds every one to the full paths.
 */
export const PLAIN = '\\u0020-\\u007E\\u00A1-\\u00A8\\u00AA-\\u00AC\\u00AF-\\u00FF\\u2010-\\u2027\\u2030-\\u203A\\u2190-\\u2193\\u23CE\\u2500-\\u259F';

/**
 * Lines whose characters Ink's Output keeps across frames: some three screens' worth of the lines
 * it writes. Each is an array of objects, one a character (about 35 KB a line of 100 columns): some
 * 4 MB at 100 columns, three times that at 300. (A frame's worth would keep its gain; the heap
 * grows by what is kept.) Oldest in, first out: on a busy log screen the footer is cut again
 * now and then, which costs time only.
 */
export const KEPT_LINES = 120;
/** Widest lines of the texts Ink writes (one per text node, cut to the screen) kept across frames. */
export const KEPT_BLOCKS = 100;

/** Text of plain characters and escape codes (ESC, BEL and printable ASCII), as a class body. */
const PLAIN_TEXT = `\\u0007\\u001B${PLAIN}`;

/** A Segmenter made on the first call of `segment`, not as the module loads. */
const lazySegmenter = (name, args) => `let ${name}Made;\nconst ${name} = {segment: (text) => (${name}Made ??= new Intl.Segmenter(${args})).segment(text)};`;

/**
 * A grapheme Segmenter made on first need, as {@link lazySegmenter}, that cuts text of plain characters and escape
 * codes itself: one segment a UTF-16 unit (`segment`, `index`, `input`), in order and by `containing(index)`, as the
 * Segmenter would cut it. Both readers of these segments (ansi-tokenize's tokenize, slice-ansi) use no more.
 */
const plainAwareSegmenter = (name, args) => `${lazySegmenter(`${name}All`, args)}
const ${name} = {segment: (text) => (/^[${PLAIN_TEXT}]*$/.test(text) ? plainSegments(text) : ${name}All.segment(text))};
function plainSegments(text) {
	const units = [];
	for (let index = 0; index < text.length; index++) units.push({segment: text[index], index, input: text});
	units.containing = (index) => (index >= 0 && index < text.length ? units[index] : undefined);
	return units;
}`;

/** Widths of plain text, summed by East Asian Width (both copies of string-width import eastAsianWidth). */
const plainWidth = `if (/^[${PLAIN}]*$/.test(string)) {\n\t\tfor (const character of string) {\n\t\t\twidth += eastAsianWidth(character.codePointAt(0), eastAsianWidthOptions);\n\t\t}\n\n\t\treturn width;\n\t}\n\n\t`;

const STYLED_CHARS_ORIGINAL = `export function styledCharsToString(chars) {
    let ret = "";
    for (let i = 0; i < chars.length; i++) {
        const char = chars[i];
        if (i === 0) {
            ret += ansiCodesToString(char.styles);
        }
        else {
            ret += ansiCodesToString(diffAnsiCodes(chars[i - 1].styles, char.styles));
        }
        ret += char.value;
        // reset active styles at the end of the string
        if (i === chars.length - 1) {
            ret += ansiCodesToString(diffAnsiCodes(char.styles, []));
        }
    }
    return ret;
}`;

// Two style lists of the same codes, in the same order: diffAnsiCodes(from, to) is then empty
// (each code of \`from\` is kept by \`to\`, and \`to\` adds none), and so is its text.
const STYLED_CHARS_FAST = `function sameStyles(from, to) {
    if (from === to) return true;
    if (from.length !== to.length) return false;
    for (let i = 0; i < from.length; i++) {
        if (from[i].code !== to[i].code || from[i].endCode !== to[i].endCode) return false;
    }
    return true;
}
export function styledCharsToString(chars) {
    let ret = "";
    for (let i = 0; i < chars.length; i++) {
        const char = chars[i];
        if (i === 0) {
            if (char.styles.length > 0) ret += ansiCodesToString(char.styles);
        }
        else if (!sameStyles(chars[i - 1].styles, char.styles)) {
            ret += ansiCodesToString(diffAnsiCodes(chars[i - 1].styles, char.styles));
        }
        ret += char.value;
        // reset active styles at the end of the string
        if (i === chars.length - 1 && char.styles.length > 0) {
            ret += ansiCodesToString(diffAnsiCodes(char.styles, []));
        }
    }
    return ret;
}`;

/**
 * `fitsAsIs(line)`, in Ink's Output: true only when slice-ansi gives `line` back as it is, cut from 0
 * to its full width (string-width's, which for plain characters is slice-ansi's: one column each).
 * That holds for a line of plain characters with escape codes of one style each (`ESC [ n m`, n
 * one of the styles ansi-styles names, its end, or 0) when, as slice-ansi reads them (one entry a
 * style's end code, kept while a code of that end is open):
 * - the codes before the first character each start a style, no two of one end (slice-ansi writes
 *   the styles open at the first character, one a kind, in the order they were opened);
 * - the codes after the last character each close an open style (slice-ansi drops one that closes
 *   nothing or opens one), and none is left open at the end (slice-ansi would close it).
 * Codes between characters are written as they are. The empty line fits (slice-ansi gives ''); codes
 * with no character do not. Anything else (another code, `ESC [ m`, a number of more than three
 * digits, a code of several parameters, a BEL) is false: slice-ansi cuts it.
 * test/scripts/ink-output.test.ts holds it to slice-ansi on random and exhaustive lines.
 */
const FITS_AS_IS = `const FIT_END_BITS = [];
[22, 23, 24, 27, 28, 29, 39, 49, 55].forEach((end, i) => (FIT_END_BITS[end] = 1 << i));
const FIT_STARTS = [];
for (const [start, end] of [[1, 22], [2, 22], [3, 23], [4, 24], [53, 55], [7, 27], [8, 28], [9, 29]]) FIT_STARTS[start] = FIT_END_BITS[end];
for (let n = 0; n < 8; n++) {
    FIT_STARTS[30 + n] = FIT_STARTS[90 + n] = FIT_END_BITS[39];
    FIT_STARTS[40 + n] = FIT_STARTS[100 + n] = FIT_END_BITS[49];
}
const FIT_TEXT = /^[\\u001B${PLAIN}]*$/;
export function fitsAsIs(line) {
    if (!FIT_TEXT.test(line)) return false;
    let open = 0;
    let seen = false;
    let closesAll = true;
    for (let i = 0; i < line.length;) {
        if (line.charCodeAt(i) !== 27) {
            seen = true;
            closesAll = true;
            i++;
            continue;
        }
        if (line.charCodeAt(i + 1) !== 91) return false;
        let j = i + 2;
        let n = 0;
        for (let d; j < i + 5 && (d = line.charCodeAt(j) - 48) >= 0 && d <= 9; j++) n = n * 10 + d;
        if (j === i + 2 || line.charCodeAt(j) !== 109) return false;
        i = j + 1;
        const start = FIT_STARTS[n];
        if (start !== undefined) {
            if (!seen && (open & start) !== 0) return false;
            open |= start;
            closesAll = false;
            continue;
        }
        const end = n === 0 ? open : FIT_END_BITS[n];
        if (end === undefined || !seen) return false;
        if ((open & end) === 0) closesAll = false;
        open &= ~end;
    }
    return closesAll && open === 0;
}
`;

/** The edits, by the file they apply to (a path ending): [original, replacement], each original found exactly once. */
export const INK_OUTPUT_EDITS = {
  '@alcalzone/ansi-tokenize/build/styledChars.js': [[STYLED_CHARS_ORIGINAL, STYLED_CHARS_FAST]],
  // Every line Ink writes is cut into characters here. A line of plain characters and escape codes
  // (ESC, BEL and printable ASCII) is one cluster per UTF-16 unit, as the Segmenter would cut it.
  '@alcalzone/ansi-tokenize/build/tokenize.js': [['const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });', plainAwareSegmenter('segmenter', 'undefined, { granularity: "grapheme" }')]],
  'string-width/index.js': [
    ['const segmenter = new Intl.Segmenter();', lazySegmenter('segmenter', '')],
    ['const rgiEmojiRegex = /^\\p{RGI_Emoji}$/v;', "let rgiEmojiRegexMade;\nconst rgiEmojiRegex = {test: (text) => (rgiEmojiRegexMade ??= new RegExp('^\\\\p{RGI_Emoji}$', 'v')).test(text)};"],
    ['\tlet width = 0;\n\tconst eastAsianWidthOptions = {ambiguousAsWide: !ambiguousIsNarrow};\n\n\tfor (const {segment} of segmenter.segment(string)) {', `\tlet width = 0;\n\tconst eastAsianWidthOptions = {ambiguousAsWide: !ambiguousIsNarrow};\n\n\t${plainWidth}for (const {segment} of segmenter.segment(string)) {`],
  ],
  // wrap-ansi's own, older string-width (7.x): no fast path of its own.
  'wrap-ansi/node_modules/string-width/index.js': [
    ['const segmenter = new Intl.Segmenter();', lazySegmenter('segmenter', '')],
    ['\tconst eastAsianWidthOptions = {ambiguousAsWide: !ambiguousIsNarrow};\n\n\tfor (const {segment: character} of segmenter.segment(string)) {', `\tconst eastAsianWidthOptions = {ambiguousAsWide: !ambiguousIsNarrow};\n\n\t${plainWidth}for (const {segment: character} of segmenter.segment(string)) {`],
  ],
  // Ink cuts every line written inside a box with overflow="hidden" (the dashboard's whole screen)
  // with slice-ansi, which cuts its text into clusters, with the escape codes left in. Text of plain
  // characters and escape codes gets segments of one UTF-16 unit each, as the Segmenter would cut
  // it (slice-ansi reads the segment and index of them, by containing() or in order).
  'slice-ansi/tokenize-ansi.js': [["const GRAPHEME_SEGMENTER = new Intl.Segmenter(undefined, {granularity: 'grapheme'});", plainAwareSegmenter('GRAPHEME_SEGMENTER', "undefined, {granularity: 'grapheme'}")]],
  // Ink cuts every line inside that box with slice-ansi, even one that fits, before it styles it. A
  // line that fits (within the clip's width from its start) is written as it is when slice-ansi
  // would give back the same text ({@link FITS_AS_IS}): plain characters, and the style codes a
  // nested Text leaves in its parent's line, each closed before the line ends. Not so for others:
  // string-width counts a tab or a lone combining mark 0 wide where slice-ansi counts 1, so the cut
  // loses the line's last character; and slice-ansi adds, reorders or drops some escape codes.
  'ink/build/output.js': [
    ['return sliceAnsi(line, from, to);', 'return from === 0 && to === width && fitsAsIs(line) ? line : keptSlice(line, from, to);'],
    ['    widths = new Map();\n    blockWidths = new Map();\n    styledChars = new Map();', `    widths = __boundedCache(${INK_CACHE_LIMIT});\n    blockWidths = __boundedCache(${KEPT_BLOCKS});\n    styledChars = __boundedCache(${KEPT_LINES});`],
    ['    caches = new OutputCaches();', '    caches = keptCaches;'],
    ['export default class Output {', `${BOUNDED_CACHE}${FITS_AS_IS}const slices = __boundedCache(${INK_CACHE_LIMIT});
function keptSlice(line, from, to) {
    const key = from + ':' + to + ':' + line;
    let cut = slices.get(key);
    if (cut === undefined) slices.set(key, (cut = sliceAnsi(line, from, to)));
    return cut;
}
const keptCaches = new OutputCaches();
export default class Output {`],
  ],
};

/** Which of {@link INK_OUTPUT_EDITS} a file is: the longest path ending that matches (string-width's two copies). */
function editsFor(file) {
  const path = file.replaceAll('\\', '/');
  const name = Object.keys(INK_OUTPUT_EDITS)
    .filter((n) => path.endsWith(`/node_modules/${n}`))
    .sort((a, b) => b.length - a.length)[0];
  return name === undefined ? undefined : INK_OUTPUT_EDITS[name];
}

/** The source of one of the files of {@link INK_OUTPUT_EDITS}, edited. */
export function editInkOutput(source, file) {
  const edits = editsFor(file);
  if (!edits) throw new Error(`ink-output: not a file this plugin edits: ${file}`);
  let out = source;
  for (const [from, to] of edits) {
    if (out.split(from).length !== 2) throw new Error(`ink-output: ${file} no longer contains "${from.split('\n')[0]}" exactly once; the package changed, check this plugin`);
    out = out.replace(from, () => to);
  }
  return out;
}

/** The esbuild plugin, for every bundle that holds Ink. */
export const fastInkOutput = {
  name: 'ink-output',
  setup(build) {
    const filter = /[\\/]node_modules[\\/](@alcalzone[\\/]ansi-tokenize[\\/]build[\\/](styledChars|tokenize)\.js|(wrap-ansi[\\/]node_modules[\\/])?string-width[\\/]index\.js|slice-ansi[\\/]tokenize-ansi\.js|ink[\\/]build[\\/]output\.js)$/;
    build.onLoad({ filter }, async (args) => ({ contents: editInkOutput(await readFile(args.path, 'utf8'), args.path), loader: 'js' }));
  },
};
