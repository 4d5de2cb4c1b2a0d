/**
 * The world the fake AWS endpoint serves: a plain, mutable, JSON-friendly
 * object. Tests change it between polls (`fake.scenario.clusters[c].services[s].runningCount = 0`)
 * and the next call sees the change. Times are ISO-8601 strings, log event
 * times epoch milliseconds, as the real APIs carry them.
 *
 * {@link standardScenario} builds the benchling-webhook stack of PRODUCT.md
 * section 5 (outputs `ApiId`, `ClusterName`, `<Env>ServiceName`, ...), healthy;
 * the edit helpers below it ({@link startRollout}, {@link crashTasks}, ...)
 * move one environment into the states the tests need.
 */

export type EnvName = 'dev' | 'prod';

export interface Scenario {
  /** What STS GetCallerIdentity answers. */
  identity: { account: string; arn: string; userId: string };
  /**
   * Other callers by access key id (two machines, a CI role): STS answers a
   * request signed with that key with its identity, and SSM records it as
   * LastModifiedUser; any other key is {@link identity}.
   */
  identities?: Record<string, { account: string; arn: string; userId: string }>;
  region: string;
  /** CloudFormation stacks by name. */
  stacks: Record<string, FakeStack>;
  /** ECS clusters by name. */
  clusters: Record<string, FakeCluster>;
  /** ELBv2 targets by target group ARN. */
  targetGroups: Record<string, FakeTarget[]>;
  /** API Gateway stages by REST API id. */
  restApis: Record<string, FakeStage[]>;
  /** CloudWatch Logs events by log group name, oldest first. */
  logGroups: Record<string, FakeLogEvent[]>;
  /** Secrets Manager secrets by name. */
  secrets: Record<string, FakeSecret>;
  /**
   * S3 buckets by name, each with its objects by key (absent: no bucket).
   * A bucket comes with a stack's AWS::S3::Bucket (the bootstrap stack's
   * StagingBucket: `bootstrapAccount` in `stacks.ts`), or is written here.
   */
  s3?: Record<string, FakeBucket>;
  /** How CloudFormation operations run and fail (see {@link CfnSettings}); defaults when absent. */
  cfn?: CfnSettings;
  /** CloudWatch metrics' raw samples, what GetMetricData aggregates (see `services/cloudwatch.ts`); none when absent. */
  metrics?: FakeMetricSeries[];
  /** SSM Parameter Store parameters by name (absent: none). */
  ssm?: Record<string, FakeParameter>;
}

/** One SSM parameter: its versions oldest first (at most 100 kept), numbered on from `lastVersion`. */
export interface FakeParameter {
  name: string;
  type: string;
  /** The number the newest version got (versions keep their numbers when older ones are dropped). */
  lastVersion: number;
  versions: { version: number; value: string; tier: string; lastModifiedDate: string; lastModifiedUser: string; description?: string }[];
}

/**
 * One CloudWatch metric: its name and exact set of dimensions, and its raw
 * samples (epoch ms, value), in any order. GetMetricData buckets them by the
 * query's period and computes the statistic asked for (Sum, Average,
 * Minimum, Maximum, SampleCount, pNN); a period with no sample has no
 * datapoint, as with CloudWatch.
 */
export interface FakeMetricSeries {
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  samples: { t: number; v: number }[];
}

/**
 * Timing and injected failures of the fake's CloudFormation. Every field is
 * optional; change them between calls like the rest of the scenario.
 */
export interface CfnSettings {
  /**
   * Milliseconds between two steps of a running stack operation (a step: one
   * dependency level of resources starting, or finishing). Default 10, which
   * runs this project's stack in about 300 ms.
   */
  stepMs?: number;
  /** Milliseconds a new change set stays CREATE_PENDING/CREATE_IN_PROGRESS before its outcome. Default 0. */
  changeSetDelayMs?: number;
  /**
   * A resource whose create or update fails with `reason` (e.g.
   * `Resource handler returned message: "Circuit breaker triggered"`), which
   * rolls the operation back. Only when the operation touches it.
   */
  failResource?: {
    logicalId: string;
    reason: string;
    /**
     * An ECS service's deployment alarm that fired: ECS rolls the service back
     * (its events and service deployment name the alarm, {@link rollServiceBackOnAlarm})
     * before CloudFormation reports the resource failed.
     */
    alarm?: string;
  };
  /** Every change set created from now on ends FAILED with this StatusReason. */
  failChangeSet?: { reason: string };
  /** DeleteStack fails: this resource (default: the first one deleted) ends DELETE_FAILED with `reason`, and the stack DELETE_FAILED. */
  failDelete?: { logicalId?: string; reason: string };
}

