/**
 * `synth` with the code cache of node_modules (src/infra/compile-cache.ts),
 * the built binary as users run it: the cache is filled by the first run and
 * used by the next, the assembly is the same with and without it, and a
 * damaged cache, an unwritable cache folder or two runs at once change
 * nothing but the speed.
 */
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readCacheFile } from '../../src/infra/compile-cache.js';
import { ROOT, runCli, runCliAsync } from '../helpers/cli.js';
import { readCacheLayout, type CacheLayout } from '../helpers/code-cache-file.js';
import { tempDir } from '../helpers/fixtures.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/synth/dev-and-prod', import.meta.url));

const offline = { AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' };

function synth(cacheHome: string, extra: Record<string, string> = {}) {
  const out = join(tempDir('bd-synth-out-'), 'cdk.out');
  const r = runCli(['--config-dir', FIXTURE, 'synth', '--out', out], { env: { ...offline, XDG_CACHE_HOME: cacheHome, BENCHLING_DEPLOY_COMPILE_CACHE: undefined, ...extra } });
  expect(r.stderr).not.toMatch(/error|Error/);
  expect(r.status).toBe(0);
  return out;
}

/**
 * Waits until the checkout, its node_modules and dist/ were changed at least the code cache's RECENT_MS ago (bench/_setup.mjs, whose
 * wait test/scripts/bench-synth.test.ts holds equal to RECENT_MS): where a require led is kept only when every
 * folder the lookup read is that old, so before that the first synth would keep fewer answers than the next, which
 * would write the cache again.
 */
const { waitUntilSettled } = (await import(pathToFileURL(join(ROOT, 'bench', '_setup.mjs')).href)) as { waitUntilSettled(root: string): void };

/** Every file of an assembly folder with its bytes. */
function assembly(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).sort().map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
}

/** What differs between two layouts of the cache file: the entries, the kept lookups, and the stamps of the paths they read. */
function rewritten(was: CacheLayout, later: CacheLayout): string {
  const tables = (l: CacheLayout) => [...l.tables.values()].flatMap((t) => (Buffer.isBuffer(t) ? [] : [t]));
  const rows = (l: CacheLayout) => tables(l).flatMap((t) => t.entries.map(([file, stamp, , , sum]) => `${file} ${stamp} ${sum}`));
  const answers = (l: CacheLayout) => tables(l).flatMap((t) => t.resolutions.map(([from, request, result, paths]) => `${from} ${request} ${result} ${paths.map((i) => t.paths[i]!.join(' ')).join(' ')}`));
  const paths = (l: CacheLayout) => new Map(tables(l).flatMap((t) => t.paths));
  const newer = (before: string[], after: string[]) => {
    const had = new Set(before);
    return after.filter((r) => !had.has(r));
  };
  const entries = newer(rows(was), rows(later));
  const lookups = newer(answers(was), answers(later));
  const earlier = paths(was);
  const stamped = [...paths(later)].filter(([p, stamp]) => earlier.get(p) !== stamp).map(([p]) => p);
  return [
    `the second synth wrote the cache again (${rows(was).length} → ${rows(later).length} entries, ${answers(was).length} → ${answers(later).length} kept lookups)`,
    `entries new or changed: ${JSON.stringify(entries.slice(0, 5))} (${entries.length})`,
    `kept lookups new or changed: ${JSON.stringify(lookups.slice(0, 5).map((a) => a.split(' ').slice(0, 2).join(' ')))} (${lookups.length})`,
    `stamped paths new or changed: ${JSON.stringify(stamped)}`,
  ].join('; ');
}

const cacheFile = (home: string) => join(home, 'benchling-deploy', 'compile', 'code-cache.bin');
const cdkLibFiles = (home: string) => [...readCacheFile(cacheFile(home)).keys()].filter((f) => f.includes(`${sep}node_modules${sep}aws-cdk-lib${sep}`));

describe('synth and the code cache', () => {
  it('the first synth fills it with aws-cdk-lib, the next takes every file from it (leaving it as it was), and the assembly is the one made without it', () => {
    const home = tempDir('bd-cache-');
    waitUntilSettled(ROOT);
    const cold = synth(home);
    expect(cdkLibFiles(home).length).toBeGreaterThan(100);
    // The cache holds what synth loaded. Not aws-cdk-lib's table of every region's facts (2 MB of
    // bytecode, a fifth of synth): the services are made with their deployment alarms (environment-runtime.ts).
    expect(cdkLibFiles(home).filter((f) => f.includes(`${sep}region-info${sep}`))).toEqual([]);
    const before = statSync(cacheFile(home), { bigint: true });
    const kept = readCacheLayout(cacheFile(home));
    const warm = synth(home);
    // A file V8 refused or the cache did not hold would have been compiled and the cache written again. So would
    // a kept lookup whose folder another test changed in between: the message names what changed.
    const after = statSync(cacheFile(home), { bigint: true });
    const untouched = after.ino === before.ino && after.mtimeNs === before.mtimeNs;
    expect(untouched ? '' : rewritten(kept, readCacheLayout(cacheFile(home)))).toBe('');
    const offHome = tempDir('bd-cache-off-');
    const without = synth(offHome, { BENCHLING_DEPLOY_COMPILE_CACHE: 'off' });
    expect(readdirSync(offHome)).toEqual([]);
    expect(assembly(warm)).toEqual(assembly(without));
    expect(assembly(cold)).toEqual(assembly(without));
  });

  it('a damaged cache file is ignored and replaced; a cache folder that cannot be made is no error', () => {
    const home = tempDir('bd-cache-');
    const reference = assembly(synth(home));
    const good = readFileSync(cacheFile(home));
    writeFileSync(cacheFile(home), good.subarray(0, Math.floor(good.length / 2)));
    expect(assembly(synth(home))).toEqual(reference);
    expect(cdkLibFiles(home).length).toBeGreaterThan(100);

    const blocker = join(tempDir('bd-cache-'), 'a-file');
    writeFileSync(blocker, 'x');
    expect(assembly(synth(blocker))).toEqual(reference);
  });

  it('two synths at once with an empty cache both succeed and leave one whole cache file', async () => {
    const home = tempDir('bd-cache-');
    const env = { ...offline, XDG_CACHE_HOME: home };
    const outs = [join(tempDir(), 'a'), join(tempDir(), 'b')];
    const runs = await Promise.all(outs.map((out) => runCliAsync(['--config-dir', FIXTURE, 'synth', '--out', out], { env })));
    expect(runs.map((r) => r.status)).toEqual([0, 0]);
    expect(assembly(outs[0]!)).toEqual(assembly(outs[1]!));
    expect(readdirSync(join(home, 'benchling-deploy', 'compile'))).toEqual(['code-cache.bin']);
    expect(cdkLibFiles(home).length).toBeGreaterThan(100);
  });
});
