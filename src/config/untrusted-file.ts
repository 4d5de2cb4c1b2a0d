import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { UserError } from '../errors.js';

/** A profile is a few hundred bytes: a bigger file is not one, and is not read whole. */
export const PROFILE_MAX_BYTES = 1024 * 1024;
/** deploy.json holds at most 20 deploys of each environment: a few tens of KiB. */
export const RECORDS_MAX_BYTES = 8 * 1024 * 1024;
/** The shared AWS files (`~/.aws/config`, `credentials`): large only with very many profiles. */
export const AWS_FILE_MAX_BYTES = 64 * 1024 * 1024;

/** What stood at the path instead of a file that could be read: a folder, a FIFO or socket, or a file over the bound. */
export class UntrustedFileError extends UserError {
  readonly found: 'folder' | 'FIFO or socket' | 'too big';
  constructor(message: string, hint: string, found: UntrustedFileError['found']) {
    super(message, hint);
    this.name = 'UntrustedFileError';
    this.found = found;
  }
}

/** What stands at the path when it is nothing a file can be read from, as a message says it; undefined for a file or a device. */
function unreadableKind(st: Stats): { words: string; found: UntrustedFileError['found'] } | undefined {
  if (st.isDirectory()) return { words: 'a folder', found: 'folder' };
  if (st.isFIFO()) return { words: 'a FIFO (named pipe)', found: 'FIFO or socket' };
  if (st.isSocket()) return { words: 'a socket', found: 'FIFO or socket' };
  return undefined;
}

function size(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round(bytes / (1024 * 1024))} MiB` : `${Math.round(bytes / 1024)} KiB`;
}

/**
 * The text of a file the user keeps (a profile, deploy.json, its lock, the shared AWS files),
 * read as untrusted input: at most `maxBytes` of it, never waiting. A link is followed (dotfile
 * managers make them). A FIFO or a socket is refused without a read: a FIFO put there would
 * block an open or a read that waits, and with it every command and the dashboard's screen. A
 * device is read as a file, without waiting and within the bound: `/dev/null` (as
 * `AWS_CONFIG_FILE=/dev/null` is used) is empty, while `/dev/zero`, like a file of gigabytes,
 * is refused once past the bound instead of read until the memory runs out. A folder, a FIFO,
 * a socket and a file over the bound are an {@link UntrustedFileError} naming the file and what
 * stands there (a UserError: exit status 2); a missing or unreadable file, or a device with
 * nothing to read yet, throws the file system's error, as reading it would.
 */
export function readUntrustedText(path: string, maxBytes: number): string {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    // A socket cannot be opened at all (ENXIO): said as what it is.
    if ((error as NodeJS.ErrnoException).code === 'ENXIO' && statSync(path, { throwIfNoEntry: false })?.isSocket()) {
      throw new UntrustedFileError(`${path}: a socket, not a file`, 'only a file is read there: move it aside, and put the file there', 'FIFO or socket');
    }
    throw error;
  }
  try {
    const st = fstatSync(fd);
    const kind = unreadableKind(st);
    if (kind) throw new UntrustedFileError(`${path}: ${kind.words}, not a file`, 'only a file is read there: move it aside, and put the file there', kind.found);
    const tooBig = () => new UntrustedFileError(`${path}: more than ${size(maxBytes)}, too big for this file`, 'check that it is the file you meant, and move it aside if it is not', 'too big');
    if (st.size > maxBytes) throw tooBig();
    // Read to its end, whatever its size said (a file still being written, or one of /proc that says 0), never past the bound.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(st.size > total ? st.size - total + 1 : 64 * 1024, maxBytes + 1 - total, 1024 * 1024));
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(n === chunk.length ? chunk : chunk.subarray(0, n));
      total += n;
      if (total > maxBytes) throw tooBig();
    }
    return Buffer.concat(chunks, total).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
