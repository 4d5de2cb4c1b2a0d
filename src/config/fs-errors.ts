import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { ExternalError, UserError } from '../errors.js';

/** The error codes a config folder produces that an operator can act on. */
const FOLDER_CODES = new Set(['ENOTDIR', 'EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT', 'ENOENT', 'EISDIR', 'ELOOP', 'ENAMETOOLONG', 'EEXIST', 'EMFILE', 'ENFILE', 'EIO']);

/** A config-folder problem the operator can fix (exit 2); keeps the system's code for callers that report it. */
export class FolderError extends UserError {
  readonly code: string;
  readonly path: string;
  constructor(message: string, hint: string, code: string, path: string) {
    super(message, hint);
    this.name = 'FolderError';
    this.code = code;
    this.path = path;
  }
}

/** The disk holding the config folder is full (or over quota): a state of the machine (exit 1). */
export class FolderFullError extends ExternalError {
  readonly code: string;
  readonly path: string;
  constructor(message: string, hint: string, code: string, path: string) {
    super(message, { hint });
    this.name = 'FolderFullError';
    this.code = code;
    this.path = path;
  }
}

/** True for what Node's fs throws (an errno error with a code). */
export function isFsError(error: unknown): error is NodeJS.ErrnoException & { code: string } {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string' && typeof (error as NodeJS.ErrnoException).syscall === 'string';
}

/** The nearest ancestor of `path` that exists and is not a folder: what ENOTDIR is about. */
function fileInTheWay(path: string): string | undefined {
  for (let p = path; p !== dirname(p); p = dirname(p)) {
    try {
      return statSync(p).isDirectory() ? undefined : p;
    } catch {
      // not there (or not reachable): look further up
    }
  }
  return undefined;
}

/**
 * What went wrong with a file of the config folder, in words: the path, the
 * reason and what to do. `doing` says what was attempted ("write", "read",
 * "list", "lock"); `target` is the file the operator knows of when the system
 * call was on a temporary file beside it. Anything that is not an fs error
 * comes back unchanged.
 */
export function folderError(error: unknown, doing: string, target?: string): unknown {
  if (error instanceof FolderError || error instanceof FolderFullError) return error;
  if (!isFsError(error) || !FOLDER_CODES.has(error.code)) return error;
  // mkdir of a folder that is a file says EEXIST: the same as a file in the path.
  const code = error.code === 'EEXIST' && error.syscall === 'mkdir' ? 'ENOTDIR' : error.code;
  const path = error.path ?? target ?? '(unknown path)';
  const what = target && target !== path ? `${target} (its temporary file ${path})` : path;
  const folder = dirname(target ?? path);
  switch (code) {
    case 'ENOTDIR': {
      const file = error.code === 'EEXIST' ? path : fileInTheWay(path);
      return new FolderError(
        `cannot ${doing} ${what}: ${file ?? 'a part of the path'} is a file, not a folder (ENOTDIR)`,
        `--config-dir (or $XDG_CONFIG_HOME) must name a folder; give another one, or move ${file ?? 'the file'} aside`,
        code,
        path,
      );
    }
    case 'EACCES':
    case 'EPERM':
      return new FolderError(
        `cannot ${doing} ${what}: permission denied (${code}); the config folder ${folder} is read-only for this user${code === 'EPERM' ? ' or immutable' : ''}`,
        `make it writable (\`chmod u+rwx ${folder}\`${code === 'EPERM' ? `, or \`chattr -i ${folder}\` if it is immutable` : ''}), or use another folder with --config-dir; nothing was changed`,
        code,
        path,
      );
    case 'EROFS':
      return new FolderError(
        `cannot ${doing} ${what}: the config folder ${folder} is on a read-only file system (EROFS)`,
        `use a writable folder with --config-dir; nothing was changed`,
        code,
        path,
      );
    case 'ENOSPC':
    case 'EDQUOT':
      return new FolderFullError(
        `cannot ${doing} ${what}: ${code === 'ENOSPC' ? 'no space left on the device' : 'disk quota exceeded'} (${code})`,
        `free some space where ${folder} lives, then try again; the file was not changed`,
        code,
        path,
      );
    case 'ENOENT':
      return new FolderError(
        `cannot ${doing} ${what}: no such file or folder (ENOENT)`,
        `check --config-dir (or $XDG_CONFIG_HOME); \`benchling-deploy setup-profile default\` creates the folder`,
        code,
        path,
      );
    case 'EISDIR':
      return new FolderError(`cannot ${doing} ${what}: it is a folder, not a file (EISDIR)`, `move ${path} aside`, code, path);
    case 'EIO':
      return new FolderFullError(`cannot ${doing} ${what}: input/output error (EIO)`, 'check the disk; nothing was changed', code, path);
    default:
      return new FolderError(`cannot ${doing} ${what}: ${error.message.replace(/^[A-Z]+: /, '')}`, 'check --config-dir (or $XDG_CONFIG_HOME); nothing was changed', code, path);
  }
}
