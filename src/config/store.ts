import { readdirSync, statSync } from 'node:fs';
import { describeJsonSyntaxError } from './json-error.js';
import { UserError, UserErrors } from '../errors.js';
import { writeFileAtomic, isTemporaryName } from './atomic-file.js';
import { profilePath, reservedProfileName } from './paths.js';
import { folderError } from './fs-errors.js';
import { PROFILE_MAX_BYTES, readUntrustedText } from './untrusted-file.js';
import { checkProfile } from './validate.js';
import { PROFILE_NAME_RE, type ProfileFile, type ResolvedProfile } from './schema.js';

export interface LoadedProfile {
  readonly name: string;
  readonly path: string;
  /** Present when the file is valid. */
  readonly profile?: ResolvedProfile;
  readonly file?: ProfileFile;
  /** Every problem found, each naming file and field; empty when valid. */
  readonly problems: readonly string[];
  /** True when the file is in the older tool's (v0.6) layout. */
  readonly v06: boolean;
  /** Not errors, but worth telling: e.g. a readable file holding the client secret. */
  readonly warnings: readonly string[];
}

/**
 * Profile names in the folder, sorted with `default` first then `dev`. The
 * tool's other files (deploy.json, its lock, kept originals, temporary files)
 * are never taken for profiles ({@link reservedProfileName}).
 */
export function listProfileNames(configDir: string): string[] {
  let files: string[];
  try {
    files = readdirSync(configDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw folderError(error, 'list the profiles in', configDir);
  }
  return files
    .filter((f) => f.endsWith('.json') && !isTemporaryName(f))
    .map((f) => f.slice(0, -'.json'.length))
    .filter((n) => PROFILE_NAME_RE.test(n) && reservedProfileName(n) === undefined)
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** Refuses a name that is not a profile's (exit 2), saying why; `what` is the flag or command that gave it. */
export function checkProfileName(name: string, what: string): void {
  if (!PROFILE_NAME_RE.test(name)) throw new UserError(`${what}: "${name}" is not a profile name (letters, digits, "-", "_"; at most 64)`);
  const reserved = reservedProfileName(name);
  if (reserved) throw new UserError(`${what}: "${name}" cannot be a profile name: ${reserved}`, 'choose another name, e.g. `default` (prod), `dev`, or `staging`');
}

function rank(name: string): number {
  return name === 'default' ? 0 : name === 'dev' ? 1 : 2;
}

/** Parses a JSON file, naming the file and the position of a syntax error. */
export function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readUntrustedText(path, PROFILE_MAX_BYTES);
  } catch (error) {
    if (error instanceof UserError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`${path}: no such file`);
    const described = folderError(error, 'read', path);
    throw described instanceof Error && described !== error ? described : new UserError(`${path}: cannot be read (${code ?? String(error)})`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UserError(`${path}: ${describeJsonSyntaxError(text, error)}`, 'fix the file by hand or recreate it');
  }
}

/** Reads and checks one profile without throwing: problems are data. */
export function inspectProfile(configDir: string, name: string): LoadedProfile {
  const path = profilePath(configDir, name);
  let raw: unknown;
  try {
    raw = readJsonFile(path);
  } catch (error) {
    return { name, path, problems: [(error as Error).message], v06: false, warnings: [] };
  }
  const check = checkProfile(raw, path, name);
  const exposed = secretExposure(path, raw);
  // PRODUCT.md: a file holding the client secret must not be readable by group or others. A v0.6 file is told
  // (migrate writes the profile 0600 and keeps the original 0600); any other is refused, as a field would be.
  const v06 = !check.ok && check.v06;
  const readable = exposed?.readable === true && !v06;
  const problems = [...(check.ok ? [] : check.problems), ...(readable ? [exposed.message] : [])];
  const warnings = exposed && !readable ? [exposed.message] : [];
  if (!check.ok || problems.length > 0) return { name, path, problems, v06, warnings };
  return { name, path, profile: check.profile, file: check.file, problems: [], v06: false, warnings };
}

export function inspectAllProfiles(configDir: string): LoadedProfile[] {
  return listProfileNames(configDir).map((n) => inspectProfile(configDir, n));
}

/** Loads one profile or throws a UserError listing every problem (exit 2). */
export function loadProfile(configDir: string, name: string): LoadedProfile & { profile: ResolvedProfile; file: ProfileFile } {
  checkProfileName(name, '--profile');
  const path = profilePath(configDir, name);
  if (!isFile(path)) {
    throw new UserError(`${path}: no such profile "${name}"`, `create it with \`benchling-deploy setup-profile ${name}\``);
  }
  const loaded = inspectProfile(configDir, name);
  if (!loaded.profile || !loaded.file) {
    throw new UserErrors(loaded.problems, loaded.v06 ? 'run `benchling-deploy migrate`' : `fix the file, then \`benchling-deploy validate --profile ${name}\``);
  }
  return loaded as LoadedProfile & { profile: ResolvedProfile; file: ProfileFile };
}

/** Whether `path` is there; a folder that cannot be read (or is a file) is said as it is, not as "no such profile". */
export function isFile(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw folderError(error, 'read', path);
  }
}

/**
 * How a file holding the client secret is open to others: `readable` (group or others may read it: refused), else
 * open some other way (group or others may write or run it: told). Undefined when it is the user's alone, holds no
 * secret, or on Windows (no such modes).
 */
function secretExposure(path: string, raw: unknown): { readonly readable: boolean; readonly message: string } | undefined {
  if (!raw || typeof raw !== 'object' || !('benchlingClientSecret' in raw)) return undefined;
  if (process.platform === 'win32') return undefined;
  let mode: number;
  try {
    mode = statSync(path).mode & 0o777;
  } catch {
    return undefined; // unreadable: already reported as a problem
  }
  if ((mode & 0o077) === 0) return undefined;
  const readable = (mode & 0o044) !== 0;
  const how = readable ? 'readable' : 'writable';
  return { readable, message: `${path}: benchlingClientSecret: the file holding it is ${how} by group or others (mode ${mode.toString(8)}); it must be yours alone: run \`chmod 600 ${path}\`` };
}

/**
 * Writes a profile after checking it. Always mode 0600: a profile may hold the
 * client secret, and nobody else needs to read it.
 */
export function saveProfile(configDir: string, file: ProfileFile): ResolvedProfile {
  if (typeof file.profile === 'string') checkProfileName(file.profile, 'profile');
  const path = profilePath(configDir, file.profile);
  const check = checkProfile(file, path, file.profile);
  if (!check.ok) throw new UserErrors(check.problems);
  const text = `${JSON.stringify(file, null, 2)}\n`;
  // Never a file the tool would then refuse to read (readJsonFile's bound), and so could not rewrite.
  if (Buffer.byteLength(text) > PROFILE_MAX_BYTES) {
    throw new UserError(`${path}: the profile would be more than ${PROFILE_MAX_BYTES / (1024 * 1024)} MiB; nothing was written`, 'a profile is a few hundred bytes: check the values given, the longest first');
  }
  writeFileAtomic(path, text, 0o600);
  return check.profile;
}
