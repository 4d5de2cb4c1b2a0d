// `npm run bench startup`: the dashboard's first frame and its memory over time.
//
// 1. Time from exec to the first frame of the main screen (header and footer drawn) of the
//    built `benchling-deploy` in a pseudo-terminal (python3's pty module), median of RUNS runs,
//    next to `node -e 0` in the same pty, runs alternating. Target: at most 250 ms. And the
//    time to the first frame with live data: both panels filled from the fake AWS (each
//    environment's health with its running and desired task counts). Target: at most 6x `node -e 0`.
//    Also the time to the rest, which the dashboard's first poll reads once the health shows
//    (the selected environment's running tasks, with the sparklines); and both with every AWS call
//    answered 60 ms late (no target: the round trips' share).
//    Then commands from start to exit, each alternating with `node -e 0` (CI set, so no
//    dashboard): `--help`, `--version`, `validate`, `profiles` and an argument error (targets: at
//    most 1.6x), `status` once against the fake AWS (target: at most 4x).
// 2. Memory: the dashboard refreshing every second and following dev's logs (a line every
//    50 ms) for SOAK minutes; RSS sampled every 10 s (first minute against the last, slope
//    after the first minute), and the live heap after a full GC from heap snapshots taken
//    on the way (--heapsnapshot-signal). Default 1 minute; the full figure:
//        BENCH_SOAK_MINUTES=10 npm run bench startup      (or node bench/startup.mjs --minutes 10)
// Against the fake AWS endpoint in its own process; nothing leaves this machine.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compare, median, fmt, timeCommand } from './_stats.mjs';
import { startFakeProcess } from './_setup.mjs';
import { envSetting, parsedArgs, setting } from './_settings.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parsedArgs({ options: { minutes: { type: 'string' }, runs: { type: 'string' } } });
/** A flag wins over its variable; the error names the one given. */
const RUNS = values.runs !== undefined ? setting('--runs', values.runs, 15) : envSetting('BENCH_STARTUP_RUNS', 15);
const MINUTES = { what: 'a number of minutes', min: 1, max: 1440, decimals: 2 };
const SOAK_MINUTES = values.minutes !== undefined ? setting('--minutes', values.minutes, 1, MINUTES) : envSetting('BENCH_SOAK_MINUTES', 1, MINUTES);
/** The live-data figure is also taken with every AWS call answered this late (about a round trip to a region from afar). */
const LATENCY_MS = 60;
const BIN = join(root, 'bin', 'benchling-deploy.cjs');
const QUILT = 'arn:aws:cloudformation:us-east-1:123456789012:stack/QuiltStack/11111111-2222-3333-4444-555555555555';

if (!existsSync(join(root, 'dist', 'cli.js'))) spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });

/** Bytes of live objects in a V8 heap snapshot (written after a full GC): the sum of every node's self size. */
function liveHeapBytes(file) {
  const snap = JSON.parse(readFileSync(file, 'utf8'));
  const fields = snap.snapshot.meta.node_fields;
  const stride = fields.length;
  const at = fields.indexOf('self_size');
  let total = 0;
  for (let i = at; i < snap.nodes.length; i += stride) total += snap.nodes[i];
  return total;
}

