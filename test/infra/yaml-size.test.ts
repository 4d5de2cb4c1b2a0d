/**
 * The template's YAML length counted without writing it (src/infra/yaml-size.ts)
 * is the length yaml writes, as cdk writes a template it sends inline: on
 * generated documents full of the strings yaml quotes (numbers, booleans,
 * dates, indicators, quotes), and on our real templates, which it must count
 * itself rather than leave to yaml.
 */
import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { yamlLength } from '../../src/infra/yaml-size.js';
import { inlineTemplateSize } from '../../src/infra/template-synthesizer.js';
import { synthesizeStack } from '../../src/infra/synth.js';
import { tempDir } from '../helpers/fixtures.js';
import { stackProfiles } from './stack-helpers.js';
import { join } from 'node:path';

const asCdk = (v: unknown) => stringify(v, { schema: 'yaml-1.1', lineWidth: 0 }).length;

/** Characters that change how yaml writes a string, and some that do not. */
const tricky = [...' \t:#-?,[]{}&*!|>\'"%@`~<.+_0123456789eExXbBoOyYnNtTfFlLuUsSaAiIZ\\/é€\u2028\u2029\u0085\u00a0'];
const trickyString = fc.oneof(
  fc.string({ unit: fc.constantFrom(...tricky), maxLength: 12 }),
  fc.constantFrom('', 'null', 'Null', '~', 'yes', 'No', 'on', 'OFF', 'y', '0x1F', '0o7', '017', '0b101', '1_000', '.5', '1e3', '-.inf', '.NaN', '12:30', '1:30.5', '2026-12-01', '2026-12-01 10:00:00', '<<', '---', '...x', '%x', '- a', '? b', 'a: b', 'a #b', 'a:', 'a ', ' a', "it's", 'say "hi"', `both ' and "`, 'line\nbreak', 'tab\tin', 'bell\u0007', '\ud800'),
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
);
const scalar = fc.oneof(trickyString, fc.integer({ min: -1e6, max: 1e6 }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null));
const { value: document } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, tie('list'), tie('map')),
  list: fc.array(tie('value'), { maxLength: 4 }),
  map: fc.dictionary(trickyString, tie('value'), { maxKeys: 4 }),
}));

describe('yamlLength', () => {
  it('is the length yaml writes, whenever it gives one', () => {
    let counted = 0;
    fc.assert(
      fc.property(fc.oneof(fc.dictionary(trickyString, document, { maxKeys: 5 }), fc.array(document, { maxLength: 5 })), (doc) => {
        const n = yamlLength(doc);
        if (n === undefined) return;
        counted++;
        expect(n).toBe(asCdk(doc));
      }),
      { numRuns: 3000 },
    );
    // Most documents are counted: the rules are exercised, not skipped.
    expect(counted).toBeGreaterThan(1000);
  });

  it('counts strings of every kind yaml writes on one line: plain, single-quoted, double-quoted with escapes', () => {
    for (const s of ['plain', 'true', '', '0755', '1:30.5', '-190:20:30.15', 'a: b', "it's", 'say "hi"', `both ' and "`, 'tab\there', 'back\\slash', '2026-12-01', '{x}', 'é€']) {
      expect(yamlLength({ [s]: [s, { [s]: s }] }), s).toBe(asCdk({ [s]: [s, { [s]: s }] }));
    }
  });

  it('counts long keys as yaml writes them: a key whose quoted text passes 1024 characters is explicit (`? key`), so it is left to yaml', () => {
    for (const key of ['"'.repeat(600) + "'", 'k'.repeat(999), 'k'.repeat(1000), 'k'.repeat(1025), "'".repeat(1000), ' '.repeat(990) + '#']) {
      const doc = { [key]: 1, other: { [key]: [key] } };
      const n = yamlLength(doc);
      if (n !== undefined) expect(n, `key of ${key.length}`).toBe(asCdk(doc));
      expect(inlineTemplateSize(doc), `key of ${key.length}`).toBe(asCdk(doc));
    }
  });

  it('counts numbers as yaml writes them, negative zero included', () => {
    for (const n of [0, -0, 7, -12, 1.5, -0.25, 1e21, 5e-324, Number.MAX_SAFE_INTEGER]) expect(yamlLength({ n: [n] }), String(n)).toBe(asCdk({ n: [n] }));
  });

  it('leaves to yaml what it does not count: line breaks, control characters, null, document markers, merge keys, shared values', () => {
    const shared = { a: 1 };
    for (const v of [{ a: 'x\ny' }, { a: 'bell\u0007' }, { '\u2028%': true }, { a: 'x\u2029---' }, { a: null }, { a: '---' }, { '<<': 'x' }, [shared, shared], 'top', { a: Number.NaN }]) {
      expect(yamlLength(v)).toBeUndefined();
    }
  });

  it('counts our templates itself (dev and prod, prod alone, a long allow-list), exactly', () => {
    const list = Array.from({ length: 300 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`).join(',');
    for (const profiles of [stackProfiles({ prod: {}, dev: {} }), stackProfiles({ prod: {}, dev: false }), stackProfiles({ prod: { webhookAllowList: list }, dev: {} })]) {
      const { template, templateBodySize } = synthesizeStack(profiles, join(tempDir(), 'cdk.out'));
      expect(yamlLength(template)).toBe(asCdk(template));
      expect(inlineTemplateSize(template)).toBe(asCdk(template));
      expect(templateBodySize).toBe(asCdk(template));
    }
  });
});
