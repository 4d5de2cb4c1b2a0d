// `npm run bench plan`: the dashboard's deploy preparation, from `d` to the plan: the pre-flight against
// the fake AWS endpoint (test/fake-aws; the project's stack deployed, test/helpers/deployed.ts), with the
// team's records (a deploy of each environment) and lock in SSM as the dashboard keeps them (bin/team.ts), and the synthesis in the
// worker thread (dist/synth-worker.cjs, as the dashboard runs it; no assembly reused).
// Each run is a fresh process, as a first deploy of a dashboard session is:
//
//   - asked:   the worker started when the synthesis is asked for, after the pre-flight (synthesizeStackInWorker);
//   - early:   the worker started with the preparation (startSynthWorker), from a copy of dist/ without
//              dist/synth-modules.cjs: it boots and loads dist/synth.cjs (and aws-cdk-lib's index files)
//              while the pre-flight waits on AWS, and the rest of aws-cdk-lib as it builds the stack;
//   - started: the same with the list, what the dashboard does: the files of aws-cdk-lib a synthesis
//              loads are loaded during the pre-flight too.
//
// Twice: the fake answering at once, and each of its answers delayed by BENCH_PLAN_LATENCY_MS (default 40;
// a round trip to an AWS region is tens of milliseconds). Medians of BENCH_PLAN_RUNS alternating runs
// (default 9), after one warm-up run of each (which also fills aws-cdk-lib's code cache), `node -e 0` in
// the same loop. The TypeScript is bundled with esbuild into bench/.out/plan/ first, with dist/'s
// externals (bench/_bundle.mjs, likeDist).
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DEPLOYED_STACK_MODULES, bundleModules, outRoot, root } from './_bundle.mjs';
import { forkedRun, median, timeCommand } from './_stats.mjs';
import { envSetting } from './_settings.mjs';
import { endWithBench } from './_setup.mjs';

const RUNS = envSetting('BENCH_PLAN_RUNS', 9);
// The bench runs at 0 ms first, then at this delay.
const LATENCY_MS = envSetting('BENCH_PLAN_LATENCY_MS', 40, { what: 'a delay in ms', min: 1, max: 60_000 });
const WORKER = pathToFileURL(join(root, 'dist', 'synth-worker.cjs'));
/** A copy of dist/ without the list of what to load ahead, under the project (so aws-cdk-lib resolves from its node_modules). */
const NO_LIST = join(outRoot, 'plan', 'dist-without-list');
const runArg = process.argv[2] === '--run' ? JSON.parse(process.argv[3]) : undefined;
// A run is a process of the bench's (forkedRun): it ends with the bench.
if (runArg !== undefined) endWithBench();

const m = await bundleModules(
  'plan',
  [
    ...DEPLOYED_STACK_MODULES,
    "export { prepareDeploy, disposePlan } from './src/infra/deploy.ts';",
    "export { startSynthWorker, synthesizeStackInWorker } from './src/infra/operations.ts';",
    "export { teamFor } from './bin/team.ts';",
    "export { deployedParameter } from './src/state/team-records.ts';",
  ],
  { rebuild: !runArg, likeDist: true },
);

if (runArg) {
  // One preparation, in a process of its own; replies { planMs, synthMs }.
  const { configDir, mode } = runArg;
  const t0 = performance.now();
  const target = m.resolveTarget(m.inspectAllProfiles(configDir), { environment: 'dev' });
  // As the dashboard's prepare does: the worker started once the target is known, before the SDK loads.
  const worker = mode === 'asked' ? undefined : m.startSynthWorker(mode === 'early' ? pathToFileURL(join(NO_LIST, 'synth-worker.cjs')) : WORKER);
  const inWorker = worker ? worker.synthesize : m.synthesizeStackInWorker(WORKER);
  let synthMs = 0;
  const synth = async (...args) => {
    const s0 = performance.now();
    try {
      return await inWorker(...args);
    } finally {
      synthMs = performance.now() - s0;
    }
  };
  try {
    const aws = await m.createDeployAws({ region: target.place.region, awsProfile: target.profile.awsProfile });
    const recordsPath = m.deployRecordPath(configDir);
    // As the dashboard's prepare makes it: the lock and the records in the account's SSM parameters.
    const team = await m.teamFor(target.place, recordsPath, aws.parameters, async () => (await aws.callerIdentity()).arn, () => undefined);
    const plan = await m.prepareDeploy({ target, imageTag: `bench-${process.pid}`, configDir, recordsPath, purpose: 'deploy dev (bench)', team }, aws, synth);
    const planMs = performance.now() - t0;
    try {
      m.disposePlan(plan);
    } finally {
      // The account's lock released before the next run asks for it.
      await plan.accountLock?.release();
    }
    process.send({ planMs, synthMs });
  } finally {
    worker?.close();
  }
  process.exit(0);
}

