import { existsSync, statSync, unlinkSync } from 'node:fs';
import { PROFILE_MAX_BYTES, RECORDS_MAX_BYTES, readUntrustedText } from '../config/untrusted-file.js';
import { describeJsonSyntaxError } from '../config/json-error.js';
import { basename } from 'node:path';
import { ExternalError, UserError } from '../errors.js';
import { displayLine } from '../display-text.js';
import { writeFileAtomic } from '../config/atomic-file.js';
import { V06_SECTION_CARRIERS, convertLegacyRecords, lockPathFor, readDeployRecords, serializeRecords } from './deploy-records.js';
import { acquireLock } from '../config/lock.js';
import { FolderError, folderError } from '../config/fs-errors.js';
import type { EnvironmentName } from '../config/schema.js';
import { deployRecordPath, profilePath } from '../config/paths.js';
import { listProfileNames } from '../config/store.js';
import { isV06Profile } from '../config/validate.js';
import { migrateV06Profile, type ImageSupport, type V06Migration } from '../config/migrate.js';

/**
 * `migrate`'s file side: what would change (a plan, read-only) and applying
 * it so that a failure part-way leaves the originals in place. Backups are
 * written first, then the new files atomically; anything already replaced is
 * put back if a later step fails.
 */

/** One file `migrate` replaces, with its original kept beside it. */
export interface FileChange {
  readonly path: string;
  readonly backupPath: string;
  readonly before: string;
  readonly beforeMode: number;
  readonly after: string;
  readonly afterMode: number;
  readonly backupMode: number;
  /** The backup is already there with the same bytes (a run interrupted after it); not rewritten. */
  readonly backupExists: boolean;
}

export type ProfilePart =
  | { readonly state: 'v0.6'; readonly change: FileChange; readonly migration: V06Migration }
  | { readonly state: 'current' | 'missing'; readonly path: string };

export type RecordsPart =
  | { readonly state: 'v0.6'; readonly change: FileChange; readonly converted: readonly EnvironmentName[]; readonly lines: readonly string[] }
  | { readonly state: 'current' | 'missing'; readonly path: string };

export interface MigrationPlan {
  readonly configDir: string;
  readonly profile: ProfilePart;
  readonly records: RecordsPart;
  /** Worth telling: other v0.6-shaped files, originals kept earlier, ... */
  readonly notes: readonly string[];
}

export interface MigrationOptions {
  /** `--image-tag`, for a v0.6 file with no image tag or `latest`. */
  readonly imageTag?: string;
  /** The images the stack serves (the command's, from the container contract): an image it cannot serve is refused. */
  readonly images?: ImageSupport;
}

/** The older tool's files' names once kept beside: `default.v0.6.json`, `deploy.v0.6.json`. */
export function backupPathFor(path: string): string {
  return path.replace(/\.json$/, '.v0.6.json');
}

/** Reads the config folder and works out every change; writes nothing. Throws UserError(s) for bad input. */
export function planMigration(configDir: string, options: MigrationOptions = {}): MigrationPlan {
  const notes: string[] = [];
  const profile = planProfile(configDir, options, notes);
  const records = planRecords(configDir);
  for (const name of listProfileNames(configDir)) {
    if (name === 'default') continue;
    const path = profilePath(configDir, name);
    if (isV06Profile(readJsonOrUndefined(path))) {
      notes.push(`${path} also looks like a v0.6 profile; migrate converts only default.json (the older tool wrote only that file): recreate it with \`benchling-deploy setup-profile ${name}\``);
    }
  }
  if (profile.state === 'v0.6') notes.push(...profile.migration.notes);
  if (profile.state !== 'v0.6' && options.imageTag !== undefined) {
    notes.push(`--image-tag is not used: ${profile.path} is ${profile.state === 'missing' ? 'not there' : 'not a v0.6 profile'}`);
  }
  for (const part of [profile, records]) {
    if (part.state !== 'v0.6' && existsSync(backupPathFor(part.path))) notes.push(`the original of the older tool is kept in ${backupPathFor(part.path)}`);
  }
  return { configDir, profile, records, notes };
}

