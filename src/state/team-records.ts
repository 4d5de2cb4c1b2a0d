import { hostname } from 'node:os';
import * as z from 'zod/mini';
import { DIGEST_RE, ENVIRONMENTS, ImageReferenceSchema, STACK_NAME_RE, type EnvironmentName } from '../config/schema.js';
import { displayLine } from '../display-text.js';
import { ExternalError } from '../errors.js';
import type { ParameterStore, StoredParameter } from './aws-clients.js';
import { isAlive, type HeldLock } from '../config/lock.js';
import { HISTORY_LIMIT, isRecordTime, mirrorEnvironment, readDeployRecords, type EnvironmentRecord, type HistoryEntry } from './deploy-records.js';

/**
 * Team mode: the account holds the truth. Each environment's record is a
 * version of the SSM parameter `/benchling-webhook/<stack>/<env>/deployed`
 * (its version history, up to 100, is the environment's history), and the
 * deploy lock is `/benchling-webhook/<stack>/lock`, created without
 * overwrite so that only one creator wins. deploy.json mirrors the account
 * whenever it is read with credentials, and is what works without SSM
 * permission: a caller refused (AccessDenied) is told once which IAM actions
 * on which path it needs, and everything goes on locally.
 */

/** The IAM actions team mode needs on {@link teamResourceArn}. */
export const TEAM_ACTIONS = ['ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParameterHistory', 'ssm:PutParameter', 'ssm:DeleteParameter'] as const;

export const parameterPrefix = (stackName: string): string => `/benchling-webhook/${stackName}`;
export const deployedParameter = (stackName: string, env: EnvironmentName): string => `${parameterPrefix(stackName)}/${env}/deployed`;
export const lockParameter = (stackName: string): string => `${parameterPrefix(stackName)}/lock`;
/** What an IAM policy grants team mode: every parameter under the stack's path. */
export const teamResourceArn = (region: string, account: string, stackName: string): string => `arn:aws:ssm:${region}:${account}:parameter${parameterPrefix(stackName)}/*`;

/** One deploy as the account records it: the value of one version of the environment's parameter. */
export interface AccountRecord {
  readonly imageTag: string;
  readonly imageDigest?: string;
  readonly endpoint: string;
  readonly deployedAt: string;
  /** The caller's ARN from STS; absent on a record copied up from a deploy.json that did not know it. */
  readonly deployedBy?: string;
  readonly toolVersion?: string;
  readonly operation?: 'deploy' | 'promote' | 'rollback' | 'copied';
  readonly contractTag?: string;
  readonly stackName: string;
}

const str = (max: number) => z.string().check(z.maxLength(max));
const isoTime = z.string().check(z.refine(isRecordTime, { error: 'expected an ISO-8601 time' }));

/** A version's value is outside text (anyone with PutParameter wrote it): checked like deploy.json before use. */
const AccountRecordSchema = z.object({
  imageTag: ImageReferenceSchema,
  imageDigest: z.optional(z.string().check(z.regex(DIGEST_RE))),
  endpoint: str(2048),
  deployedAt: isoTime,
  deployedBy: z.optional(str(2048)),
  toolVersion: z.optional(str(100)),
  operation: z.optional(z.enum(['deploy', 'promote', 'rollback', 'copied'])),
  contractTag: z.optional(ImageReferenceSchema),
  stackName: z.string().check(z.regex(STACK_NAME_RE)),
});

const LockSchema = z.object({
  token: str(100),
  who: str(2048),
  host: str(255),
  pid: z.int(),
  operation: str(200),
  environment: str(20),
  started: isoTime,
  expires: isoTime,
  /** Which config folder of which host took it (a hash): its own local lock then speaks for it. */
  folder: z.optional(str(100)),
});
export type AccountLockInfo = z.infer<typeof LockSchema>;

/** One entry of an environment's history in the account, newest first in {@link AccountHistory.entries}. */
export interface AccountEntry extends AccountRecord {
  readonly version: number;
}

export type AccountHistory =
  | { readonly source: 'account'; readonly entries: readonly AccountEntry[]; /** Versions whose value was not a record (skipped). */ readonly skipped: number }
  /**
   * The account could not be used: `reason` says why; the local records stand. `failed` when a read failed (throttled,
   * a server error, an answer that could not be read), not when team records are off (no permission).
   */
  | { readonly source: 'local'; readonly reason: string; readonly failed: boolean };

