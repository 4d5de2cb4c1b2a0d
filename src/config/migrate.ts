import { UserErrors } from '../errors.js';
import { displayLine } from '../display-text.js';
import { DEFAULT_STACK_NAME, PROFILE_FIELDS, QUILT_STACK_ARN_RE, type ProfileFile } from './schema.js';
import { checkProfile } from './validate.js';
import { REGION_RE } from './paths.js';

/**
 * The older tool's (v0.6) `default.json` in this layout: a pure mapping, so
 * the plan `migrate` shows is exactly what it writes. See PRODUCT.md section 3.
 */

/** A v0.6 key with no place in the new layout, and why. Never dropped silently. */
export interface DroppedKey {
  readonly key: string;
  readonly reason: string;
}

export interface V06Migration {
  /** The new `default.json`: profile "default", environment prod; passes {@link checkProfile}. */
  readonly profile: ProfileFile;
  /** One line per key that has a place: `v0.6 key -> new field value`; the client secret is "(set, not shown)". */
  readonly plan: readonly string[];
  /** Keys that have no place, by name, with the reason; their values are not shown. */
  readonly dropped: readonly DroppedKey[];
  /** Worth telling, but not a problem (e.g. the secret lives in another region). */
  readonly notes: readonly string[];
}

export interface V06Options {
  /** The file the object came from, for messages. */
  readonly fileLabel: string;
  /** `--image-tag`: the image prod runs; needed when the v0.6 file has none or `latest`. */
  readonly imageTag?: string;
  /**
   * The stack the older tool deployed (`deploy.json`'s prod `stackArn`) and
   * where that was read, for the plan: its name, region and account are kept
   * when they differ from the defaults, so the next deploy updates that stack
   * instead of creating a second one.
   */
  readonly deployedStack?: { readonly arn: string; readonly from: string };
  /** The images the stack serves, when known: a v0.6 tag (or `--image-tag`) it cannot serve is refused. */
  readonly images?: ImageSupport;
}

/**
 * The images the stack serves, from the container contract (src/infra/container-contract.ts, which
 * src/config may not import): handed in by the command.
 */
export interface ImageSupport {
  /** Why the stack cannot serve `tag`, or undefined when it can. */
  readonly unservable: (tag: string) => string | undefined;
  /** The oldest release served, and the latest known. */
  readonly oldest: string;
  readonly latest: string;
}

const FROM_QUILT_OUTPUTS = "resolved at run time from the Quilt stack's outputs (quiltStackArn)";

/** v0.6 keys with no place in the new layout, and why. */
export const V06_NO_PLACE: Readonly<Record<string, string>> = {
  quiltCatalog: FROM_QUILT_OUTPUTS,
  quiltDatabase: FROM_QUILT_OUTPUTS,
  queueUrl: FROM_QUILT_OUTPUTS,
  quiltRegion: "the Quilt stack's region is part of quiltStackArn",
  benchlingTestEntry: '`benchling-deploy test` calls the endpoint\'s /health route and needs no Benchling entry',
  createEcrRepository: 'this tool never creates an ECR repository; imageRepository names the one the service pulls from',
};

/** v0.6 keys kept under the same name. */
const SAME_NAME = [
  'quiltStackArn',
  'benchlingTenant',
  'benchlingClientId',
  'benchlingClientSecret',
  'benchlingAppDefinitionId',
  'awsProfile',
  'pkgPrefix',
  'pkgKey',
  'logLevel',
  'webhookAllowList',
] as const;

/** v0.6 keys renamed, and their new field. */
const RENAMED: Readonly<Record<string, keyof ProfileFile>> = {
  benchlingPkgBucket: 'pkgBucket',
  quiltUserBucket: 'pkgBucket',
  cdkAccount: 'account',
  cdkRegion: 'region',
  benchlingSecretArn: 'benchlingSecret',
  enableWebhookVerification: 'webhookVerification',
  ecrRepositoryName: 'imageRepository',
};

/** Fields the new layout requires; an empty v0.6 value is reported, not dropped. */
const REQUIRED = new Set<string>(['quiltStackArn', 'benchlingTenant', 'benchlingClientId', 'benchlingAppDefinitionId']);

