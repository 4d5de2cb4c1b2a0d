import type { DeployAws, RolloutStatus, StackDescription } from './deploy.js';

export interface AwsTarget {
  readonly region: string;
  /** Credentials profile; undefined uses the SDK's default chain (AWS_PROFILE, SSO, environment). */
  readonly awsProfile?: string;
}

/** What promote needs beyond a deploy: the images a service's running tasks really run. */
export interface PromoteAws extends DeployAws {
  /** Image digests of the service's running tasks, one per container, by container name. */
  runningImages(cluster: string, service: string): Promise<{ taskArn: string; container: string; image: string | null; digest: string | null }[]>;
}

/**
 * The real AWS side of deploys, on the SDK's clients, created on first use
 * (the SDK loads only when a command needs it). The endpoint comes from the
 * SDK's own configuration (AWS_ENDPOINT_URL in tests), never from here.
 */
export async function createDeployAws(target: AwsTarget): Promise<PromoteAws> {
  const [cfn, sts, sm, ecs] = await Promise.all([
    import('@aws-sdk/client-cloudformation'),
    import('@aws-sdk/client-sts'),
    import('@aws-sdk/client-secrets-manager'),
    import('@aws-sdk/client-ecs'),
  ]);
  const config = { region: target.region, ...(target.awsProfile ? { profile: target.awsProfile } : {}), maxAttempts: 5 };
  const cloudformation = new cfn.CloudFormationClient(config);
  const stsClient = new sts.STSClient(config);
  const secrets = new sm.SecretsManagerClient(config);
  const ecsClient = new ecs.ECSClient(config);

  const describeStack = async (stackName: string): Promise<StackDescription | undefined> => {
    try {
      const out = await cloudformation.send(new cfn.DescribeStacksCommand({ StackName: stackName }));
      const s = out.Stacks?.[0];
      if (!s) return undefined;
      return {
        status: s.StackStatus ?? 'UNKNOWN',
        statusReason: s.StackStatusReason,
        parameters: Object.fromEntries((s.Parameters ?? []).map((p) => [p.ParameterKey ?? '', p.ResolvedValue ?? p.ParameterValue ?? ''])),
        outputs: Object.fromEntries((s.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? ''])),
      };
    } catch (error) {
      if (/does not exist/.test((error as Error).message ?? '')) return undefined;
      throw error;
    }
  };

  const tasksOf = async (cluster: string, service: string, desiredStatus: 'RUNNING' | 'STOPPED') => {
    const list = await ecsClient.send(new ecs.ListTasksCommand({ cluster, serviceName: service, desiredStatus }));
    const arns = (list.taskArns ?? []).slice(0, 100);
    if (arns.length === 0) return [];
    const out = await ecsClient.send(new ecs.DescribeTasksCommand({ cluster, tasks: arns }));
    return out.tasks ?? [];
  };

  return {
    async callerIdentity() {
      const out = await stsClient.send(new sts.GetCallerIdentityCommand({}));
      return { account: out.Account ?? '', arn: out.Arn ?? '' };
    },
    describeStack,
    async secretExists(name) {
      try {
        await secrets.send(new sm.DescribeSecretCommand({ SecretId: name }));
        return true;
      } catch (error) {
        if ((error as Error).name === 'ResourceNotFoundException') return false;
        throw error;
      }
    },
    async createSecret(name, value, tags) {
      await secrets.send(
        new sm.CreateSecretCommand({
          Name: name,
          SecretString: value,
          Description: 'Benchling webhook configuration (written by benchling-deploy)',
          Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
        }),
      );
    },
    async stoppedTaskReasons(cluster, service) {
      const tasks = await tasksOf(cluster, service, 'STOPPED');
      return tasks
        .sort((a, b) => (b.stoppedAt?.getTime() ?? 0) - (a.stoppedAt?.getTime() ?? 0))
        .map((t) => [t.stoppedReason, ...(t.containers ?? []).map((c) => c.reason)].filter(Boolean).join('; '))
        .filter((r) => r !== '');
    },
    async serviceRollout(cluster, service): Promise<RolloutStatus | undefined> {
      const out = await ecsClient.send(new ecs.DescribeServicesCommand({ cluster, services: [service] }));
      const s = out.services?.[0];
      if (!s) return undefined;
      const primary = s.deployments?.find((d) => d.status === 'PRIMARY');
      return {
        rolloutState: primary?.rolloutState ?? null,
        running: s.runningCount ?? 0,
        desired: s.desiredCount ?? 0,
        pending: s.pendingCount ?? 0,
        reason: primary?.rolloutStateReason,
      };
    },
    async runningImages(cluster, service) {
      const tasks = await tasksOf(cluster, service, 'RUNNING');
      return tasks.flatMap((t) => (t.containers ?? []).map((c) => ({ taskArn: t.taskArn ?? '', container: c.name ?? '', image: c.image ?? null, digest: c.imageDigest ?? null })));
    },
  };
}
