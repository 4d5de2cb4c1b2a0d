// `npm run bench deploy`: wall time of `deploy --environment dev --yes` through the real
// aws-cdk CLI (node_modules/aws-cdk) against the fake AWS endpoint (test/fake-aws), where the
// project's stack is already deployed (test/helpers/deployed.ts, seeded from the template the
// built CLI synthesizes from the fixture profiles) and a stack operation ends when
// ExecuteChangeSet returns (stepMs 0; BENCH_DEPLOY_STEP_MS to change). Every run deploys a new
// dev image tag to a freshly seeded stack. Medians of BENCH_RUNS runs (default 5), after one
// warm-up run of each that is not counted:
//
//   1. Phases, from the project's own functions (src/infra/deploy.ts prepareDeploy, diffPlan,
//      executeDeploy, as bin/commands/deploy.ts calls them), each run in a fresh process so
//      aws-cdk-lib and the AWS SDK load cold as in the CLI: pre-flight (profiles, credentials,
//      stack, secrets, lock: prepareDeploy minus synth), synth (synthesizeStackLazily), diff
//      (cdk diff), cdk deploy and record (deploy.json), split by executeDeploy's 'phase'
//      events. Inside each cdk process, from the fake's call log (when each request arrived):
//      start-up (spawn to its first AWS call), its AWS conversation (first to last call; gaps
//      of a second or more counted as waiting: cdk sleeps 5 s between DescribeStacks polls)
//      and wind-down (last call to exit).
//   2. The whole command, `node bin/benchling-deploy.cjs --config-dir DIR deploy --environment
//      dev --image-tag TAG --yes` (dist/ must be built), split by when its output lines arrive.
//
// `node -e 0` and `cdk --version` (loading the cdk CLI and nothing else) run in the same loop as
// baselines. Every child gets the fake's environment, an empty HOME and a TMPDIR of its own.
// The fake runs in this process; the runs are child processes (spawned asynchronously, so the
// fake keeps answering). The TypeScript is bundled with esbuild into bench/.out/deploy/ first,
// with dist/'s externals (bench/_bundle.mjs, likeDist).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEPLOYED_STACK_MODULES, bundleModules, root } from './_bundle.mjs';
import { forkedRun, median } from './_stats.mjs';
import { envSetting } from './_settings.mjs';
import { endWithBench } from './_setup.mjs';

const RUNS = envSetting('BENCH_RUNS', 5);
/** Milliseconds between the steps of a stack operation in the fake (0: done when ExecuteChangeSet returns). */
const STEP_MS = envSetting('BENCH_DEPLOY_STEP_MS', 0, { what: 'a time in ms', min: 0, max: 60_000 });
/** A gap of at least this long between two of cdk's calls is counted as cdk waiting (its polls sleep 2 s and 5 s). */
const WAIT_GAP_MS = 1000;
const runArg = process.argv[2] === '--run' ? JSON.parse(process.argv[3]) : undefined;
// A run is a process of the bench's (forkedRun): it ends with the bench.
if (runArg !== undefined) endWithBench();

const m = await bundleModules(
  'deploy',
  [
    ...DEPLOYED_STACK_MODULES,
    "export { prepareDeploy, diffPlan, executeDeploy } from './src/infra/deploy.ts';",
    "export { synthesizeStackLazily } from './src/infra/operations.ts';",
  ],
  { rebuild: !runArg, likeDist: true },
);

if (runArg) {
  // One phase-split run, in a process of its own; replies { marks, cdk: [{ name, spawned, exited }], changes }, times in epoch ms.
  const marks = {};
  const mark = (name) => (marks[name] = Date.now());
  const { configDir, imageTag } = runArg;
  mark('start');
  const target = m.resolveTarget(m.inspectAllProfiles(configDir), { environment: 'dev' });
  const aws = await m.createDeployAws({ region: target.place.region, awsProfile: target.profile.awsProfile });
  const synth = async (profiles, outDir) => {
    mark('synthStart');
    try {
      return await m.synthesizeStackLazily(profiles, outDir);
    } finally {
      mark('synthEnd');
    }
  };
  const plan = await m.prepareDeploy({ target, imageTag, configDir, recordsPath: m.deployRecordPath(configDir), purpose: 'deploy dev' }, aws, synth);
  mark('prepared');
  // runCdk reports cdk's pid once spawned and undefined once it is gone, through the lock.
  const cdk = [];
  const noteCdk = plan.lock.noteCdk;
  plan.lock.noteCdk = (pid) => {
    if (pid) cdk.push({ spawned: Date.now() });
    else cdk.at(-1).exited = Date.now();
    noteCdk(pid);
  };
  const changes = await m.diffPlan(plan);
  mark('diffed');
  const outcome = await m.executeDeploy(plan, aws, { onEvent: (e) => e.type === 'phase' && mark(e.phase) });
  mark('executed');
  if (outcome.outcome !== 'succeeded') throw new Error(`the deploy ${outcome.outcome}: ${JSON.stringify(outcome)}`);
  if (cdk.length !== 2) throw new Error(`expected two cdk runs (diff, deploy), saw ${cdk.length}`);
  process.send({ marks, cdk: [{ name: 'diff', ...cdk[0] }, { name: 'deploy', ...cdk[1] }], changes });
  process.exit(0);
}

