/**
 * The rest of the fake world, derived from a stack's deployed resources when
 * an operation commits: ECS clusters, services and their tasks, target group
 * targets, API Gateway stages, log groups and S3 buckets, in the same
 * scenario shapes `standardScenario()` writes (so the project's status poller
 * and deploy code read them unchanged). A resource that leaves the stack takes its part of the
 * world with it, unless its DeletionPolicy (or, when replaced, its
 * UpdateReplacePolicy) is `Retain`.
 */
import { randomUUID } from 'node:crypto';
import { digestOf, type FakeBucket, type FakeCluster, type FakeService, type FakeStack, type FakeStackResource, type FakeTask, type Scenario } from '../scenario.js';
import { token } from './resource-types.js';

const lastPart = (nameOrArn: string): string => nameOrArn.slice(nameOrArn.lastIndexOf('/') + 1);

/**
 * The digest the fake reports for an image: the pinned `@sha256:...` itself,
 * else `digestOf(tag)` (tag `latest` when the reference has none).
 */
export function imageDigestOf(image: string): string {
  const at = image.indexOf('@sha256:');
  if (at >= 0) return image.slice(at + 1);
  const name = image.slice(image.lastIndexOf('/') + 1);
  return digestOf(name.includes(':') ? name.slice(name.indexOf(':') + 1) : 'latest');
}

/** Brings the world from what `before` made to what `after` makes, at ISO time `at`. */
export function applyWorld(scenario: Scenario, stack: FakeStack, before: Readonly<Record<string, FakeStackResource>>, after: Readonly<Record<string, FakeStackResource>>, at: string): void {
  for (const r of Object.values(before)) {
    const now = after[r.logicalId];
    if (now?.physicalId === r.physicalId) continue;
    const retained = now ? r.updateReplacePolicy === 'Retain' : r.deletionPolicy === 'Retain';
    if (!retained) removeFromWorld(scenario, r, at);
  }
  const resources = Object.values(after);
  const ofType = (type: string) => resources.filter((r) => r.type === type);
  for (const c of ofType('AWS::ECS::Cluster')) ensureCluster(scenario, c.physicalId, String(c.attributes.Arn));
  for (const g of ofType('AWS::Logs::LogGroup')) scenario.logGroups[g.physicalId] ??= [];
  for (const api of ofType('AWS::ApiGateway::RestApi')) scenario.restApis[api.physicalId] ??= [];
  for (const tg of ofType('AWS::ElasticLoadBalancingV2::TargetGroup')) scenario.targetGroups[tg.physicalId] ??= [];
  for (const b of ofType('AWS::S3::Bucket')) upsertBucket(scenario, stack, b, at);
  const changedServices = ofType('AWS::ECS::Service').filter((s) => upsertService(scenario, stack, s, resources, at));
  for (const tg of ofType('AWS::ElasticLoadBalancingV2::TargetGroup')) {
    const feeding = ofType('AWS::ECS::Service').filter((s) => loadBalancersOf(s).some((lb) => lb.TargetGroupArn === tg.physicalId));
    if (feeding.some((s) => changedServices.includes(s)) || scenario.targetGroups[tg.physicalId].length === 0) {
      scenario.targetGroups[tg.physicalId] = feeding.flatMap((s) => targetsOf(scenario, s, tg.physicalId));
    }
  }
  for (const stage of ofType('AWS::ApiGateway::Stage')) upsertStage(scenario, stage.properties, at);
  for (const d of ofType('AWS::ApiGateway::Deployment')) if (d.properties.StageName) upsertStage(scenario, { RestApiId: d.properties.RestApiId, StageName: d.properties.StageName, DeploymentId: d.physicalId }, at);
}

