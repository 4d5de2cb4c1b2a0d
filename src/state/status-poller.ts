import type { EnvironmentName } from '../config/schema.js';
import { DEFAULT_INTERVAL_MS } from './poll-interval.js';
import { TRAFFIC_DAYS } from '../config/cost.js';
import { outputName, parameterName } from '../config/names.js';
import { classifyAwsError, loginHint, type AwsProblem } from './aws-errors.js';
import type { DeployRecords } from './deploy-records.js';
import {
  deriveHealth,
  isStackInProgress,
  primaryDeployment,
  relevantStoppedTasks,
  rolloutInProgress,
  stoppedTaskReason,
  summarizeTargets,
  type TargetsSummary,
} from './health.js';
import type { CallerIdentity, ServiceInfo, ServiceRollback, StackInfo, StageInfo, StatusApi, TaskInfo } from './status-api.js';
import { alarmFailureEvent, alarmRollbackOf } from './alarm-rollback.js';
import { metricQueries, metricsFromResults, metricsWindow, type EnvironmentMetrics } from './metrics.js';
import { trafficFromResults, trafficQueries, trafficWindow } from './traffic.js';
import { EVENTS_KEEP, type EnvironmentStatus, type RunningTask, type StatusSnapshot } from './status-types.js';
import { partsServices } from './stack-parts-cache.js';

/**
 * Live status of the stack's environments, for `status` (one snapshot) and
 * the dashboard (a stream of them).
 *
 * Each refresh costs, in steady state, one ECS DescribeServices for every
 * environment together and one DescribeTargetHealth per environment. The
 * stack (status, parameters, outputs) and the API stages are cached until
 * something says they changed: the stack was mid-update, a rollout is or was
 * in progress, a service's task definition moved, deploy.json recorded a
 * deploy, {@link StatusPoller.invalidate} was called, or they are older than
 * `stackMaxAgeMs`. The account comes from STS once. Stopped tasks' reasons are
 * read only while an environment is not healthy. The running tasks (ECS
 * ListTasks and DescribeTasks) are read for one environment only, the one
 * {@link StatusPoller.watchTasks} names (the dashboard's selection): when the
 * watch moves to it, on {@link StatusPoller.refresh}, and otherwise at most
 * once every `tasksMaxAgeMs`; sharing one DescribeTasks with the stopped tasks.
 * The last hour's metrics of every environment (metrics.ts) are one
 * CloudWatch GetMetricData, tried at most once every `metricsIntervalMs`
 * whatever its outcome (so a failing one costs no more calls); a refusal
 * (AccessDenied) is said once in the snapshot and never asked again, and a
 * metrics failure never makes the poll back off or an environment's error.
 * With `readTraffic` (the dashboard's cost estimate), once an hour that
 * minute's call reads each environment's requests of the last 7 days instead
 * (a call holds one time window), so the calls stay at one a minute and the
 * sparklines are at most two minutes old then.
 *
 * Polls chain `setTimeout`, so they never overlap; throttling and server
 * errors stretch the delay (doubling, with jitter, up to `maxBackoffMs`) and
 * it shrinks back by itself after a clean poll. A failed call becomes data:
 * the part it would have read keeps its last value and that value's read
 * time, the environment or snapshot carries the error, and the rest stands.
 */

export interface PolledEnvironment {
  readonly name: EnvironmentName;
  /** The config profile of this environment (shown, never used for AWS). */
  readonly profile: string;
}

export interface StatusPollerOptions {
  readonly api: StatusApi;
  readonly stackName: string;
  readonly region: string;
  /** The account the profiles place the stack in, to explain a missing stack. */
  readonly account?: string;
  /** In display order; prod only when there is no dev profile. */
  readonly environments: readonly PolledEnvironment[];
  /** deploy.json as it is now; read every poll (a local file, no AWS call). */
  readonly deployRecords?: () => DeployRecords;
  /**
   * Refreshes deploy.json from the account (team mode), before deploy.json is
   * read: by the first poll, then once every `recordsEveryMs` (default 60 s),
   * and sooner when a service shows a deploy (see {@link RECORDS_FOLLOW_MS}).
   * It resolves true when it brought a record not seen before. Its failures
   * are its own (it says them), never the poll's.
   */
  readonly refreshRecords?: () => Promise<boolean | void>;
  readonly recordsEveryMs?: number;
  /** The AWS credentials profile in use, for the log-in hint. */
  readonly awsProfile?: string;
  /** Delay between polls (default 5000 ms). */
  readonly intervalMs?: number;
  /** Longest delay while backing off (default 60000 ms). */
  readonly maxBackoffMs?: number;
  /** Re-read the stack and stages at least this often (default 5 minutes). */
  readonly stackMaxAgeMs?: number;
  /** The environment whose running tasks are read from the first poll on (default none). */
  readonly watchTasks?: EnvironmentName | null;
  /** Re-read the watched environment's running tasks at most this often, unless asked (default 30000 ms). */
  readonly tasksMaxAgeMs?: number;
  /** Also read the last 7 days' requests per environment for the cost estimate, in the metrics' minute slot once every `trafficIntervalMs` (default off). */
  readonly readTraffic?: boolean;
  /** Default one hour. */
  readonly trafficIntervalMs?: number;
  /** Read the metrics at most this often (default 60000 ms: CloudWatch's points are a minute apart). */
  readonly metricsIntervalMs?: number;
  /** Read the API's stages (default on; off: no environment's `stage`, for `status`'s table, which shows none). */
  readonly readStages?: boolean;
  /** Read the metrics, where the API can (default on; off: none, and no `metricsError`, for `status`'s table, which shows none). */
  readonly readMetrics?: boolean;
  /**
   * The stack's parts as a run before this one read them (a cache, see stack-parts-cache.ts). The first
   * poll then sends the reads that follow from them (stages, services, target health, metrics) at once,
   * beside the stack's, instead of after its answer; and keeps their answers only when the stack read
   * now has the same parts. Otherwise they are dropped and read again with the parts read now.
   */
  readonly lastParts?: StackParts;
  /** Called with the stack's parts after each read of an existing stack (to keep them for the next run's `lastParts`). */
  readonly onStackParts?: (parts: StackParts) => void;
  /**
   * The first poll while polling ({@link StatusPoller.start}) sends first only what the health
   * verdicts need (the stack, the services, the target health) and, once they answered and every
   * environment's verdict stands without more reads (no stopped tasks' reasons or alarm to read),
   * gives its listeners that snapshot at once (`partial`); then it reads the rest (the account, the
   * API's stages, the metrics, the watched environment's running tasks) and ends as any poll. The
   * same calls as without; the health shows before the rest's round trips. A missing stack has the
   * account read at once (the wrong-account explanation needs it). The dashboard's; default off.
   */
  readonly healthFirst?: boolean;
  /** For tests: jitter source in [0, 1) and clock. */
  readonly random?: () => number;
  readonly now?: () => Date;
}

