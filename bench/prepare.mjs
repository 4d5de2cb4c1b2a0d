// `npm run bench prepare`: how long the dashboard's screen freezes while a deploy prepares.
// The stack is synthesized (aws-cdk-lib loaded, the stack built, the assembly written) once
// in the main thread, as before (the baseline), and once in the worker thread the dashboard
// now uses (src/infra/operations.ts: synthesizeStackInWorker, running dist/synth-worker.cjs as
// the dashboard does), each in a fresh process, so aws-cdk-lib is loaded cold as on a first deploy
// (the code cache of src/infra/compile-cache.ts switched off). Meanwhile a 5 ms timer on the main thread
// records the longest gap between its ticks: the longest the screen could not redraw or
// answer a key. Runs alternate (7 each; BENCH_PREPARE_RUNS). Reported: medians of the longest
// stall and of the wall time, and the stall's ratio to the baseline.
//
// Then the worker as on a later deploy: aws-cdk-lib's code cache filled by an earlier run (in a
// cache folder of this bench), its wall time against `node -e 0` in the same runs (a thread starts,
// not a process: beside, not the same measure as bench/synth's); and a second
// plan of the same profiles, as the dashboard makes it (worker, with the assembly cache of
// src/infra/assembly-cache.ts, filled by a first plan): the assembly is reused.
//
// The TypeScript is bundled with esbuild into bench/.out/prepare/ first, aws-cdk-lib loaded with
// require() as in dist/ (scripts/require-externals.mjs); the worker is dist/'s (npm run build).

import { build } from 'esbuild';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { outRoot, root } from './_bundle.mjs';
import { forkedRun, median, timeCommand } from './_stats.mjs';
import { requireExternals } from '../scripts/require-externals.mjs';
import { envSetting } from './_settings.mjs';
import { endWithBench } from './_setup.mjs';

const RUNS = envSetting('BENCH_PREPARE_RUNS', 7);
const out = join(outRoot, 'prepare');
const mode = process.argv[2] === '--run' ? process.argv[3] : undefined;
// A run is a process of the bench's (forkedRun): it ends with the bench.
if (mode !== undefined) endWithBench();
const WORKER = join(root, 'dist', 'synth-worker.cjs');
if (!existsSync(WORKER)) {
  console.error('bench/prepare: dist/synth-worker.cjs is missing; run `npm run build` first');
  process.exit(1);
}

if (mode) {
  // One measurement: { stallMs, wallMs }.
  const m = await import(pathToFileURL(join(out, 'entry.js')).href);
  const loaded = [m.prodProfile(), m.devProfile()].map((raw) => {
    const check = m.checkProfile(raw, `${raw.profile}.json`, raw.profile);
    if (!check.ok) throw new Error(check.problems.join('\n'));
    return { name: raw.profile, path: `${raw.profile}.json`, profile: check.profile, file: check.file, problems: [], v06: false, warnings: [] };
  });
  const profiles = m.resolveStackProfiles(loaded);
  // reuse: as the dashboard's prepare, a worker started with the plan and closed after it, though the assembly is reused.
  const started = mode === 'reuse' ? m.startSynthWorker(pathToFileURL(WORKER)) : undefined;
  const synth = started ? m.withAssemblyCache(started.synthesize, { dir: process.env.BENCH_ASSEMBLY_CACHE }) : mode === 'main' ? m.synthesizeStackLazily : m.synthesizeStackInWorker(pathToFileURL(WORKER));
  let last = performance.now();
  let stall = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    stall = Math.max(stall, now - last);
    last = now;
  }, 5);
  const folder = mkdtempSync(join(tmpdir(), 'bd-bench-prepare-'));
  const t0 = performance.now();
  await synth(profiles, join(folder, 'cdk.out'));
  const wallMs = performance.now() - t0;
  started?.close();
  await new Promise((r) => setTimeout(r, 20)); // one more tick: a stall at the very end counts too
  clearInterval(timer);
  rmSync(folder, { recursive: true, force: true });
  process.send({ stallMs: stall, wallMs });
  process.exit(0);
}

