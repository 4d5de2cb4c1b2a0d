import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleScript } from '../helpers/bundle.js';
import { tempDir } from '../helpers/fixtures.js';
import { ENTER_ALT_SCREEN, LEAVE_ALT_SCREEN, SHOW_CURSOR } from '../../bin/terminal.js';

const TERMINAL = join(import.meta.dirname, '..', '..', 'bin', 'terminal.ts');

/** Runs a script that enters the full screen and then does `then`; returns its output and exit status. */
async function runScript(then: string): Promise<{ stdout: string; stderr: string; code: number | null; signal: string | null }> {
  const dir = tempDir('bd-terminal-');
  const entry = join(dir, 'entry.ts');
  writeFileSync(
    entry,
    `import { enterFullScreen } from ${JSON.stringify(TERMINAL)};
const screen = enterFullScreen(process.stdout, { onSignal: (signal, code) => process.stdout.write('signal ' + signal + ' ' + code + '\\n'), graceMs: 200 });
process.stdout.write('drawn\\n');
${then}
`,
  );
  const script = await bundleScript(entry);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      if (stdout.includes('drawn') && then.includes('WAIT_FOR_SIGNAL') && !child.killed) child.kill('SIGTERM');
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code, signal) => resolve({ stdout, stderr, code, signal }));
  });
}

describe('the full screen in bin/', () => {
  it('is left, with the cursor shown, on an uncaught error (exit 1, the error on stderr)', async () => {
    const r = await runScript(`setTimeout(() => { throw new Error('boom in a timer'); }, 10);`);
    expect(r.stdout.startsWith(ENTER_ALT_SCREEN)).toBe(true);
    expect(r.stdout.endsWith(LEAVE_ALT_SCREEN + SHOW_CURSOR)).toBe(true);
    expect(r.stderr).toMatch(/internal error .*\n.*boom in a timer/);
    expect(r.code).toBe(1);
  });

  it('is left on an unhandled rejection', async () => {
    const r = await runScript(`void Promise.reject(new Error('rejected'));`);
    expect(r.stdout.endsWith(LEAVE_ALT_SCREEN + SHOW_CURSOR)).toBe(true);
    expect(r.code).toBe(1);
  });

  it('is left once on a normal exit', async () => {
    const r = await runScript(`setTimeout(() => process.exit(0), 10);`);
    expect(r.stdout.split(LEAVE_ALT_SCREEN).length).toBe(2);
    expect(r.code).toBe(0);
  });

  it('SIGTERM asks the app to quit; if it does not in time, the screen is left and the process exits 143', async () => {
    const r = await runScript(`// WAIT_FOR_SIGNAL\nsetInterval(() => {}, 1000);`);
    expect(r.stdout).toContain('signal SIGTERM 143');
    expect(r.stdout.endsWith(LEAVE_ALT_SCREEN + SHOW_CURSOR)).toBe(true);
    expect(r.code).toBe(143);
  });

  it('restore and dispose: the screen is left once and the handlers are gone', async () => {
    const r = await runScript(`screen.restore(); screen.restore(); screen.dispose(); setTimeout(() => { throw new Error('after dispose'); }, 10);`);
    expect(r.stdout.split(LEAVE_ALT_SCREEN).length).toBe(2);
    // No handler: Node's own crash (exit 1, its own message), not ours.
    expect(r.stderr).not.toMatch(/internal error \(a bug/);
    expect(r.stderr).toMatch(/after dispose/);
  });
});
