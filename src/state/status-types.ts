import type { EnvironmentName } from '../config/schema.js';
import type { EnvironmentMetrics } from './metrics.js';

/** Health of one environment, as `status` and the dashboard show it. */
export type Health = 'healthy' | 'deploying' | 'degraded' | 'down' | 'unknown';

/**
 * What kind of failure an AWS call met. `credentials` means log in again;
 * `throttled`, `server`, `timeout`, `network` and `bad-response` are passing
 * and make the poller back off.
 */
export type AwsErrorKind = 'credentials' | 'access-denied' | 'throttled' | 'server' | 'timeout' | 'network' | 'bad-response' | 'not-found' | 'other';

/** One environment in a status snapshot: the `status --json` shape of PRODUCT.md section 6. */
export interface EnvironmentStatus {
  readonly name: EnvironmentName;
  readonly profile: string;
  readonly imageTag: string | null;
  readonly endpoint: string | null;
  readonly service: {
    readonly running: number;
    readonly desired: number;
    readonly pending: number;
    readonly rolloutState: string | null;
  } | null;
  readonly targets: { readonly healthy: number; readonly unhealthy: number; readonly other: number } | null;
  readonly health: Health;
  /** Why the environment is not healthy, in words (stopped tasks' reasons, unhealthy targets). */
  readonly reason?: string | null;
  /** Null, or why this environment (or a part of it) could not be read. */
  readonly error: string | null;
  /** ISO time each part was read, so a screen can show its age; a part kept from an earlier poll keeps its time. */
  readonly readAt?: { readonly service?: string; readonly targets?: string; readonly stage?: string; readonly tasks?: string; readonly runningTasks?: string };
  /** The last deploy recorded in deploy.json (the account's mirror, in team mode) for this environment, and who made it when known. */
  readonly lastDeploy?: { readonly imageTag: string; readonly deployedAt: string; readonly deployedBy?: string } | null;
  /** The environment's API Gateway stage, when read. */
  readonly stage?: { readonly name: string; readonly deploymentId: string | null; readonly lastUpdated: string | null } | null;
  /** The ECS service's newest event. */
  readonly lastEvent?: { readonly at: string; readonly message: string } | null;
  /** The ECS service's recent events, newest first (at most {@link EVENTS_KEEP}). */
  readonly events?: readonly { readonly at: string; readonly message: string }[];
  /** The autoscaling bounds the stack holds (`<Env>MinCapacity`, `<Env>MaxCapacity`); null when not read. */
  readonly capacity?: { readonly min: number | null; readonly max: number | null } | null;
  /**
   * The running tasks, read only for the environment the dashboard watches
   * (ListTasks and DescribeTasks cost calls); absent when never read, and kept
   * with their read time (`readAt.runningTasks`) when the watch moves on.
   */
  readonly runningTasks?: readonly RunningTask[];
  /** The Fargate task size of the running tasks (`cpu` units, `memory` MiB, as ECS gives them). */
  readonly taskSize?: { readonly cpu: string | null; readonly memory: string | null } | null;
  /** The rollout ECS rolled back because a deployment alarm fired, while no deployment has started since; null when none. */
  readonly rolledBackByAlarm?: AlarmRollback | null;
  /** The last hour from CloudWatch, one point a minute (null: no point); absent when never read. */
  readonly metrics?: EnvironmentMetrics;
  /** Recently stopped tasks of the current deployment, newest first (read only while not healthy). */
  readonly stoppedTasks?: readonly { readonly taskArn: string; readonly stoppedAt: string | null; readonly reason: string }[];
}

/** A rollout rolled back by a deployment alarm (src/state/alarm-rollback.ts). */
export interface AlarmRollback {
  /** When ECS said an alarm failed the deployment. */
  readonly at: string;
  /** The alarms that fired (`triggered`), else the alarms guarding the service, one of which fired. */
  readonly alarms: readonly string[];
  readonly triggered: boolean;
  /** ECS's service deployment status: ROLLBACK_IN_PROGRESS, ROLLBACK_SUCCESSFUL, ...; null when not read. */
  readonly status: string | null;
  /** The deployment ECS rolled back to (`ecs-svc/...`), when its event says. */
  readonly rolledBackTo: string | null;
}

/** One snapshot of the whole stack: the object `status --json` prints. */
export interface StatusSnapshot {
  readonly stackName: string;
  readonly region: string;
  readonly account?: string | null;
  readonly stackStatus: string | null;
  readonly fetchedAt: string;
  readonly environments: readonly EnvironmentStatus[];
  /** Null, or why the stack itself could not be read (credentials, throttling). */
  readonly error?: string | null;
  /** The kind of {@link error}, so a screen can say what to do. */
  readonly errorKind?: AwsErrorKind | null;
  /** What to do about {@link error}, e.g. the login command. */
  readonly hint?: string | null;
  /**
   * Null, or why the last CloudWatch read failed; a refusal (AccessDenied) is
   * said here once and the metrics are not asked for again. Absent when
   * metrics are not read at all.
   */
  readonly metricsError?: string | null;
  /**
   * Each environment's API Gateway requests of the last `days` days, for the
   * cost estimate (the dashboard reads it once an hour); null until read,
   * absent when not asked for.
   */
  readonly traffic?: { readonly days: number; readonly requests: Readonly<Partial<Record<EnvironmentName, number>>>; readonly readAt: string } | null;
  /** ISO time the stack's status, parameters and outputs were read (they are cached between deploys). */
  readonly stackReadAt?: string | null;
}

/** Service events a snapshot keeps per environment. */
export const EVENTS_KEEP = 10;

/** One running task, as the dashboard lists it. */
export interface RunningTask {
  /** The task ARN's last part. */
  readonly id: string;
  /** The essential container's image digest, when ECS knows it. */
  readonly imageDigest: string | null;
  readonly startedAt: string | null;
  /** HEALTHY / UNHEALTHY from the container health check, else the load balancer's view of its target, else ECS's status. */
  readonly health: string;
  readonly zone: string | null;
}