if (!existsSync(join(root, 'dist', 'cli.js'))) {
  console.error('bench/deploy: dist/ is missing; run `npm run build` first');
  process.exit(2);
}

const bin = join(root, 'bin', 'benchling-deploy.cjs');
const cdkBin = createRequire(join(root, 'package.json')).resolve('aws-cdk/bin/cdk');
const work = mkdtempSync(join(tmpdir(), 'bd-bench-deploy-'));
const project = await m.synthProjectStack(); // the built CLI's synth of devProfile() and prodProfile()
const fake = await m.startFakeAws(m.deployedScenario(null));
const home = mkdtempSync(join(work, 'home-'));
// TMPDIR: the work folders and cdk logs that every deploy keeps land in `work`, removed at the end.
const env = { ...process.env, ...fake.env, HOME: home, TMPDIR: work, CI: 'true', NO_COLOR: '1', CDK_DISABLE_CLI_TELEMETRY: 'true' };
delete env.AWS_PROFILE;

/** A config folder with the fixture profiles the stack was synthesized from. */
function configDir(name) {
  const dir = mkdtempSync(join(work, `${name}-`));
  m.writeJson(dir, 'default.json', m.prodProfile());
  m.writeJson(dir, 'dev.json', m.devProfile());
  return dir;
}

/** The stack as a real `cdk deploy` left it an hour ago, dev on an old tag; the call log emptied. */
function reseed() {
  try {
    fake.scenario = m.deployedScenario(project.template, { imageTags: { dev: 'bench-seed' }, stepMs: STEP_MS });
  } catch (error) {
    throw new Error(`seeding the fake with the stack \`benchling-deploy synth\` wrote failed (test/helpers/deployed.ts gives it only the image tags): ${error.message}`);
  }
  fake.calls.reset();
}

let tagSeq = 0;
const newTag = () => `bench-${process.pid}-${++tagSeq}`;

/** Runs a command asynchronously; resolves with its wall time and each output line's arrival time (epoch ms). */
function timed(cmd, args, options = {}) {
  return new Promise((resolve, reject) => {
    const lines = [];
    let partial = '';
    let stderr = '';
    const started = Date.now();
    const t0 = performance.now();
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'], ...options });
    child.stdout.on('data', (chunk) => {
      const at = Date.now();
      const parts = (partial + chunk).split('\n');
      partial = parts.pop();
      for (const text of parts) lines.push({ at, text });
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - t0;
      if (code !== 0) reject(new Error(`${[cmd, ...args].join(' ')} exited ${code}:\n${stderr.slice(-3000)}\n${lines.map((l) => l.text).join('\n')}`));
      else resolve({ ms, started, exited: Date.now(), lines });
    });
  });
}

/** One phase-split run in a fresh process; returns its marks, its cdk runs and the fake's calls during it. */
async function phaseRun(dir) {
  reseed();
  const reply = await forkedRun(fileURLToPath(import.meta.url), ['--run', JSON.stringify({ configDir: dir, imageTag: newTag() })], { env }, 'a phase run');
  return { ...reply, calls: [...fake.calls.all] };
}

/** One whole `benchling-deploy deploy`; the fake's calls during it. */
async function cliRun(dir) {
  reseed();
  const r = await timed(process.execPath, [bin, '--config-dir', dir, 'deploy', '--environment', 'dev', '--image-tag', newTag(), '--yes']);
  if (!r.lines.some((l) => l.text.startsWith('deployed dev:'))) throw new Error(`benchling-deploy deploy did not say "deployed dev:":\n${r.lines.map((l) => l.text).join('\n')}`);
  return { ...r, calls: [...fake.calls.all] };
}

