import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { AwsReplyError } from './aws-errors.js';
import type { ServiceRollback, StackInfo, StatusApi, TaskInfo } from './status-api.js';
import { EVENTS_KEEP } from './status-types.js';
import { alarmNamesOf } from './alarm-rollback.js';
import { assertAwsProfileExists, sdkLogger } from './aws-profile.js';
import { loadSdkModule, preloadSdkModules, type SdkModules } from './sdk-modules.js';
import { collectBody } from './sdk-body.js';

/**
 * The real {@link StatusApi}: AWS SDK v3 clients, each loaded ({@link loadSdkModule}) and
 * created on first use so the CLI starts without loading the SDK. Default client config
 * throughout: the region given (the profile's, or --region; a Quilt stack is
 * read in its ARN's region, {@link AwsApi.describeStackIn}), credentials from
 * the SDK's default chain (`awsProfile`, else AWS_PROFILE, SSO, environment,
 * ...), and the endpoint from the environment (`AWS_ENDPOINT_URL` in tests);
 * no endpoint is ever set here. The first client's credential provider is
 * shared by the others, so an SSO login is resolved once.
 *
 * Retries: adaptive mode with {@link DEFAULT_MAX_ATTEMPTS} attempts, so a
 * short burst of throttling (three refusals in a row) is absorbed inside one
 * call and the client slows itself down instead of failing the poll; the
 * SDK's own settings win when given (`AWS_MAX_ATTEMPTS`, `AWS_RETRY_MODE`).
 * The cost: a call that keeps failing takes longer to report it (throttling
 * backs off about 1, 2, 4 and 8 s at most, with full jitter).
 */

/** The clients one status poll calls (src/state/status-poller.ts), team records (SSM) and metrics included. */
export const STATUS_CLIENTS: readonly (keyof SdkModules)[] = [
  '@aws-sdk/client-sts',
  '@aws-sdk/client-cloudformation',
  '@aws-sdk/client-ssm',
  '@aws-sdk/client-ecs',
  '@aws-sdk/client-elastic-load-balancing-v2',
  '@aws-sdk/client-api-gateway',
  '@aws-sdk/client-cloudwatch',
];

/** Starts loading every client a status poll calls, all at once (see {@link preloadSdkModules}). */
export function preloadStatusClients(): void {
  preloadSdkModules(STATUS_CLIENTS);
}

/** More tasks than an ECS service can have (5,000 a service): a count past it is not ECS's answer. */
const MAX_TASK_COUNT = 100_000;

/** Attempts per call unless AWS_MAX_ATTEMPTS (or the options) say otherwise. */
export const DEFAULT_MAX_ATTEMPTS = 5;
/** `adaptive`: on throttling the client also paces its next calls (a token bucket), not only the retries. */
export const DEFAULT_RETRY_MODE = 'adaptive';

export interface AwsClientOptions {
  readonly region: string;
  /** `--aws-profile`, else the profile's `awsProfile`; absent: the default chain decides. */
  readonly awsProfile?: string;
  /** SDK attempts per call (default: AWS_MAX_ATTEMPTS when set, else {@link DEFAULT_MAX_ATTEMPTS}). */
  readonly maxAttempts?: number;
  /** SDK retry mode (default: AWS_RETRY_MODE when set, else {@link DEFAULT_RETRY_MODE}). */
  readonly retryMode?: 'standard' | 'adaptive';
  /** A call that has not answered after this long fails with a timeout (default 10 s). */
  readonly requestTimeoutMs?: number;
}

export interface ClosableStatusApi extends StatusApi {
  /** Closes the clients' sockets. */
  close(): void;
}

