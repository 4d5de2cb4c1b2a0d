import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN } from '../helpers/cli.js';
import { devProfile, prodProfile, SECRET, tempDir, writeJson } from '../helpers/fixtures.js';
import { cdkProcesses } from '../helpers/real-cdk.js';
import { TmuxTerminal, startFakeAwsProcess, type FakeAwsProcess } from '../helpers/tmux.js';
import { deployedScenario, STACK } from '../helpers/deployed.js';
import { synthProjectStack, type ProjectStack } from '../fake-aws/project-stack.js';
import type { Scenario } from '../fake-aws/scenario.js';

/**
 * The dashboard's flows in a real terminal (tmux) at 80x24 and 120x40: the
 * history list of `R`, a rollback plan that is not asked before its changes
 * are known, and a failed diff shown with its reason and log file. The real
 * `benchling-deploy` (dist/) runs the real cdk from node_modules against the
 * fake AWS in its own process.
 */

const PROD_PROFILE = { benchlingClientSecret: SECRET };
const DEV_PROFILE = { benchlingTenant: 'acme' };

let fake: FakeAwsProcess;
let project: ProjectStack;
beforeAll(async () => {
  [fake, project] = await Promise.all([startFakeAwsProcess(), synthProjectStack({ prod: PROD_PROFILE, dev: DEV_PROFILE, quiltValues: false })]);
});
afterAll(async () => fake?.stop());

/** Prod runs 0.7.1; every change set takes `changeSetDelayMs` to be created (cdk diff waits for it). */
async function seed(changeSetDelayMs: number): Promise<void> {
  const scenario: Scenario = deployedScenario(project.template, { imageTags: { prod: '0.7.1' }, stepMs: 0 });
  scenario.cfn = { ...scenario.cfn, changeSetDelayMs };
  const answer = (await fake.control('PUT', '/__fake/scenario', scenario)) as { error?: string };
  if (answer.error) throw new Error(`the fake refused the scenario: ${answer.error}`);
}

const DEPLOY_JSON = {
  prod: {
    endpoint: 'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod',
    imageTag: '0.7.1',
    deployedAt: '2026-11-20T00:00:00.000Z',
    stackName: STACK,
    stage: 'prod',
    history: [
      { imageTag: '0.7.0', deployedAt: '2026-11-10T00:00:00.000Z' },
      { imageTag: '0.7.1', deployedAt: '2026-11-05T00:00:00.000Z' },
      { imageTag: '0.6.9', deployedAt: '2026-11-01T00:00:00.000Z' },
    ],
  },
};

let terminals: TmuxTerminal[] = [];
let dirs: string[] = [];
afterEach(async () => {
  for (const t of terminals) t.kill();
  terminals = [];
  await fake.control('DELETE', '/__fake/faults');
  // A failed test may leave its cdk running: stop the ones started for its config folder.
  for (const dir of dirs) for (const pid of cdkProcesses(dir)) process.kill(pid, 'SIGKILL');
  dirs = [];
});


function configDir(): string {
  const dir = tempDir('bd-e2e-flows-');
  dirs.push(dir);
  writeJson(dir, 'default.json', prodProfile({ ...PROD_PROFILE, imageTag: '0.7.1' }));
  writeJson(dir, 'dev.json', devProfile(DEV_PROFILE));
  writeFileSync(join(dir, 'deploy.json'), `${JSON.stringify(DEPLOY_JSON, null, 2)}\n`);
  return dir;
}

function dashboard(dir: string, size: { columns: number; rows: number }): TmuxTerminal {
  const t = new TmuxTerminal();
  terminals.push(t);
  t.start(
    `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} --config-dir ${JSON.stringify(dir)}; echo "EXIT=$?"; exec sleep 3600`,
    { ...fake.env, HOME: tempDir('bd-e2e-home-'), TMPDIR: dir, CDK_DISABLE_CLI_TELEMETRY: 'true' },
    size,
  );
  return t;
}