/** Splits one cdk process by the fake's call log: start-up, conversation (with waits), wind-down. */
function cdkSplit(run, calls) {
  // This process's own calls while cdk runs are the rollout watcher's (ECS); everything else is cdk's.
  const own = calls.filter((c) => c.at >= run.spawned && c.at <= run.exited && c.service !== 'ecs');
  if (own.length === 0) return { startup: run.exited - run.spawned, conversation: 0, waiting: 0, longestGap: 0, winddown: 0, calls: 0, ops: [], gaps: [] };
  const gaps = own.slice(1).map((c, i) => ({ ms: c.at - own[i].at, from: own[i].operation, to: c.operation }));
  const waits = gaps.filter((g) => g.ms >= WAIT_GAP_MS);
  return {
    startup: own[0].at - run.spawned,
    conversation: own.at(-1).at - own[0].at,
    waiting: waits.reduce((s, g) => s + g.ms, 0),
    longestGap: Math.max(0, ...gaps.map((g) => g.ms)),
    winddown: run.exited - own.at(-1).at,
    calls: own.length,
    ops: own.map((c) => `${c.service === 'cloudformation' ? '' : `${c.service}:`}${c.operation}`),
    gaps,
  };
}

/** Phases of one run from its marks (ms). */
function phases({ marks: t }) {
  const synth = t.synthEnd - t.synthStart;
  return {
    preflight: t.prepared - t.start - synth,
    synth,
    diff: t.diffed - t.prepared,
    deploy: t.recording - t.deploying,
    record: t.done - t.recording,
    other: t.deploying - t.diffed + (t.executed - t.done),
    total: t.executed - t.start,
  };
}

/** The CLI's output lines that mark its steps: the plan shown (pre-flight and synth done), the diff's changes shown, cdk deploy started, deployed. */
function cliSplit(r) {
  const at = (re) => r.lines.find((l) => re.test(l.text))?.at;
  const firstCall = r.calls[0]?.at;
  const plan = at(/^deploy: dev$/);
  const executing = at(/^cdk output: /);
  const deploying = at(/^deploying dev /);
  const deployed = at(/^deployed dev: /);
  return {
    startup: firstCall - r.started,
    prepare: plan - firstCall,
    diff: executing - plan,
    deploy: deployed - deploying,
    exit: r.exited - deployed,
    total: r.ms,
  };
}

const phaseDir = configDir('phases');
const cliDir = configDir('cli');
const bare = () => timed(process.execPath, ['-e', '0']).then((r) => r.ms);
const cdkVersion = () => timed(process.execPath, [cdkBin, '--version']).then((r) => r.ms);

const runs = { bare: [], cdkVersion: [], phases: [], cli: [] };
try {
  // Warm-up, not counted: the file cache, and a deploy.json in each folder as after a first deploy.
  await bare();
  await cdkVersion();
  await phaseRun(phaseDir);
  await cliRun(cliDir);
  for (let i = 0; i < RUNS; i++) {
    runs.bare.push(await bare());
    runs.cdkVersion.push(await cdkVersion());
    runs.phases.push(await phaseRun(phaseDir));
    runs.cli.push(await cliRun(cliDir));
  }
} finally {
  await fake.close();
  rmSync(work, { recursive: true, force: true });
  rmSync(dirname(project.assemblyDir), { recursive: true, force: true });
}

// ---- report ----
const bareMs = median(runs.bare);
const cdkVersionMs = median(runs.cdkVersion);
const ms = (v) => `${Math.round(v)}`.padStart(6) + ' ms';
const x = (v) => `${(v / bareMs).toFixed(1)}x`.padStart(7);
const medianOf = (rows, key) => median(rows.map((r) => r[key]));
const minOf = (rows, key) => Math.min(...rows.map((r) => r[key]));
const pct = (v, total) => `${Math.round((100 * v) / total)}%`.padStart(5);

const ph = runs.phases.map(phases);
const total = medianOf(ph, 'total');
const cdkPackageVersion = createRequire(cdkBin)('../package.json').version;
console.log(`deploy --environment dev --yes: real aws-cdk ${cdkPackageVersion} against the fake AWS, stack deployed, stepMs ${STEP_MS}, a new dev image tag each run`);
console.log(`measured in this run: every figure in the tables (medians of ${RUNS} runs after 1 warm-up; node -e 0, cdk --version, phase run and CLI run interleaved)`);
console.log('');
console.log(`baselines                                 median       min  x node -e 0`);
console.log(`  node -e 0                            ${ms(bareMs)} ${ms(Math.min(...runs.bare))}`);
console.log(`  cdk --version (loads the cdk CLI)    ${ms(cdkVersionMs)} ${ms(Math.min(...runs.cdkVersion))}       ${x(cdkVersionMs)}`);
console.log('');
console.log(`1. phases (src/infra/deploy.ts called in a fresh process per run)`);
console.log(`  phase                                   median       min  share  x node -e 0`);
const rows = [
  ['pre-flight', 'preflight', 'profiles, createDeployAws, prepareDeploy minus synth (the SDK loads here)'],
  ['synth', 'synth', 'synthesizeStackLazily: aws-cdk-lib loaded, stack built, assembly written'],
  ['diff', 'diff', 'diffPlan: one `cdk diff` process'],
  ['cdk deploy', 'deploy', "executeDeploy 'deploying' -> 'recording': one `cdk deploy` process"],
  ['record', 'record', "'recording' -> 'done': deploy.json written"],
  ['other', 'other', 'secret step (none here), plan disposed'],
];
for (const [label, key, what] of rows) {
  const v = medianOf(ph, key);
  console.log(`  ${label.padEnd(34)} ${ms(v)} ${ms(minOf(ph, key))} ${pct(v, total)} ${x(v)}   ${what}`);
}
console.log(`  ${'total'.padEnd(34)} ${ms(total)} ${ms(minOf(ph, 'total'))} ${pct(total, total)} ${x(total)}   (the total's own median, not the sum of the phases')`);
console.log('');

