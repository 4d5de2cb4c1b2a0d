import { closeSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { randomHex } from '../random-hex.js';
import { displayLine } from '../display-text.js';
import { ExternalError } from '../errors.js';
import { folderError } from './fs-errors.js';
import { readUntrustedText } from './untrusted-file.js';

/** A lock file names its holder in a line of JSON: anything bigger is not one. */
const LOCK_MAX_BYTES = 64 * 1024;

/** What a lock file says about its holder, so a refusal can name it. */
export interface LockInfo {
  readonly pid: number;
  readonly host: string;
  readonly startedAt: string;
  readonly purpose: string;
  readonly token: string;
  /**
   * The process group of the cdk the holder started (its pid: cdk runs as a
   * group leader). A holder killed with SIGKILL cannot stop it; while any of
   * the group runs, the lock is not stale, so no second cdk starts on the stack.
   */
  readonly cdkPid?: number;
}

export interface HeldLock {
  readonly path: string;
  readonly info: LockInfo;
  /** Records (or, with undefined, clears) the cdk process group running under this lock. */
  noteCdk(pid: number | undefined): void;
  release(): void;
}

/** Another operation is changing the stack: a state of the world, not wrong input (exit 1). */
export class LockHeldError extends ExternalError {
  readonly holder: LockInfo | undefined;
  constructor(path: string, holder: LockInfo | undefined) {
    const orphan = holder && holder.host === hostname() && holder.cdkPid !== undefined && !isAlive(holder.pid);
    // The lock file is outside text (another process, or anyone, wrote it): its fields pass the door.
    const field = (value: unknown) => displayLine(String(value), 200);
    super(
      orphan
        ? `the lock on this stack is held by cdk (pid ${holder.cdkPid}), still running for ${field(holder.purpose)} although the process that started it (pid ${holder.pid}, since ${field(holder.startedAt)}) is gone`
        : holder
          ? `another operation holds the lock on this stack: ${field(holder.purpose)} (pid ${holder.pid} on ${field(holder.host)}, since ${field(holder.startedAt)}${holder.cdkPid ? `; cdk pid ${holder.cdkPid}` : ''})`
          : `another operation holds the lock on this stack (${path})`,
      {
        hint: orphan
          ? `wait for it to end (\`benchling-deploy status\` shows the stack), or stop it with \`kill -TERM -${holder.cdkPid}\`, then try again`
          : holder && holder.host !== hostname()
            ? `wait for it to finish; if that host is gone, remove ${path}`
            : 'wait for it to finish, then try again',
      },
    );
    this.name = 'LockHeldError';
    this.holder = holder;
  }
}

function readInfo(path: string): LockInfo | undefined {
  try {
    const parsed = JSON.parse(readUntrustedText(path, LOCK_MAX_BYTES)) as LockInfo;
    if (typeof parsed.pid !== 'number' || typeof parsed.token !== 'string') return undefined;
    if (parsed.cdkPid !== undefined && !(Number.isInteger(parsed.cdkPid) && parsed.cdkPid > 1)) return { ...parsed, cdkPid: undefined };
    return parsed;
  } catch {
    return undefined;
  }
}

/** Whether a process of this machine still runs (one we may not signal runs too). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * {@link isAlive}, and not a zombie: a process that ended and that no one has reaped yet (a helper whose command is
 * gone, in a container whose first process reaps none). Linux's /proc says so; where there is none, alive is running.
 */
export function isRunning(pid: number): boolean {
  if (!isAlive(pid)) return false;
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return true;
  }
}

/** Whether any process of a process group still runs. */
function isGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isStale(info: LockInfo | undefined): boolean {
  if (info === undefined || info.host !== hostname() || isAlive(info.pid)) return false;
  return info.cdkPid === undefined || !isGroupAlive(info.cdkPid);
}

/**
 * Takes the lock once, recovering a lock whose holder died on this host.
 * Returns undefined while a live holder has it.
 */
export function tryLock(path: string, purpose: string): HeldLock | undefined {
  try {
    return takeLock(path, purpose);
  } catch (error) {
    // A read-only or immutable folder, a file where the folder should be: words, not a stack.
    throw folderError(error, 'take the lock', path);
  }
}

