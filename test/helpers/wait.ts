import { isRunning as isRunningProcess } from '../../src/config/lock.js';

/** Waits until `cond` holds, polling; fails after `timeoutMs` (generous: machines here are loaded). */
export async function waitFor(cond: () => boolean, timeoutMs = 10_000, what = 'a condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Whether a process is still running (signal 0 reaches it). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether a process has ended: gone, or a zombie that no init has reaped yet (src/config/lock.ts isRunning). */
export function hasEnded(pid: number): boolean {
  return !isRunningProcess(pid);
}

/** Sends SIGTERM to `pid` (unless it has ended) and waits until it has ended. */
export async function endProcess(pid: number, timeoutMs = 10_000): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  await waitFor(() => hasEnded(pid), timeoutMs, `process ${pid} to end on SIGTERM`);
}