export interface FakeStack {
  stackName: string;
  stackId: string;
  status: string;
  statusReason?: string;
  creationTime: string;
  lastUpdatedTime?: string;
  parameters: Record<string, string>;
  outputs: Record<string, string>;
  tags?: Record<string, string>;
  /** Newest first, as DescribeStackEvents returns them. */
  events: FakeStackEvent[];
  /** The template's `Description`. */
  description?: string;
  /**
   * The deployed template. Absent for a stack written by hand
   * ({@link standardScenario}): such a stack has no resources, and GetTemplate
   * answers an empty template.
   */
  template?: Record<string, any>;
  /** The template text as submitted (YAML or JSON): what GetTemplate answers. */
  templateBody?: string;
  capabilities?: string[];
  /** The stack's resources by logical id, as deployed (see `cfn/stacks.ts`). */
  resources?: Record<string, FakeStackResource>;
  /** Change sets of the stack, by name (CloudFormation drops them all once one has been executed). */
  changeSets?: Record<string, FakeChangeSet>;
  /** The change set last executed on the stack. */
  changeSetId?: string;
  /** A create, update or delete under way: its steps still to come. */
  operation?: FakeStackOperation;
  deletionTime?: string;
}

/** One deployed resource of a stack. */
export interface FakeStackResource {
  logicalId: string;
  type: string;
  physicalId: string;
  status: string;
  lastUpdated: string;
  /** Its `Properties` evaluated (parameters and other resources resolved) when last created or updated. */
  properties: Record<string, unknown>;
  /** Its `Metadata`, evaluated. */
  metadata?: unknown;
  /** What `Fn::GetAtt` answers. */
  attributes: Record<string, unknown>;
  /** 0 for its first physical resource, +1 per replacement. */
  generation: number;
  deletionPolicy?: string;
  updateReplacePolicy?: string;
}

/** A change set, as created: its outcome is known at once and shown from `readyAt` on. */
export interface FakeChangeSet {
  name: string;
  id: string;
  type: 'CREATE' | 'UPDATE';
  description?: string;
  createdAt: string;
  /** Epoch ms from which it shows `status`; before, CREATE_PENDING then CREATE_IN_PROGRESS. */
  readyAt: number;
  status: 'CREATE_COMPLETE' | 'FAILED';
  statusReason?: string;
  executionStatus: 'UNAVAILABLE' | 'AVAILABLE' | 'EXECUTE_IN_PROGRESS';
  template: Record<string, any>;
  templateBody: string;
  /** Every parameter's value, resolved (given, previous, or default). */
  parameters: Record<string, string>;
  capabilities: string[];
  tags: Record<string, string>;
  changes: FakeResourceChange[];
}

/** One `ResourceChange` of a change set. */
export interface FakeResourceChange {
  action: 'Add' | 'Modify' | 'Remove';
  logicalId: string;
  physicalId?: string;
  type: string;
  replacement?: 'True' | 'False' | 'Conditional';
  policyAction?: string;
  scope: string[];
  details: FakeChangeDetail[];
  /** `{ Properties, Metadata? }` before and after, `{{changeSet:KNOWN_AFTER_APPLY}}` where not known yet. */
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
}

export interface FakeChangeDetail {
  target: { attribute: string; name?: string; requiresRecreation: 'Always' | 'Conditionally' | 'Never'; path?: string; beforeValue?: string; afterValue?: string; attributeChangeType?: string };
  evaluation: 'Static' | 'Dynamic';
  changeSource: 'ResourceReference' | 'ParameterReference' | 'ResourceAttribute' | 'DirectModification' | 'Automatic';
  causingEntity?: string;
}