/** True when IAM refused the call. */
export function isAccessDenied(error: unknown): boolean {
  const e = error as { name?: string; Code?: string; message?: string } | null;
  return !!e && (e.name === 'AccessDeniedException' || e.name === 'AccessDenied' || e.Code === 'AccessDenied' || /is not authorized to perform: ssm:/.test(e.message ?? ''));
}

export interface TeamOptions {
  readonly store: ParameterStore;
  readonly stackName: string;
  readonly region: string;
  readonly account: string;
  /** deploy.json, the local mirror. */
  readonly recordsPath: string;
  /** The caller's ARN (STS), asked once when first needed. */
  readonly who: () => Promise<string>;
  readonly toolVersion: string;
  /** Said once per process: permission missing, a lock taken over, a record that could not be written. */
  readonly notice: (message: string) => void;
  /** How long a lock lasts without renewal (default {@link DEFAULT_LOCK_TTL_MS}). */
  readonly lockTtlMs?: number;
  readonly now?: () => Date;
}

/** A lock lasts this long unless renewed; renewed every third of it while held. */
export const DEFAULT_LOCK_TTL_MS = 5 * 60_000;

export interface HeldAccountLock {
  readonly info: AccountLockInfo;
  /** Stops renewing and deletes the lock if it is still ours; the same promise on every call. */
  release(): Promise<void>;
}

export interface Team {
  /** False once the account refused: everything is local from then on. */
  readonly enabled: boolean;
  /**
   * Each environment's history in the account; a deploy.json history the
   * account does not have yet is copied up once (oldest first), and
   * deploy.json is made the account's mirror.
   */
  refresh(envs: readonly EnvironmentName[], options?: { readonly lock?: HeldLock }): Promise<Partial<Record<EnvironmentName, AccountHistory>>>;
  /** Writes a deploy as the environment's newest version; false (and a notice) when it could not. */
  record(env: EnvironmentName, record: Omit<AccountRecord, 'toolVersion' | 'deployedBy' | 'stackName'>): Promise<boolean>;
  /** Takes the account's deploy lock, or throws {@link AccountLockHeldError}; null when the account cannot be used for it. */
  acquireLock(operation: string, environment: EnvironmentName): Promise<HeldAccountLock | null>;
}

/** The account's lock is held by another deploy (anywhere). */
export class AccountLockHeldError extends ExternalError {
  readonly holder: AccountLockInfo | undefined;
  constructor(name: string, holder: AccountLockInfo | undefined, now: Date) {
    const f = (v: string) => displayLine(v, 300);
    super(
      holder
        ? `another deploy holds the stack's lock in the account (${name}): ${f(holder.who)} on ${f(holder.host)} (pid ${holder.pid}): ${f(holder.operation)}, started ${age(holder.started, now)} ago; it expires in ${until(holder.expires, now)} unless renewed`
        : `another deploy holds the stack's lock in the account (${name})`,
      { hint: `wait for it to finish (\`benchling-deploy status\`); a lock whose holder died is taken over once it expires; nothing was changed` },
    );
    this.name = 'AccountLockHeldError';
    this.holder = holder;
  }
}

function age(iso: string, now: Date): string {
  return span(now.getTime() - Date.parse(iso));
}
function until(iso: string, now: Date): string {
  return span(Date.parse(iso) - now.getTime());
}
/** `12 s`, `4 min`, `2 h`, `3 d`. */
export function span(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}

/**
 * A stage endpoint as the stack makes it (`https://API.execute-api.REGION.amazonaws.com/STAGE`, or `.com.cn`):
 * the only kind `test` and the dashboard's `t` may be sent to from a record anyone with PutParameter wrote.
 */
const STAGE_ENDPOINT_RE = /^https:\/\/[a-z0-9]{1,32}\.execute-api\.[a-z]{2}(?:-[a-z]+)+-\d\.amazonaws\.com(?:\.cn)?\/[A-Za-z0-9_-]{1,128}$/;

/**
 * Parses one version's value; undefined when it is not a record. An endpoint that is not a stage endpoint
 * ({@link STAGE_ENDPOINT_RE}) is dropped, the rest of the record kept: the stack's output names the endpoint then.
 */