/** True when there is nothing to write: a second run, or a folder with no v0.6 file. */
export function isNothingToDo(plan: MigrationPlan): boolean {
  return plan.profile.state !== 'v0.6' && plan.records.state !== 'v0.6';
}

function planProfile(configDir: string, options: MigrationOptions, notes: string[]): ProfilePart {
  const path = profilePath(configDir, 'default');
  const original = readOriginal(path);
  if (!original) return { state: 'missing', path };
  const raw = parseJson(path, original.text);
  if (!isV06Profile(raw)) {
    if (!isJsonObject(raw) || !Object.hasOwn(raw, 'profile')) notes.push(`${path} is neither a v0.6 profile nor a valid one; \`benchling-deploy validate\` lists its problems`);
    return { state: 'current', path };
  }
  const migration = migrateV06Profile(raw as Record<string, unknown>, { fileLabel: path, imageTag: options.imageTag, images: options.images, deployedStack: deployedProdStack(configDir) });
  const change = fileChange(path, original, `${JSON.stringify(migration.profile, null, 2)}\n`, 0o600, 0o600);
  return { state: 'v0.6', change, migration };
}

/** The prod stack's ARN that `deploy.json` holds (v0.6 or converted), if any; a malformed file is reported by planRecords. */
function deployedProdStack(configDir: string): { arn: string; from: string } | undefined {
  const read = readDeployRecords(deployRecordPath(configDir));
  if (read.state !== 'ok') return undefined;
  const prod = read.raw.prod;
  const arn = isJsonObject(prod) ? prod.stackArn : undefined;
  return typeof arn === 'string' ? { arn, from: 'deploy.json prod.stackArn' } : undefined;
}

function planRecords(configDir: string): RecordsPart {
  const path = deployRecordPath(configDir);
  const read = readDeployRecords(path);
  if (read.state === 'missing') return { state: 'missing', path };
  if (read.state === 'malformed') {
    throw new UserError(read.error, `nothing was written; fix ${path} by hand, or move it aside (mv ${path} ${path}.bad), then run migrate again`);
  }
  const conversion = convertLegacyRecords(read.raw, read.records);
  if (!conversion) return { state: 'current', path };
  const original = readOriginal(path)!;
  const lines = conversion.converted.flatMap((env) => describeSection(env, read.raw[env] as Record<string, unknown>, conversion.raw[env] as Record<string, unknown>));
  // Every file the tool writes in the config folder is its owner's only (0600), the kept original too.
  const change = fileChange(path, original, serializeRecords(conversion.raw), 0o600, 0o600);
  return { state: 'v0.6', change, converted: conversion.converted, lines };
}

/** Where each key of a v0.6 section goes, for the plan. */
function describeSection(env: EnvironmentName, before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const steps: [string, string][] = [];
  for (const [key, value] of Object.entries(before)) {
    if (value === undefined || value === null) continue;
    const carrier = Object.hasOwn(V06_SECTION_CARRIERS, key) ? V06_SECTION_CARRIERS[key] : undefined;
    if (!Object.hasOwn(after, key) && carrier && after[carrier] === value) {
      steps.push([`${env}.${key}`, `${env}.${carrier} ${show(value)}`]);
    } else if (after[key] === value) {
      const why = key === 'stackArn' ? ' (no field of its own: kept, and the next deploy moves it into history)' : CURRENT_KEYS.has(key) ? '' : ' (kept as is)';
      steps.push([`${env}.${key}`, `${env}.${key} ${show(value)}${why}`]);
    } else {
      steps.push([`${env}.${key}`, `${env}.${key} ${show(after[key])}`]);
    }
  }
  for (const [key, value] of Object.entries(after)) {
    if (Object.hasOwn(before, key) || Object.entries(V06_SECTION_CARRIERS).some(([old, carrier]) => carrier === key && before[old] === value)) continue;
    const from = key === 'stackName' && typeof before.stackArn === 'string' ? `${env}.stackArn` : '(new)';
    steps.push([from, `${env}.${key} ${show(value)}`]);
  }
  const width = Math.max(...steps.map(([from]) => from.length));
  return steps.map(([from, to]) => `${from.padEnd(width)} -> ${to}`);
}