/** The steps of an operation under way, oldest first; each shows at `at` (epoch ms). */
export interface FakeStackOperation {
  steps: FakeOperationStep[];
}

export interface FakeOperationStep {
  at: number;
  /** Oldest first. */
  events: FakeStackEvent[];
  status?: string;
  /** Replaces the stack's status reason (null clears it). */
  statusReason?: string | null;
  /** The stack's deployed state from this step on (and the world derived from it). */
  commit?: FakeStackCommit;
  /** The stack is gone (DELETE_COMPLETE). */
  deleted?: boolean;
}

export interface FakeStackCommit {
  template: Record<string, any>;
  templateBody: string;
  description?: string;
  parameters: Record<string, string>;
  resources: Record<string, FakeStackResource>;
  outputs: Record<string, string>;
  capabilities: string[];
  tags: Record<string, string>;
}

export interface FakeStackEvent {
  eventId: string;
  logicalResourceId: string;
  physicalResourceId?: string;
  resourceType: string;
  timestamp: string;
  resourceStatus: string;
  resourceStatusReason?: string;
  /** One id per stack operation (a rollback is its own), as CloudFormation sends it and cdk reads it. */
  operationId?: string;
  clientRequestToken?: string;
}

export interface FakeCluster {
  clusterArn: string;
  /** ECS services by name. */
  services: Record<string, FakeService>;
  /** Running and stopped tasks of every service of the cluster. */
  tasks: FakeTask[];
}

export interface FakeService {
  serviceName: string;
  serviceArn: string;
  status: 'ACTIVE' | 'DRAINING' | 'INACTIVE';
  desiredCount: number;
  runningCount: number;
  pendingCount: number;
  taskDefinition: string;
  deployments: FakeDeployment[];
  /** Newest first, as ECS returns them. */
  events: { id: string; createdAt: string; message: string }[];
  /** The template's DeploymentConfiguration.Alarms, as ECS returns it. */
  deploymentConfiguration?: { alarms?: { alarmNames: string[]; enable: boolean; rollback: boolean } };
  /** Its service deployments (ListServiceDeployments), newest first; only the rolled-back ones are kept here. */
  serviceDeployments?: FakeServiceDeployment[];
}

/** An ECS service deployment (DescribeServiceDeployments), in the fields the product reads. */
export interface FakeServiceDeployment {
  serviceDeploymentArn: string;
  status: 'ROLLBACK_IN_PROGRESS' | 'ROLLBACK_SUCCESSFUL' | 'ROLLBACK_FAILED' | 'SUCCESSFUL';
  createdAt: string;
  startedAt: string;
  finishedAt?: string;
  alarms?: { status: 'TRIGGERED' | 'MONITORING' | 'MONITORING_COMPLETE' | 'DISABLED'; alarmNames: string[]; triggeredAlarmNames: string[] };
  rollback?: { startedAt: string; serviceRevisionArn: string };
}

export interface FakeDeployment {
  id: string;
  status: 'PRIMARY' | 'ACTIVE' | 'INACTIVE';
  taskDefinition: string;
  desiredCount: number;
  runningCount: number;
  pendingCount: number;
  failedTasks: number;
  rolloutState: 'COMPLETED' | 'IN_PROGRESS' | 'FAILED';
  rolloutStateReason?: string;
  createdAt: string;
  updatedAt: string;
}

export interface FakeTask {
  taskArn: string;
  /** `service:<serviceName>` for a service's task, as ECS sets it. */
  group: string;
  lastStatus: 'PROVISIONING' | 'PENDING' | 'RUNNING' | 'STOPPING' | 'STOPPED';
  desiredStatus: 'RUNNING' | 'STOPPED';
  taskDefinitionArn: string;
  createdAt: string;
  startedAt?: string;
  stoppedAt?: string;
  stoppedReason?: string;
  stopCode?: string;
  /** Where it runs (`us-east-1a`). */
  availabilityZone?: string;
  /** The container health check's verdict: HEALTHY, UNHEALTHY, UNKNOWN (none defined). */
  healthStatus?: 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN';
  /** The task size, as ECS gives it: CPU units and memory MiB as strings. */
  cpu?: string;
  memory?: string;
  containers: FakeContainer[];
}

