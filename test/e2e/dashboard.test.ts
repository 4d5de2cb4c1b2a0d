import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BIN, ROOT } from '../helpers/cli.js';
import { devProfile, prodProfile, SECRET, tempDir, writeJson } from '../helpers/fixtures.js';
import { TmuxTerminal, startFakeAwsProcess, type FakeAwsProcess } from '../helpers/tmux.js';
import { CDK_BIN_OVERRIDE_ENV } from '../../src/infra/runner.js';

/**
 * The real `benchling-deploy` binary (dist/, built by `npm test`) in a real
 * terminal (tmux), against the fake AWS endpoint in its own process and a
 * stand-in cdk. Waits read the screen until it shows what is expected.
 */

const FAKE_CDK = fileURLToPath(new URL('../fixtures/fake-cdk.mjs', import.meta.url));

let fake: FakeAwsProcess;
beforeAll(async () => {
  fake = await startFakeAwsProcess();
});
afterAll(async () => fake?.stop());

let terminals: TmuxTerminal[] = [];
afterEach(() => {
  for (const t of terminals) t.kill();
  terminals = [];
});

function configDir(): string {
  const dir = tempDir('bd-e2e-');
  writeJson(dir, 'default.json', prodProfile({ benchlingClientSecret: SECRET }));
  writeJson(dir, 'dev.json', devProfile({ benchlingTenant: 'acme' }));
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
    [CDK_BIN_OVERRIDE_ENV]: FAKE_CDK,
    FAKE_CDK_OUTPUTS: JSON.stringify({ DevEndpoint: 'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/dev' }),
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

const bothHealthy = (s: string) => /> dev\s+healthy\s+1\/1 running/.test(s) && /prod\s+healthy\s+2\/2 running/.test(s) && /UPDATE_COMPLETE/.test(s);

describe('the dashboard in a real terminal', { timeout: 240_000 }, () => {
  it('main screen, help, logs, promote plan, quit; the terminal is restored and no secret is shown', async () => {
    const dir = configDir();
    const t = dashboard(dir);
    const seen: string[] = [];
    // A capture can catch tmux part-way through drawing a frame: wait for its last row too (the footer).
    const main = await t.waitFor((s) => bothHealthy(s) && /q quit/.test(s), 'both environments healthy, and the footer');
    seen.push(main);
    expect(main).toMatch(/BenchlingWebhookStack\s+us-east-1\s+UPDATE_COMPLETE\s+data \d+ s old\s+account 123456789012/);
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
    const promote = await t.waitFor((s) => /promote dev -> prod: 0\.7\.0 -> sha256:[0-9a-f]{12}…/.test(s) && /dev runs/.test(s) && /Type "prod" to confirm/.test(s), 'the promote plan');
    seen.push(promote);
    expect(promote).toMatch(/dev runs\s+latest = sha256:[0-9a-f]{64}/);
    seen.push(await t.waitFor((s) => /\[~\] AWS::ECS::TaskDefinition DevTaskDefinition/.test(s), 'the diff'));
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
    const dir = configDir();
    const t = dashboard(dir);
    await t.waitFor(bothHealthy, 'both environments healthy');
    t.send('d');
    await t.waitFor((s) => /deploy dev: latest -> latest/.test(s) && /Deploy dev\? y\/N/.test(s), 'the dev plan', 120_000);
    t.send('y');
    await t.waitFor((s) => /deployed dev: latest/.test(s), 'the deploy to finish', 120_000);
    expect(JSON.parse(readFileSync(join(dir, 'deploy.json'), 'utf8')).dev).toMatchObject({ imageTag: 'latest', endpoint: 'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/dev' });
    t.send('Escape');
    await t.waitFor((s) => /> dev/.test(s) && /deployed\s+latest, 0 s ago|deployed\s+latest, \d+ s ago/.test(s), 'the last deploy in the dev panel');
    t.send('C-c');
    await t.waitFor((s) => /EXIT=0/.test(s), 'ctrl-c to quit with 0');
  });

  it('a running deploy: esc asks before cancelling; q asks, then cancels cdk and quits; deploy.json unchanged', async () => {
    const dir = configDir();
    const before = readFileSync(join(dir, 'deploy.json'), 'utf8');
    const pidFile = join(dir, 'cdk.pid');
    const t = dashboard(dir, { FAKE_CDK_MODE: 'hang', FAKE_CDK_PID_FILE: pidFile });
    await t.waitFor(bothHealthy, 'both environments healthy');
    t.send('d');
    await t.waitFor((s) => /Deploy dev\? y\/N/.test(s), 'the dev plan', 120_000);
    t.send('y');
    await t.waitFor((s) => /cdk deploy running/.test(s) && /deploying\.\.\. \[1\/1\]/.test(s), 'the deploy running');
    t.send('Escape');
    await t.waitFor((s) => /Cancel the deploy\?/.test(s), 'the cancel question');
    t.send('n');
    await t.waitFor((s) => !/Cancel the deploy\?/.test(s) && /cdk deploy running/.test(s), 'still running');
    t.send('q');
    await t.waitFor((s) => /A deploy is running: quitting cancels it/.test(s), 'the quit question');
    t.send('y');
    await t.waitFor((s) => /EXIT=0/.test(s), 'exit once cdk has stopped', 60_000);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(() => process.kill(pid, 0)).toThrow();
    expect(readFileSync(join(dir, 'deploy.json'), 'utf8')).toBe(before);
    expect(existsSync(join(dir, 'deploy.json.lock'))).toBe(false);
  });

  it('draws the first frame before the AWS SDK, aws-cdk-lib or execa is loaded', async () => {
    const dir = configDir();
    const trace = join(dir, 'trace.log');
    const t = dashboard(dir, { NODE_OPTIONS: `--import ${join(ROOT, 'test', 'fixtures', 'trace-first-frame.mjs')}`, TRACE_FILE: trace });
    await t.waitFor(bothHealthy, 'both environments healthy');
    const events = readFileSync(trace, 'utf8').trim().split('\n');
    const frame = events.indexOf('FRAME');
    expect(frame).toBeGreaterThanOrEqual(0);
    // The SDK does load (the panels show what it read), but only after the first frame.
    expect(events.some((e) => e.startsWith('IMPORT @aws-sdk/'))).toBe(true);
    expect(events.slice(0, frame)).toEqual([]);
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
    const t = dashboard(configDir(), { NO_COLOR: '1' });
    await t.waitFor(bothHealthy, 'both environments healthy');
    expect(t.screen()).toMatch(/\+\+/);
    expect(t.screenWithEscapes()).not.toMatch(/\u001b\[[0-9;]*3[0-7]m|\u001b\[38;/);
    t.resize(70, 20);
    const small = await t.waitFor((s) => !/\+\+/.test(s) && /> dev/.test(s) && /^tab .*\? .*q/m.test(s), 'the stacked layout, footer drawn');
    const rows = small.split('\n');
    // The footer, every key still there, on row 19 of 20.
    expect(rows.findIndex((r) => /^tab .*\? .*q/.test(r))).toBe(18);
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

  it('no credentials: the panels say how to log in, and the dashboard keeps running', async () => {
    const t = dashboard(configDir(), { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: 'nobody-here', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' });
    const s = await t.waitFor((x) => /no usable credentials/.test(x), 'the credentials message', 90_000);
    expect(s).toMatch(/log in/);
    t.send('?');
    await t.waitFor((x) => /benchling-deploy: keys/.test(x), 'help still works');
  });
});
