import { fstatSync, writeSync } from 'node:fs';

// Where print(), printError() and the parser's messages go. By default process.stdout and
// process.stderr. The front's commands (help, version, argument errors, validate, profiles)
// print a little and exit: they write to the descriptors directly (writeDirectly), which on
// Linux is what those streams do for files, pipes and terminals anyway, without building the
// streams themselves (a net.Socket or tty.WriteStream: several milliseconds of such a run).

let direct = false;
/** A descriptor whose reader went away (EPIPE, `| head`): the rest is dropped, quietly, as nothing reads it. */
const gone = new Set<1 | 2>();
/** What a write waits on while a full pipe that another process made non-blocking refuses it (EAGAIN). */
const pause = new Int32Array(new SharedArrayBuffer(4));
/** How long each such wait is: short enough not to be seen, long enough not to spin. */
const FULL_PIPE_WAIT_MS = 5;

function stream(fd: 1 | 2): NodeJS.WriteStream {
  return fd === 1 ? process.stdout : process.stderr;
}

function write(fd: 1 | 2, text: string): void {
  if (!direct) {
    stream(fd).write(text);
    return;
  }
  if (gone.has(fd)) return;
  const bytes = Buffer.from(text);
  let done = 0;
  while (done < bytes.length) {
    let written = 0;
    try {
      written = writeSync(fd, bytes, done);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') {
        gone.add(fd);
        return;
      }
      if (code !== 'EAGAIN') throw error;
    }
    done += written;
    // Nothing taken: a full pipe set non-blocking (by another process sharing it). Wait as a
    // blocking write would, then go on. Never handed to a stream: stdout and stderr keep their order.
    if (written === 0) Atomics.wait(pause, 0, 0, FULL_PIPE_WAIT_MS);
  }
}

/** From now on, this bundle writes to the descriptors directly (see above). */
export function writeDirectly(): void {
  direct = true;
}

export function writeOut(text: string): void {
  write(1, text);
}

export function writeErr(text: string): void {
  write(2, text);
}

/**
 * True when the descriptor is a terminal. A terminal is a character device: only then is the
 * stream built to ask (node:tty's isatty would load the stream's modules all the same).
 */
export function isTerminal(fd: 1 | 2): boolean {
  if (direct) {
    try {
      if (!fstatSync(fd).isCharacterDevice()) return false;
    } catch {
      // Closed or odd: the stream answers.
    }
  }
  return Boolean(stream(fd).isTTY);
}