export interface FakeContainer {
  name: string;
  image: string;
  /** `sha256:<64 hex>`: what promote reads to pin the exact image running. */
  imageDigest?: string;
  lastStatus: string;
  exitCode?: number;
  reason?: string;
  /** A Fargate task's ENI: where its load balancer target points. */
  networkInterfaces?: { attachmentId: string; privateIpv4Address: string }[];
}

export interface FakeTarget {
  id: string;
  port: number;
  state: 'initial' | 'healthy' | 'unhealthy' | 'unused' | 'draining' | 'unavailable';
  reason?: string;
  description?: string;
}

export interface FakeStage {
  stageName: string;
  deploymentId: string;
  createdDate: string;
  lastUpdatedDate: string;
  variables?: Record<string, string>;
}

export interface FakeLogEvent {
  logStreamName: string;
  /** Epoch milliseconds. */
  timestamp: number;
  message: string;
  ingestionTime?: number;
}

export interface FakeSecret {
  name: string;
  arn: string;
  description?: string;
  secretString?: string;
  versionId: string;
  createdDate: string;
  lastChangedDate: string;
  tags?: Record<string, string>;
}

export interface FakeBucket {
  /** Where the bucket lives: what GetBucketLocation answers. */
  region: string;
  creationDate: string;
  /**
   * The bucket's default encryption (GetBucketEncryption). Absent: S3's own
   * default for every bucket since 2023, SSE-S3 (`AES256`).
   */
  encryption?: { algorithm: 'AES256' | 'aws:kms' | 'aws:kms:dsse'; kmsKeyId?: string; bucketKeyEnabled?: boolean };
  /** Objects by key. */
  objects: Record<string, FakeObject>;
}

export interface FakeObject {
  /** The object's bytes, as UTF-8 text (templates). */
  body: string;
  contentType?: string;
  lastModified: string;
  /** Quoted, as S3 sends it: `"<md5 hex>"`. */
  etag: string;
  /** How S3 encrypted it at rest: the upload's `x-amz-server-side-encryption`, else the bucket's default. */
  serverSideEncryption: string;
  sseKmsKeyId?: string;
  /** The SHA-256 checksum the upload sent (base64), if it sent one. */
  checksumSha256?: string;
}

export interface StandardOptions {
  environments?: readonly EnvName[];
  stackName?: string;
  region?: string;
  account?: string;
  imageTags?: Partial<Record<EnvName, string>>;
  /** Desired task count per environment (default dev 1, prod 2). */
  desired?: Partial<Record<EnvName, number>>;
  /** Fixed "now" for the scenario's times (default: the real now). */
  now?: Date;
}

export const TITLE: Record<EnvName, string> = { dev: 'Dev', prod: 'Prod' };

/** Names of one environment's resources in a {@link standardScenario}. */
export interface EnvNames {
  readonly cluster: string;
  readonly service: string;
  readonly targetGroupArn: string;
  readonly logGroup: string;
  readonly apiId: string;
  readonly stackName: string;
}

export function namesOf(scenario: Scenario, env: EnvName, stackName = 'BenchlingWebhookStack'): EnvNames {
  const stack = scenario.stacks[stackName];
  if (!stack) throw new Error(`scenario has no stack ${stackName}`);
  const o = stack.outputs;
  return {
    cluster: o.ClusterName,
    service: o[`${TITLE[env]}ServiceName`],
    targetGroupArn: o[`${TITLE[env]}TargetGroupArn`],
    logGroup: o[`${TITLE[env]}LogGroupName`],
    apiId: o.ApiId,
    stackName,
  };
}

/** `length` hex digits, stable for a seed. */
export const hex = (seed: string, length: number): string => {
  let out = '';
  let h = 2166136261;
  while (out.length < length) {
    for (const c of seed + out.length) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
    out += h.toString(16).padStart(8, '0');
  }
  return out.slice(0, length);
};

