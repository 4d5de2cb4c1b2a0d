// `npm run bench synth`: wall time of `benchling-deploy synth` (dev and prod, written to a
// fresh folder each run) next to a bare `node -e 0` in the same run, as medians and their ratio.
// Target: at most 7x. `synth` always synthesizes (plans reuse assemblies: see bench/prepare).
// The code cache of aws-cdk-lib (src/infra/compile-cache.ts) is in a folder of this run, filled
// by the first run (not counted); a run without it (a first run ever) is reported beside.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compare, fmt, median, percentile, timeCommand } from './_stats.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin', 'benchling-deploy.cjs');
const fixture = join(root, 'test', 'fixtures', 'synth', 'dev-and-prod');

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
const synth = () => timeCommand(process.execPath, [bin, '--config-dir', fixture, 'synth', '--out', join(work, `out-${n++}`)], { env });
const bare = () => timeCommand(process.execPath, ['-e', '0'], { env });
// The same without the code cache: what a first run (or BENCHLING_DEPLOY_COMPILE_CACHE=off) costs.
const uncached = () => timeCommand(process.execPath, [bin, '--config-dir', fixture, 'synth', '--out', join(work, `out-${n++}`)], { env: { ...env, BENCHLING_DEPLOY_COMPILE_CACHE: 'off' } });

try {
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
} finally {
  rmSync(work, { recursive: true, force: true });
}
