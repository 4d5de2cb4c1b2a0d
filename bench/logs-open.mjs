// `npm run bench logs-open`: opening the dashboard's logs on a busy log group. A fake AWS
// endpoint in its own process (bench/_logs-open-fake.mjs) holds 300,000 events over the last
// ten minutes (500 a second; BENCH_LOGS_OPEN_EVENTS changes it). This process opens the
// real tail (src/state/log-tail.ts, the real CloudWatch Logs SDK client) as the dashboard
// does, with the first read limited to the 5,000 lines the screen keeps, and, as the
// baseline in the same command, as before: every page of the ten minutes. Runs alternate
// (7 each; BENCH_LOGS_OPEN_RUNS). Reported: time from opening to the newest line on hand
// (median, and the ratio to the baseline), FilterLogEvents calls and lines received.
// Live tail is off: only the first read is measured.
//
// The TypeScript is bundled with esbuild into bench/.out/logs-open/ first.
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { bundleModules, bundlePath, root } from './_bundle.mjs';
import { median } from './_stats.mjs';
import { envSetting } from './_settings.mjs';

const EVENTS = envSetting('BENCH_LOGS_OPEN_EVENTS', 300_000, { what: 'a number of events', max: 10_000_000 });
const RUNS = envSetting('BENCH_LOGS_OPEN_RUNS', 7);
const CAPACITY = 5000;

const m = await bundleModules('logs-open', [
  "export { startFakeAws } from './test/fake-aws/server.ts';",
  "export { standardScenario, namesOf } from './test/fake-aws/scenario.ts';",
  "export { createLogsApi } from './src/state/logs-aws.ts';",
  "export { startLogTail } from './src/state/log-tail.ts';",
  "export { LogBuffer } from './src/state/log-buffer.ts';",
]);

const child = fork(join(root, 'bench', '_logs-open-fake.mjs'), [bundlePath('logs-open'), JSON.stringify({ events: EVENTS })], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const ready = await new Promise((resolve, reject) => {
  child.once('message', (msg) => resolve(msg.ready));
  child.once('exit', (code) => reject(new Error(`the fake's process exited (${code}) before it was ready`)));
});
Object.assign(process.env, ready.env);
delete process.env.AWS_PROFILE;
const control = ready.env.AWS_ENDPOINT_URL;
const api = m.createLogsApi({ region: 'us-east-1' });
const group = { environment: 'prod', logGroupName: ready.logGroup, logGroupArn: ready.logGroupArn };

async function calls() {
  const r = await fetch(`${control}/__fake/calls`);
  return (await r.json()).byOperation['logs:FilterLogEvents'] ?? 0;
}

/** One opening: ms until the newest line is in the buffer, the calls it took, the lines received. */
async function open(limit) {
  await fetch(`${control}/__fake/calls`, { method: 'DELETE' });
  let buffer = m.LogBuffer.empty(CAPACITY);
  let received = 0;
  let done;
  const newest = new Promise((resolve) => (done = resolve));
  const t0 = performance.now();
  const tail = m.startLogTail({
    api,
    group,
    live: false,
    pollIntervalMs: 60_000,
    ...(limit ? { backfillLimit: CAPACITY } : {}),
    onLines: (lines) => {
      received += lines.length;
      buffer = buffer.append(lines);
      if (lines.some((l) => l.message.includes(ready.newest))) done(performance.now() - t0);
    },
    onStatus: (s) => {
      if (s.error) console.error(`  error: ${s.error}`);
    },
  });
  const ms = await newest;
  await tail.stop();
  if (buffer.size !== CAPACITY) throw new Error(`the buffer holds ${buffer.size} lines, not ${CAPACITY}`);
  return { ms, calls: await calls(), received };
}

const limited = [];
const everything = [];
await open(true); // warm-up: SDK client, connections, JIT
for (let i = 0; i < RUNS; i++) {
  everything.push(await open(false));
  limited.push(await open(true));
}
child.kill('SIGTERM');
api.close();

const row = (name, runs) => {
  const ms = median(runs.map((r) => r.ms));
  return { name, ms, text: `${name.padEnd(34)} ${ms.toFixed(0).padStart(6)} ms   ${String(median(runs.map((r) => r.calls))).padStart(4)} calls   ${String(median(runs.map((r) => r.received))).padStart(7)} lines` };
};
const a = row(`limited to ${CAPACITY} (the dashboard)`, limited);
const b = row('every page of 10 min (baseline)', everything);
console.log(`${EVENTS.toLocaleString('en-US')} events in the last 10 min; medians of ${RUNS} alternating runs; newest line on hand`);
console.log(`  ${a.text}`);
console.log(`  ${b.text}`);
console.log(`  ratio: ${(a.ms / b.ms).toFixed(3)}x the baseline's time (${(b.ms / a.ms).toFixed(1)}x faster)`);