/** A stable fake digest for an image tag. */
export function digestOf(tag: string): string {
  return `sha256:${hex(`image:${tag}`, 64)}`;
}

/**
 * The benchling-webhook stack with its environments healthy: running = desired,
 * one completed deployment, every target healthy, one stage per environment,
 * a few log lines, a secret per environment.
 */
export function standardScenario(options: StandardOptions = {}): Scenario {
  const environments = options.environments ?? ['dev', 'prod'];
  const stackName = options.stackName ?? 'BenchlingWebhookStack';
  const region = options.region ?? 'us-east-1';
  const account = options.account ?? '123456789012';
  const now = options.now ?? new Date();
  const iso = (msAgo: number) => new Date(now.getTime() - msAgo).toISOString();
  const apiId = 'a1b2c3d4e5';
  const clusterName = `${stackName}-Cluster-${hex(stackName, 8)}`;
  const clusterArn = `arn:aws:ecs:${region}:${account}:cluster/${clusterName}`;
  const scenario: Scenario = {
    identity: { account, arn: `arn:aws:sts::${account}:assumed-role/Admin/operator`, userId: 'AROAEXAMPLE:operator' },
    region,
    stacks: {},
    clusters: { [clusterName]: { clusterArn, services: {}, tasks: [] } },
    targetGroups: {},
    restApis: { [apiId]: [] },
    logGroups: {},
    secrets: {},
  };
  const parameters: Record<string, string> = {};
  const outputs: Record<string, string> = { ApiId: apiId, ClusterName: clusterName };
  for (const env of environments) {
    const T = TITLE[env];
    const tag = options.imageTags?.[env] ?? (env === 'dev' ? 'latest' : '0.7.0');
    const desired = options.desired?.[env] ?? (env === 'dev' ? 1 : 2);
    const service = `${stackName}-${T}Service-${hex(env, 10)}`;
    const tg = `arn:aws:elasticloadbalancing:${region}:${account}:targetgroup/bw-${env}/${hex(`tg${env}`, 16)}`;
    const logGroup = `/ecs/benchling-webhook/${env}`;
    parameters[`${T}ImageTag`] = tag;
    parameters[`${T}MinCapacity`] = String(desired);
    parameters[`${T}MaxCapacity`] = String(Math.max(desired, env === 'dev' ? 2 : 10));
    parameters[`${T}LogLevel`] = 'INFO';
    outputs[`${T}Endpoint`] = `https://${apiId}.execute-api.${region}.amazonaws.com/${env}`;
    outputs[`${T}ServiceName`] = service;
    outputs[`${T}TargetGroupArn`] = tg;
    outputs[`${T}LogGroupName`] = logGroup;
    const taskDef = `arn:aws:ecs:${region}:${account}:task-definition/${stackName}${T}Task:1`;
    scenario.clusters[clusterName].services[service] = {
      serviceName: service,
      serviceArn: `arn:aws:ecs:${region}:${account}:service/${clusterName}/${service}`,
      status: 'ACTIVE',
      desiredCount: desired,
      runningCount: desired,
      pendingCount: 0,
      taskDefinition: taskDef,
      deployments: [
        {
          id: `ecs-svc/${hex(`dep${env}1`, 19).replace(/[a-f]/g, '1')}`,
          status: 'PRIMARY',
          taskDefinition: taskDef,
          desiredCount: desired,
          runningCount: desired,
          pendingCount: 0,
          failedTasks: 0,
          rolloutState: 'COMPLETED',
          rolloutStateReason: 'ECS deployment ecs-svc completed.',
          createdAt: iso(3_600_000),
          updatedAt: iso(3_000_000),
        },
      ],
      events: [{ id: hex(`ev${env}`, 36), createdAt: iso(60_000), message: `(service ${service}) has reached a steady state.` }],
    };
    for (let i = 0; i < desired; i++) {
      scenario.clusters[clusterName].tasks.push(runningTask(scenario, clusterName, service, taskDef, tag, iso(3_000_000)));
    }
    scenario.targetGroups[tg] = Array.from({ length: desired }, (_, i) => ({ id: `10.0.${env === 'dev' ? 1 : 2}.${10 + i}`, port: 5000, state: 'healthy' as const }));
    scenario.restApis[apiId].push({ stageName: env, deploymentId: hex(`stage${env}`, 6), createdDate: iso(86_400_000), lastUpdatedDate: iso(3_600_000) });
    scenario.logGroups[logGroup] = [
      { logStreamName: `webhook/app/${hex(`s${env}`, 32)}`, timestamp: now.getTime() - 120_000, message: `INFO starting benchling-webhook (${env})` },
      { logStreamName: `webhook/app/${hex(`s${env}`, 32)}`, timestamp: now.getTime() - 60_000, message: 'INFO GET /health 200' },
    ];
    const secretName = `quiltdata/benchling-webhook/${env === 'prod' ? 'default' : env}/acme`;
    scenario.secrets[secretName] = {
      name: secretName,
      arn: `arn:aws:secretsmanager:${region}:${account}:secret:${secretName}-${hex(secretName, 6)}`,
      secretString: JSON.stringify({ tenant: 'acme', client_id: `cid-${env}`, client_secret: 'fake-secret-value' }),
      versionId: hex(`${secretName}v1`, 32),
      createdDate: iso(86_400_000),
      lastChangedDate: iso(86_400_000),
    };
  }
  scenario.stacks[stackName] = {
    stackName,
    stackId: `arn:aws:cloudformation:${region}:${account}:stack/${stackName}/${hex(stackName, 8)}-${hex('id', 4)}-${hex('id2', 4)}-${hex('id3', 4)}-${hex('id4', 12)}`,
    status: 'UPDATE_COMPLETE',
    creationTime: iso(86_400_000),
    lastUpdatedTime: iso(3_600_000),
    parameters,
    outputs,
    events: [
      { eventId: hex('e1', 16), logicalResourceId: stackName, physicalResourceId: stackName, resourceType: 'AWS::CloudFormation::Stack', timestamp: iso(3_500_000), resourceStatus: 'UPDATE_COMPLETE' },
    ],
  };
  return scenario;
}