/** What the reads after the stack's depend on: its outputs naming the cluster, the API, and each environment's service and target group. */
export interface StackParts {
  readonly cluster: string | null;
  readonly apiId: string | null;
  readonly environments: Readonly<Partial<Record<EnvironmentName, { readonly service: string | null; readonly targetGroup: string | null }>>>;
}

/** The parts of `stack` that the reads after it use, for `environments`. */
export function stackPartsOf(stack: StackInfo, environments: readonly { readonly name: EnvironmentName }[]): StackParts {
  return {
    cluster: stack.outputs.ClusterName ?? null,
    apiId: stack.outputs.ApiId ?? null,
    environments: Object.fromEntries(
      environments.map((e) => [e.name, { service: stack.outputs[outputName(e.name, 'ServiceName')] ?? null, targetGroup: stack.outputs[outputName(e.name, 'TargetGroupArn')] ?? null }]),
    ),
  };
}

export interface PollUpdate {
  readonly snapshot: StatusSnapshot;
  /** When the next poll is due (ms from now), or null when not polling continuously. */
  readonly nextPollInMs: number | null;
  /** Polls in a row that met throttling or server errors (0 after a clean one). */
  readonly failuresInARow: number;
  /** An early update of a poll still reading (see {@link StatusPollerOptions.healthFirst}): the poll's own update follows. */
  readonly partial?: true;
}

export type PollListener = (update: PollUpdate) => void;

export interface StatusPoller {
  /** Polls now, then every interval until {@link stop}. */
  start(): void;
  /** No more polls; resolves once the poll in flight (if any) has finished. */
  stop(): Promise<void>;
  /**
   * Polls now (or joins the poll in flight) and resolves with its snapshot: `r`, "refresh now", so the stack, the
   * stages and the records are read again too, not taken from their cache (a poll in flight keeps what it read, and
   * the next poll follows it at once).
   */
  refresh(): Promise<StatusSnapshot>;
  /** One snapshot, for `status`: a poll as the timer's are (the caches kept), and it never starts the timer. */
  snapshot(): Promise<StatusSnapshot>;
  /** Forget the cached stack and stages: a deploy started or ended. */
  invalidate(): void;
  /** While on (a deploy of this process runs), every poll reads the stack: its status moves before any service does. */
  followStack(on: boolean): void;
  /**
   * Read this environment's running tasks from now on (null: none). A new
   * environment, or one never read, is read by a poll started now.
   */
  watchTasks(environment: EnvironmentName | null): void;
  /** The latest snapshot, or null before the first poll ends. */
  current(): StatusSnapshot | null;
  /** True while a poll is in flight. */
  isPolling(): boolean;
  /** Called after every poll, and with a partial update before the rest of a health-first poll is read; returns the unsubscribe function. */
  subscribe(listener: PollListener): () => void;
}

interface Timed<T> {
  readonly value: T;
  readonly readAt: string;
}

interface EnvState {
  service?: Timed<ServiceInfo | 'missing'>;
  targets?: Timed<TargetsSummary>;
  tasks?: Timed<readonly TaskInfo[]>;
  /** Running tasks, read while watched; kept with their time after. */
  running?: Timed<readonly TaskInfo[]>;
  /** Each target's state by id, from the last target read. */
  targetStates?: Readonly<Record<string, string>>;
  lastTaskDefinition?: string;
  /** The primary deployment's id and task definition at the last poll: a change is a deploy, whoever made it. */
  lastDeployment?: string;
  /** ECS's rolled-back deployment, read once per alarm-failure event (keyed by it). */
  rollback?: { readonly key: string; readonly value: ServiceRollback | null };
  /** The last hour's metrics, from the last GetMetricData that answered. */
  metrics?: EnvironmentMetrics;
}

interface PollProblems {
  retryable: boolean;
}

export { DEFAULT_INTERVAL_MS };
export const MAX_BACKOFF_MS = 60_000;
export const STACK_MAX_AGE_MS = 5 * 60_000;
const MAX_STOPPED_TASKS_PER_ENV = 50;
const MAX_RUNNING_TASKS = 50;
export const TASKS_MAX_AGE_MS = 30_000;
export const METRICS_INTERVAL_MS = 60_000;
export const TRAFFIC_INTERVAL_MS = 3_600_000;
export const RECORDS_EVERY_MS = 60_000;
/**
 * A service's new deployment or task definition (a deploy from anywhere)
 * makes the next poll refresh the records. The deploy writes its record only
 * after its rollout, so the records are then refreshed every
 * {@link RECORDS_FOLLOW_EVERY_MS} while a rollout runs and for this long after
 * the change or the rollout last seen, until a refresh brings a new record.
 */
