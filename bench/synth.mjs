// `npm run bench synth`: wall time of `benchling-deploy synth` (dev and prod, written to a
// fresh folder each run) next to a bare `node -e 0` in the same run, as medians and their ratio.
// Target: at most 7x. `synth` always synthesizes (plans reuse assemblies: see bench/prepare).
// Twice: alone (CI, a first synth, BENCHLING_DEPLOY_SYNTH_HELPER=off), and as a user's shell runs it
// after a first synth, which starts the synth helper that keeps aws-cdk-lib loaded (src/infra/synth-helper.ts).
// The code cache of aws-cdk-lib (src/infra/compile-cache.ts) is in a folder of this run, filled
// by the first run (not counted); a run without it (a first run ever) is reported beside.
//
// Then the floor under that ratio: the first synthesis alone, in a process where everything it loads
// is loaded already (the dashboard's synthesis worker, dist/synth-worker.cjs, which loads the files of
// aws-cdk-lib a synthesis loads, dist/synth-modules.cjs, before its input comes; the input is sent
// once the worker's event loop has run and sat idle, and timed to the answer), next to `node -e 0` in
// the same runs. A whole `synth` starts Node, loads those files and then does that first synthesis:
// it takes at least `node -e 0` plus the floor, however fast the loading (the "least" line); the
// rest of its ratio is the rest of the command. BENCH_RUNS and BENCH_FLOOR_RUNS set the runs.
//
// And the code cache as it grows where several installations of the tool share it (each npx version,
// each project's node_modules: the file keeps their entries while there is room): the same synth with
// the cache file also holding the entries and kept lookups of OTHER_INSTALLS more installations'
// aws-cdk-lib, against the synth with its own alone, in the same runs. A run reads the header, its own
// installation's table and the bytecode of the files it loads, not the file: the difference is the
// longer header (a row for each installation).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { bundleModules } from './_bundle.mjs';
import { compare, fmt, forkedRun, median, percentile, timeCommand } from './_stats.mjs';
import { envSetting } from './_settings.mjs';
import { endWithBench, waitUntilSettled } from './_setup.mjs';

const RUNS = envSetting('BENCH_RUNS', 7);
const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin', 'benchling-deploy.cjs');
const fixture = join(root, 'test', 'fixtures', 'synth', 'dev-and-prod');
const FLOOR_RUNS = envSetting('BENCH_FLOOR_RUNS', RUNS);
/** The worker is ready for its input once its event loop has sat this long with no work (ms). */
const SETTLED_MS = 200;
/** ... and gives up when it is not ready after this long (ms). */
const READY_LIMIT_MS = 30_000;
const FLOOR_MODULES = ["export { inspectAllProfiles } from './src/config/store.ts';", "export { resolveStackProfiles } from './src/config/pairing.ts';"];
/** Other installations whose entries the shared code cache holds besides this one's (eight came to 47 MB). */
const OTHER_INSTALLS = 8;