let taskCounter = 0;

function runningTask(scenario: Scenario, cluster: string, service: string, taskDef: string, tag: string, createdAt: string): FakeTask {
  taskCounter += 1;
  const { account } = scenario.identity;
  return {
    taskArn: `arn:aws:ecs:${scenario.region}:${account}:task/${cluster}/${hex(`task${taskCounter}`, 32)}`,
    group: `service:${service}`,
    lastStatus: 'RUNNING',
    desiredStatus: 'RUNNING',
    taskDefinitionArn: taskDef,
    createdAt,
    startedAt: createdAt,
    availabilityZone: `${scenario.region}${'ab'[taskCounter % 2]}`,
    healthStatus: 'UNKNOWN',
    cpu: '512',
    memory: '1024',
    containers: [{ name: 'app', image: `712023778557.dkr.ecr.us-east-1.amazonaws.com/quiltdata/benchling:${tag}`, imageDigest: digestOf(tag), lastStatus: 'RUNNING' }],
  };
}

function serviceOf(scenario: Scenario, env: EnvName): { cluster: FakeCluster; service: FakeService; names: EnvNames } {
  const names = namesOf(scenario, env);
  const cluster = scenario.clusters[names.cluster];
  const service = cluster?.services[names.service];
  if (!service) throw new Error(`scenario has no ${env} service`);
  return { cluster, service, names };
}

/**
 * A rollout in progress: a new PRIMARY deployment (IN_PROGRESS) with `newRunning`
 * tasks of the new image, the old one ACTIVE, the stack parameter updated.
 */