function pty(config) {
  const r = spawnSync('python3', [join(root, 'bench', '_pty.py'), JSON.stringify(config)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`bench/_pty.py failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const dir = mkdtempSync(join(tmpdir(), 'bd-bench-startup-'));
writeFileSync(join(dir, 'default.json'), JSON.stringify({ profile: 'default', benchlingTenant: 'acme', benchlingAppDefinitionId: 'a', benchlingClientId: 'c', quiltStackArn: QUILT, imageTag: '0.7.0', pkgBucket: 'acme-packages' }), { mode: 0o600 });
writeFileSync(join(dir, 'dev.json'), JSON.stringify({ profile: 'dev', benchlingTenant: 'acme', benchlingAppDefinitionId: 'a', benchlingClientId: 'c', quiltStackArn: QUILT, pkgBucket: 'acme-dev-packages' }), { mode: 0o600 });

// The tool's caches (the stack's parts each run keeps for the next) in this bench's folder, not the user's ~/.cache.
const baseEnv = { PATH: process.env.PATH, HOME: process.env.HOME ?? '/root', TERM: 'xterm-256color', LANG: 'C.UTF-8', XDG_CACHE_HOME: join(dir, 'cache') };
const fake = await startFakeProcess('_dashboard-fake.mjs', ['--log-rate', '20']);
try {
  const env = { ...baseEnv, ...fake.env };
  // The first frame of the main screen: the header's stack name and the footer's last key.
  const marker = 'BenchlingWebhookStack[\\s\\S]*q quit';
  // Live data in both panels: each environment's health with its running and desired task counts, from the fake AWS.
  const dataMarker = 'dev +healthy +1/1 running[\\s\\S]*prod +healthy +2/2 running[\\s\\S]*q quit';
  // The rest, which the dashboard's first poll reads once the health is shown: the selected (dev's) running
  // tasks, read with the sparklines, the stages and the account.
  const restMarker = 'dev +healthy +1/1 running[\\s\\S]*running tasks \\(read[\\s\\S]*prod +healthy +2/2 running[\\s\\S]*q quit';
  /** The dashboard in the pty (120x40) until each marker, RUNS runs alternating; `node -e 0` among them when asked. */
  const dashboardRuns = (runEnv, markers, { baseline = false } = {}) =>
    pty({
      mode: 'startup',
      runs: RUNS,
      rows: 40,
      columns: 120,
      timeout: 30,
      subjects: [
        ...(baseline ? [{ name: 'node -e 0', argv: [process.execPath, '-e', '0'], env: baseEnv, marker: null }] : []),
        ...Object.entries(markers).map(([name, m]) => ({ name, argv: [process.execPath, BIN, '--config-dir', dir], env: runEnv, marker: m, quit: 'q' })),
      ],
    });
  const startup = dashboardRuns(env, { dashboard: marker, 'dashboard-data': dataMarker, 'dashboard-rest': restMarker }, { baseline: true });
  const base = median(startup['node -e 0']);
  const dash = median(startup.dashboard);
  console.log(`first frame of the main screen, median of ${RUNS} runs in a pty (python3 pty), ${process.execPath}:`);
  console.log(`  node -e 0                      ${fmt(base)}   (runs: ${startup['node -e 0'].map((v) => v.toFixed(0)).join(' ')})`);
  console.log(`  benchling-deploy (dashboard)   ${fmt(dash)}   (runs: ${startup.dashboard.map((v) => v.toFixed(0)).join(' ')})`);
  const data = median(startup['dashboard-data']);
  console.log(`  first frame with live data      ${fmt(data)}   (runs: ${startup['dashboard-data'].map((v) => v.toFixed(0)).join(' ')})`);
  const rest = median(startup['dashboard-rest']);
  console.log(`  and with the rest (running tasks, sparklines): ${fmt(rest)}   (runs: ${startup['dashboard-rest'].map((v) => v.toFixed(0)).join(' ')})`);
  console.log(`  first frame: ${(dash / base).toFixed(2)}x node -e 0; above node -e 0: ${fmt(dash - base)}; target <= 250 ms: ${dash <= 250 ? 'met' : 'NOT met'}`);
  console.log(`  live data:   ${(data / base).toFixed(2)}x node -e 0; target <= 6x: ${data / base <= 6 ? 'met' : 'NOT met'}`);

  // The same with every call answered LATENCY_MS late (a fake of its own): what the first poll's round trips cost.
  const slowFake = await startFakeProcess('_dashboard-fake.mjs', ['--latency', String(LATENCY_MS)]);
  try {
    const slowEnv = { ...baseEnv, ...slowFake.env };
    const slow = dashboardRuns(slowEnv, { 'dashboard-data': dataMarker, 'dashboard-rest': restMarker });
    const slowData = median(slow['dashboard-data']);
    const slowRest = median(slow['dashboard-rest']);
    // The stack's parts kept by the run before (this fake's first run reads without them): as on an operator's machine.
    console.log(`  every AWS call answered ${LATENCY_MS} ms late (the stack's parts the run before kept):`);
    console.log(`    first frame with live data ${fmt(slowData)} (${fmt(slowData - data)} more)   (runs: ${slow['dashboard-data'].map((v) => v.toFixed(0)).join(' ')})`);
    console.log(`    and with the rest ${fmt(slowRest)} (${fmt(slowRest - rest)} more)   (runs: ${slow['dashboard-rest'].map((v) => v.toFixed(0)).join(' ')})`);
  } finally {
    slowFake.stop();
  }

  console.log(`\ncommands, start to exit, median of ${RUNS} runs alternating with node -e 0 (CI set):`);
  const cliEnv = { ...env, CI: 'true' };
  const commands = [
    { name: '--help', args: ['--help'], target: 1.6 },
    { name: '--version', args: ['--version'], target: 1.6 },
    { name: 'validate', args: ['--config-dir', dir, 'validate'], target: 1.6 },
    { name: 'profiles', args: ['--config-dir', dir, 'profiles'], target: 1.6 },
    { name: 'argument error', args: ['deploy', '--no-such-flag'], target: 1.6, status: 2 },
    { name: 'status (one shot)', args: ['--config-dir', dir, 'status'], target: 4 },
  ];
  for (const c of commands) {
    const r = compare(() => timeCommand(process.execPath, [BIN, ...c.args], { env: cliEnv, status: c.status }), () => timeCommand(process.execPath, ['-e', '0'], { env: cliEnv }), RUNS);
    console.log(`  ${c.name.padEnd(18)} ${fmt(r.subject).padStart(7)}   node -e 0 ${fmt(r.baseline).padStart(6)}   ${r.ratio.toFixed(2)}x; target <= ${c.target}x: ${r.ratio <= c.target ? 'met' : 'NOT met'}`);
  }

  const seconds = Math.round(SOAK_MINUTES * 60);
  console.log(`\nmemory: ${SOAK_MINUTES} min of refreshes every 1 s and following dev's logs (20 lines/s), RSS every 10 s, live heap (after a full GC) in heap snapshots`);
  const snapDir = join(dir, 'heap');
  mkdirSync(snapDir);
  // The log screen keeps its last 5,000 lines: full after about 4 minutes at 20 lines a second.
  // Writing a snapshot takes memory the process keeps: RSS is read before the first one.
  const firstSnapshot = seconds >= 420 ? 300 : Math.round(seconds / 2);
  const snapshotsAt = [...new Set([firstSnapshot, 420, 540, seconds - 5].filter((t) => t >= firstSnapshot && t > 0 && t < seconds))].sort((a, b) => a - b);
  const soak = pty({
    mode: 'soak',
    argv: [process.execPath, BIN, '--config-dir', dir],
    env: { ...env, BENCHLING_DEPLOY_REFRESH_SECONDS: '1', NODE_OPTIONS: `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${snapDir}` },
    snapshotsAt,
    rows: 40,
    columns: 120,
    marker: 'UPDATE_COMPLETE[\\s\\S]*q quit',
    keys: 'l',
    seconds,
    sampleEvery: 10,
  });
  if (!/logs dev/.test(soak.lastOutput) || !/request=\d+/.test(soak.lastOutput)) throw new Error(`the log screen did not follow lines; last output:\n${soak.lastOutput}`);
  const mb = (kib) => kib / 1024;
  const s = soak.samples.filter(([t]) => t < (soak.snapshots[0] ?? Infinity));
  console.log(`  RSS before the first heap snapshot (${Math.round(soak.snapshots[0] ?? seconds)} s):`);
  const after = s.filter(([t]) => t >= 60);
  const firstMin = s.filter(([t]) => t <= 60).map(([, r]) => r);
  const lastMin = s.filter(([t]) => t >= s.at(-1)[0] - 60).map(([, r]) => r);
  // Least-squares slope of RSS over time after the first minute (warm-up), in MB per minute.
  const slope = (pts) => {
    if (pts.length < 3) return NaN;
    const n = pts.length;
    const mx = pts.reduce((a, [t]) => a + t, 0) / n;
    const my = pts.reduce((a, [, r]) => a + r, 0) / n;
    const num = pts.reduce((a, [t, r]) => a + (t - mx) * (r - my), 0);
    const den = pts.reduce((a, [t]) => a + (t - mx) ** 2, 0);
    return (num / den) * 60;
  };
  console.log(`  RSS by minute (MB): ${Array.from({ length: Math.ceil(seconds / 60) }, (_, i) => s.filter(([t]) => t >= i * 60 && t < (i + 1) * 60 + 1).map(([, r]) => r)).filter((v) => v.length).map((v) => mb(median(v)).toFixed(1)).join(' ')}`);
  console.log(`  first minute median ${mb(median(firstMin)).toFixed(1)} MB, last minute median ${mb(median(lastMin)).toFixed(1)} MB, peak ${mb(Math.max(...s.map(([, r]) => r))).toFixed(1)} MB`);
  console.log(`  slope after the first minute: ${after.length >= 3 ? `${mb(slope(after)).toFixed(2)} MB/min` : 'n/a (run at least 2 minutes)'}`);
  const files = readdirSync(snapDir).filter((f) => f.endsWith('.heapsnapshot')).sort();
  const live = files.map((f, i) => [soak.snapshots[i], liveHeapBytes(join(snapDir, f))]);
  console.log(`  live heap (MB) at ${live.map(([t, b]) => `${Math.round(t)} s: ${(b / 1048576).toFixed(1)}`).join(', ')}`);
  const full = live.filter(([t]) => t >= 300);
  const change = (pts, what) => console.log(`  live heap ${what}: ${(pts[0][1] / 1048576).toFixed(1)} -> ${(pts.at(-1)[1] / 1048576).toFixed(1)} MB (${(((pts.at(-1)[1] - pts[0][1]) / pts[0][1]) * 100).toFixed(1)}%)`);
  if (full.length >= 2) change(full, 'from 5 min (log screen full) to the end');
  else if (live.length >= 2) change(live, 'from the first snapshot to the last (the log screen fills in about 4 min: run 10 for the figure)');
  console.log(`  quit with status ${soak.exit}`);
} finally {
  fake.stop();
  rmSync(dir, { recursive: true, force: true });
}
