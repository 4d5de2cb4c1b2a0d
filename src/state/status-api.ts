/**
 * The few AWS reads the status poller needs, as plain data. The poller takes
 * an object of this shape (tests may hand it anything that fits); the real
 * one, backed by the AWS SDK, is built by `createStatusApi` in aws-clients.ts
 * and is the only place the SDK is imported. Times are ISO-8601 strings.
 */
import type { MetricQuery, MetricResult } from './metrics.js';

export interface CallerIdentity {
  readonly account: string;
  readonly arn: string;
}

export interface StackInfo {
  readonly stackName: string;
  readonly stackId: string;
  readonly status: string;
  readonly statusReason: string | null;
  readonly lastUpdatedTime: string | null;
  readonly parameters: Readonly<Record<string, string>>;
  readonly outputs: Readonly<Record<string, string>>;
}

export interface DeploymentInfo {
  readonly id: string;
  /** PRIMARY (the newest), ACTIVE (being replaced), INACTIVE. */
  readonly status: string;
  readonly taskDefinition: string;
  readonly desiredCount: number;
  readonly runningCount: number;
  readonly pendingCount: number;
  readonly failedTasks: number;
  /** COMPLETED, IN_PROGRESS, FAILED, or null when ECS does not say. */
  readonly rolloutState: string | null;
  readonly rolloutStateReason: string | null;
  readonly createdAt: string | null;
}

export interface ServiceInfo {
  readonly serviceName: string;
  /** ACTIVE, DRAINING, INACTIVE. */
  readonly status: string;
  readonly desiredCount: number;
  readonly runningCount: number;
  readonly pendingCount: number;
  readonly taskDefinition: string;
  readonly deployments: readonly DeploymentInfo[];
  /** Newest first. */
  readonly events: readonly { readonly createdAt: string; readonly message: string }[];
  /** The CloudWatch alarms that guard its rollouts (deploymentConfiguration.alarms, when enabled); absent when not read. */
  readonly alarmNames?: readonly string[];
}

/** A service deployment ECS rolled back (ECS ListServiceDeployments and DescribeServiceDeployments). */
export interface ServiceRollback {
  readonly serviceDeploymentArn: string;
  /** ROLLBACK_REQUESTED, ROLLBACK_IN_PROGRESS, ROLLBACK_SUCCESSFUL or ROLLBACK_FAILED. */
  readonly status: string;
  /** The deployment alarms ECS found in ALARM (its `alarms.triggeredAlarmNames`): what rolled it back. */
  readonly triggeredAlarmNames: readonly string[];
  readonly startedAt: string | null;
}

export interface ServicesRead {
  readonly services: readonly ServiceInfo[];
  /** Services ECS does not know (`MISSING`), by the name asked for. */
  readonly missing: readonly { readonly name: string; readonly reason: string }[];
}

export interface TargetInfo {
  readonly id: string;
  /** initial, healthy, unhealthy, unused, draining, unavailable. */
  readonly state: string;
  readonly reason: string | null;
  readonly description: string | null;
}

export interface StageInfo {
  readonly stageName: string;
  readonly deploymentId: string | null;
  readonly lastUpdatedDate: string | null;
}

export interface TaskInfo {
  readonly taskArn: string;
  /** `service:<name>` for a service's task. */
  readonly group: string | null;
  readonly lastStatus: string | null;
  readonly taskDefinitionArn: string | null;
  readonly createdAt: string | null;
  readonly startedAt?: string | null;
  readonly stoppedAt: string | null;
  readonly availabilityZone?: string | null;
  /** HEALTHY, UNHEALTHY or UNKNOWN (no container health check). */
  readonly healthStatus?: string | null;
  /** The task size: CPU units and memory MiB, as strings (`256`, `512`). */
  readonly cpu?: string | null;
  readonly memory?: string | null;
  readonly stoppedReason: string | null;
  readonly stopCode: string | null;
  readonly containers: readonly {
    readonly name: string;
    readonly image: string | null;
    readonly imageDigest: string | null;
    readonly exitCode: number | null;
    readonly reason: string | null;
    /** The task's address in its subnet (a Fargate target's id). */
    readonly privateIp?: string | null;
  }[];
}

export interface StatusApi {
  getCallerIdentity(): Promise<CallerIdentity>;
  /** Null when the stack does not exist. */
  describeStack(stackName: string): Promise<StackInfo | null>;
  /** All the named services of one cluster in one call (at most 10). */
  describeServices(cluster: string, services: readonly string[]): Promise<ServicesRead>;
  describeTargetHealth(targetGroupArn: string): Promise<readonly TargetInfo[]>;
  getStages(restApiId: string): Promise<readonly StageInfo[]>;
  /** ARNs of a service's stopped tasks (ECS keeps them about an hour). */
  listStoppedTasks(cluster: string, service: string): Promise<readonly string[]>;
  describeTasks(cluster: string, taskArns: readonly string[]): Promise<readonly TaskInfo[]>;
  /** ARNs of a service's running tasks; without it the poller lists no running tasks. */
  listRunningTasks?(cluster: string, service: string): Promise<readonly string[]>;
  /**
   * The service's newest rolled-back deployment, or null: read only when its
   * events say an alarm failed a deployment; without it the rollback is still
   * told, with the alarms that guard the service.
   */
  lastRollback?(cluster: string, service: string): Promise<ServiceRollback | null>;
  /** CloudWatch GetMetricData: every query in one call; without it the poller reads no metrics. */
  getMetricData?(queries: readonly MetricQuery[], start: Date, end: Date): Promise<readonly MetricResult[]>;
}