/** What deploys need beyond the status reads: running tasks (promote) and the secret. */
export interface AwsApi extends ClosableStatusApi {
  /** ARNs of a service's running tasks. */
  listRunningTasks(cluster: string, service: string): Promise<readonly string[]>;
  /** The service's newest rolled-back deployment, or null. */
  lastRollback(cluster: string, service: string): Promise<ServiceRollback | null>;
  /** False when Secrets Manager has no secret of that name. */
  secretExists(name: string): Promise<boolean>;
  createSecret(name: string, value: string, tags: Readonly<Record<string, string>>): Promise<void>;
  /**
   * A stack read with a CloudFormation client in another region (the Quilt
   * stack's, from its ARN), same credentials; null when CloudFormation says it
   * does not exist, which is also what it says of another account's stack.
   */
  describeStackIn(region: string, stackNameOrArn: string): Promise<StackInfo | null>;
  /** The stack's template body as deployed (GetTemplate, its original form); null when the stack does not exist. */
  getTemplateBody(stackName: string): Promise<string | null>;
}

/** SSM Parameter Store, as team mode uses it (src/state/team-records.ts). */
export interface ParameterStore {
  /** The newest version, or null when there is no such parameter. */
  getParameter(name: string): Promise<StoredParameter | null>;
  /**
   * The newest version and value of each name that exists, in one call (up to
   * 10 names); a name SSM does not have is absent from the answer.
   */
  getParameters(names: readonly string[]): Promise<ReadonlyMap<string, StoredParameter>>;
  /** Every version SSM keeps (up to 100), oldest first; null when there is no such parameter. */
  getParameterHistory(name: string): Promise<StoredParameter[] | null>;
  /** A new version (standard tier, String); `exists` when `overwrite` is false and the parameter exists. */
  putParameter(name: string, value: string, overwrite: boolean): Promise<number | 'exists'>;
  /** False when there was no such parameter. */
  deleteParameter(name: string): Promise<boolean>;
}

export interface StoredParameter {
  readonly value: string;
  readonly version: number;
  readonly modifiedAt: string | null;
  /** Who wrote the version (GetParameterHistory only). */
  readonly modifiedBy?: string;
}

/**
 * The retry settings given to every client: the options', else none where the
 * environment sets them (the SDK reads AWS_MAX_ATTEMPTS and AWS_RETRY_MODE
 * itself), else the product's defaults.
 */
export function retryConfig(options: Pick<AwsClientOptions, 'maxAttempts' | 'retryMode'>, env: NodeJS.ProcessEnv = process.env): { maxAttempts?: number; retryMode?: string } {
  const maxAttempts = options.maxAttempts ?? (env.AWS_MAX_ATTEMPTS ? undefined : DEFAULT_MAX_ATTEMPTS);
  const retryMode = options.retryMode ?? (env.AWS_RETRY_MODE ? undefined : DEFAULT_RETRY_MODE);
  return { ...(maxAttempts !== undefined ? { maxAttempts } : {}), ...(retryMode !== undefined ? { retryMode } : {}) };
}

const iso = (d: Date | undefined | null): string | null => (d ? d.toISOString() : null);

interface SdkClient {
  config: { credentials?: unknown };
  destroy(): void;
}

