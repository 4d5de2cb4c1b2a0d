import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, ROOT } from '../helpers/cli.js';
import { devProfile, prodProfile, tempDir, writeJson } from '../helpers/fixtures.js';
import { TmuxTerminal, startFakeAwsProcess, type FakeAwsProcess } from '../helpers/tmux.js';
import { deployedScenario, STACK } from '../helpers/deployed.js';
import { synthProjectStack, type ProjectStack } from '../fake-aws/project-stack.js';
import { crashTasks, type Scenario } from '../fake-aws/scenario.js';
import { seedEnvironmentMetrics } from '../fake-aws/services/cloudwatch.js';

/**
 * The README's pictures of the dashboard are the product's own output: this
 * file drives the real binary in tmux at 120x40 against the fake AWS into four
 * states (healthy, degraded, a deploy in progress, logs) and compares each
 * screen with the README's capture of it. `npm run screens` (this file with
 * UPDATE_README_SCREENS=1) writes the captures into the README instead.
 *
 * Compared with the fields that change by themselves blanked (ids AWS makes
 * up, digests, ages, clock times): the words, counts and layout may not
 * change. A deploy in progress shows whichever events cdk has printed so far,
 * so its capture is held to its plan, progress and footer rows.
 */

const SIZE = { columns: 120, rows: 40 };
const README = join(ROOT, 'README.md');
const UPDATE = process.env.UPDATE_README_SCREENS === '1';
const PROD_PROFILE = { imageTag: '0.7.10' };
const DEV_PROFILE = { benchlingTenant: 'acme' };

let fake: FakeAwsProcess;
let project: ProjectStack;
beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist', 'cli.js'))) throw new Error('dist/cli.js is missing: run `npm run build` first (npm test does)');
  [fake, project] = await Promise.all([startFakeAwsProcess(), synthProjectStack({ prod: PROD_PROFILE, dev: DEV_PROFILE, quiltValues: false })]);
});
afterAll(async () => fake?.stop());

let terminals: TmuxTerminal[] = [];
afterEach(() => {
  for (const t of terminals) t.kill();
  terminals = [];
});

async function seed(change: (s: Scenario) => void = () => {}, options: { devTag?: string; stepMs?: number } = {}): Promise<void> {
  // The sparklines count by the clock's minute: seeded in one minute and drawn in the next, the
  // picture moves one column. Near a minute's end, wait for the next (at most 10 s).
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 50_000) await new Promise((resolve) => setTimeout(resolve, 60_000 - intoMinute + 100));
  const scenario = deployedScenario(project.template, { imageTags: options.devTag ? { dev: options.devTag } : {}, stepMs: options.stepMs ?? 0 });
  const stack = scenario.stacks[STACK];
  const now = Date.now();
  scenario.logGroups[stack.outputs.DevLogGroupName] = [
    { logStreamName: 'webhook/app/0123456789abcdef', timestamp: now - 180_000, message: 'INFO starting benchling-webhook (dev)' },
    { logStreamName: 'webhook/app/0123456789abcdef', timestamp: now - 120_000, message: 'INFO GET /health 200' },
    { logStreamName: 'webhook/app/0123456789abcdef', timestamp: now - 60_000, message: 'INFO POST /event 200 (entry etr_4f2a: package queued)' },
  ];
  // An ordinary hour: steady traffic with a daily rhythm's slope, a 5xx blip, CPU and memory well below their reservation.
  const hour = (f: (i: number) => number) => Array.from({ length: 60 }, (_, i) => Math.round(f(i) * 10) / 10);
  for (const [env, scale] of [['dev', 0.1], ['prod', 1]] as const) {
    seedEnvironmentMetrics(scenario, env, {
      now: new Date(now),
      requests: hour((i) => scale * (240 + 60 * Math.sin(i / 9) - i)),
      errors5xx: hour((i) => (env === 'prod' && (i === 17 || i === 18) ? 2 : 0)),
      latencyMs: hour((i) => 180 + 40 * Math.sin(i / 5)),
      cpu: hour((i) => scale * 100 * (0.22 + 0.08 * Math.sin(i / 7))),
      memory: hour(() => (env === 'prod' ? 48 : 41)),
    });
  }
  change(scenario);
  const answer = (await fake.control('PUT', '/__fake/scenario', scenario)) as { error?: string };
  if (answer.error) throw new Error(`the fake refused the scenario: ${answer.error}`);
}

function dashboard(): TmuxTerminal {
  const dir = tempDir('bd-screens-');
  writeJson(dir, 'default.json', prodProfile(PROD_PROFILE));
  writeJson(dir, 'dev.json', devProfile(DEV_PROFILE));
  writeFileSync(
    join(dir, 'deploy.json'),
    `${JSON.stringify({ prod: { endpoint: 'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod', imageTag: '0.7.10', deployedAt: '2026-11-20T09:30:00.000Z', stackName: STACK, stage: 'prod', history: [{ imageTag: '0.7.2', deployedAt: '2026-10-01T00:00:00.000Z' }] } }, null, 2)}\n`,
    { mode: 0o600 },
  );
  const t = new TmuxTerminal();
  terminals.push(t);
  t.start(`${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} --config-dir ${JSON.stringify(dir)}; exec sleep 3600`, { ...fake.env, HOME: tempDir('bd-screens-home-'), TMPDIR: dir, CDK_DISABLE_CLI_TELEMETRY: 'true' }, SIZE);
  return t;
}

