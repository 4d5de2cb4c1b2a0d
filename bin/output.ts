import { fstatSync, writeSync } from 'node:fs';

// Where print(), printError() and the parser's messages go. By default process.stdout and
// process.stderr. The front's commands (help, version, argument errors, validate, profiles)
// print a little and exit: they write to the descriptors directly (writeDirectly), which on
// Linux is what those streams do for files, pipes and terminals anyway, without building the
// streams themselves (a net.Socket or tty.WriteStream: several milliseconds of such a run).

let direct = false;
/** A descriptor that refused a write (EAGAIN: set non-blocking by another process): its stream takes the rest, in order. */
const streamed = new Set<1 | 2>();
/** A descriptor whose reader went away (EPIPE, `| head`): the rest is dropped, quietly, as nothing reads it. */
const gone = new Set<1 | 2>();

function stream(fd: 1 | 2): NodeJS.WriteStream {
  return fd === 1 ? process.stdout : process.stderr;
}

function write(fd: 1 | 2, text: string): void {
  if (direct && gone.has(fd)) return;
  if (!direct || streamed.has(fd)) {
    stream(fd).write(text);
    return;
  }
  const bytes = Buffer.from(text);
  let done = 0;
  try {
    while (done < bytes.length) {
      const written = writeSync(fd, bytes, done);
      // A descriptor that takes nothing: the stream waits for it.
      if (written <= 0) throw Object.assign(new Error('nothing written'), { code: 'EAGAIN' });
      done += written;
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EPIPE') gone.add(fd);
    else if (code === 'EAGAIN') {
      if (!streamed.has(fd)) {
        // Its reader may go away while the stream still holds the rest: dropped quietly, as above.
        stream(fd).on('error', (streamError: NodeJS.ErrnoException) => {
          if (streamError.code !== 'EPIPE' && streamError.code !== 'ERR_STREAM_DESTROYED') throw streamError;
          gone.add(fd);
        });
      }
      streamed.add(fd);
      stream(fd).write(bytes.subarray(done));
    } else throw error;
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
