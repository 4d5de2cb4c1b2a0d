import { describeJsonSyntaxError } from '../config/json-error.js';
import { ExternalError, UserError } from '../errors.js';
import * as z from 'zod/mini';
import { ENVIRONMENTS, DEFAULT_STACK_NAME, DIGEST_RE, ImageReferenceSchema, STACK_NAME_RE, type EnvironmentName } from '../config/schema.js';
import { folderError } from '../config/fs-errors.js';
import { RECORDS_MAX_BYTES, readUntrustedText } from '../config/untrusted-file.js';
import { writeFileAtomic } from '../config/atomic-file.js';
import { waitForLock, type HeldLock } from '../config/lock.js';

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
  /** The release whose contract the image was served with (its `<Env>Consumers`); absent in older records. */
  readonly contractTag?: string;
  /** Who deployed it: the caller's ARN from STS; absent in older records. */
  readonly deployedBy?: string;
  /** The image digest its tasks ran, when known. */
  readonly imageDigest?: string;
}

export interface EnvironmentRecord {
  readonly endpoint: string;
  readonly imageTag: string;
  readonly deployedAt: string;
  readonly stackName: string;
  readonly stage: string;
  readonly history: readonly HistoryEntry[];
  /** The release whose contract the image was served with (its `<Env>Consumers`); absent in older records. */
  readonly contractTag?: string;
  /** Set by `destroy`: the stack is gone but the history stays. */
  readonly destroyedAt?: string;
  /** Who deployed it: the caller's ARN from STS; absent in older records. */
  readonly deployedBy?: string;
  /** The image digest its tasks ran, when known. */
  readonly imageDigest?: string;
  /** True when the section was read from the older (v0.6) layout and not yet converted. */
  readonly legacy?: boolean;
}

export type DeployRecords = Partial<Record<EnvironmentName, EnvironmentRecord>>;

export type RecordsRead =
  | { readonly state: 'missing'; readonly records: DeployRecords }
  | { readonly state: 'ok'; readonly records: DeployRecords; readonly raw: Record<string, unknown> }
  | {
      readonly state: 'malformed';
      /** Every problem, one a line, each naming the file and the field. */
      readonly error: string;
      /** What to do, when it is not the usual "fix it or move it aside". */
      readonly hint?: string;
      /** The folder's own failure (read-only, not a folder, ...) rather than the file's content. */
      readonly fsError?: unknown;
    };

export interface NewDeploy {
  readonly endpoint: string;
  readonly imageTag: string;
  readonly deployedAt: string;
  readonly stackName: string;
  /** The release whose contract the image is served with. */
  readonly contractTag?: string;
  /** The caller's ARN from STS. */
  readonly deployedBy?: string;
  readonly imageDigest?: string;
}

export function lockPathFor(recordsPath: string): string {
  return `${recordsPath}.lock`;
}

/** Reads deploy.json without throwing; a malformed file is reported, never repaired here. */
export function readDeployRecords(path: string): RecordsRead {
  let text: string;
  try {
    text = readUntrustedText(path, RECORDS_MAX_BYTES);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'missing', records: {} };
    if (error instanceof UserError) return { state: 'malformed', error: error.message, hint: error.hint };
    const described = folderError(error, 'read', path);
    if (described instanceof UserError || described instanceof ExternalError) return { state: 'malformed', error: described.message, hint: described.hint, fsError: described };
    return { state: 'malformed', error: `${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})` };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { state: 'malformed', error: `${path}: ${describeJsonSyntaxError(text, error)}` };
  }
  const parsed = DeployFileSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.flatMap((issue) => describeIssue(issue, raw, path));
    return { state: 'malformed', error: problems.join('\n'), hint: looksLikeProfile(raw) ? profileHint(path) : undefined };
  }
  const records: Record<string, EnvironmentRecord> = {};
  const problems: string[] = [];
  for (const env of ENVIRONMENTS) {
    const section = parsed.data[env];
    if (section === undefined || section === null) continue;
    const record = toRecord(section, env);
    if (!record.legacy && !record.imageTag) problems.push(`${path}: ${env}.imageTag: required; expected the image the section's deploy ran (a Docker tag or sha256:<64 hex>)`);
    records[env] = record;
  }
  if (problems.length > 0) return { state: 'malformed', error: problems.join('\n') };
  return { state: 'ok', records, raw: raw as Record<string, unknown> };
}

/** Like {@link readDeployRecords} but throws a UserError (exit 2) for a malformed file. */
export function loadDeployRecords(path: string): DeployRecords {
  const read = readDeployRecords(path);
  if (read.state === 'malformed') throw malformedError(read, path);
  return read.records;
}