/** Defaults that apply when an optional v0.6 value is empty. */
const DEFAULT_WHEN_EMPTY: Partial<Record<keyof ProfileFile, string>> = {
  pkgBucket: 'no package bucket',
  account: 'the account in quiltStackArn',
  region: 'the region in quiltStackArn',
  benchlingSecret: 'quiltdata/benchling-webhook/default/<tenant>',
  imageRepository: 'the published webhook image',
  awsProfile: 'the default AWS credentials',
  pkgPrefix: 'benchling',
  pkgKey: 'experiment_id',
  logLevel: 'INFO',
  webhookAllowList: 'no allow list',
  webhookVerification: 'true',
  benchlingClientSecret: 'not set',
};

const SECRET_ARN_RE = /^arn:(aws|aws-cn|aws-us-gov):secretsmanager:([a-z0-9-]+):(\d{12}):secret:(.+)-([A-Za-z0-9]{6})$/;
const ECR_URI_PREFIX_RE = /^\d{12}\.dkr\.ecr\./;
const HIDDEN = '(set, not shown)';

interface Step {
  readonly from: string;
  readonly to: string;
  readonly shown: string;
}

/**
 * Maps a v0.6 `default.json` object to the new prod profile. Throws
 * {@link UserErrors} (exit 2) listing every problem, each naming the file and
 * the v0.6 key (or `--image-tag`); the client secret never appears in a
 * message, a plan line or a note.
 */
