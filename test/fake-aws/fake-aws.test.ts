import { describe, expect, it } from 'vitest';
import { APIGatewayClient, GetStagesCommand, NotFoundException } from '@aws-sdk/client-api-gateway';
import { CloudFormationClient, DescribeStackEventsCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchLogsClient, FilterLogEventsCommand, ResourceNotFoundException as LogGroupNotFound } from '@aws-sdk/client-cloudwatch-logs';
import { ClusterNotFoundException, DescribeServicesCommand, DescribeTasksCommand, ECSClient, ListTasksCommand } from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client, TargetGroupNotFoundException } from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { FAKE_ACCESS_KEY_ID } from './server.js';
import { crashTasks, digestOf, namesOf, removeService, standardScenario, startRollout } from './scenario.js';
import { useFakeAws } from '../helpers/fake-aws.js';

// The clients below get no endpoint in code: only the environment points them at the fake.
const { fake } = useFakeAws();

/** Real clients, default config; retries off unless a test wants them, so faults are seen as sent. */
const opts = (maxAttempts = 1) => ({ region: 'us-east-1', maxAttempts });

describe('the fake AWS endpoint, through the real SDK clients', () => {
  it('serves CloudFormation DescribeStacks (status, parameters, outputs) and DescribeStackEvents in Query/XML', async () => {
    const cfn = new CloudFormationClient(opts());
    const out = await cfn.send(new DescribeStacksCommand({ StackName: 'BenchlingWebhookStack' }));
    const stack = out.Stacks![0];
    expect(stack.StackStatus).toBe('UPDATE_COMPLETE');
    expect(stack.CreationTime).toBeInstanceOf(Date);
    expect(Object.fromEntries(stack.Parameters!.map((p) => [p.ParameterKey, p.ParameterValue]))).toMatchObject({ DevImageTag: 'latest', ProdImageTag: '0.7.0' });
    const outputs = Object.fromEntries(stack.Outputs!.map((o) => [o.OutputKey, o.OutputValue]));
    expect(Object.keys(outputs).sort()).toEqual(
      ['ApiId', 'ClusterName', 'DevEndpoint', 'DevLogGroupName', 'DevServiceName', 'DevTargetGroupArn', 'ProdEndpoint', 'ProdLogGroupName', 'ProdServiceName', 'ProdTargetGroupArn'].sort(),
    );
    const events = await cfn.send(new DescribeStackEventsCommand({ StackName: 'BenchlingWebhookStack' }));
    expect(events.StackEvents![0]).toMatchObject({ ResourceStatus: 'UPDATE_COMPLETE', ResourceType: 'AWS::CloudFormation::Stack' });
    expect(events.StackEvents![0].Timestamp).toBeInstanceOf(Date);
  });

  it('answers a missing stack with the ValidationError CloudFormation sends', async () => {
    const cfn = new CloudFormationClient(opts());
    const error = await cfn.send(new DescribeStacksCommand({ StackName: 'Nope' })).catch((e: unknown) => e as Error & { $metadata: { httpStatusCode: number } });
    expect(error).toMatchObject({ name: 'ValidationError', message: 'Stack with id Nope does not exist' });
    expect(error.$metadata.httpStatusCode).toBe(400);
  });

  it('serves ECS DescribeServices with deployments, counts, events and MISSING failures in JSON 1.1', async () => {
    const s = fake.scenario;
    const dev = namesOf(s, 'dev');
    const prod = namesOf(s, 'prod');
    startRollout(s, 'dev', '0.8.0', 1);
    const ecs = new ECSClient(opts());
    const out = await ecs.send(new DescribeServicesCommand({ cluster: dev.cluster, services: [dev.service, prod.service, 'gone'] }));
    expect(out.services!.map((x) => x.serviceName)).toEqual([dev.service, prod.service]);
    const devSvc = out.services![0];
    expect(devSvc.deployments!.map((d) => [d.status, d.rolloutState])).toEqual([['PRIMARY', 'IN_PROGRESS'], ['ACTIVE', 'COMPLETED']]);
    expect(devSvc.deployments![0].createdAt).toBeInstanceOf(Date);
    expect(devSvc.events![0].message).toMatch(/has started 1 tasks/);
    expect(out.services![1]).toMatchObject({ runningCount: 2, desiredCount: 2, pendingCount: 0 });
    expect(out.failures).toEqual([expect.objectContaining({ reason: 'MISSING', arn: expect.stringContaining('/gone') })]);
    await expect(ecs.send(new DescribeServicesCommand({ cluster: 'nope', services: ['x'] }))).rejects.toBeInstanceOf(ClusterNotFoundException);
  });

  it('serves ListTasks and DescribeTasks with stop reasons and image digests', async () => {
    const s = fake.scenario;
    const dev = namesOf(s, 'dev');
    crashTasks(s, 'dev', { running: 0, reason: 'Essential container in task exited', exitCode: 3, containerReason: 'OutOfMemoryError' });
    const ecs = new ECSClient(opts());
    const stopped = await ecs.send(new ListTasksCommand({ cluster: dev.cluster, serviceName: dev.service, desiredStatus: 'STOPPED' }));
    expect(stopped.taskArns!.length).toBe(3);
    const described = await ecs.send(new DescribeTasksCommand({ cluster: dev.cluster, tasks: stopped.taskArns! }));
    const crashed = described.tasks!.filter((t) => t.stoppedReason);
    expect(crashed).toHaveLength(3);
    expect(crashed[0].containers![0]).toMatchObject({ exitCode: 3, reason: 'OutOfMemoryError' });
    expect(crashed[0].stoppedAt).toBeInstanceOf(Date);
    const prod = namesOf(s, 'prod');
    const running = await ecs.send(new ListTasksCommand({ cluster: prod.cluster, serviceName: prod.service }));
    const tasks = await ecs.send(new DescribeTasksCommand({ cluster: prod.cluster, tasks: running.taskArns! }));
    expect(tasks.tasks!.map((t) => t.containers![0].imageDigest)).toEqual([digestOf('0.7.0'), digestOf('0.7.0')]);
  });

  it('serves ELBv2 DescribeTargetHealth in Query/XML, and its not-found error', async () => {
    const s = fake.scenario;
    crashTasks(s, 'prod', { running: 1, reason: 'x' });
    const elb = new ElasticLoadBalancingV2Client(opts());
    const out = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: namesOf(s, 'prod').targetGroupArn }));
    expect(out.TargetHealthDescriptions!.map((t) => t.TargetHealth!.State)).toEqual(['healthy', 'unhealthy']);
    expect(out.TargetHealthDescriptions![1].TargetHealth!.Reason).toBe('Target.FailedHealthChecks');
    expect(out.TargetHealthDescriptions![0].Target).toMatchObject({ Port: 5000 });
    await expect(elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/x/1' }))).rejects.toBeInstanceOf(
      TargetGroupNotFoundException,
    );
  });

  it('serves API Gateway GetStages in REST JSON, and its 404', async () => {
    const apigw = new APIGatewayClient(opts());
    const out = await apigw.send(new GetStagesCommand({ restApiId: namesOf(fake.scenario, 'dev').apiId }));
    expect(out.item!.map((x) => x.stageName)).toEqual(['dev', 'prod']);
    expect(out.item![0].lastUpdatedDate).toBeInstanceOf(Date);
    const error = await apigw.send(new GetStagesCommand({ restApiId: 'nope' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundException);
    expect((error as NotFoundException).$metadata.httpStatusCode).toBe(404);
  });

  it('serves STS GetCallerIdentity', async () => {
    const out = await new STSClient(opts()).send(new GetCallerIdentityCommand({}));
    expect(out).toMatchObject({ Account: '123456789012', Arn: expect.stringContaining('assumed-role') });
  });

  it('serves Secrets Manager DescribeSecret, CreateSecret, GetSecretValue, PutSecretValue, and never logs a value', async () => {
    const sm = new SecretsManagerClient(opts());
    const name = 'quiltdata/benchling-webhook/staging/acme';
    await expect(sm.send(new DescribeSecretCommand({ SecretId: name }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    const created = await sm.send(new CreateSecretCommand({ Name: name, SecretString: '{"client_secret":"s3cr3t-value"}' }));
    expect(created.ARN).toContain(`secret:${name}-`);
    await expect(sm.send(new CreateSecretCommand({ Name: name, SecretString: 'x' }))).rejects.toBeInstanceOf(ResourceExistsException);
    const described = await sm.send(new DescribeSecretCommand({ SecretId: created.ARN }));
    expect(described).toMatchObject({ Name: name });
    expect(described.LastChangedDate).toBeInstanceOf(Date);
    await sm.send(new PutSecretValueCommand({ SecretId: name, SecretString: '{"client_secret":"rotated-value"}' }));
    const value = await sm.send(new GetSecretValueCommand({ SecretId: name }));
    expect(JSON.parse(value.SecretString!)).toEqual({ client_secret: 'rotated-value' });
    expect(JSON.stringify(fake.calls.all)).not.toMatch(/s3cr3t-value|rotated-value/);
    expect(fake.calls.matching('CreateSecret')[0].input).toMatchObject({ Name: name, SecretString: '<redacted>' });
  });

  it('serves CloudWatch Logs FilterLogEvents with time window, term filters and paging', async () => {
    const logGroup = namesOf(fake.scenario, 'dev').logGroup;
    const t0 = Date.parse('2025-01-01T00:00:00Z');
    fake.scenario.logGroups[logGroup] = [
      { logStreamName: 'a', timestamp: t0, message: 'INFO started' },
      { logStreamName: 'a', timestamp: t0 + 1000, message: 'ERROR boom: "quoted"' },
      { logStreamName: 'b', timestamp: t0 + 2000, message: 'WARNING slow' },
      { logStreamName: 'b', timestamp: t0 + 3000, message: 'ERROR again' },
    ];
    const cwl = new CloudWatchLogsClient(opts());
    const all = await cwl.send(new FilterLogEventsCommand({ logGroupName: logGroup, startTime: t0 + 500 }));
    expect(all.events!.map((e) => e.message)).toEqual(['ERROR boom: "quoted"', 'WARNING slow', 'ERROR again']);
    const errors = await cwl.send(new FilterLogEventsCommand({ logGroupName: logGroup, filterPattern: 'ERROR -again' }));
    expect(errors.events!.map((e) => e.message)).toEqual(['ERROR boom: "quoted"']);
    const anyOf = await cwl.send(new FilterLogEventsCommand({ logGroupName: logGroup, filterPattern: '?WARNING ?started' }));
    expect(anyOf.events!.map((e) => e.message)).toEqual(['INFO started', 'WARNING slow']);
    const page1 = await cwl.send(new FilterLogEventsCommand({ logGroupName: logGroup, limit: 3 }));
    expect(page1.events).toHaveLength(3);
    const page2 = await cwl.send(new FilterLogEventsCommand({ logGroupName: logGroup, limit: 3, nextToken: page1.nextToken }));
    expect(page2.events!.map((e) => e.message)).toEqual(['ERROR again']);
    expect(page2.nextToken).toBeUndefined();
    await expect(cwl.send(new FilterLogEventsCommand({ logGroupName: '/nope' }))).rejects.toBeInstanceOf(LogGroupNotFound);
  });

  it('reads the scenario afresh on every call', async () => {
    const ecs = new ECSClient(opts());
    const dev = namesOf(fake.scenario, 'dev');
    const before = await ecs.send(new DescribeServicesCommand({ cluster: dev.cluster, services: [dev.service] }));
    expect(before.services).toHaveLength(1);
    removeService(fake.scenario, 'dev');
    const after = await ecs.send(new DescribeServicesCommand({ cluster: dev.cluster, services: [dev.service] }));
    expect(after.services).toEqual([]);
    expect(after.failures![0].reason).toBe('MISSING');
  });
});

describe('faults', () => {
  it('throttles in each protocol with the error the SDK classifies as throttling', async () => {
    fake.inject({ kind: 'throttle' });
    const dev = namesOf(fake.scenario, 'dev');
    const attempts: [string, () => Promise<unknown>][] = [
      ['ThrottlingException', () => new ECSClient(opts()).send(new DescribeServicesCommand({ cluster: dev.cluster, services: [dev.service] }))],
      ['Throttling', () => new CloudFormationClient(opts()).send(new DescribeStacksCommand({ StackName: dev.stackName }))],
      ['Throttling', () => new ElasticLoadBalancingV2Client(opts()).send(new DescribeTargetHealthCommand({ TargetGroupArn: dev.targetGroupArn }))],
      ['TooManyRequestsException', () => new APIGatewayClient(opts()).send(new GetStagesCommand({ restApiId: dev.apiId }))],
    ];
    for (const [name, call] of attempts) {
      const error = (await call().catch((e: unknown) => e)) as Error & { $metadata: { httpStatusCode: number }; $retryable?: { throttling?: boolean } };
      expect(error.name).toBe(name);
      expect(error.$metadata.httpStatusCode === 429 || error.$retryable?.throttling === true || ['Throttling', 'ThrottlingException'].includes(error.name)).toBe(true);
    }
    expect(fake.calls.count()).toBe(4);
    expect(fake.calls.all.every((c) => c.fault === 'throttle')).toBe(true);
  });

  it('hits only the named operation, N times, then the service answers again (and the SDK retries through it)', async () => {
    const dev = namesOf(fake.scenario, 'dev');
    const fault = fake.inject({ kind: 'throttle', service: 'ecs', operation: 'DescribeServices', times: 2 });
    const ecs = new ECSClient({ region: 'us-east-1', maxAttempts: 3, retryMode: 'standard' });
    const out = await ecs.send(new DescribeServicesCommand({ cluster: dev.cluster, services: [dev.service] }));
    expect(out.services).toHaveLength(1);
    expect(fault.hits).toBe(2);
    expect(fake.calls.count('DescribeServices')).toBe(3);
    await new STSClient(opts()).send(new GetCallerIdentityCommand({}));
    expect(fake.calls.byOperation()).toEqual({ 'ecs:DescribeServices': 3, 'sts:GetCallerIdentity': 1 });
  });

  it('answers 500 InternalFailure for server-error', async () => {
    fake.inject({ kind: 'server-error', operation: 'GetCallerIdentity', times: 1 });
    const error = (await new STSClient(opts()).send(new GetCallerIdentityCommand({})).catch((e: unknown) => e)) as Error & { $fault: string; $metadata: { httpStatusCode: number } };
    expect(error).toMatchObject({ name: 'InternalFailure', $fault: 'server' });
    expect(error.$metadata.httpStatusCode).toBe(500);
    await expect(new STSClient(opts()).send(new GetCallerIdentityCommand({}))).resolves.toMatchObject({ Account: '123456789012' });
  });

  it('answers expired credentials as each protocol does: ExpiredTokenException (JSON) and ExpiredToken (Query)', async () => {
    fake.inject({ kind: 'expired-credentials' });
    const dev = namesOf(fake.scenario, 'dev');
    await expect(new ECSClient(opts()).send(new DescribeServicesCommand({ cluster: dev.cluster, services: [dev.service] }))).rejects.toMatchObject({
      name: 'ExpiredTokenException',
      message: 'The security token included in the request is expired',
    });
    await expect(new STSClient(opts()).send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({ name: 'ExpiredToken' });
  });

  it('sends a truncated body for malformed, which the SDK cannot parse', async () => {
    fake.inject({ kind: 'malformed', times: 2 });
    const dev = namesOf(fake.scenario, 'dev');
    await expect(new ECSClient(opts()).send(new DescribeServicesCommand({ cluster: dev.cluster, services: [dev.service] }))).rejects.toThrow();
    await expect(new CloudFormationClient(opts()).send(new DescribeStacksCommand({ StackName: dev.stackName }))).rejects.toThrow();
  });

  it('delays a slow reply (a client timeout shorter than the delay fails; the next call is normal)', async () => {
    fake.inject({ kind: 'slow', operation: 'GetCallerIdentity', delayMs: 1500, times: 1 });
    const sts = new STSClient({ ...opts(), requestHandler: { requestTimeout: 100, throwOnRequestTimeout: true } });
    await expect(sts.send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({ name: 'TimeoutError' });
    await expect(sts.send(new GetCallerIdentityCommand({}))).resolves.toMatchObject({ Account: '123456789012' });
  });

  it('records region, access key and the most requests open at once', async () => {
    fake.inject({ kind: 'slow', operation: 'GetCallerIdentity', delayMs: 200 });
    const sts = new STSClient({ region: 'eu-west-1', maxAttempts: 1 });
    await Promise.all([sts.send(new GetCallerIdentityCommand({})), sts.send(new GetCallerIdentityCommand({})), sts.send(new GetCallerIdentityCommand({}))]);
    expect(fake.calls.maxInFlight).toBe(3);
    expect(fake.calls.all[0]).toMatchObject({ service: 'sts', operation: 'GetCallerIdentity', region: 'eu-west-1', accessKeyId: FAKE_ACCESS_KEY_ID, status: 200, fault: 'slow' });
  });

  it('is driven over HTTP by the control API (for a fake in another process)', async () => {
    const post = await fetch(`${fake.url}/__fake/faults`, { method: 'POST', body: JSON.stringify({ kind: 'throttle', operation: 'GetCallerIdentity', times: 1 }) });
    expect(post.status).toBe(201);
    await expect(new STSClient(opts()).send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({ name: 'Throttling' });
    const scenario = (await (await fetch(`${fake.url}/__fake/scenario`)).json()) as ReturnType<typeof standardScenario>;
    scenario.identity.account = '210987654321';
    await fetch(`${fake.url}/__fake/scenario`, { method: 'PUT', body: JSON.stringify(scenario) });
    await expect(new STSClient(opts()).send(new GetCallerIdentityCommand({}))).resolves.toMatchObject({ Account: '210987654321' });
    const calls = (await (await fetch(`${fake.url}/__fake/calls`)).json()) as { byOperation: Record<string, number> };
    expect(calls.byOperation).toEqual({ 'sts:GetCallerIdentity': 2 });
    await fetch(`${fake.url}/__fake/calls`, { method: 'DELETE' });
    expect(fake.calls.count()).toBe(0);
  });

  it('refuses unsigned requests and unknown operations in the protocol\'s own error shape', async () => {
    const unsigned = await fetch(fake.url, { method: 'POST', body: 'Action=GetCallerIdentity' });
    expect(unsigned.status).toBe(403);
    fake.scenario.stacks = {};
    const cfn = new CloudFormationClient(opts());
    await expect(cfn.send(new DescribeStacksCommand({ StackName: 'BenchlingWebhookStack' }))).rejects.toMatchObject({ name: 'ValidationError' });
  });
});
