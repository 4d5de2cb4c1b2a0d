import { closeSync, constants, fchmodSync, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync, type BigIntStats } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';

/**
 * Files the tool keeps for itself in a cache folder the user may share (XDG_CACHE_HOME): this
 * user's code cache (bin/front.ts), the stack's parts (src/state/stack-parts-cache.ts), the
 * bytecode of aws-cdk-lib (src/infra/compile-cache.ts) and synthesized assemblies
 * (src/infra/assembly-cache.ts). Such a
 * folder is untrusted until checked. A file is read only from a folder that is the user's, not a
 * link, and that no one else may write; it is opened without following a link or waiting (a FIFO
 * put there would block an open that waits), and must be a plain file of the user's. Files are
 * written only into such a folder, by a new temporary file of their own name and a rename. Every
 * failure means no file, never an error. On Windows there are no owner ids and no refusal of a link
 * at the file itself; a folder that is a link or junction is refused there too.
 */

/** `$XDG_CACHE_HOME/benchling-deploy/<name>` (an absolute XDG_CACHE_HOME: the XDG spec ignores a relative one), else `~/.cache/benchling-deploy/<name>`. */
export function cacheFolder(name: string, env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  const xdg = env.XDG_CACHE_HOME;
  return join(xdg && isAbsolute(xdg) ? xdg : join(home, '.cache'), 'benchling-deploy', name);
}

/** A file's stamp: device, inode, size, modification and change time (ns); another when the file was changed or replaced (the code cache's entries, the synth helper's bundles and modules). */
export function fileStamp(s: BigIntStats): string {
  return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
}

/** FNV-1a, 32 bits, as 8 hex digits: a file name's key, not a check of anything. */
export function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, '0');
}

/** The mode bits that let others write: what a file or folder the tool keeps must not have. */
export const OTHERS_WRITE = 0o022;
/** Every mode bit of others (group and world): what the synth helper's folder must not have (src/infra/synth-helper.ts). */
export const OTHERS_ANY = 0o077;

/** The user's own, with none of the `closed` mode bits: by default, writable by no one else (POSIX only: Windows has no owner ids, and its mode bits are made up: every file reads as writable by all). */
export function onlyTheUsers(st: { uid: number; mode: number }, closed = OTHERS_WRITE): boolean {
  const uid = process.getuid?.();
  return uid === undefined || (st.uid === uid && (st.mode & closed) === 0);
}

/** A folder, not a link, of the user's, with none of the `closed` mode bits: by default, one no one else may write (false when it is missing). */
export function ownFolder(dir: string, closed = OTHERS_WRITE): boolean {
  const st = lstatSync(dir, { throwIfNoEntry: false });
  return st !== undefined && st.isDirectory() && onlyTheUsers(st, closed);
}

/**
 * `dir`, a folder of the user's and not a link, with the `closed` mode bits taken off through what was opened (never
 * a link in its place): 'closed' when it had some, 'already' when it had none; undefined when it is missing, a link,
 * someone else's, or cannot be changed. POSIX only (the caller answers for Windows).
 */
function closeOwnFolder(dir: string, closed: number, uid: number): 'closed' | 'already' | undefined {
  return withOpened<'closed' | 'already' | undefined>(dir, constants.O_RDONLY | (constants.O_DIRECTORY ?? 0) | (constants.O_NOFOLLOW ?? 0), undefined, (fd) => {
    const st = fstatSync(fd);
    if (!st.isDirectory() || st.uid !== uid) return undefined;
    if ((st.mode & closed) === 0) return 'already';
    fchmodSync(fd, st.mode & 0o7777 & ~closed);
    return 'closed';
  });
}

/** `dir`, a folder of the user's and not a link, made one no one else may enter when it is not; true when it is so now. */
export function makeFolderPrivate(dir: string): boolean {
  const uid = process.getuid?.();
  return uid === undefined ? ownFolder(dir, OTHERS_ANY) : closeOwnFolder(dir, OTHERS_ANY, uid) !== undefined;
}

/**
 * Whether no one but the user and root can replace `realDir` (a real path: no links in it) or a folder above it: each
 * of them, up to the root, is a folder owned by the user or root that no one else may write, unless it is sticky (as
 * /tmp: there, others can neither rename nor remove what is not theirs). OpenSSH's rule for its files (StrictModes).
 * What is reached through such a path is what was checked, not another user's swapped in between. POSIX only (true on
 * Windows); `lstat` and `uid` for tests.
 */
