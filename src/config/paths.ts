import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { displayLine } from '../display-text.js';

export const CONFIG_FOLDER_NAME = 'benchling-webhook';

/** An AWS region's name, such as us-east-1 (here, not in the schema, so the commands' first checks need no zod). */
export const REGION_RE = /^[a-z]{2}(?:-[a-z]+)+-\d$/;

/**
 * Where profiles and deploy.json live: `--config-dir`, else
 * `$XDG_CONFIG_HOME/benchling-webhook`, else `~/.config/benchling-webhook`.
 */
export function resolveConfigDir(flag?: string, env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  if (flag) return absolutePath(flag, '--config-dir');
  const xdg = env.XDG_CONFIG_HOME;
  if (xdg && xdg.trim() !== '') return join(absolutePath(xdg, 'XDG_CONFIG_HOME'), CONFIG_FOLDER_NAME);
  return join(home, '.config', CONFIG_FOLDER_NAME);
}

/**
 * `path` (a flag's or a variable's value, named by `what`) made absolute. A
 * relative one is taken from the working folder; when that folder is gone
 * (deleted under the shell) there is none to take it from: the user's error,
 * exit 2, rather than Node's uv_cwd failure.
 */
export function absolutePath(path: string, what: string): string {
  if (isAbsolute(path)) return resolve(path);
  let cwd: string;
  try {
    cwd = process.cwd();
  } catch {
    throw new UserError(`${what}: "${displayLine(path, 200)}" is relative, and the working folder no longer exists`, 'cd to a folder that exists, or give an absolute path');
  }
  return resolve(cwd, path);
}

export function profilePath(configDir: string, profile: string): string {
  return join(configDir, `${profile}.json`);
}

export function deployRecordPath(configDir: string): string {
  return join(configDir, 'deploy.json');
}

/** deploy.json's file name: the deploy records, never a profile. */
export const DEPLOY_RECORDS_FILE = 'deploy.json';

/**
 * Why `name` cannot be a profile: its file (`<name>.json`) would be, or be
 * taken for, a file the tool keeps in the config folder: `deploy.json`, its
 * lock (`deploy.json.lock` and what recovering it leaves), the originals
 * `migrate` keeps (`*.v0.6.json`), temporary files (`.*.tmp`). Compared
 * without case, as macOS and Windows compare file names. Undefined when the
 * name is free.
 */
export function reservedProfileName(name: string): string | undefined {
  const file = `${name}.json`.toLowerCase();
  const records = DEPLOY_RECORDS_FILE.toLowerCase();
  if (file === records) return `its file would be ${DEPLOY_RECORDS_FILE}, the deploy records`;
  if (file.startsWith(`${records}.`)) return `its file would be taken for ${DEPLOY_RECORDS_FILE}'s lock`;
  if (file.endsWith('.v0.6.json')) return 'its file would be taken for an original that `migrate` keeps (*.v0.6.json)';
  if (file.startsWith('.') || /\.(tmp|stale|lock)(\.json)?$/.test(file)) return 'its file would be taken for a temporary or lock file';
  return undefined;
}