export function parseAccountRecord(value: string): AccountRecord | undefined {
  try {
    const parsed = AccountRecordSchema.safeParse(JSON.parse(value));
    if (!parsed.success) return undefined;
    return STAGE_ENDPOINT_RE.test(parsed.data.endpoint) ? parsed.data : { ...parsed.data, endpoint: '' };
  } catch {
    return undefined;
  }
}

function parseLock(value: string): AccountLockInfo | undefined {
  try {
    const parsed = LockSchema.safeParse(JSON.parse(value));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

const pick = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** A local history entry (or section) as the account's record, when it names an image. */
function asAccountRecord(e: HistoryEntry | EnvironmentRecord, stackName: string): AccountRecord | undefined {
  if (!e.imageTag) return undefined;
  return pick({ imageTag: e.imageTag, imageDigest: e.imageDigest, endpoint: e.endpoint ?? '', deployedAt: e.deployedAt, deployedBy: e.deployedBy, operation: 'copied' as const, contractTag: e.contractTag, stackName });
}

export function createTeam(options: TeamOptions): Team {
  const { store, stackName } = options;
  const now = options.now ?? (() => new Date());
  const ttl = options.lockTtlMs ?? DEFAULT_LOCK_TTL_MS;
  let enabled = true;
  let deniedSaid = false;
  let who: Promise<string> | undefined;
  const caller = () => (who ??= options.who());

  /** Permission missing: said once, then everything is local. */
  const denied = (error: unknown): string => {
    enabled = false;
    const reason = `the AWS credentials may not use the stack's SSM parameters (${displayLine((error as Error).message, 400)})`;
    if (!deniedSaid) {
      deniedSaid = true;
      // What to grant first (a banner may cut the end), then AWS's own words.
      options.notice(
        `team records off: these credentials need ${TEAM_ACTIONS.join(', ')} on ${teamResourceArn(options.region, options.account, stackName)}; working with the local deploy.json and lock only (the README has the IAM policy). AWS said: ${displayLine((error as Error).message, 400)}`,
      );
    }
    return reason;
  };
  const failure = (error: unknown, doing: string): string => {
    if (isAccessDenied(error)) return denied(error);
    return `${doing} failed: ${displayLine((error as Error).message ?? String(error), 400)}`;
  };

  const historyOf = (versions: readonly StoredParameter[]): { entries: AccountEntry[]; skipped: number } => {
    const entries: AccountEntry[] = [];
    let skipped = 0;
    for (const v of versions) {
      const r = parseAccountRecord(v.value);
      // A version naming another stack is not this stack's deploy (and would not fit deploy.json).
      if (r && r.stackName === stackName) entries.push({ ...r, version: v.version });
      else skipped += 1;
    }
    return { entries: entries.reverse(), skipped };
  };

  /** deploy.json's deploys of `env` that the account does not have, copied up oldest first; once: the first put creates the parameter, a second machine's finds it. */
  const copyUp = async (env: EnvironmentName, name: string): Promise<StoredParameter[] | null> => {
    const read = readDeployRecords(options.recordsPath);
    const local = read.state === 'ok' ? read.records[env] : undefined;
    if (!local || local.legacy) return null;
    const oldestFirst = [...local.history].reverse().concat(local.destroyedAt ? [] : [local]).map((e) => asAccountRecord(e, stackName)).filter((r): r is AccountRecord => r !== undefined);
    let first = true;
    for (const r of oldestFirst.slice(-HISTORY_LIMIT - 1)) {
      const put = await store.putParameter(name, JSON.stringify(r), !first);
      if (put === 'exists') return store.getParameterHistory(name);
      first = false;
    }
    return first ? null : store.getParameterHistory(name);
  };

  /** The newest version last read of each environment's parameter, and what it held: a refresh that finds the same version reads no history. */
  const known = new Map<EnvironmentName, { readonly version: number; readonly entries: AccountEntry[]; readonly skipped: number }>();

  const mirror = async (env: EnvironmentName, entries: readonly AccountEntry[], lock: HeldLock | undefined) => {
    if (entries.length === 0) return;
    // The mirror is a convenience: a deploy.json that is busy (a deploy here holds it) or bad is left as it is.
    const deploys = entries.map((e) => pick({ imageTag: e.imageTag, deployedAt: e.deployedAt, endpoint: e.endpoint || undefined, contractTag: e.contractTag, deployedBy: e.deployedBy, imageDigest: e.imageDigest, stackName: e.stackName }));
    await mirrorEnvironment(options.recordsPath, env, deploys, { lock }).catch(() => false);
  };

  /** `exists`: whether GetParameters found the parameter (absent: copied up from deploy.json without asking for its history). */
  const readEnvironment = async (env: EnvironmentName, exists: boolean, lock: HeldLock | undefined, history?: Promise<StoredParameter[] | null>): Promise<AccountHistory> => {
    const name = deployedParameter(stackName, env);
    try {
      const versions = (exists ? await (history ?? store.getParameterHistory(name)) : null) ?? (await copyUp(env, name));
      if (!versions || versions.length === 0) {
        known.delete(env);
        return { source: 'account', entries: [], skipped: 0 };
      }
      const { entries, skipped } = historyOf(versions);
      known.set(env, { version: versions.at(-1)!.version, entries, skipped });
      await mirror(env, entries, lock);
      return { source: 'account', entries, skipped };
    } catch (error) {
      return { source: 'local', reason: failure(error, `reading ${name}`), failed: !isAccessDenied(error) };
    }
  };

  const lockName = lockParameter(stackName);

  return {
    get enabled() {
      return enabled;
    },

    async refresh(envs, refreshOptions = {}) {
      const out: Partial<Record<EnvironmentName, AccountHistory>> = {};
      const asked = ENVIRONMENTS.filter((e) => envs.includes(e));
      const off = (reason: string, failed = false) => Object.fromEntries(asked.map((env) => [env, { source: 'local', reason, failed } as const]));
      if (asked.length === 0) return out;
      if (!enabled) return off('team records are off (no SSM permission)');
      // One call says each environment's newest version; only an environment whose version moved has its history read.
      let newest: ReadonlyMap<string, StoredParameter>;
      try {
        newest = await store.getParameters(asked.map((env) => deployedParameter(stackName, env)));
      } catch (error) {
        return off(failure(error, `reading ${asked.map((env) => deployedParameter(stackName, env)).join(', ')}`), !isAccessDenied(error));
      }
      // The histories to read (dev's and prod's, a round trip each) are asked together; each is taken, and mirrored into
      // deploy.json, in turn, as before. One that fails is said where it is taken; after a refusal the next is not looked at.
      const histories = new Map<EnvironmentName, Promise<StoredParameter[] | null>>();
      for (const env of asked) {
        const version = newest.get(deployedParameter(stackName, env))?.version;
        if (version === undefined || known.get(env)?.version === version) continue;
        const history = store.getParameterHistory(deployedParameter(stackName, env));
        history.catch(() => undefined);
        histories.set(env, history);
      }
      for (const env of asked) {
        if (!enabled) {
          out[env] = { source: 'local', reason: 'team records are off (no SSM permission)', failed: false };
          continue;
        }
        const version = newest.get(deployedParameter(stackName, env))?.version;
        const last = known.get(env);
        if (version !== undefined && last?.version === version) {
          await mirror(env, last.entries, refreshOptions.lock);
          out[env] = { source: 'account', entries: last.entries, skipped: last.skipped };
        } else {
          out[env] = await readEnvironment(env, version !== undefined, refreshOptions.lock, histories.get(env));
        }
      }
      return out;
    },

    async record(env, record) {
      if (!enabled) return false;
      const name = deployedParameter(stackName, env);
      try {
        const value: AccountRecord = pick({ ...record, stackName, deployedBy: await caller(), toolVersion: options.toolVersion });
        await store.putParameter(name, JSON.stringify(value), true);
        return true;
      } catch (error) {
        const why = failure(error, `writing ${name}`);
        if (enabled) options.notice(`the deploy is recorded in deploy.json but not in the account: ${why}`);
        return false;
      }
    },

    async acquireLock(operation, environment) {
      if (!enabled) return null;
      const info = (): AccountLockInfo => {
        const at = now();
        return { token, who: whoami, host: hostname(), pid: process.pid, operation, environment, started: startedAt, expires: new Date(at.getTime() + ttl).toISOString(), folder };
      };
      // Node's crypto module loads here, at the first lock, not with the dashboard's start (which reads records only).
      const token = globalThis.crypto.randomUUID();
      const { createHash } = await import('node:crypto');
      const folder = createHash('sha256').update(`${hostname()}\0${options.recordsPath}`).digest('hex').slice(0, 16);
      let whoami: string;
      const startedAt = now().toISOString();
      try {
        whoami = await caller();
        let put = await store.putParameter(lockName, JSON.stringify(info()), false);
        if (put === 'exists') {
          const current = await store.getParameter(lockName);
          const holder = current ? parseLock(current.value) : undefined;
          // A value that is not a lock still expires: from when it was written.
          const expires = holder ? Date.parse(holder.expires) : current?.modifiedAt ? Date.parse(current.modifiedAt) + ttl : 0;
          // Taken by this same config folder, by a process that is gone (killed): this folder's local lock, held now, vouches that nothing of it runs.
          const orphaned = holder?.folder === folder && holder.host === hostname() && holder.pid !== process.pid && !isAlive(holder.pid);
          if (current && expires > now().getTime() && !orphaned) throw new AccountLockHeldError(lockName, holder, now());
          // Past its expiry: its holder died. Taken over only if still that same lock, then created anew without overwrite.
          const again = await store.getParameter(lockName);
          if (current && again && again.version !== current.version) throw new AccountLockHeldError(lockName, parseLock(again.value), now());
          if (again) await store.deleteParameter(lockName);
          put = await store.putParameter(lockName, JSON.stringify(info()), false);
          if (put === 'exists') {
            const winner = await store.getParameter(lockName);
            throw new AccountLockHeldError(lockName, winner ? parseLock(winner.value) : undefined, now());
          }
          options.notice(
            holder && orphaned
              ? `took over the stack's lock in the account: ${displayLine(holder.operation, 200)} from this config folder (pid ${holder.pid}, started ${age(holder.started, now())} ago) is gone`
              : holder
              ? `took over the stack's lock in the account: ${displayLine(holder.who, 300)} on ${displayLine(holder.host, 200)} (pid ${holder.pid}) held it for ${displayLine(holder.operation, 200)}, started ${age(holder.started, now())} ago, and it expired ${age(holder.expires, now())} ago without renewal`
              : `took over the stack's lock in the account (${lockName}): it had expired`,
          );
        }
      } catch (error) {
        if (error instanceof AccountLockHeldError) throw error;
        if (isAccessDenied(error)) {
          denied(error);
          return null;
        }
        throw new ExternalError(`the stack's lock in the account (${lockName}) could not be taken: ${displayLine((error as Error).message, 400)}`, {
          hint: 'nothing was changed; try again (`benchling-deploy status` shows whether another deploy runs)',
          cause: error,
        });
      }

      let timer: NodeJS.Timeout | undefined;
      let stopped = false;
      let renewing: Promise<unknown> = Promise.resolve();
      const schedule = () => {
        if (stopped) return;
        timer = setTimeout(() => {
          renewing = (async () => {
            const current = await store.getParameter(lockName);
            if (stopped || !current || parseLock(current.value)?.token !== token) return;
            await store.putParameter(lockName, JSON.stringify(info()), true);
          })()
            .catch(() => {})
            .finally(schedule);
        }, Math.max(1000, Math.floor(ttl / 3)));
        timer.unref();
      };
      schedule();
      let released: Promise<void> | undefined;
      return {
        info: info(),
        release() {
          released ??= (async () => {
            stopped = true;
            if (timer) clearTimeout(timer);
            await renewing;
            try {
              const current = await store.getParameter(lockName);
              if (current && parseLock(current.value)?.token === token) await store.deleteParameter(lockName);
            } catch (error) {
              options.notice(`the stack's lock in the account (${lockName}) could not be removed: ${displayLine((error as Error).message, 300)}; it expires by itself`);
            }
          })();
          pendingReleases.add(released);
          void released.finally(() => pendingReleases.delete(released!));
          return released;
        },
      };
    },
  };
}

/** Account lock releases under way (a DeleteParameter in flight), so a process about to exit can wait for them. */
const pendingReleases = new Set<Promise<void>>();

/**
 * Resolves when every account lock release started so far has ended, or after
 * `capMs`: the dashboard waits on it before it exits, so quitting over a slow
 * network does not leave the stack locked until the lock expires.
 */
export async function accountLocksReleased(capMs: number): Promise<void> {
  if (pendingReleases.size === 0) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.allSettled([...pendingReleases]), new Promise<void>((r) => (timer = setTimeout(r, capMs)))]);
  clearTimeout(timer);
}