export function safeAncestry(realDir: string, lstat: (path: string) => { isDirectory(): boolean; uid: number; mode: number } = lstatSync, uid: number | undefined = process.getuid?.()): boolean {
  if (uid === undefined) return true;
  if (!isAbsolute(realDir)) return false;
  try {
    for (let path = realDir; ; path = dirname(path)) {
      const st = lstat(path);
      if (!st.isDirectory() || (st.uid !== uid && st.uid !== 0)) return false;
      if ((st.mode & OTHERS_WRITE) !== 0 && (st.mode & 0o1000) === 0) return false;
      if (dirname(path) === path) return true;
    }
  } catch {
    return false;
  }
}

/**
 * A folder of the user's, not a link, that others may write because an older version of the tool made it without
 * keeping them out (under a umask of 002 it was 0775): made writable by the user alone, and true. What it holds was
 * others' to write until now, so the caller drops what it kept there instead of reading it. False when the folder is
 * missing, a link, someone else's, the user's alone already, or cannot be changed (POSIX only: always false on Windows).
 */
export function reclaimOwnFolder(dir: string): boolean {
  const uid = process.getuid?.();
  return uid !== undefined && closeOwnFolder(dir, OTHERS_WRITE, uid) === 'closed';
}

/** `use` of `path` opened with `flags`, closed after (a failing close changes nothing); `otherwise` when any step throws. */
function withOpened<T>(path: string, flags: number, otherwise: T, use: (fd: number) => T): T {
  let fd: number | undefined;
  try {
    fd = openSync(path, flags);
    return use(fd);
  } catch {
    return otherwise;
  } finally {
    if (fd !== undefined) closeQuietly(fd);
  }
}

/** The file's bytes and when it was written, when it may be read (see above) and is at most `maxBytes`; else undefined. */
export function readOwnFile(path: string, maxBytes = Infinity): { data: Buffer; writtenAt: number } | undefined {
  const opened = openOwnFile(path, maxBytes);
  if (opened === undefined) return undefined;
  try {
    return { data: readFileSync(opened.fd), writtenAt: opened.writtenAt };
  } catch {
    return undefined;
  } finally {
    closeQuietly(opened.fd);
  }
}

/**
 * The file opened for reading, when it may be read (see above) and is at most `maxBytes`: its descriptor,
 * which the caller closes, its size and when it was written; else undefined (nothing left open). For a
 * large file read a part at a time: the descriptor keeps the file that was checked, even once another
 * process renames a new one over it.
 */
export function openOwnFile(path: string, maxBytes = Infinity): { fd: number; size: number; writtenAt: number } | undefined {
  try {
    if (!ownFolder(dirname(path))) return undefined;
  } catch {
    return undefined;
  }
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
    const st = fstatSync(fd);
    if (st.isFile() && onlyTheUsers(st) && st.size <= maxBytes) return { fd, size: st.size, writtenAt: st.mtimeMs };
  } catch {
    // Missing, a link, or unreadable: no file.
  }
  if (fd !== undefined) closeQuietly(fd);
  return undefined;
}

/** Closes `fd`; a failing close changes nothing (closed already, or not: nothing more to do with it). */
export function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Nothing to do.
  }
}

/**
 * Writes the bytes `make` gives (made only once the folder passed) to `path`, mode 0600: into a folder of the
 * user's that no one else may write (made 0700 when missing), by a new temporary file of a name of its own (`wx`:
 * never through a link or over a file that was there) and a rename, so a reader never sees half of one.
 * False when nothing was written. Whoever may write the folder above could swap the folder for a link between
 * its check and the rename: the file would then land in another folder of the user's. Reading checks the file.
 */
export function writeOwnFile(path: string, make: () => Buffer | string): boolean {
  const temp = `${path}.${process.pid}-${Math.floor(Math.random() * 0x100000000).toString(16).padStart(8, '0')}.tmp`;
  let made = false;
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    if (!ownFolder(dirname(path))) return false;
    const data = make();
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    const fd = openSync(temp, 'wx', 0o600);
    made = true;
    try {
      for (let at = 0; at < bytes.length; ) {
        const wrote = writeSync(fd, bytes, at);
        if (wrote === 0) throw new Error('no progress writing');
        at += wrote;
      }
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
    return true;
  } catch {
    try {
      if (made) rmSync(temp, { force: true });
    } catch {
      // Left for a later clean-up.
    }
    return false;
  }
}

/** Removes the folder's plain files whose names match `ownNames`, but `kept`, not written for `keepMs`; goes on past any it cannot. */
export function cleanUpFolder(dir: string, kept: string, ownNames: RegExp, keepMs: number): void {
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    // Gone meanwhile: nothing to clean.
  }
  const now = Date.now();
  for (const name of names) {
    const file = join(dir, name);
    try {
      const st = lstatSync(file, { throwIfNoEntry: false });
      if (file !== kept && ownNames.test(name) && st?.isFile() && now - st.mtimeMs > keepMs) rmSync(file, { force: true });
    } catch {
      // Gone meanwhile (another run's clean-up), or not ours to remove: a later write tries again.
    }
  }
}
