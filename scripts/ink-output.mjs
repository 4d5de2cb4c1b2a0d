// Ink turns every frame into text through @alcalzone/ansi-tokenize's styledCharsToString, once per
// row of the screen. For each character it works out the escape codes that lead from the previous
// character's style to its own (diffAnsiCodes: three Sets and two filtered arrays, then a Set,
// an array and a join), even when both have the same style, which is nearly always. At 120x40
// that is some 5,000 such steps a frame, most of the time Ink spends drawing one.
//
// The bundle replaces that function with one that skips the step when both characters carry the
// same codes, whose difference is then empty, and does the rest as before: the same text, for
// any input (test/scripts/ink-output.test.ts compares it with the original). The package is pinned
// through Ink: if its source no longer reads as expected, the build fails here.
import { readFile } from 'node:fs/promises';

const ORIGINAL = `export function styledCharsToString(chars) {
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
const FAST = `function sameStyles(from, to) {
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

/** The source of @alcalzone/ansi-tokenize's styledChars.js, with styledCharsToString replaced. */
export function fastStyledChars(source, file) {
  if (source.split(ORIGINAL).length !== 2) throw new Error(`ink-output: ${file} no longer contains Ink's styledCharsToString as expected; @alcalzone/ansi-tokenize changed, check this plugin`);
  return source.replace(ORIGINAL, FAST);
}

/** The esbuild plugin, for every bundle that holds Ink. */
export const fastInkOutput = {
  name: 'ink-output',
  setup(build) {
    build.onLoad({ filter: /[\\/]@alcalzone[\\/]ansi-tokenize[\\/]build[\\/]styledChars\.js$/ }, async (args) => ({
      contents: fastStyledChars(await readFile(args.path, 'utf8'), args.path),
      loader: 'js',
    }));
  },
};
