// `npm run bench synth`: wall time of `benchling-deploy synth` (dev and prod, written to a
// fresh folder each run) next to a bare `node -e 0` in the same run, as medians and their ratio.
// Target: at most 7x. `synth` always synthesizes (plans reuse assemblies: see bench/prepare).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compare, fmt, percentile, timeCommand } from './_stats.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin', 'benchling-deploy.cjs');
const fixture = join(root, 'test', 'fixtures', 'synth', 'dev-and-prod');

if (!existsSync(join(root, 'dist', 'cli.js'))) {
  console.error('bench/synth: dist/ is missing; run `npm run build` first');
  process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), 'bd-bench-synth-'));
// No credentials and a dead endpoint: the figure is for the offline path it promises.
const env = { ...process.env, AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', CI: 'true' };
let n = 0;
const synth = () => timeCommand(process.execPath, [bin, '--config-dir', fixture, 'synth', '--out', join(work, `out-${n++}`)], { env });
const bare = () => timeCommand(process.execPath, ['-e', '0'], { env });

try {
  synth(); // warm the file cache once; not counted
  const r = compare(synth, bare, RUNS);
  console.log(`runs: ${RUNS} each, alternating`);
  console.log(`benchling-deploy synth: median ${fmt(r.subject)} (p90 ${fmt(percentile(r.subjectRuns, 90))})`);
  console.log(`node -e 0:              median ${fmt(r.baseline)} (p90 ${fmt(percentile(r.baselineRuns, 90))})`);
  console.log(`ratio synth / node:     ${r.ratio.toFixed(1)}x; target <= 7x: ${r.ratio <= 7 ? 'met' : 'NOT met'}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
