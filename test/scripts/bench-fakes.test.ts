import { spawn } from 'node:child_process';
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
async function fakeOutlivesNoBench(code: string): Promise<number> {
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
  expect(await fakeOutlivesNoBench(code)).toBeGreaterThan(0);
}, 30_000);

it.each(['_logs-fake.mjs', '_logs-open-fake.mjs'])('bench/%s, forked by its bench, ends when the bench is killed', async (script) => {
  const code = `import { fork } from 'node:child_process';
import { bundleModules, bundlePath } from './bench/_bundle.mjs';
await bundleModules('fake-ends-test', ["export { startFakeAws } from './test/fake-aws/server.ts';", "export { standardScenario, namesOf } from './test/fake-aws/scenario.ts';"]);
const child = fork('./bench/${script}', [bundlePath('fake-ends-test'), JSON.stringify({ events: 10, sampled: true })], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
child.once('message', () => console.log(JSON.stringify({ pid: child.pid })));
child.once('exit', (c) => process.exit(c ?? 1));
setInterval(() => {}, 1000);`;
  expect(await fakeOutlivesNoBench(code)).toBeGreaterThan(0);
}, 60_000);
