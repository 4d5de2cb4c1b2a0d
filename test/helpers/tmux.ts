import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { ROOT } from './cli.js';

/**
 * A real terminal for end-to-end tests: a tmux server of its own (its own
 * socket), one window of a given size, keys sent with send-keys, the screen
 * read back with capture-pane. Waits poll the screen with a generous timeout
 * instead of sleeping: the machine may be loaded.
 */
export class TmuxTerminal {
  private static count = 0;
  readonly socket = `bd-e2e-${process.pid}-${TmuxTerminal.count++}`;
  readonly session = 'e2e';

  constructor() {
    try {
      execFileSync('tmux', ['-V'], { stdio: 'pipe' });
    } catch {
      throw new Error('tmux is needed for the terminal tests (apt-get install tmux; .ci/run installs it)');
    }
  }

  private tmux(args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /**
   * Starts `command` (run by sh) in a window of `columns` x `rows`, with exactly `env` (plus PATH, HOME, TERM, and
   * the test run's cache folder, XDG_CACHE_HOME, unless `env` gives a HOME of its own: the tool's caches then go
   * where that HOME says, and never into the caller's ~/.cache).
   */
  start(command: string, env: Record<string, string>, size = { columns: 120, rows: 32 }): void {
    const base: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', TERM: 'xterm-256color', LANG: 'C.UTF-8' };
    if (env.HOME === undefined && process.env.XDG_CACHE_HOME) base.XDG_CACHE_HOME = process.env.XDG_CACHE_HOME;
    const vars = Object.entries({ ...base, ...env }).map(([k, v]) => `${k}=${shellQuote(v)}`);
    // `env -i`: nothing of the test runner's environment (CI, the vitest variables) reaches the program.
    const line = `env -i ${vars.join(' ')} sh -c ${shellQuote(command)}`;
    // remain-on-exit in the same tmux command: the pane stays to be read (and its exit status) after the program ends.
    this.tmux(['-f', '/dev/null', 'new-session', '-d', '-s', this.session, '-x', String(size.columns), '-y', String(size.rows), line, ';', 'set-option', '-t', this.session, 'remain-on-exit', 'on']);
  }

  /** The visible screen, one string per row (trailing spaces removed). */
  screen(): string {
    return this.tmux(['capture-pane', '-p', '-t', this.session]).replace(/[ \t]+$/gm, '');
  }

  /** The screen with its escape sequences (colours), as capture-pane -e gives it. */
  screenWithEscapes(): string {
    return this.tmux(['capture-pane', '-p', '-e', '-t', this.session]);
  }

  /**
   * tmux's view of the pane: alternate screen on, cursor shown, the program's pid, dead or alive. Not the
   * program's exit status: tmux calls a pane dead when its terminal closes, which may be before it has the
   * status, and under load it has been seen never to collect it (the pane's shell left a zombie, unreaped).
   * A test that needs the status has the shell line write it to a file (test/cli/front.test.ts inTerminal).
   */
  pane(): { alternate: boolean; cursor: boolean; pid: number; dead: boolean } {
    const [alt, cursor, pid, dead] = this.tmux(['display-message', '-p', '-t', this.session, '#{alternate_on} #{cursor_flag} #{pane_pid} #{pane_dead}']).trim().split(' ');
    return { alternate: alt === '1', cursor: cursor === '1', pid: Number(pid), dead: dead === '1' };
  }

  /** The processes of the pane's session (its program and what that started), as `ps` lists them: for a failure's words. */
  processes(): string {
    try {
      const { pid } = this.pane();
      return execFileSync('ps', ['-o', 'pid,ppid,stat,etime,args', '-s', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      return `(none listed: ${(error as Error).message.split('\n')[0]})`;
    }
  }

  /** Sends keys as tmux names them (`Escape`, `Enter`, `C-c`) or literal text with `{ literal: true }`. */
  send(keys: string, options: { literal?: boolean } = {}): void {
    this.tmux(['send-keys', '-t', this.session, ...(options.literal ? ['-l'] : []), keys]);
  }

  resize(columns: number, rows: number): void {
    this.tmux(['resize-window', '-t', this.session, '-x', String(columns), '-y', String(rows)]);
  }

  async waitFor(test: (screen: string) => boolean, what: string, timeoutMs = 60_000): Promise<string> {
    const end = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      last = this.screen();
      if (test(last)) return last;
      if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; the screen:\n${last}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  kill(): void {
    try {
      this.tmux(['kill-server']);
    } catch {
      // already gone
    }
  }
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The fake AWS endpoint as its own process (test/fake-aws/serve.mjs), with its control API. */
export interface FakeAwsProcess {
  readonly url: string;
  readonly env: Record<string, string>;
  control(method: string, path: string, body?: unknown): Promise<unknown>;
  stop(): Promise<void>;
}

export async function startFakeAwsProcess(args: string[] = []): Promise<FakeAwsProcess> {
  const child: ChildProcess = spawn(process.execPath, [join(ROOT, 'test', 'fake-aws', 'serve.mjs'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const first = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', (l) => resolve(l));
    child.once('exit', (code) => reject(new Error(`fake AWS endpoint exited (${code}) before it said where it listens`)));
  });
  const { url, env } = JSON.parse(first) as { url: string; env: Record<string, string> };
  return {
    url,
    env,
    async control(method, path, body) {
      const r = await fetch(`${url}${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body), headers: { 'content-type': 'application/json' } });
      return r.json();
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