/** Keys of the current layout, so the plan does not call them "kept as is". */
const CURRENT_KEYS = new Set(['endpoint', 'imageTag', 'deployedAt', 'stackName', 'stage', 'history', 'destroyedAt']);

function show(value: unknown): string {
  if (Array.isArray(value)) return value.length === 0 ? '[]' : `[${value.length} entries]`;
  return JSON.stringify(value);
}

interface Original {
  readonly text: string;
  readonly mode: number;
}

/** The file at `path` as it is, within its bound: deploy.json's (and its kept original's, deploy.v0.6.json), else a profile's. */
function readOriginal(path: string): Original | undefined {
  const maxBytes = /^deploy\.(v0\.6\.)?json$/.test(basename(path)) ? RECORDS_MAX_BYTES : PROFILE_MAX_BYTES;
  try {
    return { text: readUntrustedText(path, maxBytes), mode: statSync(path).mode & 0o777 };
  } catch (error) {
    if (error instanceof UserError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    const described = folderError(error, 'read', path);
    throw described instanceof Error && described !== error ? described : new UserError(`${path}: cannot be read (${code ?? String(error)})`);
  }
}

function parseJson(path: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UserError(`${path}: ${describeJsonSyntaxError(text, error)}`, 'nothing was written; fix the file by hand, then run migrate again');
  }
}

function readJsonOrUndefined(path: string): unknown {
  try {
    return JSON.parse(readUntrustedText(path, PROFILE_MAX_BYTES));
  } catch {
    return undefined;
  }
}

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}

function fileChange(path: string, original: Original, after: string, afterMode: number, backupMode: number): FileChange {
  const backupPath = backupPathFor(path);
  const existing = readOriginal(backupPath);
  if (existing && existing.text !== original.text) {
    throw new UserError(
      `${backupPath}: already exists and differs from ${path}; it may be the only copy of an earlier original, so migrate does not replace it`,
      `nothing was written; move it aside (mv ${backupPath} ${backupPath}.old), then run migrate again`,
    );
  }
  return { path, backupPath, before: original.text, beforeMode: original.mode, after, afterMode, backupMode, backupExists: existing !== undefined };
}

/** The two file operations `applyMigration` needs; a test injects a failing one. */
export interface MigrationIo {
  write(path: string, content: string, mode: number): void;
  remove(path: string): void;
}

export const fileSystemIo: MigrationIo = {
  write: (path, content, mode) => writeFileAtomic(path, content, mode),
  remove: (path) => unlinkSync(path),
};

export interface AppliedMigration {
  /** Files written in the new layout. */
  readonly written: readonly string[];
  /** Where the originals are kept. */
  readonly kept: readonly string[];
}

/**
 * Applies a plan under deploy.json's lock (no deploy can record meanwhile).
 * Refuses if a file changed since the plan was made. On a failure, every file
 * already replaced is put back and the backups this run made are removed; the
 * error says what, if anything, could not be undone.
 */
export function applyMigration(plan: MigrationPlan, io: MigrationIo = fileSystemIo): AppliedMigration {
  const changes = [plan.profile, plan.records].flatMap((part) => (part.state === 'v0.6' ? [part.change] : []));
  if (changes.length === 0) return { written: [], kept: [] };
  const lock = acquireLock(lockPathFor(deployRecordPath(plan.configDir)), 'migrate');
  try {
    for (const change of changes) {
      if (readOriginal(change.path)?.text !== change.before) {
        throw new UserError(`${change.path}: changed since the plan was made; nothing was written`, 'run `benchling-deploy migrate` again to see the new plan');
      }
      const backup = readOriginal(change.backupPath);
      if (backup ? backup.text !== change.before : change.backupExists) {
        throw new UserError(`${change.backupPath}: changed since the plan was made; nothing was written`, 'run `benchling-deploy migrate` again to see the new plan');
      }
    }
    const backupsMade: FileChange[] = [];
    const replaced: FileChange[] = [];
    let current = '';
    try {
      for (const change of changes) {
        if (change.backupExists) continue;
        current = change.backupPath;
        io.write(change.backupPath, change.before, change.backupMode);
        backupsMade.push(change);
      }
      for (const change of changes) {
        current = change.path;
        io.write(change.path, change.after, change.afterMode);
        replaced.push(change);
      }
    } catch (error) {
      const unresolved = undo(replaced, backupsMade, io);
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      const hint =
        unresolved.length === 0
          ? `nothing was changed: the originals are in place (${changes.map((c) => c.path).join(', ')})`
          : unresolved.join('\n');
      // A folder the operator can fix (read-only, immutable, not a folder) is input (exit 2); a full disk is not.
      if (error instanceof FolderError) throw new UserError(`migrate: ${error.message}`, `${error.hint}\n${hint}`);
      throw new ExternalError(`migrate: could not write ${current} (${reason})`, { cause: error, hint });
    }
    return { written: changes.map((c) => c.path), kept: changes.map((c) => c.backupPath) };
  } finally {
    lock.release();
  }
}