export function createStatusApi(options: AwsClientOptions): AwsApi & ParameterStore {
  let sharedCredentials: unknown;
  const clients: SdkClient[] = [];
  /** After close(): a client asked for then (by a read still on its way) is not made, so nothing outlives the command. */
  let closed = false;
  const logger = sdkLogger(options.awsProfile);
  const config = (region = options.region) => ({
    region,
    ...(options.awsProfile ? { profile: options.awsProfile } : {}),
    ...retryConfig(options),
    logger,
    requestHandler: { requestTimeout: options.requestTimeoutMs ?? 10_000, connectionTimeout: 5_000, throwOnRequestTimeout: true },
    // Answers read without loading Node's web streams first (src/state/sdk-body.ts).
    streamCollector: collectBody,
    ...(sharedCredentials ? { credentials: sharedCredentials as never } : {}),
  });
  /** One client per service (and region), created on first use; the first one's credential chain becomes the shared one. */
  const lazy = <C extends SdkClient>(load: () => Promise<new (c: ReturnType<typeof config>) => C>, region?: string) => {
    let client: Promise<C> | undefined;
    return () =>
      (client ??= load().then((Ctor) => {
        if (closed) throw new Error('the AWS clients were closed');
        if (options.awsProfile) assertAwsProfileExists(options.awsProfile);
        const c = new Ctor(config(region));
        sharedCredentials ??= c.config.credentials;
        clients.push(c);
        return c;
      }));
  };

  const sts = lazy(async () => (await loadSdkModule('@aws-sdk/client-sts')).STSClient);
  const loadCfn = async () => (await loadSdkModule('@aws-sdk/client-cloudformation')).CloudFormationClient;
  const cfn = lazy(loadCfn);
  const cfnByRegion = new Map<string, () => Promise<CloudFormationClient>>();
  /** The CloudFormation client of a region: the main one for the options' region, else one more, created on first use. */
  const cfnIn = (region: string) => {
    if (region === options.region) return cfn();
    let get = cfnByRegion.get(region);
    if (!get) cfnByRegion.set(region, (get = lazy(loadCfn, region)));
    return get();
  };
  /** `client` is called only once the command's module is loaded: a client promise made before would be left unawaited when that load fails. */
  const describeStackWith = async (client: () => Promise<CloudFormationClient>, stackName: string): Promise<StackInfo | null> => {
    const { DescribeStacksCommand } = await loadSdkModule('@aws-sdk/client-cloudformation');
    try {
      const out = await (await client()).send(new DescribeStacksCommand({ StackName: stackName }));
      const s = out.Stacks?.[0];
      // CloudFormation says "does not exist" with an error (below); an answer without the stack is unreadable, not "not found".
      if (!s) throw new AwsReplyError(`DescribeStacks answered for ${stackName} with no stack`);
      return {
        stackName: s.StackName ?? stackName,
        stackId: s.StackId ?? '',
        status: s.StackStatus ?? 'UNKNOWN',
        statusReason: s.StackStatusReason ?? null,
        lastUpdatedTime: iso(s.LastUpdatedTime ?? s.CreationTime),
        parameters: Object.fromEntries((s.Parameters ?? []).map((p) => [p.ParameterKey ?? '', p.ParameterValue ?? ''])),
        outputs: Object.fromEntries((s.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? ''])),
      };
    } catch (error) {
      // CloudFormation says a stack is missing with a ValidationError, not a 404.
      if ((error as Error).name === 'ValidationError' && /^Stack with id .+ does not exist/.test((error as Error).message)) return null;
      throw error;
    }
  };
  const ecs = lazy(async () => (await loadSdkModule('@aws-sdk/client-ecs')).ECSClient);
  const elb = lazy(async () => (await loadSdkModule('@aws-sdk/client-elastic-load-balancing-v2')).ElasticLoadBalancingV2Client);
  const apigw = lazy(async () => (await loadSdkModule('@aws-sdk/client-api-gateway')).APIGatewayClient);
  const secrets = lazy(async () => (await loadSdkModule('@aws-sdk/client-secrets-manager')).SecretsManagerClient);
  const cloudwatch = lazy(async () => (await loadSdkModule('@aws-sdk/client-cloudwatch')).CloudWatchClient);
  const ssm = lazy(async () => (await loadSdkModule('@aws-sdk/client-ssm')).SSMClient);
  const notFound = (error: unknown) => (error as Error).name === 'ParameterNotFound';
  const listTasks = async (cluster: string, service: string, desiredStatus: 'RUNNING' | 'STOPPED') => {
    const { ListTasksCommand } = await loadSdkModule('@aws-sdk/client-ecs');
    const out = await (await ecs()).send(new ListTasksCommand({ cluster, serviceName: service, desiredStatus, maxResults: 100 }));
    return out.taskArns ?? [];
  };

  return {
    async getCallerIdentity() {
      const { GetCallerIdentityCommand } = await loadSdkModule('@aws-sdk/client-sts');
      const out = await (await sts()).send(new GetCallerIdentityCommand({}));
      return { account: out.Account ?? '', arn: out.Arn ?? '' };
    },

    describeStack: (stackName) => describeStackWith(cfn, stackName),
    describeStackIn: (region, stackNameOrArn) => describeStackWith(() => cfnIn(region), stackNameOrArn),

    async describeServices(cluster, services) {
      const { DescribeServicesCommand } = await loadSdkModule('@aws-sdk/client-ecs');
      const out = await (await ecs()).send(new DescribeServicesCommand({ cluster, services: [...services] }));
      // The SDK passes what the answer holds, whatever its type: a count is a whole number, or the answer is not ECS's.
      const count = (value: unknown, field: string): number => {
        if (value === undefined || value === null) return 0;
        if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value <= MAX_TASK_COUNT) return value;
        throw new AwsReplyError(`DescribeServices answered ${field} with ${typeof value === 'number' ? String(value) : `a ${typeof value}`}, not a count of tasks`);
      };
      return {
        services: (out.services ?? []).map((s) => ({
          serviceName: s.serviceName ?? '',
          status: s.status ?? 'UNKNOWN',
          desiredCount: count(s.desiredCount, 'desiredCount'),
          runningCount: count(s.runningCount, 'runningCount'),
          pendingCount: count(s.pendingCount, 'pendingCount'),
          taskDefinition: s.taskDefinition ?? '',
          deployments: (s.deployments ?? []).map((d) => ({
            id: d.id ?? '',
            status: d.status ?? '',
            taskDefinition: d.taskDefinition ?? '',
            desiredCount: count(d.desiredCount, 'desiredCount'),
            runningCount: count(d.runningCount, 'runningCount'),
            pendingCount: count(d.pendingCount, 'pendingCount'),
            failedTasks: count(d.failedTasks, 'failedTasks'),
            rolloutState: d.rolloutState ?? null,
            rolloutStateReason: d.rolloutStateReason ?? null,
            createdAt: iso(d.createdAt),
          })),
          events: (s.events ?? []).slice(0, EVENTS_KEEP).map((e) => ({ createdAt: iso(e.createdAt) ?? '', message: e.message ?? '' })),
          alarmNames: s.deploymentConfiguration?.alarms?.enable ? alarmNamesOf(s.deploymentConfiguration.alarms.alarmNames) : [],
        })),
        missing: (out.failures ?? []).map((f) => ({ name: (f.arn ?? '').slice((f.arn ?? '').lastIndexOf('/') + 1), reason: f.reason ?? 'MISSING' })),
      };
    },

    async describeTargetHealth(targetGroupArn) {
      const { DescribeTargetHealthCommand } = await loadSdkModule('@aws-sdk/client-elastic-load-balancing-v2');
      const out = await (await elb()).send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
      return (out.TargetHealthDescriptions ?? []).map((t) => ({
        id: t.Target?.Id ?? '',
        state: t.TargetHealth?.State ?? 'unavailable',
        reason: t.TargetHealth?.Reason ?? null,
        description: t.TargetHealth?.Description ?? null,
      }));
    },

    async getStages(restApiId) {
      const { GetStagesCommand } = await loadSdkModule('@aws-sdk/client-api-gateway');
      const out = await (await apigw()).send(new GetStagesCommand({ restApiId }));
      return (out.item ?? []).map((s) => ({ stageName: s.stageName ?? '', deploymentId: s.deploymentId ?? null, lastUpdatedDate: iso(s.lastUpdatedDate ?? s.createdDate) }));
    },

    async lastRollback(cluster, service) {
      const { ListServiceDeploymentsCommand, DescribeServiceDeploymentsCommand } = await loadSdkModule('@aws-sdk/client-ecs');
      const client = await ecs();
      const listed = await client.send(
        new ListServiceDeploymentsCommand({ cluster, service, status: ['ROLLBACK_REQUESTED', 'ROLLBACK_IN_PROGRESS', 'ROLLBACK_SUCCESSFUL', 'ROLLBACK_FAILED'], maxResults: 10 }),
      );
      const newest = [...(listed.serviceDeployments ?? [])]
        .filter((d) => typeof d.serviceDeploymentArn === 'string')
        .sort((a, b) => (iso(b.createdAt) ?? '').localeCompare(iso(a.createdAt) ?? ''))[0];
      if (!newest) return null;
      const out = await client.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [newest.serviceDeploymentArn!] }));
      const d = out.serviceDeployments?.[0];
      if (!d) return null;
      return {
        serviceDeploymentArn: newest.serviceDeploymentArn!,
        status: d.status ?? newest.status ?? '',
        triggeredAlarmNames: alarmNamesOf(d.alarms?.triggeredAlarmNames),
        startedAt: iso(d.rollback?.startedAt ?? d.startedAt),
      };
    },

    async getMetricData(queries, start, end) {
      const { GetMetricDataCommand } = await loadSdkModule('@aws-sdk/client-cloudwatch');
      const out = await (await cloudwatch()).send(
        new GetMetricDataCommand({
          StartTime: start,
          EndTime: end,
          MetricDataQueries: queries.map((q) => ({
            Id: q.id,
            MetricStat: {
              Metric: { Namespace: q.namespace, MetricName: q.metricName, Dimensions: q.dimensions.map((d) => ({ Name: d.name, Value: d.value })) },
              Period: q.periodSeconds,
              Stat: q.stat,
            },
          })),
        }),
      );
      // An hour of minutes for ten series fits one page; a NextToken would only bring more of the same window.
      return (out.MetricDataResults ?? []).map((r) => ({ id: r.Id, timestamps: r.Timestamps ?? [], values: r.Values ?? [] }));
    },

    listStoppedTasks: (cluster, service) => listTasks(cluster, service, 'STOPPED'),
    listRunningTasks: (cluster, service) => listTasks(cluster, service, 'RUNNING'),

    async getTemplateBody(stackName) {
      const { GetTemplateCommand } = await loadSdkModule('@aws-sdk/client-cloudformation');
      try {
        const out = await (await cfn()).send(new GetTemplateCommand({ StackName: stackName, TemplateStage: 'Original' }));
        return typeof out.TemplateBody === 'string' ? out.TemplateBody : '';
      } catch (error) {
        if ((error as Error).name === 'ValidationError' && /^Stack with id .+ does not exist/.test((error as Error).message)) return null;
        throw error;
      }
    },

    async secretExists(name) {
      const { DescribeSecretCommand } = await loadSdkModule('@aws-sdk/client-secrets-manager');
      try {
        await (await secrets()).send(new DescribeSecretCommand({ SecretId: name }));
        return true;
      } catch (error) {
        if ((error as Error).name === 'ResourceNotFoundException') return false;
        throw error;
      }
    },

    async createSecret(name, value, tags) {
      const { CreateSecretCommand } = await loadSdkModule('@aws-sdk/client-secrets-manager');
      await (await secrets()).send(
        new CreateSecretCommand({
          Name: name,
          SecretString: value,
          Description: 'Benchling webhook configuration (written by benchling-deploy)',
          Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
        }),
      );
    },

    async describeTasks(cluster, taskArns) {
      const { DescribeTasksCommand } = await loadSdkModule('@aws-sdk/client-ecs');
      const client = await ecs();
      const result: TaskInfo[] = [];
      for (let i = 0; i < taskArns.length; i += 100) {
        const out = await client.send(new DescribeTasksCommand({ cluster, tasks: taskArns.slice(i, i + 100) }));
        for (const t of out.tasks ?? []) {
          result.push({
            taskArn: t.taskArn ?? '',
            group: t.group ?? null,
            lastStatus: t.lastStatus ?? null,
            taskDefinitionArn: t.taskDefinitionArn ?? null,
            createdAt: iso(t.createdAt),
            startedAt: iso(t.startedAt),
            stoppedAt: iso(t.stoppedAt),
            availabilityZone: t.availabilityZone ?? null,
            healthStatus: t.healthStatus ?? null,
            cpu: t.cpu ?? null,
            memory: t.memory ?? null,
            stoppedReason: t.stoppedReason ?? null,
            stopCode: t.stopCode ?? null,
            containers: (t.containers ?? []).map((c) => ({
              name: c.name ?? '',
              image: c.image ?? null,
              imageDigest: c.imageDigest ?? null,
              exitCode: c.exitCode ?? null,
              reason: c.reason ?? null,
              privateIp: c.networkInterfaces?.[0]?.privateIpv4Address ?? null,
            })),
          });
        }
      }
      return result;
    },

    async getParameter(name) {
      const { GetParameterCommand } = await loadSdkModule('@aws-sdk/client-ssm');
      try {
        const out = await (await ssm()).send(new GetParameterCommand({ Name: name }));
        return { value: out.Parameter?.Value ?? '', version: out.Parameter?.Version ?? 0, modifiedAt: iso(out.Parameter?.LastModifiedDate) };
      } catch (error) {
        if (notFound(error)) return null;
        throw error;
      }
    },

    async getParameters(names) {
      const found = new Map<string, StoredParameter>();
      if (names.length === 0) return found;
      const { GetParametersCommand } = await loadSdkModule('@aws-sdk/client-ssm');
      // Names SSM does not have come back in InvalidParameters, not as an error: they are left out.
      const out = await (await ssm()).send(new GetParametersCommand({ Names: [...names] }));
      for (const p of out.Parameters ?? []) {
        if (p.Name && names.includes(p.Name)) found.set(p.Name, { value: p.Value ?? '', version: p.Version ?? 0, modifiedAt: iso(p.LastModifiedDate) });
      }
      return found;
    },

    async getParameterHistory(name) {
      const { GetParameterHistoryCommand } = await loadSdkModule('@aws-sdk/client-ssm');
      const client = await ssm();
      const versions: StoredParameter[] = [];
      let token: string | undefined;
      try {
        // SSM keeps 100 versions, 50 a page: a third page would be a service that does not stop.
        for (let page = 0; page < 3; page += 1) {
          const out = await client.send(new GetParameterHistoryCommand({ Name: name, MaxResults: 50, NextToken: token }));
          for (const p of out.Parameters ?? []) versions.push({ value: p.Value ?? '', version: p.Version ?? 0, modifiedAt: iso(p.LastModifiedDate), modifiedBy: p.LastModifiedUser ?? undefined });
          token = out.NextToken;
          if (!token) break;
        }
      } catch (error) {
        if (notFound(error)) return null;
        throw error;
      }
      return versions;
    },

    async putParameter(name, value, overwrite) {
      const { PutParameterCommand } = await loadSdkModule('@aws-sdk/client-ssm');
      try {
        const out = await (await ssm()).send(new PutParameterCommand({ Name: name, Value: value, Type: 'String', Tier: 'Standard', Overwrite: overwrite }));
        return out.Version ?? 0;
      } catch (error) {
        if (!overwrite && (error as Error).name === 'ParameterAlreadyExists') return 'exists';
        throw error;
      }
    },

    async deleteParameter(name) {
      const { DeleteParameterCommand } = await loadSdkModule('@aws-sdk/client-ssm');
      try {
        await (await ssm()).send(new DeleteParameterCommand({ Name: name }));
        return true;
      } catch (error) {
        if (notFound(error)) return false;
        throw error;
      }
    },

    close() {
      closed = true;
      for (const c of clients.splice(0)) c.destroy();
    },
  };
}