/**
 * What may not change between two runs: everything but the fields that
 * change by themselves (ids AWS makes up, digests, zones, ages, clock times), which
 * are blanked; spaces folded, trailing blank rows dropped. Counts, capacities,
 * tags and words are compared as they are.
 */
function comparable(screen: string): string {
  return screen
    .replace(/https:\/\/[a-z0-9]+\.execute-api/g, 'https://API.execute-api')
    // CloudFormation's generated names end in 12 random characters.
    .replace(/-[A-Za-z0-9]{12}\b/g, '-RANDOM')
    .replace(/sha256:[0-9a-f]+…?/g, 'sha256:DIGEST')
    // The zone a task landed in.
    .replace(/\b([a-z]{2}-[a-z]+-\d)[a-f]\b/g, '$1ZONE')
    .replace(/\b\d{4}-\d{2}-\d{2}T[\d:.]+Z\b/g, 'ISO-TIME')
    .replace(/\b\d{1,2}:\d{2}(:\d{2})?(\s?[AP]M)?\b/g, 'TIME')
    // Task, deployment and event ids: hexadecimal, or long decimal.
    .replace(/\b(?=[0-9a-f]*\d)[0-9a-f]{8,}\b/g, 'ID')
    .replace(/\b\d+(\.\d+)? ?(ms|s|m|h|d)\b/g, 'AGE')
    .replace(/[ \t]+/g, ' ')
    .replace(/ $/gm, '')
    .replace(/\n+$/, '');
}

const block = (name: string) => new RegExp(`(<!-- screen:${name} -->\\n\`\`\`text\\n)([\\s\\S]*?)(\\n\`\`\`\\n<!-- /screen -->)`);

/** The README's capture of a screen; with UPDATE_README_SCREENS=1, the README gets `screen` instead. */
function readmeScreen(name: string, screen: string): string {
  const text = readFileSync(README, 'utf8');
  const m = block(name).exec(text);
  if (!m) throw new Error(`README.md has no <!-- screen:${name} --> block`);
  if (UPDATE) {
    writeFileSync(README, text.replace(block(name), (_all, open: string, _old: string, close: string) => `${open}${screen.replace(/\n+$/, '')}${close}`));
    return screen;
  }
  return m[2];
}

const bothHealthy = (s: string) => /dev\s+healthy/.test(s) && /prod\s+healthy/.test(s) && /CREATE_COMPLETE/.test(s);
/**
 * The screen once the dashboard's first poll has ended (it shows health first, then reads the rest): the
 * selected environment's running tasks show, and with them the sparklines. A picture taken at the first
 * health would be either screen, by the machine's speed.
 */
const complete = (s: string) => /running tasks \(read/.test(s);

describe("the README's pictures are the dashboard's real output at 120x40", { timeout: 240_000 }, () => {
  it('healthy', async () => {
    await seed();
    const t = dashboard();
    const screen = await t.waitFor((s) => bothHealthy(s) && complete(s), 'both environments healthy, with their sparklines');
    expect(comparable(readmeScreen('healthy', screen))).toBe(comparable(screen));
  });

  it('degraded: prod runs one task of two, the other stopped', async () => {
    await seed((s) => crashTasks(s, 'prod', { running: 1, reason: 'Essential container in task exited', exitCode: 1 }));
    const t = dashboard();
    const screen = await t.waitFor((s) => /prod\s+degraded/.test(s) && /dev\s+healthy/.test(s) && complete(s), 'prod degraded, with the sparklines');
    expect(comparable(readmeScreen('degraded', screen))).toBe(comparable(screen));
  });

  it('logs of dev', async () => {
    await seed();
    const t = dashboard();
    await t.waitFor(bothHealthy, 'both environments healthy');
    t.send('l');
    const screen = await t.waitFor((s) => /POST \/event 200/.test(s) && /live tail/.test(s), 'the dev log lines, live');
    // The header row says when the stack was last read, which depends on when the poll fell: the rest is compared.
    const body = (s: string) => comparable(s).split('\n').slice(1).join('\n');
    expect(body(readmeScreen('logs', screen))).toBe(body(screen));
  });

  it('a deploy of dev in progress', async () => {
    await seed(() => {}, { devTag: '0.9.7', stepMs: 2_000 });
    const t = dashboard();
    await t.waitFor(bothHealthy, 'both environments healthy');
    t.send('d');
    await t.waitFor((s) => /Deploy dev\? y\/N/.test(s), 'the dev plan', 120_000);
    t.send('y');
    // The README's picture shows the rollout line too, read on the first refresh after cdk starts.
    const screen = await t.waitFor((s) => /UPDATE_IN_PROGRESS/.test(s) && /rollout /.test(s), 'the deploy under way, its rollout read', 120_000);
    const shown = readmeScreen('deploy', screen);
    // The plan's line, cdk's state, the resource count and the footer are compared; the events are those cdk printed so far.
    const stable = (s: string) => {
      const rows = comparable(s).split('\n');
      return [rows[1], rows[2], rows[3].replace(/\d+\/\d+$/, 'N/N'), rows.at(-1)];
    };
    expect(stable(shown)).toEqual(stable(screen));
    for (const s of [shown, screen]) {
      expect(s).toMatch(/deploy dev: 0\.9\.7 -> latest/);
      expect(s).toMatch(/UPDATE_IN_PROGRESS/);
      expect(s.replace(/\n+$/, '').split('\n').length).toBeLessThanOrEqual(SIZE.rows);
    }
  });
});
