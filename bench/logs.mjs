// `npm run bench logs`: the log tail under load. A fake AWS endpoint in its own process
// (bench/_logs-fake.mjs) writes 5,000 events a second for 60 s to a log group; this process
// follows it with the real tail (src/state/log-tail.ts, the real CloudWatch Logs SDK client)
// into the bounded buffer (src/state/log-buffer.ts, 5,000 lines), as the dashboard does.
// Three runs, one after the other:
//   live tail, sampled as AWS does it (an update a second carries at most 500 events),
//   live tail, unsampled (all 5,000 a second reach the buffer),
//   polling (FilterLogEvents every 2 s, all pages), the fallback.
// Reported: this process's memory every 5 s (RSS and heap), and twice (15 s in, with the
// buffer full, and at the end) what is left after a full gc: what the tail and the buffer
// really hold. The peak RSS must stay under 200 MB, and the heap kept must not grow between
// the two (flat once the buffer is full). Also the time from an
// event's timestamp to its line in the buffer (median, p95), polling's median as a ratio of
// live tail's. Each run is its own process (node --expose-gc), the fake another.
// BENCH_LOGS_SECONDS and BENCH_LOGS_RATE shorten or change a run (defaults 60 and 5000; at least 15 and 500,
// so that the buffer is full at the first reading);
// BENCH_LOGS_MODES picks runs (default live-sampled,live,polling).
//
// The TypeScript is bundled with esbuild into bench/.out/logs/ first (the AWS SDK stays
// external and is loaded from node_modules).
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleModules, bundlePath, root } from './_bundle.mjs';
import { choicesSetting, envSetting } from './_settings.mjs';
import { endWithBench } from './_setup.mjs';

const CAPACITY = 5000;
const LIMIT_MB = 200;
const SAMPLE_MS = 5000;
const DRAIN_MS = 4000;
const KEEP_FIRST_MS = 15_000;
// A run's first reading after a full gc is taken KEEP_FIRST_MS in, with the buffer full: a run at least that long,
// at a rate that fills the buffer in two thirds of it.
const SECONDS = envSetting('BENCH_LOGS_SECONDS', 60, { what: 'a number of seconds', min: KEEP_FIRST_MS / 1000, max: 3600 });
const RATE = envSetting('BENCH_LOGS_RATE', 5000, { what: 'a number of events a second', min: Math.ceil((CAPACITY * 1000 * 3) / (KEEP_FIRST_MS * 2)), max: 1_000_000 });
const RUN_MODES = ['live-sampled', 'live', 'polling'];
const MODES = choicesSetting('BENCH_LOGS_MODES', RUN_MODES, RUN_MODES);

// Each run is a process of its own (`--run MODE`), so one run's garbage is not the next one's memory.
const runMode = process.argv[2] === '--run' ? process.argv[3] : undefined;
if (runMode !== undefined) {
  if (!RUN_MODES.includes(runMode)) throw new Error(`bench/logs: no run mode ${JSON.stringify(runMode)}`);
  // A run is a process of the bench's: it ends with the bench, and its fake with it.
  endWithBench();
}
const m = await bundleModules(
  'logs',
  [
    "export { startFakeAws } from './test/fake-aws/server.ts';",
    "export { standardScenario, namesOf } from './test/fake-aws/scenario.ts';",
    "export { createLogsApi } from './src/state/logs-aws.ts';",
    "export { startLogTail } from './src/state/log-tail.ts';",
    "export { LogBuffer } from './src/state/log-buffer.ts';",
  ],
  { rebuild: runMode === undefined },
);

const mb = (bytes) => bytes / 1024 / 1024;
const fmtMb = (bytes) => `${mb(bytes).toFixed(1)} MB`;

/** Lags to the millisecond, in a fixed histogram: counting them must not grow the heap being measured. */
class LagHistogram {
  constructor(maxMs = 120_000) {
    this.counts = new Uint32Array(maxMs + 1);
    this.n = 0;
  }
  add(ms) {
    this.counts[Math.max(0, Math.min(this.counts.length - 1, Math.round(ms)))] += 1;
    this.n += 1;
  }
  percentile(p) {
    const rank = Math.max(1, Math.ceil((p / 100) * this.n));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i];
      if (seen >= rank) return i;
    }
    return NaN;
  }
}