function removeFromWorld(scenario: Scenario, r: FakeStackResource, at: string): void {
  switch (r.type) {
    case 'AWS::ECS::Cluster':
      delete scenario.clusters[r.physicalId];
      return;
    case 'AWS::ECS::Service': {
      const cluster = scenario.clusters[lastPart(String(r.properties.Cluster ?? 'default'))];
      const name = String(r.attributes.Name);
      if (!cluster) return;
      delete cluster.services[name];
      stopTasks(cluster, (t) => t.group === `service:${name}`, at, 'Service deleted');
      return;
    }
    case 'AWS::ElasticLoadBalancingV2::TargetGroup':
      delete scenario.targetGroups[r.physicalId];
      return;
    case 'AWS::ApiGateway::RestApi':
      delete scenario.restApis[r.physicalId];
      return;
    case 'AWS::ApiGateway::Stage':
    case 'AWS::ApiGateway::Deployment': {
      const stages = scenario.restApis[String(r.properties.RestApiId)];
      const name = r.properties.StageName;
      if (stages && name) scenario.restApis[String(r.properties.RestApiId)] = stages.filter((s) => s.stageName !== name);
      return;
    }
    case 'AWS::Logs::LogGroup':
      delete scenario.logGroups[r.physicalId];
      return;
    // (Real CloudFormation fails to delete a bucket that still has objects; the fake deletes it with them.)
    case 'AWS::S3::Bucket':
      if (scenario.s3) delete scenario.s3[r.physicalId];
      return;
  }
}

/** The bucket of an AWS::S3::Bucket, in the stack's region, with the default encryption its properties give it; its objects kept. */
function upsertBucket(scenario: Scenario, stack: FakeStack, b: FakeStackResource, at: string): void {
  const region = stack.stackId.split(':')[3];
  const rules = (b.properties.BucketEncryption as { ServerSideEncryptionConfiguration?: { ServerSideEncryptionByDefault?: { SSEAlgorithm?: string; KMSMasterKeyID?: string }; BucketKeyEnabled?: boolean | string }[] } | undefined)
    ?.ServerSideEncryptionConfiguration?.[0];
  const byDefault = rules?.ServerSideEncryptionByDefault;
  let encryption: FakeBucket['encryption'];
  if (byDefault?.SSEAlgorithm) {
    encryption = { algorithm: byDefault.SSEAlgorithm as NonNullable<FakeBucket['encryption']>['algorithm'] };
    if (byDefault.KMSMasterKeyID) encryption.kmsKeyId = byDefault.KMSMasterKeyID;
    if (String(rules?.BucketKeyEnabled) === 'true') encryption.bucketKeyEnabled = true;
  }
  const buckets = (scenario.s3 ??= {});
  const existing = buckets[b.physicalId];
  if (existing) {
    if (encryption) existing.encryption = encryption;
    else delete existing.encryption;
  } else {
    buckets[b.physicalId] = { region, creationDate: at, ...(encryption ? { encryption } : {}), objects: {} };
  }
}

function ensureCluster(scenario: Scenario, name: string, arn: string): FakeCluster {
  return (scenario.clusters[name] ??= { clusterArn: arn, services: {}, tasks: [] });
}

type LoadBalancer = { TargetGroupArn?: string; ContainerName?: string; ContainerPort?: number };
const loadBalancersOf = (s: FakeStackResource): LoadBalancer[] => (Array.isArray(s.properties.LoadBalancers) ? (s.properties.LoadBalancers as LoadBalancer[]) : []);

/**
 * How many tasks the service runs: its DesiredCount, else what it ran, else 1,
 * held within the min..max of the ScalableTarget that scales it (Application
 * Auto Scaling registers the service at its min capacity at least).
 */
function desiredCountOf(s: FakeStackResource, resources: readonly FakeStackResource[], clusterName: string, current: number | undefined): number {
  let desired = s.properties.DesiredCount !== undefined ? Number(s.properties.DesiredCount) : (current ?? 1);
  const target = resources.find(
    (r) =>
      r.type === 'AWS::ApplicationAutoScaling::ScalableTarget' &&
      r.properties.ScalableDimension === 'ecs:service:DesiredCount' &&
      r.properties.ResourceId === `service/${clusterName}/${String(s.attributes.Name)}`,
  );
  if (target) desired = Math.min(Number(target.properties.MaxCapacity), Math.max(Number(target.properties.MinCapacity), desired));
  return desired;
}

/**
 * Creates or updates the ECS service of `s`. A new task definition is a new
 * deployment (completed: the new tasks run, the old ones stopped); another
 * desired count starts or stops tasks; else nothing moves. Returns whether
 * its tasks changed.
 */
