import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN } from '../helpers/cli.js';
import { devProfile, prodProfile, tempDir, writeJson } from '../helpers/fixtures.js';
import { TmuxTerminal, startFakeAwsProcess, type FakeAwsProcess } from '../helpers/tmux.js';
import { deployedScenario, STACK } from '../helpers/deployed.js';
import { synthProjectStack, type ProjectStack } from '../fake-aws/project-stack.js';
import type { Scenario } from '../fake-aws/scenario.js';

/**
 * Team mode in the dashboard (the real binary in tmux, the fake AWS in its
 * own process): a laptop with no deploy.json of its own shows, in dev's
 * panel and in the history picker of `R`, the deploys another machine (a CI
 * role) recorded in the account, and who made them.
 */
const ACCOUNT = '123456789012';
const CI_ROLE = `arn:aws:sts::${ACCOUNT}:assumed-role/GitHubActionsDeploy/GitHubActions`;
const ALICE = `arn:aws:sts::${ACCOUNT}:assumed-role/Deployer/alice`;
const DEV_PARAM = `/benchling-webhook/${STACK}/dev/deployed`;

let fake: FakeAwsProcess;
let project: ProjectStack;
beforeAll(async () => {
  [fake, project] = await Promise.all([startFakeAwsProcess(), synthProjectStack({ prod: { imageTag: '0.7.10' }, dev: { benchlingTenant: 'acme' }, quiltValues: false })]);
});
afterAll(async () => fake?.stop());

let terminals: TmuxTerminal[] = [];
afterEach(async () => {
  for (const t of terminals) t.kill();
  terminals = [];
  await fake.control('DELETE', '/__fake/faults');
});

/** The account: dev runs 0.8.0, deployed by the CI role after alice's 0.7.10 (two versions of dev's parameter). */
async function seed(): Promise<void> {
  const scenario: Scenario = deployedScenario(project.template, { imageTags: { dev: '0.8.0', prod: '0.7.10' }, stepMs: 0 });
  const version = (n: number, value: object, at: string, by: string) => ({ version: n, value: JSON.stringify(value), tier: 'Standard', lastModifiedDate: at, lastModifiedUser: by });
  const endpoint = scenario.stacks[STACK].outputs.DevEndpoint;
  scenario.ssm = {
    [DEV_PARAM]: {
      name: DEV_PARAM,
      type: 'String',
      lastVersion: 2,
      versions: [
        version(1, { imageTag: '0.7.10', endpoint, deployedAt: '2026-11-20T10:00:00.000Z', deployedBy: ALICE, toolVersion: '0.1.0', operation: 'deploy', stackName: STACK }, '2026-11-20T10:00:00.000Z', ALICE),
        version(2, { imageTag: '0.8.0', endpoint, deployedAt: '2026-11-25T10:00:00.000Z', deployedBy: CI_ROLE, toolVersion: '0.1.0', operation: 'deploy', stackName: STACK }, '2026-11-25T10:00:00.000Z', CI_ROLE),
      ],
    },
  };
  const answer = (await fake.control('PUT', '/__fake/scenario', scenario)) as { error?: string };
  if (answer.error) throw new Error(`the fake refused the scenario: ${answer.error}`);
}

function dashboard(dir: string): TmuxTerminal {
  const t = new TmuxTerminal();
  terminals.push(t);
  t.start(`${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} --config-dir ${JSON.stringify(dir)}; echo "EXIT=$?"; exec sleep 3600`, { ...fake.env, HOME: tempDir('bd-e2e-home-'), TMPDIR: dir }, { columns: 120, rows: 40 });
  return t;
}

function laptop(): string {
  const dir = tempDir('bd-e2e-team-');
  writeJson(dir, 'default.json', prodProfile({ imageTag: '0.7.10' }));
  writeJson(dir, 'dev.json', devProfile({ benchlingTenant: 'acme' }));
  return dir;
}

describe('team mode in the dashboard', { timeout: 120_000 }, () => {
  it("dev's panel and R's history list show the account's deploys and who made them; deploy.json becomes their mirror", async () => {
    await seed();
    const dir = laptop();
    const t = dashboard(dir);
    const main = await t.waitFor((s) => /deployed\s+0\.8\.0, \d+ d ago by assumed-role\/GitHubActionsDeploy\/GitHubActions/.test(s), "dev's last deploy, by the CI role");
    expect(main).not.toMatch(/team records off/);
    t.send('R');
    const list = await t.waitFor((s) => /roll dev back: choose the image to go back to/.test(s) && /^> 0\.7\.10 /m.test(s), "dev's history from the account");
    expect(list).toMatch(/^ {2}0\.8\.0\s+2026-11-25T10:00:00Z \(\d+ d ago\)\s+by assumed-role\/GitHubActionsDeploy\/GitHubActions\s+<- running$/m);
    expect(list).toMatch(/^> 0\.7\.10\s+2026-11-20T10:00:00Z \(\d+ d ago\)\s+by assumed-role\/Deployer\/alice$/m);
    t.send('Escape');
    const records = JSON.parse(readFileSync(join(dir, 'deploy.json'), 'utf8'));
    expect(records.dev).toMatchObject({ imageTag: '0.8.0', deployedBy: CI_ROLE, history: [{ imageTag: '0.7.10', deployedBy: ALICE }] });
  });

  it('without SSM permission the banner says so once, naming the actions and the path; the panels show the local records', async () => {
    await seed();
    await fake.control('POST', '/__fake/faults', { kind: 'access-denied', service: 'ssm' });
    const dir = laptop();
    const t = dashboard(dir);
    const screen = await t.waitFor((s) => /team records off/.test(s) && /> dev\s+healthy/.test(s), 'the notice');
    const flat = screen.replace(/\n\s*/g, ' ');
    expect(flat).toContain('ssm:GetParameter, ssm:GetParameters, ssm:GetParameterHistory, ssm:PutParameter, ssm:DeleteParameter');
    // The banner wraps where the width ends, inside the ARN too.
    expect(screen.replace(/\n\s*/g, '')).toContain(`arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/benchling-webhook/${STACK}/*`);
    expect(screen.match(/team records off/g)).toHaveLength(1);
    expect(screen).toMatch(/deployed\s+never \(no deploy\.json record\)/);
    expect(existsSync(join(dir, 'deploy.json'))).toBe(false);
  });
});
