// The other side of bench/logs-open.mjs, in its own process: the fake AWS endpoint with one
// log group already holding `events` events spread evenly over the last ten minutes.
//   child -> { ready: { env, logGroup, logGroupArn, newest } } once listening
import { pathToFileURL } from 'node:url';
import { endWithBench } from './_setup.mjs';

endWithBench();

const [bundle, optionsJson] = process.argv.slice(2);
const m = await import(pathToFileURL(bundle).href);
const { events: count } = JSON.parse(optionsJson);

const scenario = m.standardScenario({ environments: ['prod'] });
const logGroup = m.namesOf(scenario, 'prod').logGroup;
const STREAMS = ['webhook/app/0a1b2c', 'webhook/app/3d4e5f', 'webhook/app/6a7b8c', 'webhook/app/9d0e1f'];
const PAD = 'x'.repeat(60);
const now = Date.now();
const span = 600_000 - 5000; // the newest a few seconds old, the oldest inside ten minutes
scenario.logGroups[logGroup] = Array.from({ length: count }, (_, i) => {
  const timestamp = now - span + Math.floor((i * span) / count);
  return { logStreamName: STREAMS[i % STREAMS.length], timestamp, ingestionTime: timestamp, message: `INFO 10.0.2.${i % 250} POST /event 202 request=${i} tenant=acme ${PAD}` };
});
const fake = await m.startFakeAws(scenario);
const logGroupArn = `arn:aws:logs:${scenario.region}:${scenario.identity.account}:log-group:${logGroup}`;
process.send({ ready: { env: fake.env, logGroup, logGroupArn, newest: `request=${count - 1} ` } });

process.on('SIGTERM', async () => {
  await fake.close();
  process.exit(0);
});
