import { afterEach, describe, expect, it } from 'vitest';
import { TmuxTerminal } from './tmux.js';

/**
 * The terminal helper's word on how a program ended. tmux calls a pane dead when its terminal closes, which may
 * come before it has collected the program's exit status; a test that reads the status then reads nothing.
 */
describe('TmuxTerminal.waitForExit', () => {
  let t: TmuxTerminal | undefined;
  afterEach(() => t?.kill());

  it('waits past a closed terminal for the exit status of a program that is still ending', async () => {
    t = new TmuxTerminal();
    // The program lets go of its terminal (and of the hang-up that follows), then ends 1.5 s later with 3.
    t.start(`trap '' HUP; exec >/dev/null 2>&1 </dev/null; sleep 1.5; exit 3`, {});
    const closed = Date.now() + 5_000;
    while (!t.pane().dead) {
      if (Date.now() > closed) throw new Error('the terminal never closed');
      await new Promise((r) => setTimeout(r, 20));
    }
    // Here the pane is dead and tmux has no status yet: what a test that stops at "dead" reads.
    expect(t.pane()).toMatchObject({ dead: true, status: null, signal: null });
    expect(await t.waitForExit('the program to end')).toEqual({ status: 3, signal: null });
  });

  it('gives the signal that ended a program, and no status', async () => {
    t = new TmuxTerminal();
    t.start('sleep 0.3; kill -TERM $$', {});
    expect(await t.waitForExit('the program to end')).toEqual({ status: null, signal: 15 });
  });

  it('fails in words, with the screen, while the program runs on', async () => {
    t = new TmuxTerminal();
    t.start('echo still here; sleep 30', {});
    await expect(t.waitForExit('the program to end', 500)).rejects.toThrow(/timed out after 500 ms waiting for the program to end \(still running\); the screen:\nstill here/);
  });
});