function upsertService(scenario: Scenario, stack: FakeStack, s: FakeStackResource, resources: readonly FakeStackResource[], at: string): boolean {
  const clusterName = lastPart(String(s.properties.Cluster ?? 'default'));
  const [, , , region, account] = stack.stackId.split(':');
  const cluster = ensureCluster(scenario, clusterName, `arn:aws:ecs:${region}:${account}:cluster/${clusterName}`);
  const name = String(s.attributes.Name);
  const taskDefinition = String(s.properties.TaskDefinition);
  const existing = cluster.services[name];
  const desired = desiredCountOf(s, resources, clusterName, existing?.desiredCount);
  const containers = containersOf(resources, taskDefinition);
  if (existing && existing.taskDefinition === taskDefinition) {
    Object.assign(existing, deploymentAlarmsOf(s));
    const running = cluster.tasks.filter((t) => t.group === `service:${name}` && t.desiredStatus === 'RUNNING');
    if (running.length === desired && existing.desiredCount === desired) return false;
    if (running.length > desired) stopTasks(cluster, (t) => running.slice(desired).includes(t), at, 'Scaling activity initiated by (deployment ' + existing.deployments[0]?.id + ')');
    const started = Array.from({ length: Math.max(0, desired - running.length) }, () => newTask(cluster, name, taskDefinition, containers, at, sizeOf(resources, taskDefinition)));
    cluster.tasks.push(...started);
    Object.assign(existing, { desiredCount: desired, runningCount: desired, pendingCount: 0 });
    for (const d of existing.deployments) if (d.status === 'PRIMARY') Object.assign(d, { desiredCount: desired, runningCount: desired, pendingCount: 0, updatedAt: at });
    existing.events.unshift(...serviceEvents(name, started, existing.deployments[0]?.id, at, false));
    return true;
  }
  const deploymentId = `ecs-svc/${token(`${s.physicalId}/${taskDefinition}/${at}`, 19, '0123456789')}`;
  if (existing) stopTasks(cluster, (t) => t.group === `service:${name}` && t.desiredStatus === 'RUNNING', at, `Scaling activity initiated by (deployment ${deploymentId})`);
  const started = Array.from({ length: desired }, () => newTask(cluster, name, taskDefinition, containers, at, sizeOf(resources, taskDefinition)));
  cluster.tasks.push(...started);
  const service: FakeService = {
    serviceName: name,
    serviceArn: s.physicalId,
    status: 'ACTIVE',
    desiredCount: desired,
    runningCount: desired,
    pendingCount: 0,
    taskDefinition,
    deployments: [
      {
        id: deploymentId,
        status: 'PRIMARY',
        taskDefinition,
        desiredCount: desired,
        runningCount: desired,
        pendingCount: 0,
        failedTasks: 0,
        rolloutState: 'COMPLETED',
        rolloutStateReason: `ECS deployment ${deploymentId} completed.`,
        createdAt: at,
        updatedAt: at,
      },
    ],
    events: [...serviceEvents(name, started, deploymentId, at, true), ...(existing?.events ?? [])],
    ...deploymentAlarmsOf(s),
    ...(existing?.serviceDeployments ? { serviceDeployments: existing.serviceDeployments } : {}),
  };
  cluster.services[name] = service;
  return true;
}

/** The service's deployment alarms, as DescribeServices returns them. */
function deploymentAlarmsOf(s: FakeStackResource): Pick<FakeService, 'deploymentConfiguration'> {
  const alarms = (s.properties.DeploymentConfiguration as { Alarms?: { AlarmNames?: unknown[]; Enable?: unknown; Rollback?: unknown } } | undefined)?.Alarms;
  if (!alarms) return {};
  const flag = (v: unknown) => v === true || v === 'true';
  return { deploymentConfiguration: { alarms: { alarmNames: (alarms.AlarmNames ?? []).map(String), enable: flag(alarms.Enable), rollback: flag(alarms.Rollback) } } };
}

/** ECS's service events for a deployment or scaling that finished, newest first. */
function serviceEvents(name: string, started: FakeTask[], deploymentId: string | undefined, at: string, deployment: boolean): FakeService['events'] {
  const event = (message: string, i: number) => ({ id: randomUUID(), createdAt: new Date(Date.parse(at) + i).toISOString(), message });
  const events = [];
  if (started.length > 0) events.push(event(`(service ${name}) has started ${started.length} tasks: ${started.map((t) => `(task ${lastPart(t.taskArn)})`).join(' ')}.`, 0));
  if (deployment && deploymentId) events.push(event(`(service ${name}) (deployment ${deploymentId}) deployment completed.`, 1));
  events.push(event(`(service ${name}) has reached a steady state.`, 2));
  return events.reverse();
}

