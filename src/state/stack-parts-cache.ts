import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ENVIRONMENTS, type EnvironmentName } from '../config/environments.js';
import { cacheFolder, cleanUpFolder, fnv1a, ownFolder, readOwnFile, writeOwnFile } from '../own-files.js';
import type { StackParts } from './status-poller.js';

/**
 * The stack's parts (the outputs naming its cluster, API, services and target groups) as the last
 * `status` or dashboard read them, kept so that the next run's first poll can send the reads that
 * follow from them at once, beside the stack's own read, instead of one round trip later
 * (src/state/status-poller.ts: `lastParts`). The poll keeps those answers only when the stack read
 * then names the same parts, so a wrong or old file costs calls, never a wrong status.
 *
 * One file per stack, region, account, AWS profile and endpoint, in
 * `$XDG_CACHE_HOME/benchling-deploy/stacks` (an absolute XDG_CACHE_HOME), else
 * `~/.cache/benchling-deploy/stacks`. A file is used only when it is the user's own in a folder of
 * theirs, neither a link nor writable by group or others, at most {@link MAX_BYTES}, and exactly
 * of the shape written; anything else is ignored (and replaced by the next read's parts), and
 * nothing is written into such a folder. Files of the cache's own names not written for 30 days go
 * when another is written; a file in use is written again weekly. Nothing here is a secret: the
 * parts are resource names and ARNs.
 */

/** A file larger than this is not read: the parts of two environments are well under 2 KB. */
const MAX_BYTES = 16 * 1024;
/** A part longer than this is not a name or an ARN AWS gives (ARNs are at most 2048 characters). */
const MAX_PART = 2048;
const VERSION = 1;
/** Files of the folder not written for this long go when one is written: stacks gone, endpoints no longer used. */
const KEEP_MS = 30 * 24 * 3600 * 1000;
/** A file in use is written again (the same parts) once it is this old, so that the clean-up never takes it. */
const REFRESH_MS = 7 * 24 * 3600 * 1000;
/** The names this cache gives its files (and their temporary files): the only ones its clean-up removes. */
const OWN_NAME = /^[0-9a-f]{8}\.json(\.\d+-[0-9a-f]{8}\.tmp)?$/;

/** What a file is for: the stack and where and as whom it was read. */
/**
 * The services of `environments` that `parts` name, in that order: what one DescribeServices call asks
 * for, in the poll (src/state/status-poller.ts: readParts) and read ahead of it
 * (src/state/status-worker.ts), whose answer serves the poll only for the very same list.
 */
export function partsServices(parts: StackParts, environments: readonly EnvironmentName[]): string[] {
  return environments.flatMap((e) => {
    const service = parts.environments[e]?.service;
    return service ? [service] : [];
  });
}

export interface StackPartsPlace {
  readonly stackName: string;
  readonly region: string;
  readonly account?: string | null;
  readonly awsProfile?: string;
}

export interface StackPartsCache {
  /** The parts the file holds for this place, or undefined. */
  readonly parts: StackParts | undefined;
  /** Keeps `parts` for the next run, when they differ from the file's; a failure only means no file. */
  save(parts: StackParts): void;
}

/** `$XDG_CACHE_HOME/benchling-deploy/stacks` (an absolute XDG_CACHE_HOME), else `~/.cache/benchling-deploy/stacks`. */
export function stackPartsDir(env: NodeJS.ProcessEnv = process.env): string {
  return cacheFolder('stacks', env);
}

/**
 * The file's key: the place, the AWS profile the SDK signs with (the place's, else AWS_PROFILE), and the
 * endpoint it reaches (AWS_ENDPOINT_URL and its per-service forms).
 */
function keyOf(place: StackPartsPlace, env: NodeJS.ProcessEnv): string {
  const endpoints = Object.keys(env)
    .filter((name) => name === 'AWS_ENDPOINT_URL' || name.startsWith('AWS_ENDPOINT_URL_'))
    .sort()
    .map((name) => [name, env[name]]);
  return JSON.stringify([place.stackName, place.region, place.account ?? null, place.awsProfile ?? env.AWS_PROFILE ?? null, endpoints]);
}