function startChild(sampled) {
  const child = fork(join(root, 'bench', '_logs-fake.mjs'), [bundlePath('logs'), JSON.stringify({ sampled })], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waitFor = (key) =>
    new Promise((resolve, reject) => {
      const onMessage = (msg) => {
        if (msg[key] !== undefined) {
          child.off('message', onMessage);
          resolve(msg[key]);
        }
      };
      child.on('message', onMessage);
      child.once('exit', (code) => reject(new Error(`the fake's process exited (${code}) before "${key}"`)));
    });
  return { child, waitFor };
}

async function run(mode) {
  const sampled = mode === 'live-sampled';
  const { child, waitFor } = startChild(sampled);
  const ready = await waitFor('ready');
  Object.assign(process.env, ready.env);
  delete process.env.AWS_PROFILE;
  const api = m.createLogsApi({ region: 'us-east-1' });
  let buffer = m.LogBuffer.empty(CAPACITY);
  const lags = new LagHistogram();
  let received = 0;
  let bufferFullAt = null;
  let statusNow = null;
  const notices = new Set();
  const tail = m.startLogTail({
    api,
    group: { environment: 'prod', logGroupName: ready.logGroup, logGroupArn: ready.logGroupArn },
    live: mode !== 'polling',
    sinceMs: 10_000,
    onLines: (lines) => {
      const now = Date.now();
      for (const line of lines) lags.add(now - line.timestamp);
      received += lines.length;
      buffer = buffer.append(lines);
      if (bufferFullAt === null && buffer.size === CAPACITY) bufferFullAt = now;
    },
    onStatus: (s) => {
      statusNow = s;
      if (s.notice) notices.add(s.notice);
      if (s.error) notices.add(`error: ${s.error}`);
    },
  });
  // Start writing once the tail is following: live tail's session is open, or the first poll is done.
  const t0wait = Date.now();
  while (mode !== 'polling' ? statusNow?.mode !== 'live' : received === 0 && Date.now() - t0wait < 2500) {
    if (Date.now() - t0wait > 15_000) throw new Error(`${mode}: the tail did not start (${JSON.stringify(statusNow)})`);
    await new Promise((r) => setTimeout(r, 50));
  }
  child.send({ start: { rate: RATE, seconds: SECONDS } });
  const started = await waitFor('started');
  const samples = [];
  const sample = () => {
    const u = process.memoryUsage();
    const s = { t: (Date.now() - started.at) / 1000, rss: u.rss, heap: u.heapUsed, size: buffer.size, received };
    samples.push(s);
    console.log(`  ${s.t.toFixed(0).padStart(3)} s  rss ${fmtMb(s.rss).padStart(9)}  heap ${fmtMb(s.heap).padStart(9)}  buffer ${String(s.size).padStart(5)}  lines ${s.received}`);
  };
  /** What survives a full collection: what the tail and the buffer really hold. Forced twice a run only, so the peaks are the tail's own. */
  const kept = [];
  const keep = () => {
    global.gc();
    const u = process.memoryUsage();
    const k = { t: (Date.now() - started.at) / 1000, heap: u.heapUsed, external: u.external, rss: u.rss, size: buffer.size };
    kept.push(k);
    console.log(`  ${k.t.toFixed(0).padStart(3)} s  after a full gc: heap ${fmtMb(k.heap)}, external ${fmtMb(k.external)}, rss ${fmtMb(k.rss)}, buffer ${k.size}`);
  };
  const keepTimer = setTimeout(keep, KEEP_FIRST_MS);
  // The baseline: this process with the SDK loaded and the tail following an idle log group.
  const idle = process.memoryUsage();
  console.log(`  idle     rss ${fmtMb(idle.rss).padStart(9)}  heap ${fmtMb(idle.heapUsed).padStart(9)}  (SDK loaded, tail following, nothing written yet)`);
  let peakRss = idle.rss;
  const peakTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);
  const sampler = setInterval(sample, SAMPLE_MS);
  const done = await waitFor('done');
  await new Promise((r) => setTimeout(r, DRAIN_MS));
  clearInterval(sampler);
  clearTimeout(keepTimer);
  sample();
  keep();
  clearInterval(peakTimer);
  peakRss = Math.max(peakRss, ...samples.map((s) => s.rss));
  await tail.stop();
  api.close();
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));

  const fullAfter = bufferFullAt === null ? null : (bufferFullAt - started.at) / 1000;
  // Flat: the heap kept after a full gc at the end against the one 15 s in (the buffer full by then), and RSS alike.
  const first = kept.length > 1 && kept[0].size === CAPACITY ? kept[0] : null;
  const last = kept[kept.length - 1];
  const keptGrowth = first ? last.heap - first.heap : null;
  const growth = first ? last.rss - first.rss : null;
  return {
    mode,
    events: done.events,
    received,
    median: lags.percentile(50),
    p95: lags.percentile(95),
    idleRss: idle.rss,
    peakRss,
    peakHeap: Math.max(...samples.map((s) => s.heap)),
    fullAfter,
    growth,
    keptGrowth,
    keptHeapEnd: last.heap,
    notices: [...notices],
  };
}

