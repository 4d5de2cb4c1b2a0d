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
