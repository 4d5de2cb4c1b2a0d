import type { DeployAws, RolloutStatus } from './deploy.js';
import type { AwsClientOptions, ParameterStore } from '../state/aws-clients.js';
import { stoppedTaskReason } from '../state/health.js';
import { parseQuiltStackArn } from '../config/schema.js';

/** What promote needs beyond a deploy: the images a service's running tasks really run. */
export interface PromoteAws extends DeployAws {
  /** SSM Parameter Store on the same clients and credentials: team mode's records and lock. */
  readonly parameters: ParameterStore;
  runningImages(cluster: string, service: string): Promise<{ taskArn: string; container: string; image: string | null; digest: string | null }[]>;
}

/**
 * The AWS side of deploys, on the same SDK clients as the status poller
 * (src/state/aws-clients.ts: created on first use, one credential chain, the
 * endpoint only from the SDK's own configuration).
 */
export async function createDeployAws(options: AwsClientOptions): Promise<PromoteAws> {
  const { createStatusApi } = await import('../state/aws-clients.js');
  const api = createStatusApi(options);
  // Asked once: the pre-flight checks the account, then the team's lock names the caller (a failed answer is asked again).
  let identity: Promise<{ account: string; arn: string }> | undefined;
  return {
    parameters: api,
    callerIdentity: () =>
      (identity ??= api.getCallerIdentity().catch((error: unknown) => {
        identity = undefined;
        throw error;
      })),
    async describeStack(stackName) {
      const s = await api.describeStack(stackName);
      return s ? { status: s.status, statusReason: s.statusReason ?? undefined, parameters: s.parameters, outputs: s.outputs } : undefined;
    },
    async quiltStackOutputs(stackArn) {
      // In the stack's own region: CloudFormation finds a stack by ARN only there.
      const s = await api.describeStackIn(parseQuiltStackArn(stackArn).region, stackArn);
      return s ? { status: s.status, outputs: s.outputs } : undefined;
    },
    async deployedTemplate(stackName) {
      return (await api.getTemplateBody(stackName)) ?? undefined;
    },
    secretExists: (name) => api.secretExists(name),
    createSecret: (name, value, tags) => api.createSecret(name, value, tags),
    async stoppedTaskReasons(cluster, service) {
      const arns = await api.listStoppedTasks(cluster, service);
      if (arns.length === 0) return [];
      const tasks = await api.describeTasks(cluster, arns);
      return [...tasks].sort((a, b) => (b.stoppedAt ?? '').localeCompare(a.stoppedAt ?? '')).map(stoppedTaskReason);
    },
    async targetHealth(targetGroupArn) {
      const targets = await api.describeTargetHealth(targetGroupArn);
      const healthy = targets.filter((t) => t.state === 'healthy').length;
      const unhealthy = targets.filter((t) => t.state === 'unhealthy').length;
      return { healthy, unhealthy, other: targets.length - healthy - unhealthy };
    },
    async serviceRollout(cluster, service): Promise<RolloutStatus | undefined> {
      const read = await api.describeServices(cluster, [service]);
      const s = read.services[0];
      if (!s) return undefined;
      const primary = s.deployments.find((d) => d.status === 'PRIMARY');
      return { rolloutState: primary?.rolloutState ?? null, running: s.runningCount, desired: s.desiredCount, pending: s.pendingCount, reason: primary?.rolloutStateReason ?? undefined };
    },
    async alarmRollback(cluster, service, since) {
      const rollback = await api.lastRollback(cluster, service);
      if (!rollback || !rollback.startedAt || rollback.startedAt < since) return [];
      return [...rollback.triggeredAlarmNames];
    },
    async runningImages(cluster, service) {
      const arns = await api.listRunningTasks(cluster, service);
      if (arns.length === 0) return [];
      const tasks = await api.describeTasks(cluster, arns);
      return tasks.flatMap((t) => t.containers.map((c) => ({ taskArn: t.taskArn, container: c.name, image: c.image, digest: c.imageDigest })));
    },
  };
}