export function startRollout(scenario: Scenario, env: EnvName, imageTag: string, newRunning = 0): void {
  const { service, names } = serviceOf(scenario, env);
  const now = new Date().toISOString();
  const revision = service.deployments.length + 1;
  const taskDef = service.taskDefinition.replace(/:\d+$/, `:${revision}`);
  for (const d of service.deployments) if (d.status === 'PRIMARY') d.status = 'ACTIVE';
  service.deployments.unshift({
    id: `ecs-svc/${hex(`dep${env}${revision}`, 19).replace(/[a-f]/g, '2')}`,
    status: 'PRIMARY',
    taskDefinition: taskDef,
    desiredCount: service.desiredCount,
    runningCount: newRunning,
    pendingCount: service.desiredCount - newRunning,
    failedTasks: 0,
    rolloutState: 'IN_PROGRESS',
    rolloutStateReason: 'ECS deployment in progress.',
    createdAt: now,
    updatedAt: now,
  });
  service.taskDefinition = taskDef;
  service.pendingCount = service.desiredCount - newRunning;
  service.events.unshift({ id: hex(`${env}${revision}ev`, 36), createdAt: now, message: `(service ${service.serviceName}) has started ${service.desiredCount} tasks.` });
  scenario.stacks[names.stackName].parameters[`${TITLE[env]}ImageTag`] = imageTag;
}

/** The rollout of {@link startRollout} finished: one PRIMARY deployment, COMPLETED. */
export function completeRollout(scenario: Scenario, env: EnvName): void {
  const { service } = serviceOf(scenario, env);
  const primary = service.deployments.find((d) => d.status === 'PRIMARY');
  if (!primary) throw new Error(`no primary ${env} deployment`);
  service.deployments = [{ ...primary, runningCount: service.desiredCount, pendingCount: 0, rolloutState: 'COMPLETED', rolloutStateReason: 'ECS deployment completed.' }];
  service.runningCount = service.desiredCount;
  service.pendingCount = 0;
}

/**
 * Tasks that keep failing: `running` of desired stay up, and stopped tasks
 * with `reason` (and a container exit code) appear for the current deployment.
 */
export function crashTasks(scenario: Scenario, env: EnvName, options: { running: number; reason: string; exitCode?: number; containerReason?: string; count?: number }): void {
  const { cluster, service, names } = serviceOf(scenario, env);
  service.runningCount = options.running;
  for (const d of service.deployments) if (d.status === 'PRIMARY') d.runningCount = options.running;
  const now = Date.now();
  const running = cluster.tasks.filter((t) => t.group === `service:${service.serviceName}` && t.lastStatus === 'RUNNING');
  for (const t of running.slice(options.running)) {
    t.lastStatus = 'STOPPED';
    t.desiredStatus = 'STOPPED';
    t.stoppedAt = new Date(now - 120_000).toISOString();
    t.stoppedReason = options.reason;
    t.stopCode = 'EssentialContainerExited';
    t.containers = t.containers.map((c) => ({ ...c, lastStatus: 'STOPPED', exitCode: options.exitCode ?? 1, reason: options.containerReason }));
  }
  for (let i = 0; i < (options.count ?? 2); i++) {
    taskCounter += 1;
    cluster.tasks.push({
      taskArn: `arn:aws:ecs:${scenario.region}:${scenario.identity.account}:task/${names.cluster}/${hex(`crash${taskCounter}`, 32)}`,
      group: `service:${service.serviceName}`,
      lastStatus: 'STOPPED',
      desiredStatus: 'STOPPED',
      taskDefinitionArn: service.taskDefinition,
      createdAt: new Date(now - 60_000 * (i + 1)).toISOString(),
      startedAt: new Date(now - 60_000 * (i + 1) + 5_000).toISOString(),
      stoppedAt: new Date(now - 60_000 * i - 10_000).toISOString(),
      stoppedReason: options.reason,
      stopCode: 'EssentialContainerExited',
      containers: [{ name: 'app', image: 'benchling:broken', lastStatus: 'STOPPED', exitCode: options.exitCode ?? 1, reason: options.containerReason }],
    });
  }
  const targets = scenario.targetGroups[names.targetGroupArn] ?? [];
  targets.forEach((t, i) => {
    if (i >= options.running) {
      t.state = 'unhealthy';
      t.reason = 'Target.FailedHealthChecks';
      t.description = 'Health checks failed';
    }
  });
}

