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
