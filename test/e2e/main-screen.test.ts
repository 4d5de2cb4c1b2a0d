import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN } from '../helpers/cli.js';
import { devProfile, prodProfile, SECRET, tempDir, writeJson } from '../helpers/fixtures.js';
import { TmuxTerminal, startFakeAwsProcess, type FakeAwsProcess } from '../helpers/tmux.js';
import { namesOf, standardScenario, type Scenario } from '../fake-aws/scenario.js';

/**
 * The operator's main screen in a real terminal (tmux) at 80x24, 120x40 and
 * 200x50: the real binary (dist/) against the fake AWS in its own process.
 * Every endpoint whole on one line, the service's events, the selected
 * environment's running tasks, capacity and task size, the deploys, and what
 * does not fit counted.
 */

const DEV_URL = 'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/dev';
const PROD_URL = 'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod';
/** The URL whole on one row: followed by a space, the panel's border or the end of the row. */
const whole = (url: string) => new RegExp(`${url.replace(/[./]/g, '\\$&')}(\\s|\\||$)`, 'm');

let fake: FakeAwsProcess;
beforeAll(async () => {
  fake = await startFakeAwsProcess();
});
afterAll(async () => fake?.stop());

/** The standard stack, dev's service with 12 events (ECS answers them all; the dashboard keeps 10). */
async function seed(): Promise<Scenario> {
  const scenario = standardScenario();
  const dev = namesOf(scenario, 'dev');
  const service = scenario.clusters[dev.cluster].services[dev.service];
  service.events = Array.from({ length: 12 }, (_, i) => ({ id: `ev${i}`, createdAt: new Date(Date.now() - (i + 1) * 60_000).toISOString(), message: `(service ${dev.service}) dev event ${i + 1}` }));
  const answer = (await fake.control('PUT', '/__fake/scenario', scenario)) as { error?: string };
  if (answer.error) throw new Error(answer.error);
  await fake.control('DELETE', '/__fake/faults');
  await fake.control('DELETE', '/__fake/calls');
  return scenario;
}

let terminals: TmuxTerminal[] = [];
beforeEach(async () => {
  await seed();
});
afterEach(() => {
  for (const t of terminals) t.kill();
  terminals = [];
});

function dashboard(size: { columns: number; rows: number }, flags = ''): TmuxTerminal {
  const dir = tempDir('bd-e2e-main-');
  writeJson(dir, 'default.json', prodProfile({ benchlingClientSecret: SECRET }));
  writeJson(dir, 'dev.json', devProfile({ benchlingTenant: 'acme' }));
  const day = 86_400_000;
  writeFileSync(
    join(dir, 'deploy.json'),
    JSON.stringify({
      prod: {
        endpoint: PROD_URL,
        imageTag: '0.7.0',
        deployedAt: new Date(Date.now() - day).toISOString(),
        stackName: 'BenchlingWebhookStack',
        stage: 'prod',
        history: [
          { imageTag: '0.6.9', deployedAt: new Date(Date.now() - 10 * day).toISOString() },
          { imageTag: '0.6.8', deployedAt: new Date(Date.now() - 20 * day).toISOString() },
        ],
      },
    }),
  );
  const t = new TmuxTerminal();
  terminals.push(t);
  t.start(`${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} --config-dir ${JSON.stringify(dir)} ${flags}; echo "EXIT=$?"; exec sleep 3600`, { ...fake.env, HOME: tempDir('bd-e2e-home-'), TMPDIR: dir, AWS_MAX_ATTEMPTS: '1' }, size);
  return t;
}

