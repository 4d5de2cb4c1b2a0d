import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, ROOT } from '../helpers/cli.js';
import { devProfile, prodProfile, SECRET, tempDir, writeJson } from '../helpers/fixtures.js';
import { TmuxTerminal, startFakeAwsProcess, type FakeAwsProcess } from '../helpers/tmux.js';
import { crashTasks, standardScenario } from '../fake-aws/scenario.js';
import { HOSTILE } from '../helpers/hostile.js';

/**
 * The real binary in a real terminal (tmux) against the fake AWS in its own
 * process, whose ECS answers stop reasons of 1 MB full of line breaks and
 * escape sequences. The dashboard must draw them escaped and stay responsive.
 */

let fake: FakeAwsProcess;
beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist', 'cli.js'))) throw new Error('dist/cli.js is missing: run `npm run build` first (npm test does)');
  fake = await startFakeAwsProcess();
});
afterAll(async () => fake?.stop());

let terminals: TmuxTerminal[] = [];
afterEach(() => {
  for (const t of terminals) t.kill();
  terminals = [];
});

function dashboard(dir = tempDir('bd-e2e-outside-')): TmuxTerminal {
  writeJson(dir, 'default.json', prodProfile({ benchlingClientSecret: SECRET }));
  writeJson(dir, 'dev.json', devProfile());
  const t = new TmuxTerminal();
  terminals.push(t);
  t.start(`${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} --config-dir ${JSON.stringify(dir)}; echo "EXIT=$?"; exec sleep 3600`, { ...fake.env, HOME: tempDir('bd-e2e-home-'), TMPDIR: dir });
  return t;
}

/** `size` characters of a stop reason: a line break every ~80, an escape sequence in each line. */
function hugeReason(size: number): string {
  const line = `Essential container in task exited \u001b[2J\u001b]0;pwned\u0007 ${'x'.repeat(30)}\r\n`;
  return `${HOSTILE} ${line.repeat(Math.ceil(size / line.length))}`.slice(0, size);
}

describe('the dashboard against AWS answers of any size', { timeout: 180_000 }, () => {
  it('1 MB stop reasons with line breaks: the first data frame comes promptly, escaped, and q quits at once', async () => {
    const scenario = standardScenario();
    crashTasks(scenario, 'prod', { running: 0, reason: hugeReason(1_000_000), exitCode: 2 });
    crashTasks(scenario, 'dev', { running: 0, reason: hugeReason(1_000_000), exitCode: 1 });
    const answer = (await fake.control('PUT', '/__fake/scenario', scenario)) as { error?: string };
    expect(answer.error).toBeUndefined();

    const t = dashboard();
    const started = Date.now();
    const data = await t.waitFor((s) => /dev\s+down/.test(s) && /prod\s+down/.test(s) && /q quit/.test(s), 'both panels down, with their reasons', 60_000);
    const firstData = Date.now() - started;
    // The reason is shown escaped, on its rows: no raw escape took effect, no forged line.
    // (The panel wraps the reason at spaces: its rows are read back joined, borders and indent removed.)
    const reasonText = data
      .split('\n')
      .map((r) => r.replace(/^\|\s*(why\s+)?/, '').replace(/\s*\|$/, ''))
      .join(' ')
      .replace(/\s+/g, ' ');
    expect(reasonText).toContain('failed \\x1b]0;pwned\\x07\\x1b[2J boom ⏎ FAKE: prod healthy\\x7f\\x9b31m\\x85end');
    expect(data).not.toMatch(/^\s*FAKE: prod healthy/m);
    expect(t.pane().alternate).toBe(true);

    // A key is handled while AWS keeps answering 1 MB (polls go on in the background).
    t.send('?');
    await t.waitFor((s) => /benchling-deploy: keys/.test(s), 'help', 5_000);
    t.send('Escape');
    await t.waitFor((s) => /dev\s+down/.test(s), 'back to the main screen', 5_000);

    const asked = Date.now();
    t.send('q');
    await t.waitFor((s) => /EXIT=0/.test(s), 'the program to exit', 30_000);
    const quit = Date.now() - asked;
    console.log(`1 MB reasons: first data frame after ${firstData} ms; q to exit in ${quit} ms`);
    // Before, a frame took minutes and q did nothing; the bound is generous for a loaded machine.
    expect(quit).toBeLessThan(2_000);
    expect(firstData).toBeLessThan(20_000);
    expect(t.pane().alternate).toBe(false);
  });

  it('1 MB stop reasons: SIGTERM ends the dashboard at once and leaves the alternate screen', async () => {
    const scenario = standardScenario();
    crashTasks(scenario, 'prod', { running: 0, reason: hugeReason(1_000_000), exitCode: 2 });
    crashTasks(scenario, 'dev', { running: 0, reason: hugeReason(1_000_000), exitCode: 1 });
    expect(((await fake.control('PUT', '/__fake/scenario', scenario)) as { error?: string }).error).toBeUndefined();

    const dir = tempDir('bd-e2e-sigterm-');
    const t = dashboard(dir);
    await t.waitFor((s) => /dev\s+down/.test(s) && /prod\s+down/.test(s), 'both panels down', 60_000);
    expect(t.pane().alternate).toBe(true);
    // The dashboard's own process: the one whose command line names this test's config folder.
    const pids = execFileSync('pgrep', ['-f', '--', `--config-dir ${dir}`], { encoding: 'utf8' }).trim().split('\n').map(Number);
    const node = pids.filter((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith(process.execPath));
    expect(node).toHaveLength(1);
    const asked = Date.now();
    process.kill(node[0], 'SIGTERM');
    const after = await t.waitFor((s) => /EXIT=\d+/.test(s), 'the program to exit', 30_000);
    const ended = Date.now() - asked;
    console.log(`1 MB reasons: SIGTERM to exit in ${ended} ms`);
    expect(after).toMatch(/EXIT=143/);
    expect(ended).toBeLessThan(2_000);
    expect(t.pane().alternate).toBe(false);
  });
});
