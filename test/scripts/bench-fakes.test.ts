import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

// A bench's fake AWS runs in a process of its own: when the bench is killed (a signal it cannot handle, a
// test's time limit), the fake must not serve on and take the machine's time from the next bench's figures.

const left: number[] = [];
afterEach(() => {
  for (const pid of left.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Runs `code` (an ES module) as a bench would, reads the fake's pid from its first line, then kills the bench with SIGKILL; resolves with the fake's pid once it is gone, or rejects when it still runs after 10 s. */
async function killBenchAwaitFakeGone(code: string): Promise<number> {
  const bench = spawn(process.execPath, ['--input-type=module', '-e', code], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  left.push(bench.pid!);
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: bench.stdout! }).once('line', resolve);
    bench.once('exit', (c) => reject(new Error(`the bench exited (${c}) before its fake started`)));
  });
  const pid = Number(JSON.parse(line).pid);
  left.push(pid);
  expect(alive(pid)).toBe(true);
  bench.kill('SIGKILL');
  const until = Date.now() + 10_000;
  while (alive(pid)) {
    if (Date.now() > until) throw new Error(`the fake (pid ${pid}) still runs 10 s after its bench was killed`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return pid;
}

it.each(['_dashboard-fake.mjs', '_older-fake.mjs'])('bench/%s, started by startFakeProcess, ends when the bench is killed', async (script) => {
  const code = `import { startFakeProcess } from './bench/_setup.mjs';
const fake = await startFakeProcess(${JSON.stringify(script)});
console.log(JSON.stringify({ pid: fake.pid }));
setInterval(() => {}, 1000);`;
  expect(await killBenchAwaitFakeGone(code)).toBeGreaterThan(0);
}, 30_000);

it.each(['_logs-fake.mjs', '_logs-open-fake.mjs'])('bench/%s, forked by its bench, ends when the bench is killed', async (script) => {
  const code = `import { fork } from 'node:child_process';
import { bundleModules, bundlePath } from './bench/_bundle.mjs';
await bundleModules('fake-ends-test', ["export { startFakeAws } from './test/fake-aws/server.ts';", "export { standardScenario, namesOf } from './test/fake-aws/scenario.ts';"]);
const child = fork('./bench/${script}', [bundlePath('fake-ends-test'), JSON.stringify({ events: 10, sampled: true })], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
child.once('message', () => console.log(JSON.stringify({ pid: child.pid })));
child.once('exit', (c) => process.exit(c ?? 1));
setInterval(() => {}, 1000);`;
  expect(await killBenchAwaitFakeGone(code)).toBeGreaterThan(0);
}, 60_000);

/** The processes of process group `group` still running (Linux: /proc). */
function inGroup(group: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // pid (comm) state ppid pgrp ...: the fields after the command's closing parenthesis.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === group && state !== 'Z') found.push(Number(entry));
    } catch {
      // ended meanwhile
    }
  }
  return found;
}

it('bench/logs killed while a run follows its fake leaves neither the run nor the fake running', async () => {
  // Its own process group, so that what it started can be found once it is gone.
  const bench = spawn(process.execPath, [join(ROOT, 'bench', 'logs.mjs')], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, BENCH_LOGS_SECONDS: '15', BENCH_LOGS_MODES: 'polling' } });
  const group = bench.pid!;
  try {
    // The run prints its idle line once its fake is listening and the tail follows it.
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: bench.stdout! }).on('line', (line) => line.includes('idle') && resolve());
      bench.once('exit', (c) => reject(new Error(`bench/logs exited (${c}) before its run started`)));
    });
    const started = inGroup(group);
    // The bench, its run and the run's fake (esbuild's service too, when the bundle was built).
    expect(started.length).toBeGreaterThanOrEqual(3);
    bench.kill('SIGKILL');
    const until = Date.now() + 10_000;
    while (inGroup(group).length > 0) {
      if (Date.now() > until) throw new Error(`still running 10 s after bench/logs was killed: ${inGroup(group).join(', ')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    try {
      process.kill(-group, 'SIGKILL');
    } catch {
      // none left
    }
  }
}, 90_000);