/** Puts originals back, then removes the backups whose original is verified in place. Returns what it could not undo. */
function undo(replaced: readonly FileChange[], backupsMade: readonly FileChange[], io: MigrationIo): string[] {
  const unresolved: string[] = [];
  for (const change of [...replaced].reverse()) {
    try {
      io.write(change.path, change.before, change.beforeMode);
    } catch (error) {
      unresolved.push(
        `${change.path} is in the new layout but the rest was not converted, and putting the original back failed (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); the original is in ${change.backupPath}: mv ${change.backupPath} ${change.path}`,
      );
    }
  }
  for (const change of backupsMade) {
    if (readOriginal(change.path)?.text !== change.before) continue; // keep it: it may be the only copy
    try {
      io.remove(change.backupPath);
    } catch {
      unresolved.push(`${change.backupPath} was left behind (a copy of ${change.path}); remove it before running migrate again`);
    }
  }
  return unresolved;
}

/**
 * The plan as text for the terminal; the client secret is never in it. Keys
 * and values come from the v0.6 files: each line passes the door (one line,
 * escaped, bounded).
 */
export function formatMigrationPlan(plan: MigrationPlan): string[] {
  return planLines(plan).map((l) => displayLine(l, 2000));
}

function planLines(plan: MigrationPlan): string[] {
  const lines: string[] = [];
  const { profile, records } = plan;
  if (isNothingToDo(plan)) {
    lines.push(`nothing to migrate in ${plan.configDir}: ${describeState(profile)}; ${describeState(records)}`);
    for (const note of plan.notes) lines.push(`note: ${note}`);
    return lines;
  }
  lines.push(`Migrate the older tool's (v0.6) files in ${plan.configDir}:`);
  if (profile.state === 'v0.6') {
    const { migration, change } = profile;
    lines.push('', `default.json -> the prod profile "default" (mode 0600); original kept as ${baseName(change.backupPath)}`);
    for (const line of migration.plan) lines.push(`  ${line}`);
    if (migration.dropped.length > 0) {
      lines.push('  no place in the new layout (not carried over):');
      const keys = migration.dropped.map((d) => displayLine(d.key, 100));
      const width = Math.max(...keys.map((k) => k.length));
      migration.dropped.forEach((d, i) => lines.push(`    ${keys[i].padEnd(width)}  ${d.reason}`));
    }
  } else {
    lines.push('', `${describeState(profile)}${profile.state === 'current' ? ': not changed' : ''}`);
  }
  if (records.state === 'v0.6') {
    lines.push('', `deploy.json: ${records.converted.join(' and ')} to the current layout; original kept as ${baseName(records.change.backupPath)}`);
    for (const line of records.lines) lines.push(`  ${line}`);
  } else {
    lines.push('', `${describeState(records)}${records.state === 'current' ? ': not changed' : ' (nothing to convert)'}`);
  }
  if (plan.notes.length > 0) lines.push('');
  for (const note of plan.notes) lines.push(`note: ${note}`);
  return lines;
}

function describeState(part: ProfilePart | RecordsPart): string {
  const name = baseName(part.state === 'v0.6' ? part.change.path : part.path);
  if (part.state === 'missing') return `no ${name}`;
  if (part.state === 'current') return `${name} is already in the current layout`;
  return `${name} is in the v0.6 layout`;
}

function baseName(path: string): string {
  return basename(path);
}