mkdirSync(out, { recursive: true });
const entry = join(out, 'entry.ts');
writeFileSync(
  entry,
  [
    "export { startSynthWorker, synthesizeStackInWorker, synthesizeStackLazily } from '../../../src/infra/operations.ts';",
    "export { withAssemblyCache } from '../../../src/infra/assembly-cache.ts';",
    // Not test/infra/stack-helpers.ts: it loads aws-cdk-lib, which must load inside the measurement.
    "export { devProfile, prodProfile } from '../../../test/helpers/fixtures.ts';",
    "export { checkProfile } from '../../../src/config/validate.ts';",
    "export { resolveStackProfiles } from '../../../src/config/pairing.ts';",
  ].join('\n'),
);
await build({
  entryPoints: { entry },
  outdir: out,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // ./front.cjs: dist/'s, for the AWS SDK (src/state/sdk-modules.ts), which a synthesis never loads.
  external: ['@aws-sdk/*', './front.cjs'],
  plugins: [requireExternals],
  banner: { js: "import { createRequire as __bdCreateRequire } from 'node:module'; const require = __bdCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});

function measure(which) {
  // warm: aws-cdk-lib's code cache on, in this bench's own cache folder; the others cold.
  const caches = which === 'warm' ? { XDG_CACHE_HOME: cacheHome } : { BENCHLING_DEPLOY_COMPILE_CACHE: 'off' };
  return forkedRun(fileURLToPath(import.meta.url), ['--run', which], { env: { ...process.env, BENCH_ASSEMBLY_CACHE: cacheDir, ...caches } }, `the ${which} run`);
}

const cacheDir = mkdtempSync(join(tmpdir(), 'bd-bench-assemblies-'));
const cacheHome = mkdtempSync(join(tmpdir(), 'bd-bench-caches-'));
const main = [];
const worker = [];
const warm = [];
const node = [];
const reuse = [];
try {
  await measure('worker'); // warm the file cache once; not counted
  await measure('warm'); // fills aws-cdk-lib's code cache; not counted
  await measure('reuse'); // the first plan: synthesizes and fills the assembly cache; not counted
  for (let i = 0; i < RUNS; i++) {
    main.push(await measure('main'));
    worker.push(await measure('worker'));
    warm.push(await measure('warm'));
    node.push(timeCommand(process.execPath, ['-e', '0']));
    reuse.push(await measure('reuse'));
  }
} finally {
  rmSync(cacheDir, { recursive: true, force: true });
  rmSync(cacheHome, { recursive: true, force: true });
}
const row = (name, runs) => `${name.padEnd(32)} longest stall ${median(runs.map((r) => r.stallMs)).toFixed(0).padStart(5)} ms   wall ${median(runs.map((r) => r.wallMs)).toFixed(0).padStart(5)} ms`;
console.log(`synthesis of dev and prod, cold (a fresh process each run); medians of ${RUNS} alternating runs`);
console.log(`  ${row('main thread (baseline)', main)}`);
console.log(`  ${row('worker thread (the dashboard)', worker)}`);
console.log(`  ${row('worker, a later deploy', warm)}   (aws-cdk-lib's code cache filled; ${(median(warm.map((r) => r.wallMs)) / median(node)).toFixed(1)}x node -e 0's ${median(node).toFixed(0)} ms: a thread's start, not a process's, so not the synth command's measure)`);
console.log(`  ${row('second plan, same profiles', reuse)}   (assembly reused: ${(median(reuse.map((r) => r.wallMs)) / median(worker.map((r) => r.wallMs))).toFixed(3)}x the worker's wall time)`);
const ratio = median(worker.map((r) => r.stallMs)) / median(main.map((r) => r.stallMs));
console.log(`  ratio: the longest stall is ${ratio.toFixed(3)}x the baseline's`);
