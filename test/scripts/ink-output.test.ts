import { describe, expect, it } from 'vitest';
import { build } from 'esbuild';
import fc from 'fast-check';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as original from '@alcalzone/ansi-tokenize';
// @ts-expect-error a plain .mjs build script, without types
import { fastInkOutput, fastStyledChars } from '../../scripts/ink-output.mjs';

type Tokenize = typeof original;
const root = fileURLToPath(new URL('../..', import.meta.url));

/** @alcalzone/ansi-tokenize as the build bundles it with Ink: through the plugin. */
async function bundled(): Promise<Tokenize> {
  const out = await build({
    stdin: { contents: "export * from '@alcalzone/ansi-tokenize';", resolveDir: root, loader: 'js' },
    bundle: true,
    format: 'cjs',
    platform: 'node',
    write: false,
    logLevel: 'silent',
    plugins: [fastInkOutput],
  });
  const module = { exports: {} as Tokenize };
  new Function('module', 'exports', 'require', out.outputFiles[0].text)(module, module.exports, createRequire(import.meta.url));
  return module.exports;
}

/** The escape codes Ink's text carries: styles set and reset, colours of each kind, a full reset, links. */
const CODES = ['\u001b[1m', '\u001b[2m', '\u001b[22m', '\u001b[3m', '\u001b[23m', '\u001b[4m', '\u001b[24m', '\u001b[7m', '\u001b[27m', '\u001b[9m', '\u001b[29m', '\u001b[31m', '\u001b[32m', '\u001b[33m', '\u001b[90m', '\u001b[39m', '\u001b[41m', '\u001b[49m', '\u001b[38;5;208m', '\u001b[38;2;1;2;3m', '\u001b[48;5;9m', '\u001b[0m', '\u001b]8;;https://example.com\u0007', '\u001b]8;;\u0007'];
const piece = fc.oneof(fc.constantFrom(...CODES), fc.string({ minLength: 1, maxLength: 4 }).map((s) => s.replace(/[\u0000-\u001f\u007f-\u009f]/g, 'x')), fc.constantFrom('…', '█', '│', '漢'));
const line = fc.array(piece, { maxLength: 30 }).map((parts) => parts.join(''));

describe("Ink's frame text (styledCharsToString) in the bundle", () => {
  it('the plugin rewrites the installed package', async () => {
    const fast = await bundled();
    expect(fast.styledCharsToString.toString()).toContain('sameStyles');
    expect(original.styledCharsToString.toString()).not.toContain('sameStyles');
  });

  it('gives the same text as the original for any styled line', async () => {
    const fast = await bundled();
    fc.assert(
      fc.property(line, (text) => {
        const chars = original.styledCharsFromTokens(original.tokenize(text));
        expect(fast.styledCharsToString(chars)).toBe(original.styledCharsToString(chars));
      }),
      { numRuns: 2000 },
    );
  });

  it('gives the same text for rows put together as Ink does: pieces of lines among unstyled blanks', async () => {
    const fast = await bundled();
    const blank = { type: 'char' as const, value: ' ', fullWidth: false, styles: [] };
    const row = fc.array(fc.oneof(fc.constant('blank'), line), { maxLength: 8 }).map((parts) => parts.flatMap((p) => (p === 'blank' ? [{ ...blank, styles: [] }] : original.styledCharsFromTokens(original.tokenize(p)))));
    fc.assert(
      fc.property(row, (chars) => {
        expect(fast.styledCharsToString(chars)).toBe(original.styledCharsToString(chars));
      }),
      { numRuns: 2000 },
    );
  });

  it('fails the build when the package no longer reads as expected', () => {
    expect(() => fastStyledChars('export function styledCharsToString(chars) { return ""; }', '/x/styledChars.js')).toThrow(/ansi-tokenize changed/);
  });
});