/** Every row within the width, the last row left empty (the frame is at most rows - 1 high). */
function fits(screen: string, size: { columns: number; rows: number }): void {
  const rows = screen.split('\n');
  expect(rows.every((r) => [...r].length <= size.columns)).toBe(true);
  expect(rows[size.rows - 1] ?? '').toBe('');
}

const SIZES = [
  { columns: 80, rows: 24 },
  { columns: 120, rows: 40 },
  { columns: 200, rows: 50 },
];

/** `12 s`, `3 min`, `2 h` as seconds. */
function seconds(age: string): number {
  const [n, unit] = age.split(' ');
  return Number(n) * (unit === 's' ? 1 : unit === 'min' ? 60 : unit === 'h' ? 3600 : 86_400);
}

describe('dashboard flows in a real terminal', { timeout: 300_000 }, () => {
  for (const size of SIZES) {
    it(`${size.columns}x${size.rows}: R lists prod's history; the chosen image's plan is not asked before its diff; a failed diff says why and where the log is`, async () => {
      await seed(8_000);
      const dir = configDir();
      const before = readFileSync(join(dir, 'deploy.json'), 'utf8');
      const t = dashboard(dir, size);
      await t.waitFor((s) => /> dev\s+healthy/.test(s) && /prod\s+healthy/.test(s) && /q quit|\? q$/m.test(s), 'both environments healthy');

      // The history list: newest first, the running image marked, the newest other image highlighted.
      t.send('2');
      t.send('R');
      const list = await t.waitFor((s) => /roll prod back: choose the image to go back to/.test(s) && /^> 0\.7\.0 /m.test(s), 'the history list');
      expect(list).toMatch(/^ {2}0\.7\.1\s+2026-11-20T00:00:00Z \(\d+ d ago\)\s+<- running$/m);
      expect(list).toMatch(/^ {2}0\.7\.1\s+2026-11-05T00:00:00Z \(\d+ d ago\)\s+<- running$/m);
      expect(list).toMatch(/^ {2}0\.6\.9\s+2026-11-01T00:00:00Z/m);
      fits(list, size);
      // Keys go to the reducer: up onto the running image, enter says why nothing happens.
      t.send('Up');
      await t.waitFor((s) => /^> 0\.7\.1\s.*<- running$/m.test(s), 'the highlight on the running image');
      t.send('Enter');
      await t.waitFor((s) => /0\.7\.1 is the image prod runs now; choose an earlier one/.test(s), 'why the running image cannot be chosen');
      t.send('Down');
      await t.waitFor((s) => /^> 0\.7\.0 /m.test(s), 'the highlight back on 0.7.0');
      t.send('Enter');

      // The plan: while cdk diff waits for its change set, no question, and the word typed does nothing.
      const computing = await t.waitFor((s) => /rollback prod: 0\.7\.1 -> 0\.7\.0/.test(s) && /changes: computing \(cdk diff\)…/.test(s), 'the rollback plan, diff running', 120_000);
      expect(computing).toMatch(/the question comes once the changes are known; esc cancels/);
      expect(computing).not.toMatch(/Type "prod"|y\/N/);
      fits(computing, size);
      t.send('prod', { literal: true });
      t.send('Enter');
      const asked = await t.waitFor((s) => /Type "prod" to confirm, enter to run:/.test(s), 'the question once the diff is in', 120_000);
      // Nothing was typed into it, nothing runs.
      expect(asked).toMatch(/Type "prod" to confirm, enter to run:$/m);
      expect(asked).not.toMatch(/cdk deploy running/);
      expect(asked).toMatch(/changes:/);
      fits(asked, size);
      t.send('Escape');
      await t.waitFor((s) => /> prod/.test(s) && !/rollback prod/.test(s), 'back to the main screen');

      // A deploy of dev whose diff fails: the reason, the log file, then a choice.
      await fake.control('POST', '/__fake/faults', { service: 'cloudformation', operation: 'CreateChangeSet', kind: 'expired-credentials' });
      t.send('1');
      t.send('d');
      const failed = await t.waitFor((s) => /Deploy dev without knowing the changes\? y\/N/.test(s), 'the failed diff and the question', 120_000);
      expect(failed).toMatch(/changes: could not be computed: cdk diff failed \(exit 1\)/);
      // The path on lines of its own (split at the width when longer: 80 columns).
      const path = /the full cdk output is in:\n((?: {2}\S+\n)+)/.exec(failed)?.[1].replace(/\s+/g, '');
      expect(path).toMatch(/\/logs\/cdk-[^/]*deploy-dev[^/]*\.log$/);
      expect(existsSync(path!)).toBe(true);
      expect(failed).not.toContain(SECRET);
      fits(failed, size);
      t.send('n');
      await t.waitFor((s) => /> dev/.test(s) && !/without knowing/.test(s), 'cancelled, back to the main screen');
      expect(readFileSync(join(dir, 'deploy.json'), 'utf8')).toBe(before);
      t.send('q');
      await t.waitFor((s) => /EXIT=0/.test(s), 'exit 0');
      expect(existsSync(join(dir, 'deploy.json.lock'))).toBe(false);
    });
  }

  for (const size of SIZES) {
    it(`${size.columns}x${size.rows}: h shows the history only; esc clears a logs filter being typed; under an AWS error the header's age is that of the oldest data shown`, async () => {
      await seed(0);
      const dir = configDir();
      const t = dashboard(dir, size);
      await t.waitFor((s) => /> dev\s+healthy/.test(s) && /prod\s+healthy/.test(s), 'both environments healthy');

      t.send('2');
      t.send('h');
      const history = await t.waitFor((s) => /history of prod \(deploy\.json\), newest first/.test(s), "prod's history");
      expect(history).not.toMatch(/roll prod back|Type "prod"|y\/N/);
      fits(history, size);
      t.send('Enter');
      await new Promise((r) => setTimeout(r, 500));
      expect(t.screen()).not.toMatch(/rollback prod:|changes: computing/);
      t.send('Escape');
      await t.waitFor((s) => /> prod/.test(s) && !/history of prod/.test(s), 'back to the main screen');

      t.send('1');
      t.send('l');
      await t.waitFor((s) => /^logs dev/m.test(s), 'the logs of dev');
      t.send('/');
      t.send('ERR', { literal: true });
      await t.waitFor((s) => /filter: ERR▏/.test(s), 'the filter being typed');
      t.send('Escape');
      const cleared = await t.waitFor((s) => !/filter: ERR|filter "ERR"/.test(s) && /^logs dev/m.test(s), 'the filter cleared, the logs still open');
      expect(cleared).not.toMatch(/no line matches/);
      t.send('Escape');
      await t.waitFor((s) => /> dev/.test(s) && !/^logs dev/m.test(s), 'back to the main screen');

      // Credentials expire: no new data comes, and the header's age says how old what is shown is, never "0 s".
      await fake.control('POST', '/__fake/faults', { service: 'ecs', operation: 'DescribeServices', kind: 'expired-credentials' });
      const expired = Date.now();
      await t.waitFor((s) => /no usable credentials/.test(s), 'the panels saying the credentials are not usable', 60_000);
      await new Promise((r) => setTimeout(r, 6_000));
      const failing = t.screen();
      const header = seconds(/data (\d+ (?:s|min|h)) old/.exec(failing.split('\n')[0])![1]);
      expect(header).toBeGreaterThanOrEqual(Math.floor((Date.now() - expired) / 1000) - 1);
      expect(header).toBeGreaterThanOrEqual(5);
      fits(failing, size);
      t.send('q');
      await t.waitFor((s) => /EXIT=0/.test(s), 'exit 0');
    });
  }
});
