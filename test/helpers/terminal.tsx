import { EventEmitter } from 'node:events';
import type React from 'react';
import { render } from 'ink';

/** Colour and other SGR/cursor sequences removed, for comparing text. */
export const plainText = (s: string | undefined): string => (s ?? '').replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '').replace(/\u001b\][^\u0007]*\u0007/g, '');

/** Keys as a terminal sends them. */
export const KEYS = {
  up: '\u001b[A',
  down: '\u001b[B',
  right: '\u001b[C',
  left: '\u001b[D',
  pageUp: '\u001b[5~',
  pageDown: '\u001b[6~',
  home: '\u001b[H',
  end: '\u001b[F',
  enter: '\r',
  escape: '\u001b',
  tab: '\t',
  backspace: '\u007f',
  ctrlC: '\u0003',
} as const;

/** A terminal's stdout with both columns and rows, that can be resized. */
export class FakeStdout extends EventEmitter {
  readonly isTTY = true;
  readonly frames: string[] = [];
  constructor(
    public columns: number,
    public rows: number,
  ) {
    super();
  }
  write = (frame: string): boolean => {
    this.frames.push(frame);
    return true;
  };
  resize(columns: number, rows: number): void {
    this.columns = columns;
    this.rows = rows;
    this.emit('resize');
  }
}

class FakeStdin extends EventEmitter {
  readonly isTTY = true;
  private data: string | null = null;
  write = (data: string): void => {
    this.data = data;
    this.emit('readable');
    this.emit('data', data);
  };
  read = (): string | null => {
    const d = this.data;
    this.data = null;
    return d;
  };
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
}

export interface Terminal {
  readonly stdout: FakeStdout;
  /** The last frame, colour stripped. */
  frame(): string;
  /** Sends keys (text or {@link KEYS}) one write each. */
  press(...keys: string[]): void;
  /** Waits until the last frame satisfies `test`; fails with the frame after `timeoutMs`. */
  waitFor(test: (frame: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Sends a key and waits for a frame that differs from the one before and satisfies `test`. */
  pressAndWait(key: string, test?: (frame: string) => boolean, timeoutMs?: number): Promise<string>;
  unmount(): void;
  waitUntilExit(): Promise<unknown>;
}

/**
 * Renders a tree into a fake terminal of the given size. Ink's debug mode
 * writes each frame whole, so a frame is exactly what the screen would show.
 */
export function renderTerminal(tree: React.ReactElement, size: { columns: number; rows: number }): Terminal {
  const stdout = new FakeStdout(size.columns, size.rows);
  const stdin = new FakeStdin();
  const instance = render(tree, {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stderr: new FakeStdout(size.columns, size.rows) as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    debug: true,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  const frame = () => plainText(stdout.frames.at(-1));
  const waitFor = async (test: (f: string) => boolean, timeoutMs = 5_000) => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const f = frame();
      if (test(f)) return f;
      if (Date.now() > end) throw new Error(`timed out waiting for the frame; last frame:\n${f}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  return {
    stdout,
    frame,
    press: (...keys) => {
      for (const k of keys) stdin.write(k);
    },
    waitFor,
    async pressAndWait(key, test = () => true, timeoutMs) {
      const before = stdout.frames.length;
      stdin.write(key);
      return waitFor((f) => stdout.frames.length > before && test(f), timeoutMs);
    },
    unmount: () => instance.unmount(),
    waitUntilExit: () => instance.waitUntilExit(),
  };
}

/** Lines of a frame and the widest one, for the size checks. */
export function measure(frame: string): { lines: string[]; height: number; width: number } {
  const lines = frame.split('\n');
  return { lines, height: lines.length, width: Math.max(0, ...lines.map((l) => [...l].length)) };
}