export function openStackPartsCache(place: StackPartsPlace, env: NodeJS.ProcessEnv = process.env): StackPartsCache {
  const key = keyOf(place, env);
  const file = join(stackPartsDir(env), `${fnv1a(key)}.json`);
  const read = readParts(file, key);
  let kept = read ? JSON.stringify(normalized(read.parts)) : undefined;
  let writtenAt = read?.writtenAt ?? 0;
  return {
    parts: read?.parts,
    save(next) {
      const parts = normalized(next);
      const text = JSON.stringify(parts);
      if (text === kept && Date.now() - writtenAt < REFRESH_MS) return;
      kept = text;
      writtenAt = Date.now();
      // Parts the file could not give back (an empty or too long name, a control character) are not written,
      // and the file's older parts go: they no longer name the stack.
      if (partsOf({ version: VERSION, key, parts }, key)) writeParts(file, key, parts);
      else if (read) forget(file);
    },
  };
}

/** Only the fields the poll reads, in one order, so that equal parts are equal text. */
function normalized(parts: StackParts): StackParts {
  const environments: Partial<Record<EnvironmentName, { service: string | null; targetGroup: string | null }>> = {};
  for (const name of ENVIRONMENTS) {
    const e = parts.environments[name];
    if (e) environments[name] = { service: e.service, targetGroup: e.targetGroup };
  }
  return { cluster: parts.cluster, apiId: parts.apiId, environments };
}

/** The file's parts, and when it was written; the file read only as src/own-files.ts allows. */
function readParts(file: string, key: string): { parts: StackParts; writtenAt: number } | undefined {
  const read = readOwnFile(file, MAX_BYTES);
  if (!read) return undefined;
  try {
    const parts = partsOf(JSON.parse(read.data.toString('utf8')), key);
    return parts ? { parts, writtenAt: read.writtenAt } : undefined;
  } catch {
    return undefined;
  }
}

const isPart = (v: unknown): v is string | null => v === null || (typeof v === 'string' && v.length > 0 && v.length <= MAX_PART && !/[\u0000-\u001f\u007f]/.test(v));
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const hasOnly = (v: Record<string, unknown>, keys: readonly string[]) => Object.keys(v).every((k) => keys.includes(k)) && keys.every((k) => k in v);

/** The file's parts when it is exactly what {@link writeParts} writes for `key`; else undefined. */
function partsOf(data: unknown, key: string): StackParts | undefined {
  if (!isRecord(data) || !hasOnly(data, ['version', 'key', 'parts']) || data.version !== VERSION || data.key !== key) return undefined;
  const parts = data.parts;
  if (!isRecord(parts) || !hasOnly(parts, ['cluster', 'apiId', 'environments']) || !isPart(parts.cluster) || !isPart(parts.apiId) || !isRecord(parts.environments)) return undefined;
  const environments: Partial<Record<EnvironmentName, { service: string | null; targetGroup: string | null }>> = {};
  for (const [name, e] of Object.entries(parts.environments)) {
    if (!(ENVIRONMENTS as readonly string[]).includes(name) || !isRecord(e) || !hasOnly(e, ['service', 'targetGroup']) || !isPart(e.service) || !isPart(e.targetGroup)) return undefined;
    environments[name as EnvironmentName] = { service: e.service, targetGroup: e.targetGroup };
  }
  return { cluster: parts.cluster, apiId: parts.apiId, environments };
}

/** By a temporary file and a rename, only into a folder of the user's that no one else may write (src/own-files.ts); then the clean-up. */
function writeParts(file: string, key: string, parts: StackParts): void {
  if (writeOwnFile(file, () => `${JSON.stringify({ version: VERSION, key, parts: normalized(parts) })}\n`)) cleanUpFolder(dirname(file), file, OWN_NAME, KEEP_MS);
}

/** The file, removed when it no longer names the stack; only from a folder it would be read from. */
function forget(file: string): void {
  try {
    if (ownFolder(dirname(file))) rmSync(file, { force: true });
  } catch {
    // Stays; its reads are dropped until parts that can be kept replace it.
  }
}