export function migrateV06Profile(raw: Record<string, unknown>, options: V06Options): V06Migration {
  const label = options.fileLabel;
  const out: Partial<Record<keyof ProfileFile, unknown>> = { profile: 'default', environment: 'prod' };
  /** Which key set each field, for messages that name what the user wrote. */
  const source: Partial<Record<keyof ProfileFile, string>> = {};
  const steps: Step[] = [
    { from: '(new)', to: 'profile', shown: '"default"' },
    { from: '(new)', to: 'environment', shown: '"prod"' },
  ];
  const dropped: DroppedKey[] = [];
  const notes: string[] = [];
  const problems: string[] = [];
  // First: it decides where the stack, and so the image repository, lives.
  const kept = deployedStack(raw, options, notes);

  const text = (key: string): string | undefined => {
    const value = raw[key];
    // The secret is kept byte for byte; other values lose stray spaces.
    if (typeof value === 'string') return key === 'benchlingClientSecret' && value.trim() !== '' ? value : value.trim();
    if (key === 'cdkAccount' && typeof value === 'number' && Number.isInteger(value)) return String(value);
    const got = key === 'benchlingClientSecret' ? `a ${typeOf(value)}` : describe(value);
    problems.push(`${label}: ${key}: expected a string (got ${got})`);
    return undefined;
  };
  const assign = (key: string, field: keyof ProfileFile, value: unknown, shown: string): void => {
    if (source[field] !== undefined) {
      problems.push(`${label}: ${key}: both ${source[field]} and ${key} set ${field}; expected only one of them`);
      return;
    }
    out[field] = value;
    source[field] = key;
    steps.push({ from: key, to: field, shown });
  };
  /** An empty optional value: the default applies; a required one is left for the schema to report. */
  const isEmpty = (key: string, field: keyof ProfileFile, value: string): boolean => {
    if (value !== '' || REQUIRED.has(field)) return false;
    const fromUserBucket = key === 'benchlingPkgBucket' && typeof raw.quiltUserBucket === 'string' && raw.quiltUserBucket.trim() !== '';
    const fromStack = kept && (field === 'region' || field === 'account' || field === 'stackName') ? kept.fields[field] : undefined;
    const reason = fromUserBucket
      ? 'empty; pkgBucket comes from quiltUserBucket'
      : fromStack !== undefined
        ? `empty; ${field} comes from ${kept!.from} (the stack the older tool deployed)`
        : `empty; the default applies (${(Object.hasOwn(DEFAULT_WHEN_EMPTY, field) ? DEFAULT_WHEN_EMPTY[field] : undefined) ?? 'none'})`;
    dropped.push({ key, reason });
    return true;
  };

  const bucket = typeof raw.benchlingPkgBucket === 'string' ? raw.benchlingPkgBucket.trim() : '';
  for (const key of Object.keys(raw)) {
    if (key === 'imageTag') continue; // below, with --image-tag
    // Own keys only: a v0.6 key such as `constructor` or `__proto__` is not one of the tables' (plain objects inherit those names).
    if (Object.hasOwn(V06_NO_PLACE, key)) {
      dropped.push({ key, reason: V06_NO_PLACE[key] });
      continue;
    }
    const field = (Object.hasOwn(RENAMED, key) ? RENAMED[key] : undefined) ?? ((SAME_NAME as readonly string[]).includes(key) ? (key as keyof ProfileFile) : undefined);
    if (field === undefined) {
      if (key === 'profile' || key === 'environment') {
        dropped.push({ key, reason: 'the migrated file is profile "default", environment prod (the older tool had one environment)' });
      } else if (isProfileField(key)) {
        // Already a field of the new layout (added by hand): kept, and checked like the rest.
        assign(key, key as keyof ProfileFile, raw[key], describe(raw[key]));
      } else {
        dropped.push({ key, reason: 'not a key of the v0.6 tool or of this layout (value not shown)' });
      }
      continue;
    }
    if (key === 'enableWebhookVerification') {
      const value = raw[key];
      const flag = value === true || value === 'true' ? true : value === false || value === 'false' ? false : undefined;
      if (value === '') dropped.push({ key, reason: 'empty; the default applies (true)' });
      else if (flag === undefined) problems.push(`${label}: ${key}: expected "true" or "false" (got ${describe(value)})`);
      else assign(key, field, flag, `${flag}${typeof value === 'string' ? ` (was "${value}")` : ''}`);
      continue;
    }
    const value = text(key);
    if (value === undefined || isEmpty(key, field, value)) continue;
    switch (key) {
      case 'quiltUserBucket':
        if (bucket === '') assign(key, field, value, JSON.stringify(value));
        else if (bucket === value) steps.push({ from: key, to: field, shown: '(same as benchlingPkgBucket)' });
        else dropped.push({ key, reason: `differs from benchlingPkgBucket ("${bucket}"), which wins: pkgBucket is "${bucket}", not "${value}"` });
        break;
      case 'benchlingSecretArn': {
        const m = SECRET_ARN_RE.exec(value);
        if (m) assign(key, field, m[4], `${JSON.stringify(m[4])} (the secret's name: the ARN without its prefix and random suffix "-${m[5]}")`);
        else if (!value.startsWith('arn:')) assign(key, field, value, `${JSON.stringify(value)} (already a name)`);
        else problems.push(`${label}: ${key}: expected a Secrets Manager secret ARN arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-XXXXXX (got ${JSON.stringify(value)})`);
        break;
      }
      case 'ecrRepositoryName': {
        if (ECR_URI_PREFIX_RE.test(value)) {
          assign(key, field, value, `${JSON.stringify(value)} (already a repository URI)`);
          break;
        }
        const place = ecrPlace(raw, kept);
        if (place === 'reported') break; // a bad cdkAccount/cdkRegion is reported under its own name
        if (!place) {
          problems.push(`${label}: ${key}: cannot make the repository URI ACCOUNT.dkr.ecr.REGION.amazonaws.com/${value}: expected cdkAccount and cdkRegion, or a valid quiltStackArn`);
          break;
        }
        const uri = `${place.account}.dkr.ecr.${place.region}.amazonaws.com${place.region.startsWith('cn-') ? '.cn' : ''}/${value}`;
        assign(key, field, uri, `${JSON.stringify(uri)} (account and region from ${place.from})`);
        break;
      }
      case 'logLevel': {
        const level = value.toUpperCase() === 'WARN' ? 'WARNING' : value.toUpperCase();
        assign(key, field, level, level === value ? JSON.stringify(value) : `${JSON.stringify(level)} (was ${JSON.stringify(value)})`);
        break;
      }
      default:
        assign(key, field, value, key === 'benchlingClientSecret' ? HIDDEN : JSON.stringify(value));
    }
  }

  for (const [field, value] of Object.entries(kept?.fields ?? {}) as [keyof ProfileFile, string][]) {
    if (source[field] !== undefined) continue; // the file set the same value
    out[field] = value;
    source[field] = kept!.from;
    steps.push({ from: kept!.from, to: field, shown: `${JSON.stringify(value)} (the stack the older tool deployed)` });
  }

  const imageTagProblem = migrateImageTag(raw, options, label, out, source, steps, dropped, problems);

  const profile = Object.fromEntries(PROFILE_FIELDS.filter((f) => out[f] !== undefined).map((f) => [f, out[f]])) as ProfileFile;
  const check = checkProfile(profile, label, 'default');
  if (!check.ok) {
    for (const problem of check.problems) {
      if (imageTagProblem && problem.startsWith(`${label}: imageTag:`)) continue;
      problems.push(renameField(problem, label, source));
    }
  }
  if (problems.length > 0) {
    // Problems name the file's keys and values: one line each, through the door.
    throw new UserErrors(problems.map((p) => displayLine(p, 2000)), `nothing was written; ${label} is unchanged`);
  }

  const secretArn = typeof raw.benchlingSecretArn === 'string' ? SECRET_ARN_RE.exec(raw.benchlingSecretArn.trim()) : null;
  if (secretArn && check.ok && (secretArn[2] !== check.profile.region || secretArn[3] !== check.profile.account)) {
    notes.push(
      `benchlingSecretArn names a secret in ${secretArn[2]} (account ${secretArn[3]}); the stack reads benchlingSecret in its own region ${check.profile.region} (account ${check.profile.account})`,
    );
  }
  return { profile, plan: formatSteps(steps), dropped, notes };
}

