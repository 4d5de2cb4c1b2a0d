// The other side of bench/logs.mjs, in its own process so that its memory (the fake's log
// group grows by 300,000 events a minute) is not counted against the tail's: the fake AWS
// endpoint plus a writer that appends events to the prod log group at a fixed rate, each
// stamped with the time it was written (and ingested at once, so the lag measured is the
// tail's own). Talks to the parent over IPC:
//   parent -> { start: { rate, seconds } }   child -> { started }, then { done: { events } }
//   child -> { ready: { url, env, logGroup, logGroupArn } } once listening
import { pathToFileURL } from 'node:url';
import { endWithBench } from './_setup.mjs';

endWithBench();

const [bundle, optionsJson] = process.argv.slice(2);
const m = await import(pathToFileURL(bundle).href);
const options = JSON.parse(optionsJson);

const scenario = m.standardScenario({ environments: ['prod'] });
const logGroup = m.namesOf(scenario, 'prod').logGroup;
scenario.logGroups[logGroup] = [];
// Live tail as AWS sends it (an update a second, at most 500 events, sampled beyond), or unsampled.
scenario.logsOptions = { updateIntervalMs: 1000, maxEventsPerUpdate: options.sampled ? 500 : 1_000_000 };
const fake = await m.startFakeAws(scenario);
const logGroupArn = `arn:aws:logs:${scenario.region}:${scenario.identity.account}:log-group:${logGroup}`;
process.send({ ready: { url: fake.url, env: fake.env, logGroup, logGroupArn } });

const STREAMS = ['webhook/app/0a1b2c', 'webhook/app/3d4e5f', 'webhook/app/6a7b8c', 'webhook/app/9d0e1f'];
const PAD = 'x'.repeat(60);

process.on('message', (msg) => {
  if (!msg.start) return;
  const { rate, seconds } = msg.start;
  const events = fake.scenario.logGroups[logGroup];
  const t0 = Date.now();
  let written = 0;
  process.send({ started: { at: t0 } });
  const tick = () => {
    const now = Date.now();
    const due = Math.min(rate * seconds, Math.floor(((now - t0) * rate) / 1000));
    for (; written < due; written++) {
      events.push({
        logStreamName: STREAMS[written % STREAMS.length],
        timestamp: now,
        ingestionTime: now,
        message: `INFO 10.0.2.${written % 250} POST /event 202 request=${written} tenant=acme ${PAD}`,
      });
    }
    if (written < rate * seconds) setTimeout(tick, 10);
    else process.send({ done: { events: written } });
  };
  tick();
});

process.on('SIGTERM', async () => {
  await fake.close();
  process.exit(0);
});
