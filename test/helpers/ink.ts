/** Helpers for component tests with ink-testing-library: colour stripped, waiting on frames not on clocks. */

export const stripAnsi = (s: string | undefined): string => (s ?? '').replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');

/** Waits until the last frame (colour stripped) satisfies `test`; fails with the frame after `timeoutMs`. */
export async function waitForFrame(lastFrame: () => string | undefined, test: (frame: string) => boolean, timeoutMs = 5_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const frame = stripAnsi(lastFrame());
    if (test(frame)) return frame;
    if (Date.now() > end) throw new Error(`timed out waiting for the frame; last frame:\n${frame}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
