// The fake AWS endpoint for bench/startup.mjs, in its own process so its memory is not the
// dashboard's: the standard stack (dev and prod healthy), and, with --log-rate N, N log lines a
// second appended to dev's log group (kept to its last 5,000 events); with --latency MS, every
// call answered MS late. Prints one JSON line
// {"url", "env"} on stdout, then serves until SIGTERM.
import { loadFakeAws } from '../test/fake-aws/serve.mjs';
import { parsedArgs, setting } from './_settings.mjs';
import { endWithBench } from './_setup.mjs';

endWithBench();

const { values } = parsedArgs({ options: { 'log-rate': { type: 'string' }, latency: { type: 'string' } } });
const rate = setting('--log-rate', values['log-rate'], 0, { what: 'a number of lines a second', min: 0, max: 100_000 });
const latency = setting('--latency', values.latency, 0, { what: 'a delay in ms', min: 0, max: 60_000 });
const m = await loadFakeAws();
const scenario = m.standardScenario();
const fake = await m.startFakeAws(scenario);
// Every call answered this late (about a round trip to an AWS region from afar).
if (latency > 0) fake.inject({ kind: 'slow', delayMs: latency });
const group = m.namesOf(scenario, 'dev').logGroup;
process.stdout.write(`${JSON.stringify({ url: fake.url, env: fake.env })}\n`);

if (rate > 0) {
  let n = 0;
  const t0 = Date.now();
  const tick = () => {
    const events = fake.scenario.logGroups[group];
    const now = Date.now();
    const due = Math.floor(((now - t0) * rate) / 1000);
    for (; n < due; n++) events.push({ logStreamName: `webhook/app/${n % 3}`, timestamp: now, ingestionTime: now, message: `INFO POST /event 202 request=${n} tenant=acme ${'x'.repeat(40)}` });
    if (events.length > 5000) events.splice(0, events.length - 5000);
    setTimeout(tick, 50);
  };
  tick();
}

process.on('SIGTERM', async () => {
  await fake.close();
  process.exit(0);
});
