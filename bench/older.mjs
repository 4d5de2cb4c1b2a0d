// `npm run bench older`: this tool next to the older single-environment tool (quiltdata/benchling-webhook,
// whose `status`, `--help` and synthesis issue 16's first table quoted), in one run, alternating, each
// beside `node -e 0`: `--help`; the stack's synthesis (ours: dev and prod in one stack, and prod alone;
// the older tool's: its one environment as its deploy synthesizes it, bench/_older-synth.cjs; resources
// counted); `status` once (ours against the bench's fake AWS, 6 calls; the older tool's against a
// stand-in answering its 11 calls, bench/_older-fake.mjs). Medians, ratios to `node -e 0`, and how many
// times faster ours is.
//
// Needs BENCH_OLDER_TOOL: a built checkout of the older tool. Nothing here fetches it (the bench has no
// network): `git clone https://github.com/quiltdata/benchling-webhook && cd benchling-webhook &&
// npm install && npm run build` (v0.18.0's lock names @aws-sdk/client-apigatewayv2 3.1030.0, which the
// registry does not have: pin 3.1031.0 in its place). Without it, this bench says so and ends with
// status 2; `npm run bench` with no names skips it then.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, median, timeCommand } from './_stats.mjs';
import { benchProfilesFolder, startFakeProcess } from './_setup.mjs';
import { envSetting } from './_settings.mjs';

const RUNS = envSetting('BENCH_RUNS', 9);
const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin', 'benchling-deploy.cjs');
const older = process.env.BENCH_OLDER_TOOL;
const olderCli = older && join(older, 'dist', 'bin', 'cli.js');

if (!existsSync(join(root, 'dist', 'cli.js'))) {
  console.error('bench/older: dist/ is missing; run `npm run build` first');
  process.exit(2);
}
if (!older || !existsSync(olderCli) || !existsSync(join(older, 'dist', 'bin', 'benchling-webhook.js')) || !existsSync(join(older, 'node_modules', 'aws-cdk-lib'))) {
  const why = older ? `BENCH_OLDER_TOOL (${older}) has no dist/bin/cli.js, dist/bin/benchling-webhook.js or node_modules/aws-cdk-lib` : 'BENCH_OLDER_TOOL is not set';
  console.error(`bench/older: ${why}: set it to a built checkout of the older tool:\n  git clone https://github.com/quiltdata/benchling-webhook && cd benchling-webhook && npm install && npm run build\n(0.18.0's lock names @aws-sdk/client-apigatewayv2 3.1030.0, which the registry lacks: pin 3.1031.0 in its place).`);
  process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), 'bd-bench-older-'));
const PATH = process.env.PATH;
// Clean environments (as bench/startup.mjs): the caller's may slow every node start.
const oursEnv = { PATH, HOME: join(work, 'home'), CI: 'true', XDG_CACHE_HOME: join(work, 'cache'), AWS_EC2_METADATA_DISABLED: 'true' };
const olderHome = join(work, 'older-home');
const olderEnv = { PATH, HOME: olderHome, AWS_EC2_METADATA_DISABLED: 'true' };

