import { readFileSync } from 'node:fs';
import { describeJsonSyntaxError } from '../config/json-error.js';
import { UserError } from '../errors.js';
import { ENVIRONMENTS, DEFAULT_STACK_NAME, type EnvironmentName } from '../config/schema.js';
import { writeFileAtomic } from './atomic-file.js';
import { waitForLock, type HeldLock } from './lock.js';

export const HISTORY_LIMIT = 20;

/** One earlier deploy of an environment, newest first in {@link EnvironmentRecord.history}. */
export interface HistoryEntry {
  readonly imageTag: string;
  readonly deployedAt: string;
  readonly endpoint?: string;
  /** v0.6 values kept when an old section is converted. */
  readonly stackArn?: string;
  readonly webhookUrl?: string;
  readonly destroyedAt?: string;
}

export interface EnvironmentRecord {
  readonly endpoint: string;
  readonly imageTag: string;
  readonly deployedAt: string;
  readonly stackName: string;
  readonly stage: string;
  readonly history: readonly HistoryEntry[];
  /** Set by `destroy`: the stack is gone but the history stays. */
  readonly destroyedAt?: string;
  /** True when the section was read from the older (v0.6) layout and not yet converted. */
  readonly legacy?: boolean;
}

export type DeployRecords = Partial<Record<EnvironmentName, EnvironmentRecord>>;

export type RecordsRead =
  | { readonly state: 'missing'; readonly records: DeployRecords }
  | { readonly state: 'ok'; readonly records: DeployRecords; readonly raw: Record<string, unknown> }
  | { readonly state: 'malformed'; readonly error: string };

/** What a successful deploy writes. */
export interface NewDeploy {
  readonly endpoint: string;
  readonly imageTag: string;
  readonly deployedAt: string;
  readonly stackName: string;
}

export function lockPathFor(recordsPath: string): string {
  return `${recordsPath}.lock`;
}

/** Reads deploy.json without throwing; a malformed file is reported, never repaired here. */
export function readDeployRecords(path: string): RecordsRead {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'missing', records: {} };
    return { state: 'malformed', error: `${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})` };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { state: 'malformed', error: `${path}: ${describeJsonSyntaxError(text, error)}` };
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    return { state: 'malformed', error: `${path}: expected a JSON object with "dev" and/or "prod" sections` };
  }
  const records: Record<string, EnvironmentRecord> = {};
  for (const env of ENVIRONMENTS) {
    const section = (raw as Record<string, unknown>)[env];
    if (section === undefined || section === null) continue;
    const parsed = parseSection(section, env);
    if (typeof parsed === 'string') return { state: 'malformed', error: `${path}: ${env}.${parsed}` };
    records[env] = parsed;
  }
  return { state: 'ok', records, raw: raw as Record<string, unknown> };
}

/** Like {@link readDeployRecords} but throws a UserError (exit 2) for a malformed file. */
export function loadDeployRecords(path: string): DeployRecords {
  const read = readDeployRecords(path);
  if (read.state === 'malformed') throw malformedError(read.error, path);
  return read.records;
}

function malformedError(error: string, path: string): UserError {
  return new UserError(error, `the file is kept as it is; fix it by hand, or move it aside (mv ${path} ${path}.bad) to start a new one`);
}

const str = (v: unknown): v is string => typeof v === 'string';

/** Returns the section, or the field path that is wrong (for the error message). */
function parseSection(section: unknown, env: EnvironmentName): EnvironmentRecord | string {
  if (typeof section !== 'object' || Array.isArray(section)) return ' expected an object';
  const s = section as Record<string, unknown>;
  for (const key of ['endpoint', 'webhookEndpoint', 'webhookUrl', 'imageTag', 'deployedAt', 'deploymentTimestamp', 'stackName', 'stage', 'stackArn', 'destroyedAt']) {
    if (s[key] !== undefined && s[key] !== null && !str(s[key])) return `${key}: expected a string`;
  }
  if (s.history !== undefined && !Array.isArray(s.history)) return 'history: expected an array';
  const history: HistoryEntry[] = [];
  for (const [i, h] of ((s.history as unknown[]) ?? []).entries()) {
    if (!h || typeof h !== 'object' || Array.isArray(h)) return `history[${i}]: expected an object`;
    const e = h as Record<string, unknown>;
    if (!str(e.imageTag)) return `history[${i}].imageTag: expected a string`;
    if (!str(e.deployedAt)) return `history[${i}].deployedAt: expected a string`;
    for (const key of ['endpoint', 'stackArn', 'webhookUrl', 'destroyedAt']) {
      if (e[key] !== undefined && !str(e[key])) return `history[${i}].${key}: expected a string`;
    }
    history.push(pickDefined({ imageTag: e.imageTag, deployedAt: e.deployedAt, endpoint: e.endpoint as string | undefined, stackArn: e.stackArn as string | undefined, webhookUrl: e.webhookUrl as string | undefined, destroyedAt: e.destroyedAt as string | undefined }));
  }
  const endpoint = (s.endpoint ?? s.webhookEndpoint ?? s.webhookUrl ?? '') as string;
  // Not in the current layout: written by the older tool (webhookEndpoint, no history) or by hand.
  const legacy = s.endpoint === undefined || s.endpoint === null || s.history === undefined;
  return pickDefined({
    endpoint,
    imageTag: (s.imageTag as string | undefined) ?? '',
    deployedAt: ((s.deployedAt ?? s.deploymentTimestamp) as string | undefined) ?? '',
    stackName: (s.stackName as string | undefined) ?? stackNameFromArn(s.stackArn as string | undefined) ?? DEFAULT_STACK_NAME,
    stage: (s.stage as string | undefined) ?? env,
    history,
    destroyedAt: (s.destroyedAt as string | undefined) ?? undefined,
    legacy: legacy || undefined,
  });
}