/** Removes an environment's ECS service (ECS then answers `MISSING` for it). */
export function removeService(scenario: Scenario, env: EnvName): void {
  const { cluster, service } = serviceOf(scenario, env);
  delete cluster.services[service.serviceName];
}

/**
 * A rollout of `imageTag` that a deployment alarm failed, after ECS rolled it
 * back: the service runs its previous deployment again (COMPLETED), the stack
 * keeps the previous image tag, and ECS's events and service deployment say
 * what happened. The events are ECS's own wording (see
 * src/state/alarm-rollback.ts); the failed deployment is gone from
 * DescribeServices, as after a real rollback. `alarm` is the alarm that fired.
 */
export function rollBackOnAlarm(scenario: Scenario, env: EnvName, imageTag: string, alarm: string, options: { at?: Date } = {}): void {
  const { service, names } = serviceOf(scenario, env);
  service.deploymentConfiguration ??= { alarms: { alarmNames: [`${names.stackName}-${env}-5xx`, `${names.stackName}-${env}-unhealthy-targets`], enable: true, rollback: true } };
  rollServiceBackOnAlarm(scenario, names.cluster, service, `${imageTag}`, alarm, options.at ?? new Date());
}

/**
 * ECS's side of a rollout a deployment alarm failed, on one service of the
 * world: its events and its rolled-back service deployment naming `alarm`;
 * the service back on its previous deployment. Also what the fake
 * CloudFormation does to a service whose update fails with `failResource.alarm`.
 */
export function rollServiceBackOnAlarm(scenario: Scenario, clusterName: string, service: FakeService, seed: string, alarm: string, at: Date): void {
  const before = service.deployments.find((d) => d.status === 'PRIMARY');
  if (!before) throw new Error(`no primary deployment of ${service.serviceName} to roll back to`);
  const iso = (ms: number) => new Date(at.getTime() + ms).toISOString();
  const alarmNames = service.deploymentConfiguration?.alarms?.alarmNames ?? [alarm];
  const failed = `ecs-svc/${hex(`alarm${service.serviceName}${seed}${at.toISOString()}`, 19).replace(/[a-f]/g, '7')}`;
  const event = (message: string, ms: number) => ({ id: hex(`${message}${ms}`, 36), createdAt: iso(ms), message });
  service.events.unshift(
    event(`(service ${service.serviceName}) has reached a steady state.`, 4_000),
    event(`(service ${service.serviceName}) rolling back to deployment ${before.id}.`, 2_000),
    event(`(service ${service.serviceName}) (deployment ${failed}) deployment failed: alarm detected.`, 1_000),
    event(`(service ${service.serviceName}) has started ${service.desiredCount} tasks.`, -120_000),
  );
  service.deployments = [{ ...before, rolloutState: 'COMPLETED', updatedAt: iso(4_000) }];
  const arn = `arn:aws:ecs:${scenario.region}:${scenario.identity.account}:service-deployment/${clusterName}/${service.serviceName}/${hex(failed, 22)}`;
  service.serviceDeployments = [
    {
      serviceDeploymentArn: arn,
      status: 'ROLLBACK_SUCCESSFUL',
      createdAt: iso(-120_000),
      startedAt: iso(-120_000),
      finishedAt: iso(4_000),
      alarms: { status: 'TRIGGERED', alarmNames, triggeredAlarmNames: [alarm] },
      rollback: { startedAt: iso(1_000), serviceRevisionArn: `arn:aws:ecs:${scenario.region}:${scenario.identity.account}:service-revision/${clusterName}/${service.serviceName}/${hex(before.id, 19)}` },
    },
    ...(service.serviceDeployments ?? []),
  ];
}

/** The identity a request was signed as: `scenario.identities[its access key id]`, else `scenario.identity`. */
export function callerOf(scenario: Scenario, headers: Readonly<Record<string, string | string[] | undefined>>): Scenario['identity'] {
  const auth = headers.authorization;
  const key = /Credential=([^/,\s]+)\//.exec(Array.isArray(auth) ? auth[0] : (auth ?? ''))?.[1];
  return (key && scenario.identities?.[key]) || scenario.identity;
}