if (!existsSync(fileURLToPath(WORKER))) {
  console.error('bench/plan: dist/synth-worker.cjs is missing; run `npm run build` first');
  process.exit(2);
}

rmSync(NO_LIST, { recursive: true, force: true });
cpSync(join(root, 'dist'), NO_LIST, { recursive: true, filter: (src) => !src.endsWith('synth-modules.cjs') && !src.endsWith('.map') });
const work = mkdtempSync(join(tmpdir(), 'bd-bench-plan-'));
const project = await m.synthProjectStack(); // the built CLI's synth of devProfile() and prodProfile()
const fake = await m.startFakeAws(m.deployedScenario(project.template, { imageTags: { dev: 'bench-seed' } }));
// A team's records in the account: one deploy of each environment, whose histories every preparation reads.
fake.scenario.ssm ??= {};
for (const env of ['dev', 'prod']) {
  const name = m.deployedParameter('BenchlingWebhookStack', env);
  const value = JSON.stringify({ imageTag: env === 'dev' ? 'bench-seed' : '0.8.0', endpoint: `https://abc123.execute-api.us-east-1.amazonaws.com/${env}`, deployedAt: '2026-11-20T10:00:00.000Z', deployedBy: 'arn:aws:sts::123456789012:assumed-role/Deployer/bench', stackName: 'BenchlingWebhookStack' });
  fake.scenario.ssm[name] = { name, type: 'String', lastVersion: 1, versions: [{ version: 1, value, tier: 'Standard', lastModifiedDate: new Date().toISOString(), lastModifiedUser: 'bench' }] };
}
const home = mkdtempSync(join(work, 'home-'));
// HOME: aws-cdk-lib's code cache of this bench (filled by the warm-up runs); TMPDIR: the plans' work folders.
const env = { ...process.env, ...fake.env, HOME: home, TMPDIR: work, CI: 'true', NO_COLOR: '1' };
delete env.AWS_PROFILE;
delete env.XDG_CACHE_HOME;

function configDir() {
  const dir = mkdtempSync(join(work, 'config-'));
  m.writeJson(dir, 'default.json', m.prodProfile());
  m.writeJson(dir, 'dev.json', m.devProfile());
  return dir;
}

function planRun(mode) {
  return forkedRun(fileURLToPath(import.meta.url), ['--run', JSON.stringify({ configDir: configDir(), mode })], { env }, `a ${mode} run`);
}

try {
  const modes = ['asked', 'early', 'started'];
  for (const latency of [0, LATENCY_MS]) {
    fake.clearFaults();
    if (latency > 0) fake.inject({ kind: 'slow', delayMs: latency });
    for (const mode of modes) await planRun(mode); // warm-up: not counted
    const runs = Object.fromEntries(modes.map((mode) => [mode, []]));
    const node = [];
    for (let i = 0; i < RUNS; i++) {
      for (const mode of modes) runs[mode].push(await planRun(mode));
      node.push(timeCommand(process.execPath, ['-e', '0'], { env }));
    }
    const calls = fake.calls.all.length;
    fake.calls.reset();
    const row = (mode) => `plan ${median(runs[mode].map((r) => r.planMs)).toFixed(0).padStart(5)} ms (synth ${median(runs[mode].map((r) => r.synthMs)).toFixed(0).padStart(4)} ms of it)`;
    console.log(`the fake answering ${latency === 0 ? 'at once' : `after ${latency} ms`} (${Math.round(calls / (RUNS + 1) / modes.length)} AWS calls a plan); medians of ${RUNS} alternating runs; node -e 0: ${median(node).toFixed(0)} ms`);
    const label = (text) => `  ${`${text}:`.padEnd(62)}`;
    console.log(`${label('worker started when the synthesis is asked for')}${row('asked')}`);
    console.log(`${label('started with the preparation, nothing of aws-cdk-lib ahead')}${row('early')}`);
    console.log(`${label('started with the preparation, aws-cdk-lib ahead (dashboard)')}${row('started')}`);
    const asked = median(runs.asked.map((r) => r.planMs));
    const started = median(runs.started.map((r) => r.planMs));
    console.log(`  ratio: the dashboard's plan takes ${(started / asked).toFixed(3)}x as long as with the worker started when asked (${(started - asked).toFixed(0)} ms)`);
  }
} finally {
  await fake.close();
  rmSync(work, { recursive: true, force: true });
}