/** Writes `text` to a new file `tmp` (0600); on failure removes it before throwing, so no temporary file is left in the folder. */
function writeTemporary(tmp: string, text: string): void {
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, text);
  } catch (error) {
    closeSync(fd);
    unlinkSync(tmp);
    throw error;
  }
  closeSync(fd);
}

function takeLock(path: string, purpose: string): HeldLock | undefined {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const info: LockInfo = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), purpose, token: randomHex(8) };
  for (let attempt = 0; attempt < 3; attempt++) {
    // The lock appears with its content complete (hard link of a written file), so a
    // holder killed at any point leaves either no lock or one that names it.
    const tmp = join(dirname(path), `.${basename(path)}.${info.token}.tmp`);
    writeTemporary(tmp, JSON.stringify(info));
    try {
      linkSync(tmp, path);
      return makeHeld(path, info);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      unlinkSync(tmp);
    }
    const current = readInfo(path);
    if (current === undefined) {
      // Being written right now, or garbage left by a crash between open and write.
      if (!recoverUnreadable(path)) return undefined;
      continue;
    }
    if (!isStale(current)) return undefined;
    recoverStale(path, current);
  }
  return undefined;
}

/** Moves a dead holder's lock aside; puts it back if it turned out to be someone else's fresh lock. */
function recoverStale(path: string, seen: LockInfo): void {
  const aside = `${path}.${randomHex(4)}.stale`;
  try {
    renameSync(path, aside);
  } catch {
    return;
  }
  const moved = readInfo(aside);
  if (moved?.token === seen.token) {
    unlinkSync(aside);
    return;
  }
  try {
    linkSync(aside, path);
  } catch {
    // a third process took the lock meanwhile; the one we moved is lost to its owner,
    // who will notice on release (token mismatch) and not remove the new lock.
  }
  unlinkSync(aside);
}

/** A lock file with no readable content older than a few seconds is a crash leftover. */
function recoverUnreadable(path: string): boolean {
  try {
    const { mtimeMs } = statSync(path);
    if (Date.now() - mtimeMs < 5_000) return false;
    unlinkSync(path);
    return true;
  } catch {
    return true;
  }
}

function makeHeld(path: string, first: LockInfo): HeldLock {
  let released = false;
  let info = first;
  return {
    path,
    get info() {
      return info;
    },
    noteCdk(pid) {
      if (released || readInfo(path)?.token !== info.token) return;
      const noted = { ...info, cdkPid: pid };
      // Replaced whole (rename), so a reader sees the old content or the new, never half.
      const tmp = join(dirname(path), `.${basename(path)}.${info.token}.cdk.tmp`);
      try {
        writeTemporary(tmp, JSON.stringify(noted));
        renameSync(tmp, path);
        info = noted;
      } catch {
        // A note that cannot be written (a full disk) leaves the lock as it was: still
        // held, only without the cdk's pid. Failing here would fail the deploy while
        // its cdk runs on, unlocked.
        try {
          unlinkSync(tmp);
        } catch {
          // never written
        }
      }
    },
    release() {
      if (released) return;
      released = true;
      if (readInfo(path)?.token === info.token) {
        try {
          unlinkSync(path);
        } catch {
          // already gone
        }
      }
    },
  };
}

/** Takes the lock or throws {@link LockHeldError} naming the holder. */
export function acquireLock(path: string, purpose: string): HeldLock {
  const held = tryLock(path, purpose);
  if (held) return held;
  throw new LockHeldError(path, readInfo(path));
}

/** Waits (polling) up to `timeoutMs` for the lock; for short critical sections. */
export async function waitForLock(path: string, purpose: string, timeoutMs = 15_000): Promise<HeldLock> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const held = tryLock(path, purpose);
    if (held) return held;
    if (Date.now() >= deadline) throw new LockHeldError(path, readInfo(path));
    await new Promise((r) => setTimeout(r, 20 + Math.random() * 30));
  }
}