const ready = (s: string) => /> dev\s+healthy/.test(s) && /prod\s+healthy/.test(s) && /running tasks \(read/.test(s) && /q quit/.test(s);

/** Every row of the frame within the width, and the last row of the terminal left empty (root at most rows - 1). */
function expectFits(s: string, size: { columns: number; rows: number }) {
  const rows = s.split('\n');
  expect(rows.every((r) => [...r].length <= size.columns)).toBe(true);
  expect(rows[size.rows - 1] ?? '').toBe('');
}

describe('the main screen in a real terminal', { timeout: 180_000 }, () => {
  it('120x40: both endpoints whole (stacked), events newest first, tasks, capacity, deploys; tab reads prod\'s tasks', async () => {
    const size = { columns: 120, rows: 40 };
    const t = dashboard(size);
    const s = await t.waitFor(ready, 'both panels, dev\'s tasks and the footer');
    expect(s).toMatch(whole(DEV_URL));
    expect(s).toMatch(whole(PROD_URL));
    expect(s).not.toMatch(/\+\+/);
    expect(s).toMatch(/events, newest first\s*\|\n\|\s+1 min\s+dev event 1\s/);
    expect(s).toMatch(/[0-9a-f]{8}  sha256:[0-9a-f]{12}…  up \d+ (s|min|h)\s+running\s+us-east-1[ab]/);
    expect(s).toMatch(/capacity\s+desired 1 within 1\.\.2, task 0\.5 vCPU, 1 GB/);
    expect(s).toMatch(/capacity\s+desired 2 within 2\.\.10/);
    expect(s).toMatch(/24 h ago\s+0\.7\.0\s+\(last\)/);
    expect(s).not.toContain(SECRET);
    expectFits(s, size);
    const prodService = namesOf(standardScenario(), 'prod').service;
    const listedProd = async () => ((await fake.control('GET', '/__fake/calls')) as { calls: { operation: string; input: { serviceName?: string } }[] }).calls.filter((c) => c.operation === 'ListTasks' && c.input.serviceName === prodService).length;
    expect(await listedProd()).toBe(0);
    t.send('Tab');
    const p = await t.waitFor((x) => /> prod/.test(x) && /> prod[\s\S]*running tasks \(read/.test(x), 'prod selected, its tasks read');
    expect(await listedProd()).toBeGreaterThan(0);
    expect(p.slice(p.indexOf('> prod'))).toMatch(/desired 2 within 2\.\.10, task 0\.5 vCPU, 1 GB/);
    t.send('q');
    await t.waitFor((x) => /EXIT=0/.test(x), 'exit');
  });

  it('--refresh 1 on the line (read by the front, which opens dist/dashboard.cjs): the services are read every second, not every 5 s', async () => {
    const t = dashboard({ columns: 120, rows: 40 }, '--refresh 1');
    await t.waitFor(ready, 'both panels');
    const described = async () => ((await fake.control('GET', '/__fake/calls')) as { calls: { operation: string }[] }).calls.filter((c) => c.operation === 'DescribeServices').length;
    // One call a poll for both services: at 5 s (the default) 4 more would take 20 s; at 1 s, about 4.
    const first = await described();
    const start = Date.now();
    while ((await described()) < first + 4) {
      if (Date.now() - start > 10_000) throw new Error(`${(await described()) - first} polls in 10 s: the dashboard did not take --refresh 1`);
      await new Promise((r) => setTimeout(r, 100));
    }
    t.send('q');
    await t.waitFor((x) => /EXIT=0/.test(x), 'exit');
  });

  it('200x50: side by side, both endpoints whole, everything shown, nothing counted', async () => {
    const size = { columns: 200, rows: 50 };
    const t = dashboard(size);
    const s = await t.waitFor(ready, 'both panels');
    expect(s).toMatch(/\+\+/);
    expect(s).toMatch(whole(DEV_URL));
    expect(s).toMatch(whole(PROD_URL));
    expect(s).toMatch(/dev event 10\s/);
    expect(s).not.toMatch(/dev event 11/);
    expect(s).toMatch(/10 d ago\s+0\.6\.9/);
    expect(s).toMatch(/20 d ago\s+0\.6\.8/);
    expect(s).not.toMatch(/more (events|rows|deploys|tasks)/);
    expectFits(s, size);
  });

  it('80x24: the endpoints whole, what does not fit counted; help wrapped, not cut', async () => {
    const size = { columns: 80, rows: 24 };
    const t = dashboard(size);
    const s = await t.waitFor(ready, 'both panels');
    expect(s).toMatch(whole(DEV_URL));
    expect(s).toMatch(whole(PROD_URL));
    const shown = (s.match(/dev event \d+/g) ?? []).length;
    const more = Number(/\+(\d+) more events/.exec(s)?.[1]);
    expect(shown + more).toBe(10);
    expect(s).toMatch(/\+\d+ more rows/);
    expectFits(s, size);
    t.send('?');
    const h = await t.waitFor((x) => /benchling-deploy: keys/.test(x) && /esc\/\? close/.test(x), 'help');
    const body = h.split('\n').slice(1).join('\n');
    expect(body).not.toContain('…');
    const words = body.replace(/\s+/g, ' ');
    expect(words).toContain('logs of the selected environment (in logs: / filter, f follow on/off, arrows and pgup/pgdn scroll, esc back)');
    expect(words).toContain('quit (a running deploy asks first; esc or ctrl-c in a deploy asks to cancel it)');
    expect(words).toContain('roll the selected environment back: pick an earlier image from its history (deploy.json), see the plan, confirm');
    expectFits(h, size);
  });

  it('80x24 under an AWS error: prod keeps its endpoint, and its hidden rows are counted, the error named', async () => {
    await fake.control('POST', '/__fake/faults', { kind: 'server-error', operation: 'DescribeTargetHealth' });
    const size = { columns: 80, rows: 24 };
    const t = dashboard(size);
    const s = await t.waitFor((x) => /AWS error/.test(x) && /q quit/.test(x) && /\|\s+prod\s+unknown/.test(x), 'the error in the panels', 90_000);
    const prod = s.slice(s.indexOf('|   prod'));
    expect(prod).toMatch(whole(PROD_URL));
    const labels = ['image', 'tasks', 'targets', 'capacity', 'deployed', 'AWS error', 'why'];
    const visible = labels.filter((l) => new RegExp(`^\\| ${l}\\s`, 'm').test(prod)).length;
    const counted = /\+(\d+) more rows? \(([^)]*)\)/.exec(prod);
    expect(counted).not.toBeNull();
    expect(counted![2]).toMatch(/AWS error/);
    // prod's rows besides the endpoint: image, tasks, AWS error, capacity, deployed (no targets: they could not be read); each on screen or counted.
    expect(visible + Number(counted![1])).toBe(5);
    expectFits(s, size);
  });
});
