import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, ROOT } from '../helpers/cli.js';
import { devProfile, prodProfile, SECRET, tempDir, writeJson } from '../helpers/fixtures.js';
import { cdkProcesses } from '../helpers/real-cdk.js';
import { TmuxTerminal, startFakeAwsProcess, type FakeAwsProcess } from '../helpers/tmux.js';
import { deployedScenario, STACK } from '../helpers/deployed.js';
import { synthProjectStack, type ProjectStack } from '../fake-aws/project-stack.js';
import type { FakeStack, Scenario } from '../fake-aws/scenario.js';

/**
 * The real `benchling-deploy` binary (dist/, built by `npm test`) in a real
 * terminal (tmux), against the fake AWS endpoint in its own process, whose
 * CloudFormation holds the stack synthesized from the test's profiles (seeded
 * as a deploy leaves it). Deploys, diffs and cancels run the real aws-cdk CLI
 * from node_modules. Waits read the screen until it shows what is expected.
 */

const PROD_PROFILE = { benchlingClientSecret: SECRET };
const DEV_PROFILE = { benchlingTenant: 'acme' };

let fake: FakeAwsProcess;
let project: ProjectStack;
beforeAll(async () => {
  [fake, project] = await Promise.all([startFakeAwsProcess(), synthProjectStack({ prod: PROD_PROFILE, dev: DEV_PROFILE, quiltValues: false })]);
});
afterAll(async () => fake?.stop());

/**
 * Puts the project's stack, deployed, into the fake: dev running `devTag`,
 * prod 0.7.0, a secret per environment, a few dev log lines; its
 * CloudFormation operations `stepMs` apart. Returns the stack as seeded.
 */
async function seed(options: { devTag?: string; stepMs?: number } = {}): Promise<FakeStack> {
  // Prod's workgroup as its Quilt stack says, so a plan changes only what the test changes.
  const scenario: Scenario = deployedScenario(project.template, { imageTags: options.devTag ? { dev: options.devTag } : {}, stepMs: options.stepMs ?? 0, parameters: { ProdAthenaWorkgroup: 'QuiltStack-UserAthenaWorkgroup' } });
  const stack = scenario.stacks[STACK];
  const now = Date.now();
  scenario.logGroups[stack.outputs.DevLogGroupName] = [
    { logStreamName: 'webhook/app/0123456789abcdef', timestamp: now - 120_000, message: 'INFO starting benchling-webhook (dev)' },
    { logStreamName: 'webhook/app/0123456789abcdef', timestamp: now - 60_000, message: 'INFO GET /health 200' },
  ];
  const answer = (await fake.control('PUT', '/__fake/scenario', scenario)) as { error?: string };
  if (answer.error) throw new Error(`the fake refused the scenario: ${answer.error}`);
  return stack;
}

/** The stack as the fake holds it now. */
async function fakeStack(): Promise<FakeStack> {
  return ((await fake.control('GET', '/__fake/scenario')) as Scenario).stacks[STACK];
}


let terminals: TmuxTerminal[] = [];
let configDirs: string[] = [];
beforeEach(async () => {
  await seed();
});
afterEach(() => {
  for (const t of terminals) t.kill();
  terminals = [];
  // A failed test may leave its cdk running: stop the ones this file started.
  for (const dir of configDirs) for (const pid of cdkProcesses(dir)) process.kill(pid, 'SIGKILL');
  configDirs = [];
});

function configDir(): string {
  const dir = tempDir('bd-e2e-');
  configDirs.push(dir);
  writeJson(dir, 'default.json', prodProfile(PROD_PROFILE));
  writeJson(dir, 'dev.json', devProfile(DEV_PROFILE));
  writeFileSync(
    join(dir, 'deploy.json'),
    `${JSON.stringify({ prod: { endpoint: 'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod', imageTag: '0.7.0', deployedAt: '2026-11-01T00:00:00.000Z', stackName: 'BenchlingWebhookStack', stage: 'prod', history: [{ imageTag: '0.6.9', deployedAt: '2026-10-01T00:00:00.000Z' }] } }, null, 2)}\n`,
  );
  return dir;
}

function dashboard(dir: string, env: Record<string, string> = {}, size?: { columns: number; rows: number }): TmuxTerminal {
  const t = new TmuxTerminal();
  terminals.push(t);
  const vars: Record<string, string> = {
    ...fake.env,
    HOME: tempDir('bd-e2e-home-'),
    TMPDIR: dir,
    CDK_DISABLE_CLI_TELEMETRY: 'true',
    ...env,
  };
  // An empty value means: not set at all.
  for (const [k, v] of Object.entries(vars)) if (v === '') delete vars[k];
  t.start(
    // The shell stays after the program: tmux reports a dead pane's cursor as hidden, a live one's as it is.
    `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} --config-dir ${JSON.stringify(dir)}; echo "EXIT=$?"; exec sleep 3600`,
    vars,
    size,
  );
  return t;
}

