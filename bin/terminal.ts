import { writeSync } from 'node:fs';
import { terminalSafe } from '../src/display-text.js';

/** Enter the alternate screen (the shell's screen is kept and comes back on exit). */
export const ENTER_ALT_SCREEN = '\u001b[?1049h';
/** Leave it, and show the cursor again (Ink hides it while it draws). */
export const LEAVE_ALT_SCREEN = '\u001b[?1049l';
export const SHOW_CURSOR = '\u001b[?25h';

export interface FullScreen {
  /** Leaves the alternate screen and shows the cursor; safe to call more than once. */
  restore(): void;
  /** Removes the handlers (after restore). */
  dispose(): void;
}

export interface FullScreenOptions {
  /** SIGTERM, SIGHUP or SIGINT from outside; should make the app quit (it may first cancel a deploy). */
  readonly onSignal: (signal: NodeJS.Signals, code: number) => void;
  /** How long a signal may take to end the app before the process exits anyway. */
  readonly graceMs?: number;
}

/**
 * The dashboard's hold on the terminal: the alternate screen on entry; on
 * every way out (quit, ctrl-c, SIGTERM, SIGHUP, an uncaught error, process
 * exit) the normal screen and the cursor come back. Only for a TTY outside CI.
 */
export function enterFullScreen(stdout: NodeJS.WriteStream, options: FullScreenOptions): FullScreen {
  let restored = false;
  const fd = (stdout as { fd?: number }).fd ?? 1;
  const restore = () => {
    if (restored) return;
    restored = true;
    try {
      // Synchronous: this also runs from the process's 'exit' event. The cursor is shown after leaving:
      // a terminal may keep the cursor's visibility per screen.
      writeSync(fd, LEAVE_ALT_SCREEN + SHOW_CURSOR);
    } catch {
      // the terminal is gone
    }
  };
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGINT'];
  const codes: Record<string, number> = { SIGTERM: 143, SIGHUP: 129, SIGINT: 130 };
  let forced: NodeJS.Timeout | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    const code = codes[signal] ?? 1;
    if (!forced) {
      forced = setTimeout(() => {
        restore();
        process.exit(code);
      }, options.graceMs ?? 8_000);
      forced.unref();
    } else {
      // A second signal: out now.
      restore();
      process.exit(code);
    }
    options.onSignal(signal, code);
  };
  const onCrash = (error: unknown) => {
    restore();
    const e = error instanceof Error ? error : new Error(String(error));
    process.stderr.write(`internal error (a bug in benchling-deploy; please report it):\n${terminalSafe(e.stack ?? e.message)}\n`);
    process.exit(1);
  };
  const onExit = () => restore();
  stdout.write(ENTER_ALT_SCREEN);
  for (const s of signals) process.on(s, onSignal);
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  process.on('exit', onExit);
  return {
    restore,
    dispose() {
      for (const s of signals) process.off(s, onSignal);
      process.off('uncaughtException', onCrash);
      process.off('unhandledRejection', onCrash);
      process.off('exit', onExit);
      if (forced) clearTimeout(forced);
    },
  };
}