/** What {@link deployedStack} keeps of the stack the older tool deployed: only the fields that differ from the defaults. */
interface KeptStack {
  readonly from: string;
  readonly fields: Partial<Record<'stackName' | 'region' | 'account', string>>;
}

/**
 * The v0.6 stack (deploy.json's prod stackArn): its name, region and account
 * where they differ from what the profile would otherwise resolve to (the
 * default name; the region and account of quiltStackArn). All or nothing: if
 * the file pins any of them (cdkRegion, cdkAccount, or a hand-added region,
 * account or stackName) to another value, none is kept and a note says where
 * the next deploy will go instead, so the stack never ends up half here, half
 * there.
 */
function deployedStack(raw: Record<string, unknown>, options: V06Options, notes: string[]): KeptStack | undefined {
  const deployed = options.deployedStack;
  const m = deployed ? QUILT_STACK_ARN_RE.exec(deployed.arn.trim()) : null;
  if (!deployed || !m) return undefined;
  const stack = { stackName: m[4], region: m[2], account: m[3] };
  const pinned = {
    stackName: textOf(raw.stackName) || undefined,
    region: textOf(raw.cdkRegion) || textOf(raw.region) || undefined,
    account: textOf(raw.cdkAccount) || textOf(raw.account) || undefined,
  };
  const clash = (['stackName', 'region', 'account'] as const).filter((f) => pinned[f] !== undefined && pinned[f] !== stack[f]);
  if (clash.length > 0) {
    notes.push(
      `${deployed.from} names stack ${stack.stackName} in ${stack.region} (account ${stack.account}), but the file sets ${clash.map((f) => `${f} ${JSON.stringify(pinned[f])}`).join(', ')}; ` +
        'the profile follows the file, so the next deploy goes there, not to that stack',
    );
    return undefined;
  }
  const quilt = typeof raw.quiltStackArn === 'string' ? QUILT_STACK_ARN_RE.exec(raw.quiltStackArn.trim()) : null;
  const fallback = { stackName: DEFAULT_STACK_NAME, region: pinned.region ?? quilt?.[2], account: pinned.account ?? quilt?.[3] };
  const fields: KeptStack['fields'] = {};
  for (const f of ['stackName', 'region', 'account'] as const) if (fallback[f] !== undefined && stack[f] !== fallback[f]) fields[f] = stack[f];
  return Object.keys(fields).length > 0 ? { from: deployed.from, fields } : undefined;
}