/** Both panels healthy, and the header showing the stack as seeded (one deploy: CREATE_COMPLETE). */
const bothHealthy = (s: string) => /> dev\s+healthy\s+1\/1 running/.test(s) && /prod\s+healthy\s+2\/2 running/.test(s) && /CREATE_COMPLETE/.test(s);

describe('the dashboard in a real terminal', { timeout: 240_000 }, () => {
  it('main screen, help, logs, promote plan, quit; the terminal is restored and no secret is shown', async () => {
    const dir = configDir();
    const t = dashboard(dir);
    const seen: string[] = [];
    // A capture can catch tmux part-way through drawing a frame: wait for its last row too (the footer).
    // The first poll's own frame, not its partial one (health first: `refreshing...` in the header while the rest is read).
    const main = await t.waitFor((s) => bothHealthy(s) && /q quit/.test(s) && !/refreshing\.\.\./.test(s), 'both environments healthy, the poll ended, and the footer');
    seen.push(main);
    expect(main).toMatch(/BenchlingWebhookStack\s+us-east-1\s+CREATE_COMPLETE\s+data \d+ s old\s+account 123456789012/);
    expect(main).toMatch(/deployed\s+0\.7\.0/);
    expect(t.pane().alternate).toBe(true);
    // The frame stays below the terminal's height: the footer on row 31 of 32, the last row empty.
    const rows = main.split('\n');
    expect(rows[30]).toMatch(/q quit/);
    expect(rows[31]).toBe('');

    t.send('?');
    seen.push(await t.waitFor((s) => /benchling-deploy: keys/.test(s) && /promote the image dev runs to prod/.test(s), 'help'));
    t.send('Escape');
    await t.waitFor((s) => /> dev/.test(s), 'back to the main screen');

    t.send('l');
    seen.push(await t.waitFor((s) => /logs dev/.test(s) && /INFO starting benchling-webhook \(dev\)/.test(s), 'dev log lines'));
    t.send('Escape');
    await t.waitFor((s) => /> dev/.test(s), 'back from logs');

    t.send('P');
    const promote = await t.waitFor((s) => /promote dev -> prod: 0\.7\.0 -> sha256:[0-9a-f]{12}…/.test(s) && /dev runs/.test(s) && /Type "prod" to confirm/.test(s), 'the promote plan, asked once its diff is in', 120_000);
    seen.push(promote);
    expect(promote).toMatch(/dev runs\s+latest = sha256:[0-9a-f]{64}/);
    // The real cdk diff: prod's task definition is replaced (its image pinned to dev's digest); nothing of dev changes.
    const diff = await t.waitFor((s) => /\[~\] AWS::ECS::TaskDefinition Prod\/TaskDefinition ProdTaskDefinition\w+ replace/.test(s), 'the diff', 120_000);
    seen.push(diff);
    expect(diff).not.toMatch(/Dev\/TaskDefinition|DevService/);
    t.send('Escape');
    await t.waitFor((s) => /> dev/.test(s), 'promote cancelled');

    t.send('q');
    await t.waitFor((s) => /EXIT=0/.test(s), 'the program to exit with 0');
    const pane = t.pane();
    expect(pane.alternate).toBe(false);
    expect(pane.cursor).toBe(true);
    for (const s of seen) expect(s).not.toContain(SECRET);
    // Nothing was deployed: deploy.json is as it was, and no lock is left.
    expect(JSON.parse(readFileSync(join(dir, 'deploy.json'), 'utf8')).dev).toBeUndefined();
    expect(existsSync(join(dir, 'deploy.json.lock'))).toBe(false);
  });

  it('deploys dev from the dashboard with live progress and records it', async () => {
    const seeded = await seed({ devTag: '0.0.9', stepMs: 0 });
    const dir = configDir();
    const t = dashboard(dir);
    await t.waitFor(bothHealthy, 'both environments healthy');
    t.send('d');
    await t.waitFor((s) => /deploy dev: 0\.0\.9 -> latest/.test(s) && /Deploy dev\? y\/N/.test(s), 'the dev plan', 120_000);
    t.send('y');
    const done = await t.waitFor((s) => /deployed dev: latest/.test(s), 'the deploy to finish', 120_000);
    // The resource events cdk printed while it ran, read from its output: dev's task definition replaced, its service updated.
    expect(done).toMatch(/UPDATE_COMPLETE\s+AWS::ECS::Service Dev\/Service\/Service \(DevServiceB35D2857\)/);
    expect(done).toMatch(/UPDATE_COMPLETE\s+AWS::ECS::TaskDefinition Dev\/TaskDefinition \(DevTaskDefinition\w+\)/);
    // cdk's own output, its tail as it printed it.
    expect(done).toContain(`BenchlingWebhookStack.ProdEndpoint = ${seeded.outputs.ProdEndpoint}`);
    expect(done).toContain(`endpoint: ${seeded.outputs.DevEndpoint}`);
    // cdk really deployed: the fake's stack runs dev at latest now.
    expect(await fakeStack()).toMatchObject({ status: 'UPDATE_COMPLETE', parameters: { DevImageTag: 'latest', ProdImageTag: seeded.parameters.ProdImageTag } });
    expect(JSON.parse(readFileSync(join(dir, 'deploy.json'), 'utf8')).dev).toMatchObject({ imageTag: 'latest', endpoint: seeded.outputs.DevEndpoint });
    t.send('Escape');
    await t.waitFor((s) => /> dev/.test(s) && /deployed\s+latest, \d+ s ago/.test(s), 'the last deploy in the dev panel');
    t.send('C-c');
    await t.waitFor((s) => /EXIT=0/.test(s), 'ctrl-c to quit with 0');
  });

  it('a running deploy: esc asks before cancelling; q asks, then cancels cdk and quits; deploy.json unchanged', async () => {
    // Steps 3 s apart: the update takes well over the time the keys below need.
    await seed({ devTag: '0.0.9', stepMs: 3_000 });
    const dir = configDir();
    const before = readFileSync(join(dir, 'deploy.json'), 'utf8');
    const t = dashboard(dir);
    await t.waitFor(bothHealthy, 'both environments healthy');
    t.send('d');
    await t.waitFor((s) => /Deploy dev\? y\/N/.test(s), 'the dev plan', 120_000);
    t.send('y');
    // cdk has executed its change set and shows the stack's first event.
    await t.waitFor((s) => /cdk deploy running/.test(s) && /UPDATE_IN_PROGRESS\s+AWS::CloudFormation::Stack BenchlingWebhookStack/.test(s), 'the deploy running', 120_000);
    const cdk = cdkProcesses(dir);
    expect(cdk).toHaveLength(1);
    t.send('Escape');
    await t.waitFor((s) => /Cancel the deploy\?/.test(s), 'the cancel question');
    t.send('n');
    await t.waitFor((s) => !/Cancel the deploy\?/.test(s) && /cdk deploy running/.test(s), 'still running');
    t.send('q');
    await t.waitFor((s) => /A deploy is running: quitting cancels it/.test(s), 'the quit question');
    // Still mid-deploy when the cancel is confirmed.
    expect((await fakeStack()).status).toBe('UPDATE_IN_PROGRESS');
    expect(cdkProcesses(dir)).toEqual(cdk);
    t.send('y');
    await t.waitFor((s) => /EXIT=0/.test(s), 'exit once cdk has stopped', 60_000);
    // No cdk left.
    expect(() => process.kill(cdk[0], 0)).toThrow();
    expect(cdkProcesses(dir)).toEqual([]);
    expect(readFileSync(join(dir, 'deploy.json'), 'utf8')).toBe(before);
    expect(existsSync(join(dir, 'deploy.json.lock'))).toBe(false);
  });

  it('draws the first frame before this thread loads the AWS SDK, aws-cdk-lib or execa; the SDK loads in its worker thread', async () => {
    const dir = configDir();
    const trace = join(dir, 'trace.log');
    const t = dashboard(dir, { NODE_OPTIONS: `--import ${join(ROOT, 'test', 'fixtures', 'trace-first-frame.mjs')}`, TRACE_FILE: trace });
    await t.waitFor(bothHealthy, 'both environments healthy');
    const events = readFileSync(trace, 'utf8').trim().split('\n');
    const frame = events.indexOf('FRAME');
    expect(frame).toBeGreaterThanOrEqual(0);
    // The SDK does load (the panels show what it read), in the worker thread of the dashboard's AWS clients,
    // which may come before the first frame: nothing of the SDK, aws-cdk-lib or execa on this thread before it.
    expect(events).toContain('WORKER IMPORT @aws-sdk/ (dist/sdk.cjs)');
    expect(events.slice(0, frame).filter((e) => !e.startsWith('WORKER '))).toEqual([]);
    t.send('q');
    await t.waitFor((s) => /EXIT=0/.test(s), 'exit');
  });

  it('SIGTERM leaves the alternate screen and shows the cursor', async () => {
    const t = dashboard(configDir());
    await t.waitFor(bothHealthy, 'both environments healthy');
    const shell = t.pane().pid;
    const [program] = readFileSync(`/proc/${shell}/task/${shell}/children`, 'utf8').trim().split(/\s+/).map(Number);
    process.kill(program, 'SIGTERM');
    await t.waitFor((s) => /EXIT=143/.test(s), 'the program to end with 143');
    const pane = t.pane();
    expect(pane.alternate).toBe(false);
    expect(pane.cursor).toBe(true);
  });

  it('redraws on resize, never taller than rows - 1; NO_COLOR draws no colour', async () => {
    // Wide enough for the panels side by side with their endpoints whole.
    const t = dashboard(configDir(), { NO_COLOR: '1' }, { columns: 160, rows: 32 });
    await t.waitFor(bothHealthy, 'both environments healthy');
    expect(t.screen()).toMatch(/\+\+/);
    expect(t.screenWithEscapes()).not.toMatch(/\u001b\[[0-9;]*3[0-7]m|\u001b\[38;/);
    t.resize(70, 20);
    const small = await t.waitFor((s) => !/\+\+/.test(s) && /> dev/.test(s) && /^tab select .*c cost\nt test  r refresh  \? help  q quit$/m.test(s), 'the stacked layout, footer drawn');
    const rows = small.split('\n');
    // The footer, every key with what it does, wrapped onto rows 18 and 19 of 20.
    expect(rows.findIndex((r) => /^tab select/.test(r))).toBe(17);
    expect(rows[18]).toBe('t test  r refresh  ? help  q quit');
    expect(rows[19]).toBe('');
    expect(rows.every((r) => [...r].length <= 70)).toBe(true);
  });

  it('colours with FORCE_COLOR', async () => {
    const t = dashboard(configDir(), { FORCE_COLOR: '1' });
    await t.waitFor(bothHealthy, 'both environments healthy');
    expect(t.screenWithEscapes()).toMatch(/\u001b\[[0-9;]*3[0-7]m|\u001b\[38;/);
  });

  it('no profile: the welcome screen asks for the prod profile', async () => {
    const t = dashboard(tempDir('bd-e2e-empty-'));
    await t.waitFor((s) => /Welcome to benchling-deploy/.test(s) && /Profile "default" \(prod\)/.test(s), 'the welcome screen');
    t.send('Escape');
    await t.waitFor((s) => /EXIT=0/.test(s), 'esc to quit the form');
    expect(t.pane().alternate).toBe(false);
  });

  it('a bad profile ends the dashboard with exit 2 and the error, naming file and field', async () => {
    const dir = configDir();
    writeJson(dir, 'default.json', prodProfile({ benchlingTenant: 'Not A Tenant', benchlingClientSecret: SECRET }));
    const t = dashboard(dir);
    const s = await t.waitFor((x) => /EXIT=2/.test(x), 'exit 2');
    expect(s).toMatch(/error: .*default\.json: benchlingTenant/);
    expect(s).not.toContain(SECRET);
    expect(t.pane().alternate).toBe(false);
  });

  it('a FIFO as the prod profile ends the dashboard at once with exit 2, naming it (reading it would wait forever, before any frame)', async () => {
    const dir = configDir();
    rmSync(join(dir, 'default.json'));
    spawnSync('mkfifo', [join(dir, 'default.json')]);
    const t = dashboard(dir);
    const s = await t.waitFor((x) => /EXIT=2/.test(x), 'exit 2', 15_000);
    expect(s).toMatch(/error: .*default\.json: a FIFO \(named pipe\), not a file/);
    expect(t.pane().alternate).toBe(false);
  });

  it('TERM=dumb (a terminal that cannot move its cursor): status once, as on a pipe, not the full screen', async () => {
    const t = dashboard(configDir(), { TERM: 'dumb' });
    const s = await t.waitFor((x) => /EXIT=\d/.test(x), 'status to end', 30_000);
    expect(s).toMatch(/^dev\s+dev\s+healthy/m);
    expect(s).toMatch(/^prod\s+default\s+healthy/m);
    expect(s).toMatch(/EXIT=0/);
    expect(t.pane().alternate).toBe(false);
  });

  it('no credentials: the panels say how to log in, and the dashboard keeps running', async () => {
    const t = dashboard(configDir(), { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: 'nobody-here', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' });
    const s = await t.waitFor((x) => /no usable credentials/.test(x), 'the credentials message', 90_000);
    expect(s).toMatch(/log in/);
    t.send('?');
    await t.waitFor((x) => /benchling-deploy: keys/.test(x), 'help still works');
  });
});
