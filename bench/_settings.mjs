// What a bench is told from outside (environment variables and flags), checked before it starts anything:
// a figure that is not one it takes ends the bench with status 2 and a line naming the variable or flag.
import { basename } from 'node:path';
import { parseArgs } from 'node:util';

/** The bench this process runs, as its lines name it: `bench/startup`. */
const BENCH = `bench/${basename(process.argv[1] ?? 'bench', '.mjs')}`;

/**
 * The figure named `label` (an environment variable or a `--flag`) from its text `raw`, or `fallback` when
 * it is not given (`undefined`). It must be a whole number from `min` to `max`, or with `decimals` a number
 * with at most that many decimal places; anything else (an empty text, a sign, an exponent, `NaN`) ends the
 * process with status 2 and one line on stderr: the bench, `label`, the text given and what `label` takes
 * (`what`, such as "a number of runs").
 */
export function setting(label, raw, fallback, { what = 'a number of runs', min = 1, max = 9999, decimals = 0 } = {}) {
  if (raw === undefined) return fallback;
  const shape = decimals > 0 ? new RegExp(`^\\d{1,9}(?:\\.\\d{1,${decimals}})?$`) : /^\d{1,9}$/;
  const n = shape.test(raw) ? Number(raw) : Number.NaN;
  if (n >= min && n <= max) return n;
  const kind = decimals > 0 ? `a number from ${min} to ${max}, at most ${decimals} decimal place${decimals === 1 ? '' : 's'}` : `a whole number from ${min} to ${max}`;
  console.error(`${BENCH}: ${label}: ${JSON.stringify(raw)} is not ${what} (${kind})`);
  process.exit(2);
}

/** `setting` for an environment variable: `name` is both the variable read and the label. */
export function envSetting(name, fallback, rule) {
  return setting(name, process.env[name], fallback, rule);
}

/**
 * A list of names from the environment variable `name` (comma-separated), each one of `allowed`, or `fallback`
 * when it is not set; an empty list, an empty name or another name ends the process with status 2 naming `name`.
 */
export function choicesSetting(name, allowed, fallback) {
  const raw = process.env[name];
  if (raw === undefined) return fallback;
  const names = raw.split(',').map((x) => x.trim());
  const wrong = names.filter((x) => !allowed.includes(x));
  if (wrong.length === 0) return names;
  console.error(`${BENCH}: ${name}: ${JSON.stringify(raw)} names ${wrong.map((x) => JSON.stringify(x)).join(', ')}: it takes a comma-separated list of ${allowed.join(', ')}`);
  process.exit(2);
}

/** `parseArgs` of node:util; a flag it does not know, one without its value, or an argument it takes none for ends the process with status 2 and its message. */
export function parsedArgs(config) {
  try {
    return parseArgs(config);
  } catch (e) {
    if (!String(e?.code).startsWith('ERR_PARSE_ARGS')) throw e;
    console.error(`${BENCH}: ${e.message}`);
    process.exit(2);
  }
}
