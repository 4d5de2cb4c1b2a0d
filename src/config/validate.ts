import type * as z from 'zod/mini';
import { UserError } from '../errors.js';
import { displayLine } from '../display-text.js';
import { DEFAULT_TASK_SIZE, FARGATE_CPUS, isFargatePair, memoryChoices } from './task-size.js';
import { ProfileFileSchema, PROFILE_FIELDS, applyDefaults, defaultEnvironmentFor, type ProfileFile, type ResolvedProfile } from './schema.js';

/** Keys only the older single-environment tool (v0.6) wrote into `default.json`. */
export const V06_ONLY_KEYS = [
  'quiltCatalog',
  'quiltUserBucket',
  'quiltDatabase',
  'quiltRegion',
  'queueUrl',
  'benchlingPkgBucket',
  'benchlingSecretArn',
  'benchlingTestEntry',
  'cdkAccount',
  'cdkRegion',
  'enableWebhookVerification',
  'createEcrRepository',
  'ecrRepositoryName',
] as const;

/** A v0.6 profile: a flat object with no `profile` key and some v0.6-only key. */
export function isV06Profile(raw: unknown): boolean {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return false;
  const keys = Object.keys(raw);
  return !keys.includes('profile') && keys.some((k) => (V06_ONLY_KEYS as readonly string[]).includes(k));
}

/** The one message for a v0.6 profile, instead of one error per v0.6 key. */
export function v06Message(fileLabel: string): string {
  return `${fileLabel}: this is a profile of the older single-environment tool (v0.6); run \`benchling-deploy migrate\` to convert it (the original is kept)`;
}

/** For a command that reads a profile file itself (not through checkProfile). */
export function v06ProfileError(fileLabel: string): UserError {
  return new UserError(v06Message(fileLabel), 'run `benchling-deploy migrate`');
}

const SECRET_FIELDS = new Set(['benchlingClientSecret']);

export type ProfileCheck =
  | { ok: true; file: ProfileFile; profile: ResolvedProfile }
  | { ok: false; v06: boolean; problems: string[] };

/**
 * Checks one profile's parsed JSON. Every problem names the file, the field
 * and what was expected; the secret's value never appears in a message.
 */
export function checkProfile(raw: unknown, fileLabel: string, expectedName: string): ProfileCheck {
  if (isV06Profile(raw)) return { ok: false, v06: true, problems: [v06Message(fileLabel)] };
  const parsed = ProfileFileSchema.safeParse(raw);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(...describeIssue(issue, raw, fileLabel));
  }
  // Cross-field rules, checked on the raw object so they are reported together with the rest.
  const obj = raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : undefined;
  if (obj) {
    if (typeof obj.profile === 'string' && obj.profile !== expectedName) {
      problems.push(`${fileLabel}: profile: expected "${expectedName}" (the file's name), got "${displayLine(truncate(obj.profile))}"`);
    }
    const name = typeof obj.profile === 'string' ? obj.profile : expectedName;
    const env = obj.environment === 'dev' || obj.environment === 'prod' ? obj.environment : defaultEnvironmentFor(name);
    if (env === 'prod') {
      if (obj.imageTag === undefined) {
        problems.push(`${fileLabel}: imageTag: required for prod; expected a fixed version tag or sha256:<64 hex>`);
      } else if (obj.imageTag === 'latest') {
        problems.push(`${fileLabel}: imageTag: prod must not run "latest"; expected a fixed version tag or sha256:<64 hex>`);
      }
    }
    if (typeof obj.minCapacity === 'number' && typeof obj.maxCapacity === 'number' && obj.minCapacity > obj.maxCapacity) {
      problems.push(`${fileLabel}: minCapacity: expected minCapacity <= maxCapacity (got ${obj.minCapacity} > ${obj.maxCapacity})`);
    }
    // A task size is a Fargate pair: memory must suit cpu (the profile's or the environment's default).
    if (typeof obj.memory === 'number' && Number.isInteger(obj.memory) && obj.memory >= 512 && obj.memory <= 30720) {
      const cpu = typeof obj.cpu === 'number' ? obj.cpu : DEFAULT_TASK_SIZE[env].cpu;
      if (FARGATE_CPUS.includes(cpu) && !isFargatePair(cpu, obj.memory)) {
        problems.push(`${fileLabel}: memory: expected ${memoryChoices(cpu)}${typeof obj.cpu === 'number' ? '' : ` (the ${env} default)`} (got ${obj.memory})`);
      }
    }
    if (env === 'dev' && obj.natGateways !== undefined) {
      problems.push(`${fileLabel}: natGateways: the NAT gateways are shared by every environment: set them on the prod profile, not on a dev profile`);
    }
  }
  if (problems.length > 0 || !parsed.success) return { ok: false, v06: false, problems };
  return { ok: true, file: parsed.data, profile: applyDefaults(parsed.data) };
}

function describeIssue(issue: z.core.$ZodIssue, raw: unknown, fileLabel: string): string[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      // The key is the file's, not ours: through the door (a key can hold escape sequences and line breaks).
      const near = key.length <= 100 ? closest(key, PROFILE_FIELDS as string[]) : undefined;
      return `${fileLabel}: ${displayLine(key, 100)}: unknown field${near ? ` (did you mean "${near}"?)` : ''}; expected only the profile fields listed in the README`;
    });
  }
  const field = issue.path.length > 0 ? displayLine(issue.path.join('.'), 100) : '(top level)';
  if (issue.path.length === 0) return [`${fileLabel}: ${field}: ${issue.message}`];
  const value = valueAt(raw, issue.path);
  if (value === undefined && issue.code === 'invalid_type') {
    return [`${fileLabel}: ${field}: required; ${issue.message}`];
  }
  const shown = SECRET_FIELDS.has(String(issue.path[0])) ? '' : ` (got ${describeValue(value)})`;
  return [`${fileLabel}: ${field}: ${issue.message}${shown}`];
}

function valueAt(raw: unknown, path: PropertyKey[]): unknown {
  let cur: unknown = raw;
  for (const key of path) {
    if (!cur || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return displayLine(JSON.stringify(truncate(value)));
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

function truncate(s: string, n = 60): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = levenshtein(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 4)) ? best : undefined;
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}