function stackNameFromArn(arn: string | undefined): string | undefined {
  return arn ? /:stack\/([^/]+)\//.exec(arn)?.[1] : undefined;
}

function pickDefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** The entry the current section becomes when a newer deploy replaces it. */
function asHistory(previous: Record<string, unknown>, parsed: EnvironmentRecord): HistoryEntry | undefined {
  if (!parsed.imageTag && !parsed.deployedAt) return undefined;
  return pickDefined({
    imageTag: parsed.imageTag,
    deployedAt: parsed.deployedAt,
    endpoint: parsed.endpoint || undefined,
    stackArn: typeof previous.stackArn === 'string' ? previous.stackArn : undefined,
    webhookUrl: typeof previous.webhookUrl === 'string' && previous.webhookUrl !== parsed.endpoint ? previous.webhookUrl : undefined,
    destroyedAt: parsed.destroyedAt,
  });
}

/** deploy.json's text as every writer of it writes it. */
export function serializeRecords(raw: Record<string, unknown>): string {
  return `${JSON.stringify(raw, null, 2)}\n`;
}

export interface RecordOptions {
  /** The deploy's lock, when the caller already holds it for the whole deploy. */
  readonly lock?: HeldLock;
}

/**
 * Records a successful deploy of `env`: the section is replaced, the previous
 * one pushed onto its history (newest first, at most {@link HISTORY_LIMIT}).
 * Atomic and under the stack's lock; a malformed file is refused, not replaced.
 * Other top-level keys and the other environment's section are kept as they are.
 */
export async function recordDeploy(path: string, env: EnvironmentName, deploy: NewDeploy, options: RecordOptions = {}): Promise<EnvironmentRecord> {
  return withRecordsLock(path, `record ${env} deploy`, options.lock, (raw, records) => {
    const previous = records[env];
    const prevRaw = (raw[env] as Record<string, unknown> | undefined) ?? {};
    const pushed = previous ? asHistory(prevRaw, previous) : undefined;
    const history = [...(pushed ? [pushed] : []), ...(previous?.history ?? [])].slice(0, HISTORY_LIMIT);
    const section: EnvironmentRecord = {
      endpoint: deploy.endpoint,
      imageTag: deploy.imageTag,
      deployedAt: deploy.deployedAt,
      stackName: deploy.stackName,
      stage: env,
      history,
    };
    // The first record written converts every older section to the current layout.
    Object.assign(raw, convertLegacyRecords(raw, records)?.raw);
    raw[env] = section;
    return section;
  });
}

/** Keys of the older tool whose value a current field carries once converted. */
export const V06_SECTION_CARRIERS: Readonly<Record<string, 'endpoint' | 'deployedAt'>> = { webhookEndpoint: 'endpoint', webhookUrl: 'endpoint', deploymentTimestamp: 'deployedAt' };
const CURRENT_SECTION_KEYS = new Set(['endpoint', 'imageTag', 'deployedAt', 'stackName', 'stage', 'history', 'destroyedAt']);

/**
 * A v0.6 section in the current layout. It still describes the deploy that is
 * running, so it stays the section and is not pushed onto its own history
 * (rollback would pick the running image). Values with no current field
 * (`stackArn`, a `webhookUrl` other than the endpoint, anything unknown) stay
 * on the section; the next deploy of the environment moves them into history
 * with the rest of this deploy.
 */
export function convertLegacy(prevRaw: Record<string, unknown>, rec: EnvironmentRecord): Record<string, unknown> {
  const { legacy: _legacy, ...current } = rec;
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(prevRaw)) {
    if (CURRENT_SECTION_KEYS.has(key) || value === undefined || value === null) continue;
    const carriedBy = V06_SECTION_CARRIERS[key];
    if (carriedBy && current[carriedBy] === value) continue;
    kept[key] = value;
  }
  return { ...current, ...kept };
}

/**
 * deploy.json's content with every section not in the current layout
 * converted ({@link convertLegacy}); other keys untouched. Undefined when no
 * section needs it, so a second conversion changes nothing.
 */
export function convertLegacyRecords(raw: Record<string, unknown>, records: DeployRecords): { raw: Record<string, unknown>; converted: EnvironmentName[] } | undefined {
  const converted = ENVIRONMENTS.filter((env) => records[env]?.legacy);
  if (converted.length === 0) return undefined;
  const out = { ...raw };
  for (const env of converted) out[env] = convertLegacy(raw[env] as Record<string, unknown>, records[env]!);
  return { raw: out, converted };
}

/** Marks sections as destroyed (after `destroy`), keeping their history. */
export async function markDestroyed(path: string, envs: readonly EnvironmentName[], at: string, options: RecordOptions = {}): Promise<void> {
  await withRecordsLock(path, 'record destroy', options.lock, (raw, records) => {
    for (const env of envs) {
      const rec = records[env];
      if (!rec) continue;
      const section = rec.legacy ? convertLegacy(raw[env] as Record<string, unknown>, rec) : (raw[env] as Record<string, unknown>);
      raw[env] = { ...section, destroyedAt: at };
    }
  });
}

async function withRecordsLock<T>(
  path: string,
  purpose: string,
  held: HeldLock | undefined,
  change: (raw: Record<string, unknown>, records: DeployRecords) => T,
): Promise<T> {
  const lock = held ?? (await waitForLock(lockPathFor(path), purpose));
  try {
    const read = readDeployRecords(path);
    if (read.state === 'malformed') throw malformedError(read.error, path);
    const raw = read.state === 'ok' ? { ...read.raw } : {};
    const result = change(raw, read.records);
    writeFileAtomic(path, serializeRecords(raw), 0o644);
    return result;
  } finally {
    if (!held) lock.release();
  }
}