if (process.argv[2] === '--floor') {
  // A process of the bench's (forkedRun): it ends with the bench.
  endWithBench();
  // One measurement, in a fresh process (bench/_stats.mjs forkedRun): { ms } of the worker's first synthesis.
  const m = await bundleModules('synth-floor', FLOOR_MODULES, { rebuild: false });
  const profiles = m.resolveStackProfiles(m.inspectAllProfiles(fixture));
  const recorded = createRequire(import.meta.url)(join(root, 'dist', 'synth-modules.cjs'));
  const listed = Object.values(recorded).reduce((n, p) => n + p.files.length, 0);
  const worker = new Worker(join(root, 'dist', 'synth-worker.cjs'), { stdout: true, stderr: true });
  worker.stdout.resume();
  let stderr = '';
  worker.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
  const answered = new Promise((resolve, reject) => {
    worker.once('message', (reply) => resolve({ reply, at: performance.now() }));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the synthesis worker exited (${code}) without an answer: ${stderr}`)));
  });
  // The worker loads the synthesis and the listed files in its first turn (answerSynthWorker: promise callbacks of its
  // script), before its event loop first sits idle: once the loop has done nothing for SETTLED_MS, the loading is over.
  const started = performance.now();
  let active = -1;
  let settledAt = 0;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    const now = performance.now();
    const elu = worker.performance.eventLoopUtilization();
    // (active is the elapsed time less the idle time: it moves by microseconds while the loop waits)
    if (elu.idle === 0 || Math.abs(elu.active - active) > 1) {
      active = elu.active;
      settledAt = now;
    } else if (now - settledAt >= SETTLED_MS) break;
    if (now - started > READY_LIMIT_MS) throw new Error(`the synthesis worker was still at work after ${READY_LIMIT_MS} ms`);
  }
  // The loading is the worker's first turn: a loop that has sat idle at all has finished it.
  if (worker.performance.eventLoopUtilization().idle === 0) throw new Error('the input would have been sent before the synthesis worker finished loading');
  const sent = performance.now();
  worker.postMessage({ profiles, outDir: process.argv[3] });
  const { reply, at } = await answered;
  await worker.terminate();
  if (!reply.ok) throw new Error(`the synthesis failed: ${reply.message}`);
  // Not a floor unless every file dist/synth-modules.cjs lists was loaded ahead (the list is of the installed packages'
  // versions) and V8 ran the bundle from its cache.
  if (reply.preloaded !== listed) throw new Error(`${reply.preloaded} of the ${listed} files dist/synth-modules.cjs lists were loaded ahead`);
  if (!reply.bundleCodeCache) throw new Error('V8 refused the code cache of dist/synth.cjs');
  process.send({ ms: at - sent });
  process.exit(0);
}

if (!existsSync(join(root, 'dist', 'cli.js'))) {
  console.error('bench/synth: dist/ is missing; run `npm run build` first');
  process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), 'bd-bench-synth-'));
// A clean environment, the same for both commands (as bench/startup.mjs): the caller's may
// hold NODE_EXTRA_CA_CERTS or NODE_OPTIONS, which slow every node start and so flatter the ratio.
// No credentials and a dead endpoint: the figure is for the offline path it promises.
const env = {
  PATH: process.env.PATH,
  HOME: process.env.HOME ?? '/root',
  AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
  AWS_ACCESS_KEY_ID: '',
  AWS_SECRET_ACCESS_KEY: '',
  CI: 'true',
  // The code cache (src/infra/compile-cache.ts) in a folder of this run, filled by the warm-up run.
  XDG_CACHE_HOME: join(work, 'cache'),
};
let n = 0;
/** The synth helper the bench started (withHelper): ended with the bench. */
let helperPid;
const synth = () => timeCommand(process.execPath, [bin, '--config-dir', fixture, 'synth', '--out', join(work, `out-${n++}`)], { env });
const bare = () => timeCommand(process.execPath, ['-e', '0'], { env });
// The same without the code cache: what a first run (or BENCHLING_DEPLOY_COMPILE_CACHE=off) costs.
const uncached = () => timeCommand(process.execPath, [bin, '--config-dir', fixture, 'synth', '--out', join(work, `out-${n++}`)], { env: { ...env, BENCHLING_DEPLOY_COMPILE_CACHE: 'off' } });

try {
  // The folders the lookups from dist/ read old enough for the warm-up to keep every lookup the later runs find.
  waitUntilSettled(root);
  synth(); // warm the file cache and fill the code cache once; not counted
  const off = [];
  const r = compare(synth, () => {
    off.push(uncached());
    return bare();
  }, RUNS);
  console.log(`runs: ${RUNS} each, alternating`);
  console.log(`benchling-deploy synth: median ${fmt(r.subject)} (p90 ${fmt(percentile(r.subjectRuns, 90))})`);
  console.log(`node -e 0:              median ${fmt(r.baseline)} (p90 ${fmt(percentile(r.baselineRuns, 90))})`);
  console.log(`ratio synth / node:     ${r.ratio.toFixed(1)}x; target <= 7x: ${r.ratio <= 7 ? 'met' : 'NOT met'}`);
  console.log(`without the code cache: median ${fmt(median(off))}, ${(median(off) / r.baseline).toFixed(1)}x node -e 0`);

  const h = await withHelper();
  console.log(`with its helper (outside CI, after a first synth): median ${fmt(h.subject)} (p90 ${fmt(percentile(h.subjectRuns, 90))}), node -e 0 ${fmt(h.baseline)} in these runs`);
  console.log(`ratio synth with its helper / node: ${h.ratio.toFixed(1)}x; target <= 7x: ${h.ratio <= 7 ? 'met' : 'NOT met'}`);

  const shared = await sharedCodeCache(join(work, 'cache'), join(work, 'shared-cache'));
  const withShared = () => timeCommand(process.execPath, [bin, '--config-dir', fixture, 'synth', '--out', join(work, `out-${n++}`)], { env: { ...env, XDG_CACHE_HOME: shared.home } });
  const s = compare(withShared, synth, RUNS);
  // Not the figure it says unless every run read that file as it was written (a run that compiled anything would rewrite it).
  const after = statSync(shared.file, { bigint: true });
  if (after.ino !== shared.written.ino || after.mtimeNs !== shared.written.mtimeNs) throw new Error('a synth rewrote the shared code cache: its runs did not all read it as written');
  console.log(`with the code cache shared by ${OTHER_INSTALLS} other installations (${(shared.bytes / 1024 / 1024).toFixed(0)} MB, ${shared.entries} entries): median ${fmt(s.subject)}, ${s.subject >= s.baseline ? '+' : ''}${fmt(s.subject - s.baseline)} over its own alone (${fmt(s.baseline)} in these runs), ${s.ratio.toFixed(2)}x`);

  await bundleModules('synth-floor', FLOOR_MODULES);
  const floorRun = () => forkedRun(fileURLToPath(import.meta.url), ['--floor', join(work, `out-${n++}`)], { env }, 'a floor run');
  await floorRun(); // the worker's own warm-up: not counted
  const floor = [];
  const floorBare = [];
  for (let i = 0; i < FLOOR_RUNS; i++) {
    floorBare.push(bare());
    floor.push((await floorRun()).ms);
  }
  const f = median(floor);
  const b = median(floorBare);
  console.log(`floor, the first synthesis alone (everything it loads loaded before; ${FLOOR_RUNS} runs): median ${fmt(f)}, ${(f / b).toFixed(1)}x node -e 0 (${fmt(b)} in these runs)`);
  // Ratios to one decimal, as printed: the verdict is the printed figure's.
  const least = Number((1 + f / b).toFixed(1));
  const verdict = least <= 7 ? 'not ruled out by the floor' : 'out of reach of any start-up work (the floor is aws-cdk-lib\'s first synthesis of the stack)';
  console.log(`least a synth could take, node -e 0 + the floor (loading free): ${least.toFixed(1)}x node -e 0; target <= 7x: ${verdict}`);
  // What the least leaves of the ratio above (each against the node -e 0 of its own runs).
  const rest = Number(r.ratio.toFixed(1)) - least;
  console.log(`the rest of the ratio, synth's less the least (the front's start, the profiles read, the bundle and aws-cdk-lib's files loaded, the exit): ${rest.toFixed(1)}x node -e 0`);
} finally {
  // Ended, and gone, before its folder is removed: it saves the code cache there as it exits.
  if (helperPid !== undefined) await endProcess(helperPid);
  rmSync(work, { recursive: true, force: true });
}

/** Sends SIGTERM to `pid` and waits (up to 10 s) until it has ended: gone, or a zombie no init has reaped yet. */
async function endProcess(pid) {
  const running = () => {
    try {
      process.kill(pid, 0);
      return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'latin1'));
    } catch {
      return false;
    }
  };
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  for (const end = performance.now() + 10_000; running() && performance.now() < end; ) await new Promise((resolve) => setTimeout(resolve, 20));
}