/** Sets imageTag from `--image-tag` or the v0.6 value; true when it reported a problem itself. */
function migrateImageTag(
  raw: Record<string, unknown>,
  options: V06Options,
  label: string,
  out: Partial<Record<keyof ProfileFile, unknown>>,
  source: Partial<Record<keyof ProfileFile, string>>,
  steps: Step[],
  dropped: DroppedKey[],
  problems: string[],
): boolean {
  const v06 = typeof raw.imageTag === 'string' ? raw.imageTag.trim() : raw.imageTag;
  if (v06 !== undefined && v06 !== null && typeof v06 !== 'string') {
    problems.push(`${label}: imageTag: expected a string (got ${describe(v06)})`);
    return true;
  }
  const flag = options.imageTag?.trim();
  // A tag the stack cannot serve (every v0.6 release) would make a profile that validates nowhere and deploys never.
  const images = options.images;
  const release = images ? `a release from ${images.oldest} on (${images.latest} is the latest this tool knows), or sha256:<64 hex>` : '';
  const unserved = flag && images ? images.unservable(flag) : undefined;
  if (flag && unserved) {
    problems.push(`--image-tag: image ${flag} cannot be served: ${unserved}; give ${release}`);
    return true;
  }
  if (flag !== undefined) {
    // An empty or null v0.6 value is still a key of the file: say where it went.
    if (Object.hasOwn(raw, 'imageTag') && !v06) dropped.push({ key: 'imageTag', reason: `${v06 === null ? 'null' : 'empty'}; --image-tag gives it` });
    out.imageTag = flag;
    source.imageTag = '--image-tag';
    steps.push({ from: v06 ? 'imageTag' : '--image-tag', to: 'imageTag', shown: `${JSON.stringify(flag)} (from --image-tag${v06 ? `; the v0.6 file has ${JSON.stringify(v06)}` : ''})` });
    return false;
  }
  const ask = 'prod runs a fixed version: give it with `benchling-deploy migrate --image-tag T` (a version tag such as 0.7.0, or sha256:<64 hex>)';
  if (!v06) {
    problems.push(`${label}: imageTag: not set; ${ask}`);
    return true;
  }
  if (v06 === 'latest') {
    problems.push(`${label}: imageTag: "latest" cannot run in prod; ${ask}`);
    return true;
  }
  const v06Unserved = images?.unservable(v06);
  if (v06Unserved) {
    problems.push(`${label}: imageTag: image ${v06} cannot be served by this stack: ${v06Unserved}; give the image prod is to run with \`benchling-deploy migrate --image-tag T\`, ${release}`);
    return true;
  }
  out.imageTag = v06;
  source.imageTag = 'imageTag';
  steps.push({ from: 'imageTag', to: 'imageTag', shown: JSON.stringify(v06) });
  return false;
}

/**
 * Where images live: beside the stack the older tool deployed, that is
 * cdkAccount/cdkRegion, else the kept stack's account and region (see
 * {@link deployedStack}), else the Quilt stack's.
 */
function ecrPlace(raw: Record<string, unknown>, kept: KeptStack | undefined): { account: string; region: string; from: string } | 'reported' | undefined {
  const cdkAccount = textOf(raw.cdkAccount);
  const cdkRegion = textOf(raw.cdkRegion);
  const arn = typeof raw.quiltStackArn === 'string' ? QUILT_STACK_ARN_RE.exec(raw.quiltStackArn.trim()) : null;
  const pick = (own: string, ownName: string, fromStack: string | undefined, fromArn: string | undefined): [string | undefined, string] =>
    own ? [own, ownName] : fromStack ? [fromStack, kept!.from] : [fromArn, 'quiltStackArn'];
  const [account, accountFrom] = pick(cdkAccount, 'cdkAccount', kept?.fields.account, arn?.[3]);
  const [region, regionFrom] = pick(cdkRegion, 'cdkRegion', kept?.fields.region, arn?.[2]);
  if (!account || !region) return undefined;
  if (!/^\d{12}$/.test(account) || !REGION_RE.test(region)) return 'reported';
  return { account, region, from: accountFrom === regionFrom ? accountFrom : `${accountFrom}, ${regionFrom}` };
}

/** `…: pkgBucket: …` becomes `…: benchlingPkgBucket (pkgBucket): …`, naming what the user wrote. */
function renameField(problem: string, label: string, source: Partial<Record<keyof ProfileFile, string>>): string {
  for (const [field, key] of Object.entries(source)) {
    const prefix = `${label}: ${field}: `;
    if (!problem.startsWith(prefix)) continue;
    if (key === field) return problem;
    if (key === '--image-tag') return `--image-tag: ${problem.slice(prefix.length)}`;
    return `${label}: ${key} (${field} in the new layout): ${problem.slice(prefix.length)}`;
  }
  return problem;
}

function formatSteps(steps: readonly Step[]): string[] {
  const fromWidth = Math.max(...steps.map((s) => s.from.length));
  const toWidth = Math.max(...steps.map((s) => s.to.length));
  return steps.map((s) => `${s.from.padEnd(fromWidth)} -> ${s.to.padEnd(toWidth)} ${s.shown}`);
}

/** A value as the text it stands for (trimmed; a number as its digits, as v0.6 wrote cdkAccount), or '' for anything else. */
function textOf(value: unknown): string {
  return typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
}

function isProfileField(key: string): boolean {
  return (PROFILE_FIELDS as string[]).includes(key);
}

function typeOf(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return String(value);
}
