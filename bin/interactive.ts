import { fstatSync } from 'node:fs';

// Whether a run may ask questions and draw the dashboard. Its own small module: the front
// (bin/front.ts) decides with it where the bare command goes, before any bundle loads.

/** True when a question may be asked: both ends are a terminal and this is not CI. */
export function isInteractive(): boolean {
  return isTerminalFd(0) && isTerminalFd(1) && !isCi();
}

/**
 * Whether the bare command may draw the full-screen dashboard: an interactive run on a terminal that can move its
 * cursor. `TERM=dumb` (Emacs' shell, some CI consoles that still give a terminal) cannot: it gets `status` once,
 * as a pipe does.
 */
export function canDrawDashboard(): boolean {
  return process.env.TERM !== 'dumb' && isInteractive();
}

export function isCi(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

/**
 * Whether a standard descriptor is a terminal. A terminal is a character device: only then is its
 * stream built to ask. Building a stream for a pipe costs milliseconds and makes the pipe
 * non-blocking, which the front's direct writes (bin/output.ts) do without.
 */
function isTerminalFd(fd: 0 | 1): boolean {
  try {
    if (!fstatSync(fd).isCharacterDevice()) return false;
  } catch {
    // Closed or odd: the stream answers.
  }
  return Boolean((fd === 0 ? process.stdin : process.stdout).isTTY);
}