function malformedError(read: Extract<RecordsRead, { state: 'malformed' }>, path: string): Error {
  if (read.fsError instanceof Error) return read.fsError;
  return new UserError(read.error, read.hint ?? `the file is kept as it is; fix it by hand, or move it aside (mv ${path} ${path}.bad) to start a new one`);
}

const DigestSchema = z.string({ error: 'expected an image digest sha256:<64 hex>' }).check(z.regex(DIGEST_RE, { error: 'expected an image digest sha256:<64 hex>' }));

/** An optional text field: v0.6 files may hold null where a value is missing. */
const text = (what: string) => z.nullish(z.string({ error: `expected ${what} (a string)` }));

/** A time is at most this long. */
const TIME_MAX = 64;

/** A time as deploy.json and the account's records (src/state/team-records.ts) take it: one rule, so a mirrored record reads back. */
export function isRecordTime(value: string): boolean {
  return value.length <= TIME_MAX && !Number.isNaN(Date.parse(value));
}

/** An endpoint is at most this long (a stage URL is about 70 characters). */
const ENDPOINT_MAX = 2048;

/** A time: history, rollback and the dashboard's ages read it. Empty is "not known" (an older section may have none). */
const timeField = (what: string) =>
  z.string({ error: `expected ${what} (an ISO-8601 time such as 2026-01-31T12:00:00.000Z)` }).check(
    z.refine((v) => v === '' || isRecordTime(v), { error: `expected ${what}: an ISO-8601 time such as 2026-01-31T12:00:00.000Z` }),
  );

/**
 * An endpoint: `test` and the dashboard's `t` send a request to it, so only a web address (http or https, with a
 * host, without a user name or password) is taken. Empty is "none recorded" (the stack's output is asked then).
 */
const endpointField = (what: string) =>
  z.string({ error: `expected ${what} (a string)` }).check(z.refine((v) => v === '' || isWebAddress(v), { error: `expected ${what}: an https:// (or http://) address such as https://ID.execute-api.REGION.amazonaws.com/prod` }));

function isWebAddress(value: string): boolean {
  if (value.length > ENDPOINT_MAX || value !== value.trim()) return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname !== '' && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}

const HistoryEntrySchema = z.strictObject(
  {
    // Empty: a v0.6 section with no image, kept in history by earlier versions (rollback skips it).
    imageTag: z.union([z.literal(''), ImageReferenceSchema], { error: 'expected a Docker tag (letters, digits, _ . -, at most 128) or sha256:<64 hex>' }),
    deployedAt: timeField('when it was deployed'),
    endpoint: z.optional(endpointField('the endpoint URL')),
    stackArn: z.optional(z.string({ error: 'expected the stack ARN (a string)' })),
    webhookUrl: z.optional(endpointField('the webhook URL')),
    destroyedAt: z.optional(timeField('when the stack was destroyed')),
    contractTag: z.optional(ImageReferenceSchema),
    deployedBy: z.optional(z.string({ error: 'expected who deployed it (an ARN)' }).check(z.maxLength(2048))),
    imageDigest: z.optional(DigestSchema),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? undefined : 'expected an object { imageTag, deployedAt }') },
);

const sectionSchema = (env: EnvironmentName) =>
  z.strictObject(
    {
      endpoint: z.nullish(endpointField('the endpoint URL')),
      // An older section may hold no image (empty): it is not rolled back to.
      imageTag: z.nullish(z.union([z.literal(''), ImageReferenceSchema], { error: 'expected a Docker tag (letters, digits, _ . -, at most 128) or sha256:<64 hex>' })),
      deployedAt: z.nullish(timeField('when it was deployed')),
      stackName: z.nullish(z.string({ error: 'expected a CloudFormation stack name (a string)' }).check(z.regex(STACK_NAME_RE, { error: 'expected a CloudFormation stack name: a letter, then letters, digits or "-"' }))),
      stage: z.nullish(z.literal(env, { error: `expected "${env}" (the section's environment)` })),
      history: z.optional(z.array(HistoryEntrySchema, { error: 'expected an array of { imageTag, deployedAt }' })),
      destroyedAt: z.nullish(timeField('when the stack was destroyed')),
      contractTag: z.optional(ImageReferenceSchema),
      deployedBy: z.optional(z.string({ error: 'expected who deployed it (an ARN)' }).check(z.maxLength(2048))),
      imageDigest: z.optional(DigestSchema),
      // The older tool's (v0.6) keys, converted by the first record written.
      webhookEndpoint: z.nullish(endpointField('the v0.6 endpoint URL')),
      webhookUrl: z.nullish(endpointField('the v0.6 webhook URL')),
      deploymentTimestamp: z.nullish(timeField('the v0.6 deploy time')),
      stackArn: text('the stack ARN'),
    },
    { error: (issue) => (issue.code === 'unrecognized_keys' ? undefined : `expected an object: the ${env} section`) },
  );

