import { afterEach, expect, it } from 'vitest';
import { TmuxTerminal } from './tmux.js';

let t: TmuxTerminal | undefined;
afterEach(() => t?.kill());

it("lists the processes of the pane's session, for a failure's words: the program and what it started", async () => {
  t = new TmuxTerminal();
  t.start('sleep 30 & echo started; wait', {});
  await t.waitFor((s) => /started/.test(s), 'the program to start', 10_000);
  const listed = t.processes();
  expect(listed).toMatch(/^ *PID +PPID +STAT +ELAPSED +COMMAND$/m);
  expect(listed).toMatch(/^ *\d+ +\d+ +\S+ +[\d:]+ +sleep 30$/m);
  expect(listed).toMatch(new RegExp(`^ *${t.pane().pid} `, 'm'));
});

it("gives the program the test run's cache folder, not the caller's ~/.cache; a HOME of the test's own decides instead", async () => {
  const xdg = process.env.XDG_CACHE_HOME;
  expect(xdg).toMatch(/bd-test-cache-/);
  t = new TmuxTerminal();
  t.start('echo "cache=[$XDG_CACHE_HOME]"; sleep 30', {});
  await t.waitFor((s) => /cache=\[/.test(s), 'the program to say', 10_000);
  expect(t.screen()).toContain(`cache=[${xdg}]`);
  t.kill();
  t = new TmuxTerminal();
  t.start('echo "cache=[$XDG_CACHE_HOME] home=[$HOME]"; sleep 30', { HOME: '/tmp/elsewhere' });
  await t.waitFor((s) => /cache=\[/.test(s), 'the program to say', 10_000);
  expect(t.screen()).toContain('cache=[] home=[/tmp/elsewhere]');
});