/** The older tool's profile: a standalone deployment (its config.json and deployments.json), valid by its schema. */
function olderProfile() {
  const dir = join(olderHome, '.config', 'benchling-webhook', 'default');
  mkdirSync(dir, { recursive: true });
  const version = JSON.parse(readFileSync(join(older, 'package.json'), 'utf8')).version;
  const config = {
    quilt: {
      stackArn: 'arn:aws:cloudformation:us-east-1:123456789012:stack/QuiltStack/00000000-0000-0000-0000-000000000000',
      catalog: 'quilt.example.com',
      database: 'quilt_db',
      queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/quilt-packager',
      region: 'us-east-1',
      bucketWritePolicyArn: 'arn:aws:iam::123456789012:policy/QuiltBucketWrite',
      athenaUserPolicyArn: 'arn:aws:iam::123456789012:policy/QuiltAthenaUser',
    },
    benchling: { tenant: 'acme', clientId: 'cid', secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:BenchlingSecret-AbCdEf', appDefinitionId: 'app' },
    packages: { bucket: 'acme-packages', prefix: 'benchling', metadataKey: 'experiment_id' },
    deployment: { region: 'us-east-1', account: '123456789012', imageTag: '0.7.0' },
    integratedStack: false,
    _metadata: { version, createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z', source: 'manual' },
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2));
  const active = { timestamp: '2026-01-01T00:00:00Z', imageTag: '0.7.0', endpoint: 'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod', stackName: 'BenchlingWebhookStack', region: 'us-east-1' };
  writeFileSync(join(dir, 'deployments.json'), JSON.stringify({ active, history: [] }, null, 2));
}

/** The calls the older tool's stand-in answered and refused so far. */
async function callsOf(url) {
  return (await fetch(`${url}/__calls`)).json();
}

/** The calls the older tool's `status` makes (bin/commands/status.ts of 0.18.0): checked for each run. */
const OLDER_CALLS = 11;

/** Runs each command in turn, RUNS times (the order rotated each round), after one run each not counted; medians by name. */
function alternate(commands) {
  const names = Object.keys(commands);
  for (const name of names) commands[name]();
  const runs = Object.fromEntries(names.map((n) => [n, []]));
  for (let i = 0; i < RUNS; i++) {
    for (let j = 0; j < names.length; j++) {
      const name = names[(i + j) % names.length];
      runs[name].push(commands[name]());
    }
  }
  return Object.fromEntries(names.map((n) => [n, median(runs[n])]));
}

function report(title, medians, ours, theirs) {
  const node = medians['node -e 0'];
  console.log(`\n${title}`);
  for (const [name, ms] of Object.entries(medians)) console.log(`  ${name.padEnd(34)} ${fmt(ms).padStart(8)}  ${(ms / node).toFixed(1).padStart(5)}x node -e 0`);
  for (const name of ours) console.log(`  the older tool / ${name}: ${(medians[theirs] / medians[name]).toFixed(1)}x (${medians[theirs] > medians[name] ? 'ours faster' : 'ours SLOWER'})`);
}

const nodeBare = () => timeCommand(process.execPath, ['-e', '0'], { env: oursEnv });
let fake;
let olderFake;
let cfg;
try {
  olderProfile();
  console.log(`runs: ${RUNS} each, alternating; the older tool: ${older} (version ${JSON.parse(readFileSync(join(older, 'package.json'), 'utf8')).version})`);

  report(
    '--help, start to exit',
    alternate({ 'node -e 0': nodeBare, 'ours --help': () => timeCommand(process.execPath, [bin, '--help'], { env: oursEnv }), 'older --help': () => timeCommand(process.execPath, [olderCli, '--help'], { env: olderEnv, cwd: older }) }),
    ['ours --help'],
    'older --help',
  );

  // Ours from the synth fixture (dev and prod) and from its prod profile alone; the code cache of aws-cdk-lib
  // filled by the runs not counted (as bench/synth.mjs). The older tool with its cdk.json flags and the
  // availability zones it would look up (so that nothing is missing from its context).
  const fixture = join(root, 'test', 'fixtures', 'synth', 'dev-and-prod');
  const prodOnly = join(work, 'prod-only');
  mkdirSync(prodOnly);
  copyFileSync(join(fixture, 'default.json'), join(prodOnly, 'default.json'));
  const cdkContext = JSON.parse(readFileSync(join(older, 'cdk.json'), 'utf8')).context ?? {};
  const olderSynthEnv = {
    ...olderEnv,
    OLDER_ROOT: older,
    CDK_OUTDIR: join(work, 'older-out'),
    CDK_DEFAULT_ACCOUNT: '123456789012',
    CDK_DEFAULT_REGION: 'us-east-1',
    CDK_CONTEXT_JSON: JSON.stringify({ ...cdkContext, 'availability-zones:account=123456789012:region=us-east-1': ['us-east-1a', 'us-east-1b', 'us-east-1c'] }),
  };
  const resources = (dir) => Object.keys(JSON.parse(readFileSync(join(dir, 'BenchlingWebhookStack.template.json'), 'utf8')).Resources).length;
  const oursSynth = (config, out) => () => {
    rmSync(out, { recursive: true, force: true });
    return timeCommand(process.execPath, [bin, '--config-dir', config, 'synth', '--out', out], { env: oursEnv });
  };
  const olderSynth = () => {
    rmSync(olderSynthEnv.CDK_OUTDIR, { recursive: true, force: true });
    return timeCommand(process.execPath, [join(root, 'bench', '_older-synth.cjs')], { env: olderSynthEnv, cwd: older });
  };
  const synth = alternate({ 'node -e 0': nodeBare, 'ours synth (dev and prod)': oursSynth(fixture, join(work, 'out-both')), 'ours synth (prod)': oursSynth(prodOnly, join(work, 'out-prod')), 'older synth (its one environment)': olderSynth });
  const counted = spawnSync(process.execPath, [join(root, 'bench', '_older-synth.cjs')], { env: olderSynthEnv, cwd: older, encoding: 'utf8' });
  if (counted.status !== 0) throw new Error(`the older tool's synthesis failed: ${counted.stderr}`);
  const olderCount = counted.stdout.trim().split('\n').at(-1);
  report(
    `synthesis, whole command (resources: ours ${resources(join(work, 'out-both'))} for dev and prod, ${resources(join(work, 'out-prod'))} for prod; the older tool's ${olderCount})`,
    synth,
    ['ours synth (dev and prod)', 'ours synth (prod)'],
    'older synth (its one environment)',
  );

  // status once: each against a fake in its own process, every call answered at once.
  fake = await startFakeProcess('_dashboard-fake.mjs');
  olderFake = await startFakeProcess('_older-fake.mjs');
  cfg = benchProfilesFolder();
  const oursStatusEnv = { ...oursEnv, ...fake.env };
  const olderStatusEnv = { ...olderEnv, AWS_ENDPOINT_URL: olderFake.url, AWS_ACCESS_KEY_ID: 'AKIAFAKEAWSTESTS0001', AWS_SECRET_ACCESS_KEY: 'fake-secret-access-key', AWS_REGION: 'us-east-1' };
  // The older tool's status exits 0 whatever it found, and says a failed read in many ways: each of its
  // runs must make its 11 calls, every one answered, and the first must show the stack read whole.
  const seen = spawnSync(process.execPath, [olderCli, 'status', '--timer', '0'], { env: olderStatusEnv, cwd: older, encoding: 'utf8' });
  const shown = seen.stdout + seen.stderr;
  const afterOne = await callsOf(olderFake.url);
  if (seen.status !== 0 || !/Stack is up to date/.test(shown) || !/Targets: 1 healthy/.test(shown) || /Failed|Could not|\u2717/.test(shown) || afterOne.answered !== OLDER_CALLS || afterOne.refused !== 0) {
    throw new Error(`the older tool's status did not read its stand-in whole (${afterOne.answered} calls answered, ${afterOne.refused} refused; ${OLDER_CALLS} expected):\n${shown}`);
  }
  const statusRuns = alternate({
    'node -e 0': nodeBare,
    'ours status': () => timeCommand(process.execPath, [bin, '--config-dir', cfg, 'status'], { env: oursStatusEnv }),
    'older status': () => timeCommand(process.execPath, [olderCli, 'status', '--timer', '0'], { env: olderStatusEnv, cwd: older }),
  });
  // Every timed run (and the one not counted) made the same calls, all answered.
  const after = await callsOf(olderFake.url);
  if (after.answered !== OLDER_CALLS * (RUNS + 2) || after.refused !== 0) throw new Error(`the older tool's status runs made ${after.answered} answered and ${after.refused} refused calls; ${OLDER_CALLS * (RUNS + 2)} answered expected`);
  report(`status once (ours: 6 calls to the bench's fake AWS; the older tool: ${OLDER_CALLS} calls to its stand-in, each run)`, statusRuns, ['ours status'], 'older status');
} finally {
  fake?.stop();
  olderFake?.stop();
  rmSync(work, { recursive: true, force: true });
  if (cfg) rmSync(cfg, { recursive: true, force: true });
}