/**
 * deploy.json as the tool reads it: strict like a profile, since it is
 * untrusted input like any file of the config folder. Its tags reach cdk
 * (rollback), so each is checked with the profile's image rule.
 */
const DeployFileSchema = z.strictObject(
  { dev: z.nullish(sectionSchema('dev')), prod: z.nullish(sectionSchema('prod')) },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? undefined : 'expected a JSON object with "dev" and/or "prod" sections') },
);

type Section = NonNullable<z.infer<typeof DeployFileSchema>['dev']>;

function toRecord(s: Section, env: EnvironmentName): EnvironmentRecord {
  const history = (s.history ?? []).map((e) => pickDefined({ ...e }));
  const endpoint = s.endpoint ?? s.webhookEndpoint ?? s.webhookUrl ?? '';
  // Not in the current layout: written by the older tool (webhookEndpoint, no history) or by hand.
  const legacy = s.endpoint === undefined || s.endpoint === null || s.history === undefined;
  return pickDefined({
    endpoint,
    imageTag: s.imageTag ?? '',
    deployedAt: s.deployedAt ?? s.deploymentTimestamp ?? '',
    stackName: s.stackName ?? stackNameFromArn(s.stackArn ?? undefined) ?? DEFAULT_STACK_NAME,
    stage: s.stage ?? env,
    history,
    destroyedAt: s.destroyedAt ?? undefined,
    contractTag: s.contractTag,
    deployedBy: s.deployedBy,
    imageDigest: s.imageDigest,
    legacy: legacy || undefined,
  });
}

/** One zod issue as `FILE: prod.history[3].imageTag: what was expected (got ...)`. */
function describeIssue(issue: z.core.$ZodIssue, raw: unknown, path: string): string[] {
  const where = fieldPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    // Names only: an unknown key may hold anything, a secret too.
    const context = issue.path.length === 0 ? 'deploy.json holds only the "dev" and "prod" sections' : issue.path.some((k) => typeof k === 'number') ? 'expected only imageTag, deployedAt, endpoint, stackArn, webhookUrl, destroyedAt, contractTag, deployedBy, imageDigest' : 'expected only the fields of a deploy.json section';
    return issue.keys.map((key) => `${path}: ${where ? `${where}.` : ''}${fieldPath([key])}: unknown field; ${context}`);
  }
  const value = valueAt(raw, issue.path);
  if (value === undefined && issue.code === 'invalid_type') return [`${path}: ${where || '(top level)'}: required; ${issue.message}`];
  return [`${path}: ${where || '(top level)'}: ${issue.message}${issue.path.length > 0 ? ` (got ${describeValue(value)})` : ''}`];
}

function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(String(key))) out += `${out ? '.' : ''}${String(key)}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = raw;
  for (const key of path) {
    if (!cur || typeof cur !== 'object' || !Object.hasOwn(cur, key)) return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

function looksLikeProfile(raw: unknown): boolean {
  return !!raw && typeof raw === 'object' && !Array.isArray(raw) && ['profile', 'benchlingTenant', 'benchlingClientId', 'benchlingClientSecret', 'quiltStackArn'].some((k) => Object.hasOwn(raw, k));
}

function profileHint(path: string): string {
  return `this looks like a profile, not deploy records (an older setup-profile could write a profile named "deploy" here); it may hold the client secret: \`chmod 600 ${path}\`, then move it aside (mv ${path} ${path}.bad) and recreate the profile under another name`;
}

function stackNameFromArn(arn: string | undefined): string | undefined {
  return arn ? /:stack\/([^/]+)\//.exec(arn)?.[1] : undefined;
}

function pickDefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** The entry the current section becomes when a newer deploy replaces it. */
function asHistory(previous: Record<string, unknown>, parsed: EnvironmentRecord): HistoryEntry | undefined {
  // An entry is an image to go back to: a section that recorded none (an older file) has nothing to push.
  if (!parsed.imageTag) return undefined;
  return pickDefined({
    imageTag: parsed.imageTag,
    deployedAt: parsed.deployedAt,
    endpoint: parsed.endpoint || undefined,
    stackArn: typeof previous.stackArn === 'string' ? previous.stackArn : undefined,
    webhookUrl: typeof previous.webhookUrl === 'string' && previous.webhookUrl !== parsed.endpoint ? previous.webhookUrl : undefined,
    destroyedAt: parsed.destroyedAt,
    contractTag: parsed.contractTag,
    deployedBy: parsed.deployedBy,
    imageDigest: parsed.imageDigest,
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
      // The stack's output (outside text): never one the next read would refuse the whole file for.
      endpoint: isWebAddress(deploy.endpoint) ? deploy.endpoint : '',
      imageTag: deploy.imageTag,
      deployedAt: deploy.deployedAt,
      stackName: deploy.stackName,
      stage: env,
      history,
      ...(deploy.contractTag ? { contractTag: deploy.contractTag } : {}),
      ...(deploy.deployedBy ? { deployedBy: deploy.deployedBy } : {}),
      ...(deploy.imageDigest ? { imageDigest: deploy.imageDigest } : {}),
    };
    // The first record written converts every older section to the current layout.
    Object.assign(raw, convertLegacyRecords(raw, records)?.raw);
    raw[env] = section;
    return section;
  });
}