if (runMode !== undefined) {
  process.send(await run(runMode));
  process.exit(0);
}

const results = [];
const t0 = Date.now();
console.log(`log tail under load: ${RATE} events/s for ${SECONDS} s per run, into a buffer of ${CAPACITY} lines; this process's memory every ${SAMPLE_MS / 1000} s`);
for (const mode of MODES) {
  console.log(`\n${mode === 'live-sampled' ? 'live tail, sampled as AWS does (<= 500 events an update)' : mode === 'live' ? 'live tail, unsampled' : 'polling (FilterLogEvents every 2 s)'}:`);
  const child = fork(fileURLToPath(import.meta.url), ['--run', mode], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: ['--expose-gc'] });
  const result = await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`the ${mode} run exited (${code}) without a result`)));
  });
  results.push(result);
}

console.log('\nsummary');
console.log('  run           events    in buffer  lag median   lag p95   idle RSS   peak RSS   peak heap  full after  15 s to end, after a full gc: RSS growth, heap kept (growth)');
for (const r of results) {
  console.log(
    `  ${r.mode.padEnd(12)} ${String(r.events).padStart(8)} ${String(r.received).padStart(10)} ${`${r.median} ms`.padStart(10)} ${`${r.p95} ms`.padStart(9)} ${fmtMb(r.idleRss).padStart(10)} ${fmtMb(r.peakRss).padStart(10)} ${fmtMb(r.peakHeap).padStart(10)} ${(r.fullAfter === null ? '-' : `${r.fullAfter.toFixed(1)} s`).padStart(10)}  ${r.growth === null ? '-' : fmtMb(r.growth)}, ${fmtMb(r.keptHeapEnd)} (${r.keptGrowth === null ? '-' : fmtMb(r.keptGrowth)})`,
  );
  for (const n of r.notices) console.log(`    ${r.mode}: ${n}`);
}
const live = results.find((r) => r.mode === 'live');
const polling = results.find((r) => r.mode === 'polling');
if (live && polling) console.log(`  polling's median lag is ${(polling.median / live.median).toFixed(2)}x live tail's (unsampled)`);
console.log(`  whole bench: ${((Date.now() - t0) / 1000).toFixed(0)} s`);

const over = results.filter((r) => mb(r.peakRss) >= LIMIT_MB);
// Flat: what survives a full collection does not grow once the buffer is full (RSS alone also moves with when V8 collects).
const growing = results.filter((r) => r.keptGrowth === null || mb(r.keptGrowth) > 5);
if (over.length > 0) console.log(`FAIL: peak RSS at or over ${LIMIT_MB} MB: ${over.map((r) => r.mode).join(', ')}`);
if (growing.length > 0) console.log(`FAIL: the heap kept after a full gc grew more than 5 MB after the buffer was full (or it never filled): ${growing.map((r) => r.mode).join(', ')}`);
if (over.length === 0 && growing.length === 0) console.log(`ok: peak RSS under ${LIMIT_MB} MB, and the heap kept after a full gc flat (< 5 MB growth) once the buffer is full, in every run`);
process.exit(over.length + growing.length > 0 ? 1 : 0);