/**
 * `synth` as a user's shell runs it (not CI): the first synth of the session, at a terminal, starts the synth helper
 * (src/infra/synth-helper.ts), which keeps aws-cdk-lib loaded; the next hand it their synthesis. That first
 * synth (a synth alone, measured above) and the helper's own first synthesis are not counted; every timed run
 * must have been answered by the helper (its count of syntheses says so), else the figure would mix in synths alone.
 */
async function withHelper() {
  const m = await bundleModules('synth-helper', ["export { helperPlace, helperState } from './src/infra/synth-helper.ts';"]);
  const { CI: _ci, ...helperEnv } = env;
  const place = m.helperPlace(join(root, 'dist'), helperEnv, []);
  if (!place) throw new Error('the built synth uses no helper in the bench\'s environment (outside CI)');
  const run = () => timeCommand(process.execPath, [bin, '--config-dir', fixture, 'synth', '--out', join(work, `out-${n++}`)], { env: helperEnv });
  // The first synth at a terminal, as a person runs it (util-linux `script` gives it one): it starts the helper.
  const line = [process.execPath, bin, '--config-dir', fixture, 'synth', '--out', join(work, `out-${n++}`)].map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
  const first = spawnSync('script', ['-qec', line, '/dev/null'], { env: helperEnv, stdio: 'ignore', timeout: 60_000 });
  if (first.status !== 0) throw new Error(`the first synth at a terminal ended with ${first.status ?? first.error}`);
  const started = performance.now();
  let state;
  while ((state = await m.helperState(place)) === undefined) {
    if (performance.now() - started > 30_000) throw new Error('the synth helper did not answer within 30 s of the first synth');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  helperPid = state.pid;
  run();
  const before = (await m.helperState(place))?.served;
  const r = compare(run, bare, RUNS);
  const after = (await m.helperState(place))?.served;
  if (before === undefined || after === undefined || after - before !== RUNS) throw new Error(`the synth helper answered ${after - before} of the ${RUNS} timed synths`);
  return r;
}

/**
 * A cache home under `to` whose code cache holds the entries of the one under `from` (filled by the
 * warm-up synth) and the same again for {@link OTHER_INSTALLS} other installations (their files
 * elsewhere, as another npx version's are), read back with the tool's own reader to hold every entry.
 */
async function sharedCodeCache(from, to) {
  const m = await bundleModules('synth-shared', [
    "export { readCacheFile, installationOf } from './src/infra/compile-cache.ts';",
    // The file's layout read raw and written back, as the tests change what a file holds.
    "export { readCacheLayout, writeCacheLayout } from './test/helpers/code-cache-file.ts';",
  ]);
  const own = join(from, 'benchling-deploy', 'compile', 'code-cache.bin');
  const file = join(to, 'benchling-deploy', 'compile', 'code-cache.bin');
  const layout = m.readCacheLayout(own);
  const data = layout.data;
  // This installation's table: the one of the files of aws-cdk-lib.
  const root = [...layout.tables].find(([, t]) => t.entries.some(([path]) => path.includes(`${sep}node_modules${sep}aws-cdk-lib${sep}`)))?.[0];
  if (root === undefined) throw new Error('the warm-up synth kept no entry of aws-cdk-lib');
  const mine = layout.tables.get(root);
  for (let i = 0; i < OTHER_INSTALLS; i++) {
    // Each path of this installation under another folder (as another npx version's are); its bytecode a copy of this one's.
    const elsewhere = join(to, `install-${i}`);
    const moved = (path) => (path.startsWith(`${root}${sep}`) ? elsewhere + path.slice(root.length) : path);
    const entries = mine.entries.map(([path, stamp, offset, length, sum]) => [moved(path), stamp, offset + (i + 1) * data.length, length, sum]);
    const paths = mine.paths.map(([path, stamp]) => [moved(path), stamp]);
    const resolutions = mine.resolutions.map(([at, request, result, indexes]) => [moved(at), request, moved(result), indexes]);
    if (m.installationOf(entries[0][0]) !== elsewhere) throw new Error(`the copies' files are not of the installation ${elsewhere}`);
    layout.tables.set(elsewhere, { entries, paths, resolutions });
  }
  layout.data = Buffer.concat(Array.from({ length: OTHER_INSTALLS + 1 }, () => data));
  mkdirSync(join(to, 'benchling-deploy', 'compile'), { recursive: true, mode: 0o700 });
  m.writeCacheLayout(file, layout);
  const read = m.readCacheFile(file).size;
  const expected = [...layout.tables.values()].reduce((n, t) => n + t.entries.length, 0);
  if (read !== expected || read < (OTHER_INSTALLS + 1) * mine.entries.length) throw new Error(`the shared code cache reads back ${read} entries, not ${expected}`);
  return { home: to, file, bytes: statSync(file).size, entries: read, written: statSync(file, { bigint: true }) };
}