const splits = { diff: [], deploy: [] };
for (const r of runs.phases) for (const c of r.cdk) splits[c.name].push(cdkSplit(c, r.calls));
console.log(`  ${"inside the cdk processes (medians; times from the fake's call log)".padEnd(66)}  cdk diff cdk deploy`);
const cdkRows = [
  ['start-up: spawn -> first AWS call', 'startup'],
  ['AWS conversation: first -> last call', 'conversation'],
  [`  of which waiting (gaps >= ${WAIT_GAP_MS / 1000} s)`, 'waiting'],
  ['  longest gap between two calls', 'longestGap'],
  ['wind-down: last call -> exit', 'winddown'],
];
for (const [label, key] of cdkRows) console.log(`  ${label.padEnd(66)} ${ms(medianOf(splits.diff, key))} ${ms(medianOf(splits.deploy, key))}`);
console.log(`  ${'AWS calls'.padEnd(66)} ${`${medianOf(splits.diff, 'calls')}`.padStart(9)} ${`${medianOf(splits.deploy, 'calls')}`.padStart(9)}`);
const shown = runs.phases.at(-1).changes.filter((line) => /^\[.\] /.test(line));
console.log(`  what cdk diff showed (last run): ${shown.length} resources${shown.length > 0 ? ':' : ''}`);
for (const line of shown) console.log(`    ${line}`);
for (const name of ['diff', 'deploy']) {
  const last = splits[name].at(-1);
  console.log(`  cdk ${name}'s calls (last run): ${last.ops.join(', ')}`);
  const slow = last.gaps.filter((g) => g.ms >= 50).map((g) => `${g.from} -> ${g.to} ${g.ms} ms`);
  if (slow.length > 0) console.log(`    gaps >= 50 ms: ${slow.join('; ')}`);
}
console.log('');

const cs = runs.cli.map(cliSplit);
const cliTotal = medianOf(cs, 'total');
console.log(`2. the whole command: node bin/benchling-deploy.cjs --config-dir DIR deploy --environment dev --image-tag TAG --yes`);
console.log(`  step (ends when its output line arrives)   median       min  share  x node -e 0`);
const cliRows = [
  ['start-up: spawn -> first AWS call', 'startup'],
  ['pre-flight + synth -> plan printed', 'prepare'],
  ['cdk diff -> "cdk output:" printed', 'diff'],
  ['cdk deploy + record -> "deployed dev:"', 'deploy'],
  ['exit: "deployed dev:" -> exit', 'exit'],
];
for (const [label, key] of cliRows) {
  const v = medianOf(cs, key);
  console.log(`  ${label.padEnd(39)} ${ms(v)} ${ms(minOf(cs, key))} ${pct(v, cliTotal)} ${x(v)}`);
}
console.log(`  ${'whole command'.padEnd(39)} ${ms(cliTotal)} ${ms(minOf(cs, 'total'))} ${pct(cliTotal, cliTotal)} ${x(cliTotal)}`);
console.log(`  runs: ${runs.cli.map((r) => Math.round(r.ms)).join(', ')} ms (phase runs: ${ph.map((p) => p.total).join(', ')} ms)`);
console.log('');

// Arithmetic on the medians above; nothing here is measured on its own.
const startups = medianOf(splits.diff, 'startup') + medianOf(splits.deploy, 'startup');
const short = (v) => `${Math.round(v)} ms`;
const share = (v) => `${Math.round((100 * v) / total)}% of the phase total`;
console.log('derived from the medians above (not measured separately):');
console.log(`  cdk start-up, both processes: ${short(startups)}, ${share(startups)} (cdk --version alone: ${short(cdkVersionMs)})`);
console.log(`  the cdk diff process: ${short(medianOf(ph, 'diff'))}, ${share(medianOf(ph, 'diff'))}; of it, after its last AWS call: ${short(medianOf(splits.diff, 'winddown'))}`);
console.log(`  cdk waiting between its calls, both processes: ${short(medianOf(splits.diff, 'waiting') + medianOf(splits.deploy, 'waiting'))}`);
