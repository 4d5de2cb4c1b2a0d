// Whether a run may ask questions and draw the dashboard. Its own small module: the front
// (bin/front.ts) decides with it where the bare command goes, before any bundle loads.

/**
 * True when a question may be asked: both ends are a terminal and this is not CI. Reading
 * stdin's kind makes its stream (about 9 ms): ask only where the answer matters.
 */
export function isInteractive(): boolean {
  return Boolean(process.stdin.isTTY && process.stdout.isTTY) && !isCi();
}

export function isCi(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}