/** Keys of the older tool whose value a current field carries once converted. */
export const V06_SECTION_CARRIERS: Readonly<Record<string, 'endpoint' | 'deployedAt'>> = { webhookEndpoint: 'endpoint', webhookUrl: 'endpoint', deploymentTimestamp: 'deployedAt' };
const CURRENT_SECTION_KEYS = new Set(['endpoint', 'imageTag', 'deployedAt', 'stackName', 'stage', 'history', 'destroyedAt', 'contractTag', 'deployedBy', 'imageDigest']);

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
    const carriedBy = Object.hasOwn(V06_SECTION_CARRIERS, key) ? V06_SECTION_CARRIERS[key] : undefined;
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
  /** Whether to write the file, given the change's result (default always). */
  write: (result: T) => boolean = () => true,
  waitMs?: number,
): Promise<T> {
  const lock = held ?? (await waitForLock(lockPathFor(path), purpose, waitMs));
  try {
    const read = readDeployRecords(path);
    if (read.state === 'malformed') throw malformedError(read, path);
    const raw = read.state === 'ok' ? { ...read.raw } : {};
    const result = change(raw, read.records);
    // 0600 like every file of the config folder; deploy.json never holds a secret, but nobody else needs it.
    if (write(result)) writeFileAtomic(path, serializeRecords(raw), 0o600);
    return result;
  } finally {
    if (!held) lock.release();
  }
}

/**
 * Makes `env`'s section the account's history (team mode: the account holds
 * the truth, deploy.json mirrors it): `deploys` newest first, the first
 * becoming the section, the rest its history (at most {@link HISTORY_LIMIT}).
 * A destroy recorded after the newest deploy stays. Written only when
 * something changed; returns whether it did.
 */
export async function mirrorEnvironment(path: string, env: EnvironmentName, accountDeploys: readonly (HistoryEntry & { readonly stackName: string })[], options: RecordOptions & { readonly waitMs?: number } = {}): Promise<boolean> {
  if (!accountDeploys[0]) return false;
  return withRecordsLock(path, `mirror ${env} records`, options.lock, (raw, records) => {
    const local = records[env];
    // A deploy made here that the account does not have (its write failed) stays on top, not erased by the mirror.
    const accountNewest = Date.parse(accountDeploys[0]!.deployedAt);
    const localDeploys = local && !local.legacy && local.imageTag && local.deployedAt ? [{ ...local, imageTag: local.imageTag, deployedAt: local.deployedAt }, ...local.history] : [];
    const newerHere = localDeploys
      .filter((e) => e.imageTag !== '' && Date.parse(e.deployedAt) > accountNewest)
      .map((e) => pickDefined({ imageTag: e.imageTag, deployedAt: e.deployedAt, endpoint: e.endpoint ?? undefined, contractTag: e.contractTag, deployedBy: e.deployedBy, imageDigest: e.imageDigest, stackName: local?.stackName ?? accountDeploys[0]!.stackName }) as HistoryEntry & { readonly stackName: string });
    const [newest, ...older] = [...newerHere, ...accountDeploys] as [HistoryEntry & { readonly stackName: string }, ...(HistoryEntry & { readonly stackName: string })[]];
    const destroyedAt = local?.destroyedAt && local.destroyedAt > newest.deployedAt ? local.destroyedAt : undefined;
    const section: EnvironmentRecord = pickDefined({
      endpoint: newest.endpoint ?? local?.endpoint ?? '',
      imageTag: newest.imageTag,
      deployedAt: newest.deployedAt,
      stackName: newest.stackName,
      stage: env,
      history: older.slice(0, HISTORY_LIMIT).map(({ stackName: _s, ...h }) => pickDefined({ ...h })),
      contractTag: newest.contractTag,
      destroyedAt,
      deployedBy: newest.deployedBy,
      imageDigest: newest.imageDigest,
    });
    if (JSON.stringify(raw[env]) === JSON.stringify(section)) return false;
    Object.assign(raw, convertLegacyRecords(raw, records)?.raw);
    raw[env] = section;
    return true;
  }, (changed) => changed, options.waitMs ?? 2_000);
}