export const RECORDS_FOLLOW_MS = 2 * 60_000;
export const RECORDS_FOLLOW_EVERY_MS = 20_000;

const APIS = {
  identity: 'STS GetCallerIdentity',
  stack: 'CloudFormation DescribeStacks',
  stages: 'API Gateway GetStages',
  services: 'ECS DescribeServices',
  targets: 'ELBv2 DescribeTargetHealth',
  listTasks: 'ECS ListTasks',
  describeTasks: 'ECS DescribeTasks',
  rollback: 'ECS DescribeServiceDeployments',
  metrics: 'CloudWatch GetMetricData',
} as const;

export function createStatusPoller(options: StatusPollerOptions): StatusPoller {
  const { api } = options;
  const interval = options.intervalMs ?? DEFAULT_INTERVAL_MS;
  const maxBackoff = Math.max(interval, options.maxBackoffMs ?? MAX_BACKOFF_MS);
  const stackMaxAge = options.stackMaxAgeMs ?? STACK_MAX_AGE_MS;
  const random = options.random ?? Math.random;
  const now = options.now ?? (() => new Date());
  const tasksMaxAge = options.tasksMaxAgeMs ?? TASKS_MAX_AGE_MS;
  let watched: EnvironmentName | null = options.watchTasks ?? null;
  /** The next poll reads the watched environment's tasks whatever their age. */
  let tasksWanted = false;
  /** Whether the next poll is the first of {@link StatusPoller.start} with {@link StatusPollerOptions.healthFirst}: health first, the rest after. */
  let healthFirstDue = options.healthFirst === true;

  let identity: Timed<CallerIdentity> | undefined;
  let stack: Timed<StackInfo | null> | undefined;
  let stackMarker = '';
  let stackStale = true;
  /** {@link StatusPoller.followStack}. */
  let followingStack = false;
  /** A refresh was asked while a poll was in flight: the next poll follows it at once. */
  let refreshAsked = false;
  let stages: Timed<readonly StageInfo[]> | undefined;
  let stagesStale = true;
  const metricsInterval = options.metricsIntervalMs ?? METRICS_INTERVAL_MS;
  /** Whether the polls read the metrics at all: an API with GetMetricData, and not switched off. */
  const readsMetrics = Boolean(api.getMetricData) && options.readMetrics !== false;
  let metricsTriedAt: number | undefined;
  /** Why the last metrics read failed (null after one that answered); a refusal stops the reads for good. */
  let metricsError: string | null = null;
  let metricsRefused = false;
  const trafficInterval = options.trafficIntervalMs ?? TRAFFIC_INTERVAL_MS;
  let trafficTriedAt: number | undefined;
  let traffic: StatusSnapshot['traffic'];
  const envs = new Map<EnvironmentName, EnvState>(options.environments.map((e) => [e.name, {}]));

  let latest: StatusSnapshot | null = null;
  let inFlight: Promise<StatusSnapshot> | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let running = false;
  let failuresInARow = 0;
  const listeners = new Set<PollListener>();

  const nextDelay = (): number => {
    if (failuresInARow === 0) return interval;
    const cap = Math.min(maxBackoff, interval * 2 ** failuresInARow);
    return Math.round(cap / 2 + (random() * cap) / 2);
  };

  const schedule = (delay: number) => {
    if (!running) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      void poll();
    }, delay);
  };

  const poll = (): Promise<StatusSnapshot> => {
    if (inFlight) return inFlight;
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    inFlight = (async () => {
      const problems: PollProblems = { retryable: false };
      let snapshot: StatusSnapshot;
      try {
        snapshot = await pollOnce(problems, notify);
      } catch (error) {
        // A bug in this module must not stop the dashboard; it is data like any failure.
        const message = `internal error while reading the status: ${error instanceof Error ? error.message : String(error)}`;
        snapshot = blankSnapshot(message, 'other', null);
      }
      failuresInARow = problems.retryable ? failuresInARow + 1 : 0;
      latest = snapshot;
      // A refresh asked while this poll ran may have come after its reads: the next poll goes now, not an interval on.
      const delay = refreshAsked ? 0 : nextDelay();
      refreshAsked = false;
      inFlight = null;
      schedule(delay);
      notify({ snapshot, nextPollInMs: running ? delay : null, failuresInARow });
      return snapshot;
    })();
    return inFlight;
  };

  function notify(update: PollUpdate): void {
    for (const listener of [...listeners]) {
      try {
        listener(update);
      } catch (error) {
        // A listener's bug is a bug: surface it, without breaking the polling chain.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  /** Runs one API read; a failure becomes a problem, noted for the back-off. */
  async function attempt<T>(what: string, problems: PollProblems, fn: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; problem: AwsProblem; text: string }> {
    try {
      return { ok: true, value: await fn() };
    } catch (error) {
      const problem = classifyAwsError(error);
      if (problem.retryable) problems.retryable = true;
      return { ok: false, problem, text: `${what}: ${problem.message}` };
    }
  }

  function blankSnapshot(error: string, kind: AwsProblem['kind'], hint: string | null): StatusSnapshot {
    const records = readRecords();
    return {
      stackName: options.stackName,
      region: options.region,
      account: identity?.value.account ?? options.account ?? null,
      stackStatus: stack?.value?.status ?? null,
      fetchedAt: now().toISOString(),
      stackReadAt: stack?.readAt ?? null,
      error,
      errorKind: kind,
      hint,
      environments: options.environments.map((e) => ({
        name: e.name,
        profile: e.profile,
        imageTag: stack?.value?.parameters[parameterName(e.name, 'ImageTag')] ?? records[e.name]?.imageTag ?? null,
        endpoint: stack?.value?.outputs[outputName(e.name, 'Endpoint')] ?? records[e.name]?.endpoint ?? null,
        service: null,
        targets: null,
        health: 'unknown' as const,
        reason: error,
        error,
        lastDeploy: lastDeployOf(records, e.name),
      })),
    };
  }

  let recordsRefreshedAt: number | undefined;
  /** A deploy was seen since the last records refresh. */
  let recordsWanted = false;
  /** While a seen deploy's record is awaited: refreshed at the follow pace until then. */
  let recordsFollowUntil: number | undefined;

  function readRecords(): DeployRecords {
    try {
      return options.deployRecords?.() ?? {};
    } catch {
      return {};
    }
  }

  function credentialsFailure(problem: AwsProblem, text: string): StatusSnapshot {
    return blankSnapshot(`AWS credentials expired or missing (${text})`, 'credentials', loginHint(options.awsProfile));
  }

  /** Tells options.onStackParts; keeping them is for the next run only, so its failure is not the poll's. */
  function keepParts(parts: StackParts): void {
    try {
      options.onStackParts?.(parts);
    } catch {
      // The next run reads the stack first, as without them.
    }
  }

  /** The first poll's reads sent with the last run's parts (options.lastParts), at most once. */
  let lastPartsUsed = false;

  /** The parts of `parts` that the reads use, in one string: equal strings, equal reads. */
  const partsKey = (parts: StackParts) =>
    JSON.stringify([parts.cluster, parts.apiId, options.environments.map((e) => [parts.environments[e.name]?.service ?? null, parts.environments[e.name]?.targetGroup ?? null])]);

  async function pollOnce(problems: PollProblems, onPartial: (update: PollUpdate) => void): Promise<StatusSnapshot> {
    const fetchedAt = now();
    const at = fetchedAt.getTime();
    // Health first (healthFirst's first poll while polling): the account, stages and metrics are sent once the health's reads answered.
    const healthFirst = healthFirstDue && running;
    if (running) healthFirstDue = false;
    // The first poll, with the parts a run before read: the reads that follow from them go now, beside the stack's.
    const early =
      !lastPartsUsed && options.lastParts && !stack && metricsTriedAt === undefined
        ? { parts: options.lastParts, reads: readParts(options.lastParts, fetchedAt, { traffic: false, metrics: !healthFirst && readsMetrics && !metricsRefused, stages: !healthFirst, health: true }) }
        : undefined;
    lastPartsUsed = true;
    // Dropped, or left behind by a poll that ends sooner: they settle on their own, their failures their own.
    early?.reads.catch(() => undefined);
    if (recordsFollowUntil !== undefined && at >= recordsFollowUntil) recordsFollowUntil = undefined;
    const recordsAge = recordsRefreshedAt === undefined ? Infinity : at - recordsRefreshedAt;
    const stackAge = stack ? fetchedAt.getTime() - Date.parse(stack.readAt) : Infinity;
    // A missing stack is re-read every poll: it is then the only call, and a first deploy should show up at once.
    const stackDue = !stack || stack.value === null || stackStale || followingStack || stackAge > stackMaxAge || isStackInProgress(stack.value.status);
    const readIdentity = () => attempt(APIS.identity, problems, () => api.getCallerIdentity());
    const keepIdentity = (r: Awaited<ReturnType<typeof readIdentity>> | undefined, readAt: string) => {
      if (r?.ok) identity = { value: r.value, readAt };
    };
    const keepStages = (r: { ok: true; value: readonly StageInfo[] } | { ok: false } | undefined, readAt: string) => {
      if (!r?.ok) return;
      stages = { value: r.value, readAt };
      stagesStale = false;
    };
    const readIdentityAndStack = (needStack: boolean) =>
      Promise.all([
        identity || healthFirst ? undefined : readIdentity(),
        needStack ? attempt(APIS.stack, problems, () => api.describeStack(options.stackName)) : undefined,
      ]);
    let stackFirst: ReturnType<typeof readIdentityAndStack> | undefined;
    if (options.refreshRecords && (recordsWanted || recordsAge >= (options.recordsEveryMs ?? RECORDS_EVERY_MS) || (recordsFollowUntil !== undefined && recordsAge >= RECORDS_FOLLOW_EVERY_MS))) {
      recordsRefreshedAt = at;
      recordsWanted = false;
      // The stack read due anyway (the first poll's, say) does not wait for the records: both are in flight at once.
      if (stackDue) stackFirst = readIdentityAndStack(true);
      if ((await options.refreshRecords().catch(() => false)) === true) recordsFollowUntil = undefined;
    }
    const records = readRecords();
    const marker = JSON.stringify(options.environments.map((e) => records[e.name]?.deployedAt ?? null));
    const needStack = stackDue || marker !== stackMarker;

    const [identityRead, stackRead] = await (stackFirst ?? readIdentityAndStack(needStack));
    const readAt = now().toISOString();
    keepIdentity(identityRead, readAt);
    if (identityRead && !identityRead.ok && identityRead.problem.kind === 'credentials') return credentialsFailure(identityRead.problem, identityRead.text);

    let stackError: { problem: AwsProblem; text: string } | null = null;
    if (stackRead?.ok) {
      if (stackRead.value) keepParts(stackPartsOf(stackRead.value, options.environments));
      const changed = !stack || JSON.stringify(stack.value) !== JSON.stringify(stackRead.value);
      stack = { value: stackRead.value, readAt };
      stackMarker = marker;
      stackStale = false;
      if (changed) stagesStale = true;
    } else if (stackRead) {
      stackError = stackRead;
      stackStale = true;
      if (stackRead.problem.kind === 'credentials') return credentialsFailure(stackRead.problem, stackRead.text);
    }
    if (!stack || (stackError && stack.value === null)) {
      // Without the stack's outputs there is nothing else to read; and only CloudFormation's
      // "does not exist", read now, says the stack is missing: a failed read says nothing of it.
      const text = stackError?.text ?? 'the stack could not be read';
      return blankSnapshot(text, stackError?.problem.kind ?? 'other', null);
    }
    const stackInfo = stack.value;
    // A missing stack: health first reads the account after all, for the wrong-account explanation below (it has nothing else to read).
    if (stackInfo === null && healthFirst && !identity) {
      const read = await readIdentity();
      keepIdentity(read, now().toISOString());
      if (!read.ok && read.problem.kind === 'credentials') return credentialsFailure(read.problem, read.text);
    }
    const base = {
      stackName: options.stackName,
      region: options.region,
      account: identity?.value.account ?? options.account ?? null,
      stackStatus: stackInfo?.status ?? null,
      fetchedAt: fetchedAt.toISOString(),
      stackReadAt: stack.readAt,
      error: stackError?.text ?? null,
      errorKind: stackError?.problem.kind ?? null,
      hint: null,
    };
    if (stackInfo === null) {
      const wrongAccount = identity && options.account && identity.value.account !== options.account;
      const why = wrongAccount
        ? `the stack ${options.stackName} was not found in ${options.region}: the AWS credentials are for account ${identity!.value.account}, but the profiles place the stack in account ${options.account}`
        : null;
      return {
        ...base,
        error: why ?? base.error,
        errorKind: why ? 'not-found' : base.errorKind,
        hint: why ? 'use the AWS profile of that account: --aws-profile NAME (or awsProfile in the prod profile)' : null,
        environments: options.environments.map((e) => ({
          name: e.name,
          profile: e.profile,
          imageTag: records[e.name]?.imageTag ?? null,
          endpoint: records[e.name]?.endpoint ?? null,
          service: null,
          targets: null,
          ...deriveHealth({ stack: 'missing', serviceOutput: null, serviceOutputName: outputName(e.name, 'ServiceName'), service: null, targets: null }),
          error: null,
          lastDeploy: lastDeployOf(records, e.name),
        })),
      };
    }

    const parts = stackPartsOf(stackInfo, options.environments);
    const { cluster, apiId } = parts;
    const named = options.environments.map((e) => ({ env: e, service: parts.environments[e.name]!.service, targetGroup: parts.environments[e.name]!.targetGroup }));

    // One GetMetricData a minute: the sparklines' hour, or (after the first hour's read, once an hour) the cost's 7 days.
    const slotDue = !healthFirst && readsMetrics && !metricsRefused && (metricsTriedAt === undefined || fetchedAt.getTime() - metricsTriedAt >= metricsInterval);
    const trafficTurn =
      slotDue && Boolean(options.readTraffic && apiId) && metricsTriedAt !== undefined && (trafficTriedAt === undefined || fetchedAt.getTime() - trafficTriedAt >= trafficInterval);
    // The reads sent early serve only if the stack still names what they read; else they are dropped (they end on their own).
    const read = await (early && partsKey(early.parts) === partsKey(parts) ? early.reads : readParts(parts, fetchedAt, { traffic: trafficTurn, metrics: slotDue, stages: !healthFirst, health: true }));
    if (read.problems.retryable) problems.retryable = true;
    read.metrics?.();
    const { servicesRead, targetReads } = read;
    let { stagesRead } = read;
    const partsReadAt = now().toISOString();
    const credentialProblem = [stagesRead, servicesRead, ...targetReads].find((r) => r && !r.ok && r.problem.kind === 'credentials');
    if (credentialProblem && !credentialProblem.ok) return credentialsFailure(credentialProblem.problem, credentialProblem.text);
    keepStages(stagesRead, partsReadAt);

    const errors = new Map<EnvironmentName, string[]>(options.environments.map((e) => [e.name, []]));
    const note = (env: EnvironmentName, text: string) => errors.get(env)!.push(text);
    named.forEach((n, i) => {
      const state = envs.get(n.env.name)!;
      if (n.service && servicesRead) {
        if (servicesRead.ok) {
          const found = servicesRead.value.services.find((s) => s.serviceName === n.service || n.service!.endsWith(`/${s.serviceName}`));
          state.service = { value: found ?? 'missing', readAt: partsReadAt };
        } else {
          note(n.env.name, servicesRead.text);
        }
      } else if (!n.service) {
        state.service = undefined;
      }
      const t = targetReads[i];
      if (t?.ok) {
        state.targets = { value: summarizeTargets(t.value), readAt: partsReadAt };
        state.targetStates = Object.fromEntries(t.value.slice(0, 200).map((x) => [x.id, x.state]));
      } else if (t) note(n.env.name, t.text);
      else state.targets = undefined;
    });
    if (!cluster && named.some((n) => n.service)) for (const n of named) note(n.env.name, 'the stack has no ClusterName output');

    // A verdict from the parts read now; an unreadable part is judged unknown, not by its old value.
    const verdictOf = (n: (typeof named)[number], stoppedReasons: readonly string[]) => {
      const state = envs.get(n.env.name)!;
      const serviceFresh = state.service && servicesRead?.ok ? state.service.value : null;
      const targetsFresh = state.targets && targetReads[named.indexOf(n)]?.ok ? state.targets.value : null;
      return deriveHealth({
        stack: { status: stackInfo.status, statusReason: stackInfo.statusReason },
        serviceOutput: n.service,
        serviceOutputName: outputName(n.env.name, 'ServiceName'),
        service: serviceFresh,
        serviceError: servicesRead && !servicesRead.ok ? servicesRead.text : null,
        targets: targetsFresh,
        targetsError: errors.get(n.env.name)!.find((e) => e.startsWith(APIS.targets)) ?? null,
        stoppedReasons,
      });
    };

    // Stopped tasks' reasons, only for environments that are not healthy.
    const unhealthy = named.filter((n) => {
      const state = envs.get(n.env.name)!;
      const readable = servicesRead?.ok && state.service && state.service.value !== 'missing';
      if (!readable) {
        if (!state.service || state.service.value === 'missing') state.tasks = undefined;
        return false;
      }
      const healthy = verdictOf(n, []).health === 'healthy';
      if (healthy) state.tasks = undefined;
      return !healthy;
    });
    // A rollback by alarm: which alarm, from ECS's service deployment, read once per event (below).
    const failures = named.flatMap((n) => {
      const svc = envs.get(n.env.name)!.service?.value;
      const event = svc && svc !== 'missing' && servicesRead?.ok ? alarmFailureEvent(svc) : null;
      return event ? [{ n, event, key: `${event.at} ${event.message}` }] : [];
    });
    const unread = failures.filter((f) => cluster && api.lastRollback && envs.get(f.n.env.name)!.rollback?.key !== f.key);

    /** The snapshot of what this poll has read: given early (health first) and at its end. */
    const compose = (): StatusSnapshot => {
      const environments: EnvironmentStatus[] = named.map((n) => {
        const state = envs.get(n.env.name)!;
        const stopped = state.tasks?.value ?? [];
        const verdict = verdictOf(n, stopped.map(stoppedTaskReason));
        const svc = state.service?.value;
        const service = svc && svc !== 'missing' ? svc : null;
        const stage = stages?.value.find((s) => s.stageName === n.env.name);
        const failure = failures.find((f) => f.n === n);
        const rollback = failure && envs.get(n.env.name)!.rollback?.key === failure.key ? envs.get(n.env.name)!.rollback!.value : null;
        const envErrors = [...errors.get(n.env.name)!, ...(stagesRead && !stagesRead.ok ? [stagesRead.text] : [])];
        return {
          name: n.env.name,
          profile: n.env.profile,
          imageTag: stackInfo.parameters[parameterName(n.env.name, 'ImageTag')] ?? records[n.env.name]?.imageTag ?? null,
          endpoint: stackInfo.outputs[outputName(n.env.name, 'Endpoint')] ?? records[n.env.name]?.endpoint ?? null,
          service: service
            ? { running: service.runningCount, desired: service.desiredCount, pending: service.pendingCount, rolloutState: primaryDeployment(service)?.rolloutState ?? null }
            : null,
          targets: state.targets ? { healthy: state.targets.value.healthy, unhealthy: state.targets.value.unhealthy, other: state.targets.value.other } : null,
          health: verdict.health,
          reason: verdict.reason,
          error: envErrors.length > 0 ? envErrors.join('; ') : null,
          readAt: {
            ...(state.service ? { service: state.service.readAt } : {}),
            ...(state.targets ? { targets: state.targets.readAt } : {}),
            ...(stages && apiId ? { stage: stages.readAt } : {}),
            ...(state.tasks ? { tasks: state.tasks.readAt } : {}),
            ...(state.running ? { runningTasks: state.running.readAt } : {}),
          },
          ...(state.metrics ? { metrics: state.metrics } : {}),
          lastDeploy: lastDeployOf(records, n.env.name),
          stage: stage ? { name: stage.stageName, deploymentId: stage.deploymentId, lastUpdated: stage.lastUpdatedDate } : null,
          lastEvent: service?.events[0] ? { at: service.events[0].createdAt, message: service.events[0].message } : null,
          rolledBackByAlarm: failure && service ? alarmRollbackOf(service, failure.event, rollback) : null,
          stoppedTasks: stopped.slice(0, 5).map((t) => ({ taskArn: t.taskArn, stoppedAt: t.stoppedAt, reason: stoppedTaskReason(t) })),
          events: service ? service.events.slice(0, EVENTS_KEEP).map((e) => ({ at: e.createdAt, message: e.message })) : [],
          capacity: capacityOf(stackInfo.parameters, n.env.name),
          ...(state.running ? { runningTasks: runningTasksOf(state.running.value, state.targetStates ?? {}), taskSize: taskSizeOf(state.running.value) } : {}),
        };
      });
      return { ...base, account: identity?.value.account ?? options.account ?? null, ...(readsMetrics ? { metricsError } : {}), ...(options.readTraffic ? { traffic: traffic ?? null } : {}), environments };
    };

    // Health first: the verdicts stand (every health read answered, no stopped tasks or alarm to read), so they are
    // given now, drawn before anything else is sent; then the account, stages and metrics go beside the tasks' reads.
    let rest: Promise<readonly [Awaited<ReturnType<typeof readIdentity>> | undefined, Awaited<ReturnType<typeof readParts>>]> | undefined;
    if (healthFirst) {
      const answered = (!servicesRead || servicesRead.ok) && targetReads.every((t) => !t || t.ok);
      if (answered && unhealthy.length === 0 && unread.length === 0 && listeners.size > 0) {
        onPartial({ snapshot: compose(), nextPollInMs: null, failuresInARow, partial: true });
        await new Promise((resolve) => setTimeout(resolve, 0));
        // Stopped meanwhile (the dashboard quit as the health showed): nothing more is sent.
        if (!running) return compose();
      }
      const metricsDue = readsMetrics && !metricsRefused && metricsTriedAt === undefined;
      rest = Promise.all([identity ? undefined : readIdentity(), readParts(parts, fetchedAt, { traffic: false, metrics: metricsDue, stages: true, health: false })] as const);
      // Settled on its own should the tasks' reads below throw.
      rest.catch(() => undefined);
    }

    // The watched environment's running tasks, when due; they share the DescribeTasks call with the stopped ones.
    const watchedNamed = named.find((n) => n.env.name === watched);
    const watchedState = watchedNamed ? envs.get(watchedNamed.env.name)! : undefined;
    const watchedReadable = watchedNamed?.service && servicesRead?.ok && watchedState?.service && watchedState.service.value !== 'missing';
    if (watchedState && watchedState.service?.value === 'missing') watchedState.running = undefined;
    const runningAge = watchedState?.running ? fetchedAt.getTime() - Date.parse(watchedState.running.readAt) : Infinity;
    const runningDue = Boolean(cluster && watchedReadable && api.listRunningTasks && (tasksWanted || runningAge >= tasksMaxAge));
    if (runningDue) tasksWanted = false;
    if (cluster && (unhealthy.length > 0 || runningDue)) {
      const [runningList, ...lists] = await Promise.all([
        runningDue ? attempt(APIS.listTasks, problems, () => api.listRunningTasks!(cluster, watchedNamed!.service!)) : undefined,
        ...unhealthy.map((n) => attempt(APIS.listTasks, problems, () => api.listStoppedTasks(cluster, n.service!))),
      ]);
      const runningArns = runningList?.ok ? runningList.value.slice(0, MAX_RUNNING_TASKS) : [];
      const stoppedArns = lists.flatMap((l) => (l!.ok ? l!.value.slice(0, MAX_STOPPED_TASKS_PER_ENV) : []));
      lists.forEach((l, i) => {
        if (!l!.ok) note(unhealthy[i].env.name, l!.text);
      });
      if (runningList && !runningList.ok) note(watchedNamed!.env.name, runningList.text);
      const arns = [...runningArns, ...stoppedArns].slice(0, 100);
      const described = arns.length > 0 ? await attempt(APIS.describeTasks, problems, () => api.describeTasks(cluster, arns)) : undefined;
      const tasksReadAt = now().toISOString();
      const stoppedSet = new Set(stoppedArns);
      const runningSet = new Set(runningArns);
      unhealthy.forEach((n, i) => {
        if (!lists[i]!.ok) return;
        if (described && !described.ok) {
          note(n.env.name, described.text);
          return;
        }
        const service = envs.get(n.env.name)!.service!.value as ServiceInfo;
        const stopped = (described?.ok ? described.value : []).filter((t) => stoppedSet.has(t.taskArn));
        envs.get(n.env.name)!.tasks = { value: relevantStoppedTasks(stopped, service), readAt: tasksReadAt };
      });
      if (runningList?.ok) {
        if (described && !described.ok) {
          if (!unhealthy.some((n) => n.env.name === watchedNamed!.env.name)) note(watchedNamed!.env.name, described.text);
        } else {
          const running = (described?.ok ? described.value : []).filter((t) => runningSet.has(t.taskArn));
          watchedState!.running = { value: running, readAt: tasksReadAt };
        }
      }
    }

    const rollbackReads = await Promise.all(unread.map((f) => attempt(APIS.rollback, problems, () => api.lastRollback!(cluster!, f.n.service!))));
    unread.forEach((f, i) => {
      const r = rollbackReads[i];
      if (r.ok) envs.get(f.n.env.name)!.rollback = { key: f.key, value: r.value };
      else note(f.n.env.name, r.text);
    });

    // Anything that says a deploy happened makes the next poll re-read the stack.
    for (const n of named) {
      const state = envs.get(n.env.name)!;
      const svc = state.service?.value;
      // A service that appears later was deployed: its first deployment counts as a change.
      if (svc === 'missing') state.lastDeployment = 'missing';
      if (!svc || svc === 'missing') continue;
      const taskDefinition = primaryDeployment(svc)?.taskDefinition ?? svc.taskDefinition;
      if (rolloutInProgress(svc) || (state.lastTaskDefinition !== undefined && state.lastTaskDefinition !== taskDefinition)) stackStale = true;
      state.lastTaskDefinition = taskDefinition;
      const deployment = `${primaryDeployment(svc)?.id ?? ''} ${taskDefinition}`;
      if (state.lastDeployment !== undefined && state.lastDeployment !== deployment) {
        recordsWanted = true;
        recordsFollowUntil = fetchedAt.getTime() + RECORDS_FOLLOW_MS;
      } else if (recordsFollowUntil !== undefined && rolloutInProgress(svc)) {
        recordsFollowUntil = Math.max(recordsFollowUntil, fetchedAt.getTime() + RECORDS_FOLLOW_MS);
      }
      state.lastDeployment = deployment;
    }

    // Health first: the rest, sent after the partial update, read now.
    if (rest) {
      const [identityRest, partsRest] = await rest;
      const restReadAt = now().toISOString();
      if (partsRest.problems.retryable) problems.retryable = true;
      keepIdentity(identityRest, restReadAt);
      const refused = [identityRest, partsRest.stagesRead].find((r) => r && !r.ok && r.problem.kind === 'credentials');
      if (refused && !refused.ok) return credentialsFailure(refused.problem, refused.text);
      stagesRead = partsRest.stagesRead;
      keepStages(stagesRead, restReadAt);
      partsRest.metrics?.();
    }
    return compose();
  }

  /**
   * The reads that follow from the stack's parts, all at once: the metrics (or, on its turn, the traffic),
   * the API's stages (when stale, unless health first leaves them for later), the services and each target group's
   * health (unless `health` is false: health first's rest). Their failures are noted on
   * a problems record of their own, and the metrics' answer is kept only when `metrics` of the result is
   * called: reads sent early and then dropped change nothing.
   */
  async function readParts(parts: StackParts, at: Date, due: { traffic: boolean; metrics: boolean; stages: boolean; health: boolean }) {
    const problems: PollProblems = { retryable: false };
    const serviceNames = partsServices(parts, options.environments.map((e) => e.name));
    const { cluster, apiId } = parts;
    const [metrics, stagesRead, servicesRead, ...targetReads] = await Promise.all([
      due.traffic ? readTrafficNow(at).then(() => undefined) : due.metrics ? readMetrics(at, apiId ? options.stackName : null, cluster, options.environments.map((e) => ({ env: e, service: parts.environments[e.name]?.service ?? null }))) : undefined,
      apiId && due.stages && options.readStages !== false && (stagesStale || !stages) ? attempt(APIS.stages, problems, () => api.getStages(apiId)) : undefined,
      due.health && cluster && serviceNames.length > 0 ? attempt(APIS.services, problems, () => api.describeServices(cluster, serviceNames)) : undefined,
      ...options.environments.map((e) => {
        const targetGroup = parts.environments[e.name]?.targetGroup;
        return due.health && targetGroup ? attempt(APIS.targets, problems, () => api.describeTargetHealth(targetGroup)) : undefined;
      }),
    ]);
    return { problems, metrics, stagesRead, servicesRead, targetReads };
  }

  /** The last 7 days' requests per environment; a failure keeps what was read before. */
  async function readTrafficNow(at: Date): Promise<void> {
    trafficTriedAt = at.getTime();
    metricsTriedAt = at.getTime();
    const names = options.environments.map((e) => e.name);
    const window = trafficWindow(at);
    try {
      const results = await api.getMetricData!(trafficQueries(options.stackName, names), window.start, window.end);
      traffic = { days: TRAFFIC_DAYS, requests: trafficFromResults(names, results), readAt: now().toISOString() };
    } catch (error) {
      const problem = classifyAwsError(error);
      if (problem.kind === 'access-denied') {
        metricsRefused = true;
        metricsError ??= `${APIS.metrics}: ${problem.message} (no sparklines; the rest of the dashboard is unaffected)`;
      }
    }
  }

  /**
   * One GetMetricData for every environment. It resolves with what keeps its outcome, called by the poll
   * that uses it: the answer replaces each environment's series, a failure keeps them.
   */
  async function readMetrics(at: Date, apiName: string | null, cluster: string | null, named: readonly { env: PolledEnvironment; service: string | null }[]): Promise<() => void> {
    const tried = () => {
      metricsTriedAt = at.getTime();
    };
    const queries = metricQueries(named.map((n) => ({ environment: n.env.name, apiName, cluster, service: n.service })));
    if (queries.length === 0) return tried;
    const window = metricsWindow(at);
    try {
      const results = await api.getMetricData!(queries, window.start, window.end);
      const read = metricsFromResults(named.map((n) => n.env.name), results, window, now());
      return () => {
        tried();
        for (const [env, metrics] of read) envs.get(env)!.metrics = metrics;
        metricsError = null;
      };
    } catch (error) {
      const problem = classifyAwsError(error);
      return () => {
        tried();
        if (problem.kind === 'access-denied') {
          metricsRefused = true;
          metricsError = `${APIS.metrics}: ${problem.message} (no sparklines; the rest of the dashboard is unaffected)`;
        } else {
          metricsError = `${APIS.metrics}: ${problem.message}`;
        }
      };
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      void poll();
    },
    async stop() {
      running = false;
      if (timer) {
        clearTimeout(timer);
        timer = null;
      }
      if (inFlight) await inFlight;
    },
    refresh() {
      tasksWanted = true;
      const joined = inFlight;
      stackStale = true;
      stagesStale = true;
      recordsWanted = true;
      if (joined) refreshAsked = true;
      return joined ?? poll();
    },
    snapshot: () => poll(),
    invalidate() {
      stackStale = true;
      stagesStale = true;
    },
    followStack(on) {
      followingStack = on;
    },
    watchTasks(environment) {
      const moved = environment !== watched;
      watched = environment;
      if (environment === null) return;
      const state = envs.get(environment);
      if (moved || !state?.running) {
        tasksWanted = true;
        if (running) void poll();
      }
    },
    current: () => latest,
    isPolling: () => inFlight !== null,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

function lastDeployOf(records: DeployRecords, env: EnvironmentName): EnvironmentStatus['lastDeploy'] {
  const r = records[env];
  if (!r || !r.imageTag || !r.deployedAt) return null;
  return r.deployedBy ? { imageTag: r.imageTag, deployedAt: r.deployedAt, deployedBy: r.deployedBy } : { imageTag: r.imageTag, deployedAt: r.deployedAt };
}

function capacityOf(parameters: Readonly<Record<string, string>>, env: EnvironmentName): EnvironmentStatus['capacity'] {
  const num = (v: string | undefined) => (v !== undefined && /^\d+$/.test(v) ? Number(v) : null);
  const min = num(parameters[parameterName(env, 'MinCapacity')]);
  const max = num(parameters[parameterName(env, 'MaxCapacity')]);
  return min === null && max === null ? null : { min, max };
}

/** Newest first; a task's health: its container health check, else its target's state, else ECS's status. */
function runningTasksOf(tasks: readonly TaskInfo[], targetStates: Readonly<Record<string, string>>): RunningTask[] {
  const started = (t: TaskInfo) => Date.parse(t.startedAt ?? t.createdAt ?? '') || 0;
  return [...tasks]
    .sort((a, b) => started(b) - started(a))
    .map((t) => {
      const ip = t.containers.find((c) => c.privateIp)?.privateIp ?? null;
      const checked = t.healthStatus === 'HEALTHY' || t.healthStatus === 'UNHEALTHY' ? t.healthStatus.toLowerCase() : null;
      const target = ip ? targetStates[ip] : undefined;
      return {
        id: t.taskArn.slice(t.taskArn.lastIndexOf('/') + 1),
        imageDigest: t.containers.find((c) => c.imageDigest)?.imageDigest ?? null,
        startedAt: t.startedAt ?? t.createdAt ?? null,
        health: checked ?? (target ? `target ${target}` : (t.lastStatus ?? 'unknown').toLowerCase()),
        zone: t.availabilityZone ?? null,
      };
    });
}

function taskSizeOf(tasks: readonly TaskInfo[]): EnvironmentStatus['taskSize'] {
  const t = tasks.find((x) => x.cpu || x.memory);
  return t ? { cpu: t.cpu ?? null, memory: t.memory ?? null } : null;
}
