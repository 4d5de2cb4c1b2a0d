/**
 * The length of a JSON document written as YAML the way cdk writes a
 * template it sends inline (yaml 2: `stringify(value, { schema: 'yaml-1.1',
 * lineWidth: 0 })`), counted without writing it: the yaml library builds a
 * node for every value and took about a tenth of `synth`. The rules are
 * yaml's own (stringifyString, stringifyPair, stringifyCollection and the
 * YAML 1.1 tags' tests) for what templates hold: maps, lists, numbers,
 * booleans and one-line strings. Anything else (a string with a line break
 * or a control character, a null, a string yaml would take for a document
 * marker or a merge key, a very long key, a value met twice) gives undefined:
 * the caller then asks yaml itself. test/infra/yaml-size.test.ts holds the
 * two equal on generated documents.
 */

/** A plain scalar may not look like this (yaml stringifyString.ts `plainString`). */
const NOT_PLAIN = /^[\n\t ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-][ \t]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]$/;

/** The tests of the YAML 1.1 schema's default tags other than `str`: a plain string they match would read back as another type. */
const OTHER_TYPES: readonly RegExp[] = [
  /^(?:~|[Nn]ull|NULL)?$/,
  /^(?:Y|y|[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON)$/,
  /^(?:N|n|[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF)$/,
  /^[-+]?0b[0-1_]+$/,
  /^[-+]?0[0-7_]+$/,
  /^[-+]?[0-9][0-9_]*$/,
  /^[-+]?0x[0-9a-fA-F_]+$/,
  /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/,
  /^[-+]?(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?[eE][-+]?[0-9]+$/,
  /^[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*$/,
  /^<<$/,
  /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+$/,
  /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*$/,
  /^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:(?:t|T|[ \t]+)([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2}(\.[0-9]+)?)(?:[ \t]*(Z|[-+][012]?[0-9](?::[0-9]{2})?))?)?$/,
];

/** The tests above as one expression: one match per string, not fourteen (about 4 ms of a cold count of our template). */
const OTHER_TYPE = new RegExp(OTHER_TYPES.map((t) => `(?:${t.source})`).join('|'));

/**
 * Strings yaml writes in ways that depend on where they stand (block scalars, escapes, document
 * markers, merge keys). Its document-marker test is multi-line, and JavaScript counts U+2028 and
 * U+2029 as line ends there: a string holding either is left to yaml too.
 */
const NOT_COUNTED = /[\n\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u{D800}-\u{DFFF}]|^(?:%|---|\.\.\.)|^<<$/u;

/** Keys written longer than 1024 characters (quotes and escapes included) become explicit (`? key`) in yaml: from 1000 on, yaml counts them. */
const MAX_KEY = 1000;

class Uncounted extends Error {}

function stringLength(s: string): number {
  if (NOT_COUNTED.test(s)) throw new Uncounted();
  if (!NOT_PLAIN.test(s) && !OTHER_TYPE.test(s)) return s.length;
  // Quoted: single quotes when it holds double quotes and no single ones, else double quotes (JSON's escapes).
  if (s.includes('"') && !s.includes("'")) return s.length + 2;
  return JSON.stringify(s).length;
}

function scalarLength(v: unknown): number {
  if (typeof v === 'string') return stringLength(v);
  if (typeof v === 'boolean') return v ? 4 : 5;
  // yaml writes negative zero as `-0` (String(-0) is `0`).
  if (typeof v === 'number' && Number.isFinite(v)) return Object.is(v, -0) ? 2 : String(v).length;
  throw new Uncounted();
}

/** A map or list with at least one item (the empty ones are written `{}` and `[]`). */
function isBlock(v: unknown): v is Record<string, unknown> | unknown[] {
  if (typeof v !== 'object' || v === null) return false;
  return Array.isArray(v) ? v.length > 0 : Object.keys(v).length > 0;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * The exact length of `yaml.stringify(value, { schema: 'yaml-1.1', lineWidth: 0 })`
 * for a JSON document (a map or a list at the top), or undefined when it holds
 * something these rules do not cover.
 */
export function yamlLength(value: unknown): number | undefined {
  const seen = new Set<object>();

  // A value in block context whose items stand at `indent` columns.
  function itemLength(v: unknown, indent: number): number {
    if (typeof v !== 'object' || v === null) return scalarLength(v);
    if (seen.has(v)) throw new Uncounted();
    seen.add(v);
    if (Array.isArray(v)) {
      if (v.length === 0) return 2;
      // `- item`, each on its own line at `indent`; an item's own items two columns further.
      let n = (v.length - 1) * (1 + indent);
      for (const item of v) n += 2 + itemLength(item, indent + 2);
      return n;
    }
    if (!isPlainObject(v)) throw new Uncounted();
    const keys = Object.keys(v);
    if (keys.length === 0) return 2;
    let n = (keys.length - 1) * (1 + indent);
    for (const key of keys) {
      const keyLength = stringLength(key);
      if (keyLength > MAX_KEY) throw new Uncounted();
      const item = v[key];
      if (item === undefined) throw new Uncounted();
      n += keyLength + 1;
      // `key: value`, or `key:` and the map or list on the next lines, two columns further.
      n += isBlock(item) ? 1 + (indent + 2) + itemLength(item, indent + 2) : 1 + itemLength(item, indent + 2);
    }
    return n;
  }

  if (typeof value !== 'object' || value === null) return undefined;
  try {
    return itemLength(value, 0) + 1;
  } catch (error) {
    if (error instanceof Uncounted) return undefined;
    throw error;
  }
}