/** The task definition's size (CPU units, memory MiB) as DescribeTasks gives it: strings. */
function sizeOf(resources: readonly FakeStackResource[], taskDefinitionArn: string): { cpu?: string; memory?: string } {
  const def = resources.find((r) => r.type === 'AWS::ECS::TaskDefinition' && r.physicalId === taskDefinitionArn);
  const cpu = def?.properties.Cpu;
  const memory = def?.properties.Memory;
  return { ...(cpu !== undefined ? { cpu: String(cpu) } : {}), ...(memory !== undefined ? { memory: String(memory) } : {}) };
}

/** The task definition's containers as a task runs them: name, the evaluated image, its digest. */
function containersOf(resources: readonly FakeStackResource[], taskDefinitionArn: string): FakeTask['containers'] {
  const def = resources.find((r) => r.type === 'AWS::ECS::TaskDefinition' && r.physicalId === taskDefinitionArn);
  const containers = Array.isArray(def?.properties.ContainerDefinitions) ? (def!.properties.ContainerDefinitions as { Name?: string; Image?: string }[]) : [];
  return containers.map((c) => ({ name: String(c.Name ?? 'app'), image: String(c.Image ?? ''), imageDigest: imageDigestOf(String(c.Image ?? '')), lastStatus: 'RUNNING' }));
}

function newTask(cluster: FakeCluster, serviceName: string, taskDefinitionArn: string, containers: FakeTask['containers'], at: string, size: { cpu?: string; memory?: string } = {}): FakeTask {
  const id = randomUUID().replace(/-/g, '');
  const ip = `10.0.${parseInt(id.slice(0, 2), 16) % 64}.${(parseInt(id.slice(2, 4), 16) % 250) + 4}`;
  const region = cluster.clusterArn.split(':')[3];
  return {
    // Fargate spreads a service's tasks over the subnets' zones; the VPC here has two.
    availabilityZone: `${region}${parseInt(id.slice(4, 6), 16) % 2 === 0 ? 'a' : 'b'}`,
    healthStatus: 'UNKNOWN',
    ...size,
    taskArn: `${cluster.clusterArn.replace(':cluster/', ':task/')}/${id}`,
    group: `service:${serviceName}`,
    lastStatus: 'RUNNING',
    desiredStatus: 'RUNNING',
    taskDefinitionArn,
    createdAt: at,
    startedAt: at,
    containers: containers.map((c) => ({ ...c, networkInterfaces: [{ attachmentId: randomUUID(), privateIpv4Address: ip }] })),
  };
}

function stopTasks(cluster: FakeCluster, which: (t: FakeTask) => boolean, at: string, reason: string): void {
  for (const t of cluster.tasks.filter(which)) {
    Object.assign(t, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stoppedAt: at, stoppedReason: reason, stopCode: 'ServiceSchedulerInitiated' });
    t.containers = t.containers.map((c) => ({ ...c, lastStatus: 'STOPPED', exitCode: 0 }));
  }
}

/** One healthy target per running task of the service, on the container port its load balancer names. */
function targetsOf(scenario: Scenario, s: FakeStackResource, targetGroupArn: string): Scenario['targetGroups'][string] {
  const cluster = scenario.clusters[lastPart(String(s.properties.Cluster ?? 'default'))];
  const name = String(s.attributes.Name);
  const lb = loadBalancersOf(s).find((l) => l.TargetGroupArn === targetGroupArn)!;
  return (cluster?.tasks ?? [])
    .filter((t) => t.group === `service:${name}` && t.lastStatus === 'RUNNING')
    .map((t) => ({ id: t.containers[0]?.networkInterfaces?.[0]?.privateIpv4Address ?? lastPart(t.taskArn), port: Number(lb.ContainerPort ?? 80), state: 'healthy' as const }));
}

function upsertStage(scenario: Scenario, props: Record<string, unknown>, at: string): void {
  const apiId = String(props.RestApiId);
  const stages = (scenario.restApis[apiId] ??= []);
  const name = String(props.StageName);
  const variables = props.Variables as Record<string, string> | undefined;
  const existing = stages.find((s) => s.stageName === name);
  if (!existing) {
    stages.push({ stageName: name, deploymentId: String(props.DeploymentId), createdDate: at, lastUpdatedDate: at, variables });
  } else if (existing.deploymentId !== String(props.DeploymentId) || JSON.stringify(existing.variables) !== JSON.stringify(variables)) {
    Object.assign(existing, { deploymentId: String(props.DeploymentId), lastUpdatedDate: at, variables });
  }
}
