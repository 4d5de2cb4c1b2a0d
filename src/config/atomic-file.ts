import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync, mkdirSync, fchmodSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { randomHex } from '../random-hex.js';
import { folderError } from './fs-errors.js';

/**
 * Writes a file so that readers see either the old or the new content, never
 * a part: temporary file in the same folder, fsync, rename, fsync the folder.
 * The file is mode 0600 unless asked otherwise (the config folder's files are
 * nobody else's business). A failure of the file system (read-only or
 * immutable folder, a file where the folder should be, a full disk) throws a
 * typed error naming the file and what to do ({@link folderError}); the old
 * content stays and no temporary file is left.
 */
export function writeFileAtomic(path: string, content: string, mode = 0o600): void {
  try {
    writeAtomic(path, content, mode);
  } catch (error) {
    throw folderError(error, 'write', path);
  }
}

function writeAtomic(path: string, content: string, mode: number): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomHex(4)}.tmp`);
  const fd = openSync(tmp, 'wx', mode);
  try {
    // The mode asked for, whatever the umask left of it.
    fchmodSync(fd, mode);
    writeSync(fd, content);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    safeUnlink(tmp);
    throw error;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (error) {
    safeUnlink(tmp);
    throw error;
  }
  try {
    const dfd = openSync(dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    // Some filesystems refuse fsync on a folder; the rename is still atomic.
  }
}

function safeUnlink(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

/** Names of the temporary files {@link writeFileAtomic} leaves only if killed mid-write. */
export function isTemporaryName(name: string): boolean {
  return name.startsWith('.') && name.endsWith('.tmp');
}
