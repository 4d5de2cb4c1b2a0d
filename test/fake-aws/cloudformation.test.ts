import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { APIGatewayClient, GetStagesCommand, NotFoundException } from '@aws-sdk/client-api-gateway';
import {
  CloudFormationClient,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  GetTemplateCommand,
  ListChangeSetsCommand,
  type Change,
  type DescribeChangeSetCommandOutput,
  type Parameter,
  type StackEvent,
} from '@aws-sdk/client-cloudformation';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { ClusterNotFoundException, DescribeServicesCommand, DescribeTasksCommand, ECSClient, ListTasksCommand } from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client, TargetGroupNotFoundException } from '@aws-sdk/client-elastic-load-balancing-v2';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { digestOf, type Scenario } from './scenario.js';
import { bootstrapAccount, deployStack, emptyScenario, NO_CHANGES_REASON, putObject, TEMPLATE_BODY_MAX_BYTES } from './stacks.js';
import { synthProjectStack, type ProjectStack } from './project-stack.js';
import { useFakeAws } from '../helpers/fake-aws.js';

const STACK = 'BenchlingWebhookStack';
const CAPABILITIES = ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'] as const;

// The clients get no endpoint in code: only the environment points them at the fake.
const { fake } = useFakeAws({ scenario: emptyScenario });
let project: ProjectStack;
let prodOnly: ProjectStack;

beforeAll(async () => {
  [project, prodOnly] = await Promise.all([synthProjectStack(), synthProjectStack({ dev: false })]);
});

const opts = { region: 'us-east-1', maxAttempts: 1 };
const cfn = () => new CloudFormationClient(opts);
const ecs = () => new ECSClient(opts);

/** The template as the aws-cdk CLI sends it: YAML 1.1, no line wrapping. */
const asCdkSendsIt = (template: Record<string, unknown>): string => stringifyYaml(template, { schema: 'yaml-1.1', lineWidth: 0 });

/** The one logical id of `type` starting with `prefix` (`Dev`, `Prod`, `Shared`). */
function idOf(template: Record<string, any>, type: string, prefix: string): string {
  const ids = Object.entries(template.Resources as Record<string, { Type: string }>)
    .filter(([id, r]) => r.Type === type && id.startsWith(prefix))
    .map(([id]) => id);
  if (ids.length !== 1) throw new Error(`expected one ${type} ${prefix}*, found ${ids.join(', ')}`);
  return ids[0];
}

/** `values` given, every other declared parameter with UsePreviousValue (what `cdk deploy` sends for an existing stack). */
function keepingOthers(template: Record<string, any>, values: Record<string, string>): Parameter[] {
  return Object.keys(template.Parameters).map((k) => (k in values ? { ParameterKey: k, ParameterValue: values[k] } : { ParameterKey: k, UsePreviousValue: true }));
}

/**
 * A template object as cdk passes it: inline up to the TemplateBody limit; above
 * it (dev and prod together), from the staging bucket by TemplateURL, as cdk
 * publishes the project's template asset (its JSON file, under its hash).
 */
function templateParameter(template: Record<string, any> | string): { TemplateBody?: string; TemplateURL?: string } {
  // A string is sent as given, whatever its size (the limit's own test).
  if (typeof template === 'string') return { TemplateBody: template };
  const body = asCdkSendsIt(template);
  if (Buffer.byteLength(body) <= TEMPLATE_BODY_MAX_BYTES) return { TemplateBody: body };
  const bucket = 'cdk-hnb659fds-assets-123456789012-us-east-1';
  fake.scenario.s3 ??= {};
  fake.scenario.s3[bucket] ??= { region: 'us-east-1', creationDate: new Date().toISOString(), objects: {} };
  const file = JSON.stringify(template, null, 1);
  const key = `${createHash('sha256').update(file).digest('hex')}.json`;
  putObject(fake.scenario, bucket, key, file, { contentType: 'application/json' });
  return { TemplateURL: `${fake.url}/${bucket}/${key}` };
}

async function createChangeSet(input: { template: Record<string, any> | string; parameters?: Parameter[]; type?: 'CREATE' | 'UPDATE'; name?: string; stackName?: string }) {
  return cfn().send(
    new CreateChangeSetCommand({
      StackName: input.stackName ?? STACK,
      ChangeSetName: input.name ?? 'cs1',
      ChangeSetType: input.type ?? 'UPDATE',
      ...templateParameter(input.template),
      Parameters: input.parameters,
      Capabilities: [...CAPABILITIES],
    }),
  );
}

/** Describes the change set until it stops being created. */
async function settled(changeSetId: string, includePropertyValues = false): Promise<DescribeChangeSetCommandOutput> {
  for (const end = Date.now() + 10_000; Date.now() < end; await sleep(20)) {
    const out = await cfn().send(new DescribeChangeSetCommand({ ChangeSetName: changeSetId, IncludePropertyValues: includePropertyValues }));
    if (out.Status !== 'CREATE_PENDING' && out.Status !== 'CREATE_IN_PROGRESS') return out;
  }
  throw new Error('change set still being created after 10 s');
}

/** DescribeStacks until the stack's status is no longer *_IN_PROGRESS (REVIEW_IN_PROGRESS is stable). */
async function stackSettled(nameOrId = STACK) {
  for (const end = Date.now() + 10_000; Date.now() < end; await sleep(20)) {
    const stack = (await cfn().send(new DescribeStacksCommand({ StackName: nameOrId }))).Stacks![0];
    if (!stack.StackStatus!.endsWith('_IN_PROGRESS') || stack.StackStatus === 'REVIEW_IN_PROGRESS') return stack;
  }
  throw new Error(`stack ${nameOrId} still in progress after 10 s`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const outputsOf = (stack: { Outputs?: { OutputKey?: string; OutputValue?: string }[] }) => Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey!, o.OutputValue!]));
const changeOf = (out: { Changes?: Change[] }, logicalId: string) => out.Changes!.find((c) => c.ResourceChange!.LogicalResourceId === logicalId)?.ResourceChange;

async function allEvents(stackName = STACK): Promise<StackEvent[]> {
  const events: StackEvent[] = [];
  let token: string | undefined;
  do {
    const page = await cfn().send(new DescribeStackEventsCommand({ StackName: stackName, NextToken: token }));
    events.push(...page.StackEvents!);
    token = page.NextToken;
  } while (token);
  return events;
}

/** The running tasks of a service: image and digest of each. */
async function runningImages(cluster: string, service: string): Promise<{ image: string; digest: string }[]> {
  const arns = (await ecs().send(new ListTasksCommand({ cluster, serviceName: service }))).taskArns!;
  if (arns.length === 0) return [];
  const tasks = (await ecs().send(new DescribeTasksCommand({ cluster, tasks: arns }))).tasks!;
  return tasks.map((t) => ({ image: t.containers![0].image!, digest: t.containers![0].imageDigest! }));
}

/** The part of the fake world a stack derives, as JSON: what "left as it was" compares. */
const worldOf = (s: Scenario) => JSON.stringify({ clusters: s.clusters, targetGroups: s.targetGroups, restApis: s.restApis, logGroups: s.logGroups });

describe('CloudFormation change sets, as the aws-cdk CLI uses them', () => {
  it('creates a stack: CREATE makes it REVIEW_IN_PROGRESS with an empty template, every resource is Add, and executing it builds the stack and its world', async () => {
    const created = await createChangeSet({ template: project.template, type: 'CREATE' });
    expect(created.Id).toMatch(/^arn:aws:cloudformation:us-east-1:123456789012:changeSet\/cs1\/[0-9a-f-]{36}$/);
    const review = (await cfn().send(new DescribeStacksCommand({ StackName: STACK }))).Stacks![0];
    expect(review.StackStatus).toBe('REVIEW_IN_PROGRESS');
    expect((await cfn().send(new GetTemplateCommand({ StackName: STACK }))).TemplateBody ?? '').toBe('');

    const cs = await settled(created.Id!);
    expect(cs).toMatchObject({ Status: 'CREATE_COMPLETE', ExecutionStatus: 'AVAILABLE' });
    expect(cs.Changes!.map((c) => c.ResourceChange!.Action)).toEqual(Object.keys(project.template.Resources).map(() => 'Add'));
    expect(new Set(cs.Changes!.map((c) => c.ResourceChange!.LogicalResourceId))).toEqual(new Set(Object.keys(project.template.Resources)));

    await cfn().send(new ExecuteChangeSetCommand({ ChangeSetName: created.Id! }));
    const stack = await stackSettled();
    expect(stack.StackStatus).toBe('CREATE_COMPLETE');
    const out = outputsOf(stack);
    expect(out.ApiId).toMatch(/^[a-z0-9]{10}$/);
    expect(out.DevEndpoint).toBe(`https://${out.ApiId}.execute-api.us-east-1.amazonaws.com/dev`);
    expect(out.ProdServiceName).toMatch(/^BenchlingWebhookStack-ProdServiceE0D8C4FE-[A-Za-z0-9]{12}$/);
    expect(out.DevTargetGroupArn).toMatch(/^arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{16}$/);
    expect(Object.fromEntries(stack.Parameters!.map((p) => [p.ParameterKey, p.ParameterValue]))).toMatchObject({ ProdImageTag: '0.7.0', DevImageTag: 'latest', ProdMinCapacity: '2' });

    // The world: each service runs the image its parameters name, as many tasks as the scalable target's minimum.
    const services = (await ecs().send(new DescribeServicesCommand({ cluster: out.ClusterName, services: [out.DevServiceName, out.ProdServiceName] }))).services!;
    expect(services.map((s) => [s.desiredCount, s.runningCount, s.deployments!.map((d) => d.rolloutState)])).toEqual([
      [1, 1, ['COMPLETED']],
      [2, 2, ['COMPLETED']],
    ]);
    expect(await runningImages(out.ClusterName, out.ProdServiceName)).toEqual([
      { image: '712023778557.dkr.ecr.us-east-1.amazonaws.com/quiltdata/benchling:0.7.0', digest: digestOf('0.7.0') },
      { image: '712023778557.dkr.ecr.us-east-1.amazonaws.com/quiltdata/benchling:0.7.0', digest: digestOf('0.7.0') },
    ]);
    expect(await runningImages(out.ClusterName, out.DevServiceName)).toEqual([{ image: '712023778557.dkr.ecr.us-east-1.amazonaws.com/quiltdata/benchling:latest', digest: digestOf('latest') }]);
    const targets = await new ElasticLoadBalancingV2Client(opts).send(new DescribeTargetHealthCommand({ TargetGroupArn: out.ProdTargetGroupArn }));
    expect(targets.TargetHealthDescriptions!.map((t) => [t.TargetHealth!.State, t.Target!.Port])).toEqual([
      ['healthy', 5000],
      ['healthy', 5000],
    ]);
    expect((await new APIGatewayClient(opts).send(new GetStagesCommand({ restApiId: out.ApiId }))).item!.map((s) => s.stageName).sort()).toEqual(['dev', 'prod']);
    await expect(new CloudWatchLogsClient(opts).send(new FilterLogEventsCommand({ logGroupName: out.DevLogGroupName }))).resolves.toMatchObject({ events: [] });

    // Events: newest first, one timestamp each, every resource's start and end, the stack's own around them.
    const events = await allEvents();
    const times = events.map((e) => e.Timestamp!.getTime());
    expect(times.every((t, i) => i === 0 || t < times[i - 1])).toBe(true);
    const own = events.filter((e) => e.ResourceType === 'AWS::CloudFormation::Stack').map((e) => e.ResourceStatus);
    expect(own).toEqual(['CREATE_COMPLETE', 'CREATE_IN_PROGRESS', 'REVIEW_IN_PROGRESS']);
    expect(events[0]).toMatchObject({ ResourceStatus: 'CREATE_COMPLETE', PhysicalResourceId: stack.StackId, LogicalResourceId: STACK });
    for (const id of Object.keys(project.template.Resources)) {
      expect(events.filter((e) => e.LogicalResourceId === id).map((e) => e.ResourceStatus)).toEqual(['CREATE_COMPLETE', 'CREATE_IN_PROGRESS', 'CREATE_IN_PROGRESS']);
    }
    // GetTemplate answers the template as it was sent (YAML here).
    expect(parseYaml((await cfn().send(new GetTemplateCommand({ StackName: STACK }))).TemplateBody!, { schema: 'yaml-1.1' })).toEqual(project.template);
  });

  it('takes UsePreviousValue as the stack value and a parameter not sent as the template default: the resources using it change (the bug a caller that forgets UsePreviousValue has)', async () => {
    deployStack(fake.scenario, { stackName: STACK, template: project.template, parameters: { ProdImageTag: '0.8.0' } });
    const devTask = idOf(project.template, 'AWS::ECS::TaskDefinition', 'Dev');
    const devService = idOf(project.template, 'AWS::ECS::Service', 'Dev');
    const prodTask = idOf(project.template, 'AWS::ECS::TaskDefinition', 'Prod');

    const keeping = await settled((await createChangeSet({ template: project.template, parameters: keepingOthers(project.template, { DevImageTag: '0.0.2' }) })).Id!);
    expect(keeping.Status).toBe('CREATE_COMPLETE');
    expect(keeping.Changes!.map((c) => c.ResourceChange!.LogicalResourceId).filter((id) => !id!.startsWith('Dev'))).toEqual([]);
    expect(changeOf(keeping, devTask)).toMatchObject({
      Action: 'Modify',
      Replacement: 'True',
      Scope: ['Properties'],
      Details: [{ Target: { Attribute: 'Properties', Name: 'ContainerDefinitions', RequiresRecreation: 'Always' }, Evaluation: 'Static', ChangeSource: 'ParameterReference', CausingEntity: 'DevImageTag' }],
    });
    // The service refers to the task definition being replaced: its new value is not known until it runs.
    expect(changeOf(keeping, devService)).toMatchObject({
      Action: 'Modify',
      Replacement: 'False',
      Details: [{ Target: { Name: 'TaskDefinition', RequiresRecreation: 'Never' }, Evaluation: 'Dynamic', ChangeSource: 'ResourceReference', CausingEntity: devTask }],
    });
    // A property that requires replacement, fed by an attribute of a resource being updated: maybe replaced.
    expect(changeOf(keeping, idOf(project.template, 'AWS::ApplicationAutoScaling::ScalableTarget', 'Dev'))).toMatchObject({
      Replacement: 'Conditional',
      Details: [{ Target: { Name: 'ResourceId', RequiresRecreation: 'Always' }, Evaluation: 'Dynamic', ChangeSource: 'ResourceAttribute', CausingEntity: `${devService}.Name` }],
    });
    await cfn().send(new DeleteChangeSetCommand({ StackName: STACK, ChangeSetName: 'cs1' }));

    const forgetting = await settled((await createChangeSet({ template: project.template, parameters: [{ ParameterKey: 'DevImageTag', ParameterValue: '0.0.2' }], name: 'cs2' })).Id!, true);
    const reset = changeOf(forgetting, prodTask)!;
    expect(reset.Details).toEqual([expect.objectContaining({ Evaluation: 'Static', ChangeSource: 'ParameterReference', CausingEntity: 'ProdImageTag' })]);
    const image = (context: string | undefined) => JSON.parse(context!).Properties.ContainerDefinitions[0].Image as string;
    expect([image(reset.BeforeContext), image(reset.AfterContext)]).toEqual(['712023778557.dkr.ecr.us-east-1.amazonaws.com/quiltdata/benchling:0.8.0', '712023778557.dkr.ecr.us-east-1.amazonaws.com/quiltdata/benchling:0.7.0']);
    expect(JSON.parse(changeOf(forgetting, devService)!.AfterContext!).Properties.TaskDefinition).toBe('{{changeSet:KNOWN_AFTER_APPLY}}');

    await cfn().send(new ExecuteChangeSetCommand({ StackName: STACK, ChangeSetName: 'cs2' }));
    const stack = await stackSettled();
    expect(stack.StackStatus).toBe('UPDATE_COMPLETE');
    const out = outputsOf(stack);
    expect((await runningImages(out.ClusterName, out.ProdServiceName)).map((t) => t.digest)).toEqual([digestOf('0.7.0'), digestOf('0.7.0')]);
  });

  it('answers a change set that changes nothing FAILED with the reason cdk looks for, and one that changes a parameter CREATE_COMPLETE', async () => {
    deployStack(fake.scenario, { stackName: STACK, template: project.template });
    const same = await settled((await createChangeSet({ template: project.template, parameters: keepingOthers(project.template, {}) })).Id!);
    expect(same).toMatchObject({ Status: 'FAILED', StatusReason: NO_CHANGES_REASON, ExecutionStatus: 'UNAVAILABLE', Changes: [] });
    expect(NO_CHANGES_REASON).toBe("The submitted information didn't contain changes. Submit different information to create a change set.");
    await expect(cfn().send(new ExecuteChangeSetCommand({ StackName: STACK, ChangeSetName: 'cs1' }))).rejects.toMatchObject({ name: 'InvalidChangeSetStatusException' });

    const logLevel = await settled((await createChangeSet({ template: project.template, parameters: keepingOthers(project.template, { DevLogLevel: 'ERROR' }), name: 'cs2' })).Id!);
    expect(logLevel.Status).toBe('CREATE_COMPLETE');
    // Any change to a task definition is a new one (a new revision).
    expect(changeOf(logLevel, idOf(project.template, 'AWS::ECS::TaskDefinition', 'Dev'))).toMatchObject({ Replacement: 'True', Details: [expect.objectContaining({ CausingEntity: 'DevLogLevel' })] });
    const listed = await cfn().send(new ListChangeSetsCommand({ StackName: STACK }));
    expect(listed.Summaries!.map((s) => [s.ChangeSetName, s.Status])).toEqual([
      ['cs1', 'FAILED'],
      ['cs2', 'CREATE_COMPLETE'],
    ]);
  });

  it('rolls a changed task definition out on its service only; ids stay unless the resource is replaced', async () => {
    deployStack(fake.scenario, { stackName: STACK, template: project.template });
    const before = outputsOf((await cfn().send(new DescribeStacksCommand({ StackName: STACK }))).Stacks![0]);
    const [devBefore, prodBefore] = (await ecs().send(new DescribeServicesCommand({ cluster: before.ClusterName, services: [before.DevServiceName, before.ProdServiceName] }))).services!;
    const prodTasksBefore = (await ecs().send(new ListTasksCommand({ cluster: before.ClusterName, serviceName: before.ProdServiceName }))).taskArns;

    await cfn().send(new ExecuteChangeSetCommand({ ChangeSetName: (await createChangeSet({ template: project.template, parameters: keepingOthers(project.template, { DevImageTag: `sha256:${'ab'.repeat(32)}` }) })).Id! }));
    const stack = await stackSettled();
    expect(stack.StackStatus).toBe('UPDATE_COMPLETE');
    const after = outputsOf(stack);
    expect(after).toEqual(before);
    const [dev, prod] = (await ecs().send(new DescribeServicesCommand({ cluster: after.ClusterName, services: [after.DevServiceName, after.ProdServiceName] }))).services!;
    expect(dev.taskDefinition).toBe(devBefore.taskDefinition!.replace(/:1$/, ':2'));
    expect(dev.deployments!.map((d) => [d.status, d.rolloutState])).toEqual([['PRIMARY', 'COMPLETED']]);
    expect(dev.deployments![0].id).not.toBe(devBefore.deployments![0].id);
    // A pinned digest is the digest the task reports.
    expect(await runningImages(after.ClusterName, after.DevServiceName)).toEqual([{ image: `712023778557.dkr.ecr.us-east-1.amazonaws.com/quiltdata/benchling@sha256:${'ab'.repeat(32)}`, digest: `sha256:${'ab'.repeat(32)}` }]);
    const stopped = await ecs().send(new ListTasksCommand({ cluster: after.ClusterName, serviceName: after.DevServiceName, desiredStatus: 'STOPPED' }));
    expect(stopped.taskArns).toHaveLength(1);
    expect(prod).toEqual(prodBefore);
    expect((await ecs().send(new ListTasksCommand({ cluster: after.ClusterName, serviceName: after.ProdServiceName }))).taskArns).toEqual(prodTasksBefore);
    // Only what changed has events in this update.
    const events = await allEvents();
    const update = events.slice(0, events.findIndex((e) => e.ResourceStatus === 'UPDATE_IN_PROGRESS' && e.ResourceType === 'AWS::CloudFormation::Stack') + 1);
    expect(new Set(update.map((e) => e.LogicalResourceId))).toEqual(new Set([STACK, idOf(project.template, 'AWS::ECS::TaskDefinition', 'Dev'), idOf(project.template, 'AWS::ECS::Service', 'Dev')]));
  });

  it('replaces a resource only for a property its type cannot update in place: new physical id for a target group port, same REST API id for a new name', async () => {
    deployStack(fake.scenario, { stackName: STACK, template: project.template });
    const before = outputsOf((await cfn().send(new DescribeStacksCommand({ StackName: STACK }))).Stacks![0]);
    const api = idOf(project.template, 'AWS::ApiGateway::RestApi', 'Shared');
    const targetGroup = idOf(project.template, 'AWS::ElasticLoadBalancingV2::TargetGroup', 'Dev');
    const edited = structuredClone(project.template);
    edited.Resources[api].Properties.Name = 'Renamed';
    edited.Resources[targetGroup].Properties.Port = 5001;
    const cs = await settled((await createChangeSet({ template: edited, parameters: keepingOthers(edited, {}) })).Id!);
    expect(changeOf(cs, api)).toMatchObject({ Replacement: 'False', Details: [{ Target: { Name: 'Name', RequiresRecreation: 'Never' }, ChangeSource: 'DirectModification', Evaluation: 'Static' }] });
    expect(changeOf(cs, targetGroup)).toMatchObject({ Replacement: 'True', Details: [{ Target: { Name: 'Port', RequiresRecreation: 'Always' }, ChangeSource: 'DirectModification' }] });
    // The listener and the service refer to the replaced target group: they change too, dynamically.
    expect(changeOf(cs, idOf(project.template, 'AWS::ECS::Service', 'Dev'))!.Details).toEqual([expect.objectContaining({ Evaluation: 'Dynamic', CausingEntity: targetGroup })]);
    await cfn().send(new ExecuteChangeSetCommand({ ChangeSetName: cs.ChangeSetId! }));
    const after = outputsOf(await stackSettled());
    expect(after.ApiId).toBe(before.ApiId);
    expect(after.DevTargetGroupArn).not.toBe(before.DevTargetGroupArn);
    expect(fake.scenario.targetGroups[before.DevTargetGroupArn]).toBeUndefined();
    expect(fake.scenario.targetGroups[after.DevTargetGroupArn]).toHaveLength(1);
  });

  it('takes a resource that leaves the template out of the world, but keeps what its DeletionPolicy retains', async () => {
    deployStack(fake.scenario, { stackName: STACK, template: project.template });
    const before = outputsOf((await cfn().send(new DescribeStacksCommand({ StackName: STACK }))).Stacks![0]);
    const cs = await settled((await createChangeSet({ template: prodOnly.template, parameters: keepingOthers(prodOnly.template, {}) })).Id!);
    expect(changeOf(cs, idOf(project.template, 'AWS::ECS::Service', 'Dev'))).toMatchObject({ Action: 'Remove', PhysicalResourceId: expect.stringContaining(before.DevServiceName) });
    await cfn().send(new ExecuteChangeSetCommand({ ChangeSetName: cs.ChangeSetId! }));
    const stack = await stackSettled();
    expect(Object.keys(outputsOf(stack)).filter((k) => k.startsWith('Dev'))).toEqual([]);
    const described = await ecs().send(new DescribeServicesCommand({ cluster: before.ClusterName, services: [before.DevServiceName, before.ProdServiceName] }));
    expect(described.services!.map((s) => s.serviceName)).toEqual([before.ProdServiceName]);
    expect(described.failures![0].reason).toBe('MISSING');
    await expect(new ElasticLoadBalancingV2Client(opts).send(new DescribeTargetHealthCommand({ TargetGroupArn: before.DevTargetGroupArn }))).rejects.toBeInstanceOf(TargetGroupNotFoundException);
    expect((await new APIGatewayClient(opts).send(new GetStagesCommand({ restApiId: before.ApiId }))).item!.map((s) => s.stageName)).toEqual(['prod']);
    // The dev log group has DeletionPolicy Retain: its logs outlive the stack's resource.
    await expect(new CloudWatchLogsClient(opts).send(new FilterLogEventsCommand({ logGroupName: before.DevLogGroupName }))).resolves.toBeDefined();
    expect(fake.scenario.stacks[STACK].events.find((e) => e.logicalResourceId === idOf(project.template, 'AWS::Logs::LogGroup', 'DevLogs'))?.resourceStatus).toBe('DELETE_SKIPPED');
  });

  it('evaluates outputs and conditions against the parameters and the resources\' ids', async () => {
    const template = [
      'Parameters:',
      '  Env: { Type: String, Default: dev }',
      '  Csv: { Type: CommaDelimitedList, Default: "x,y,z" }',
      'Conditions:',
      '  IsProd: !Equals [!Ref Env, prod]',
      '  NotProd: !Not [!Condition IsProd]',
      'Resources:',
      '  Logs:',
      '    Type: AWS::Logs::LogGroup',
      '    Properties: { LogGroupName: !Sub "/app/${Env}" }',
      '  ProdOnly:',
      '    Type: AWS::Logs::LogGroup',
      '    Condition: IsProd',
      '    Properties: { LogGroupName: /app/prod-only }',
      'Outputs:',
      '  Name: { Value: !Ref Logs }',
      '  Arn: { Value: !GetAtt Logs.Arn }',
      '  Mode: { Value: !If [IsProd, production, development] }',
      '  NotProd: { Value: !If [NotProd, "yes", "no"] }',
      '  Second: { Value: !Select [1, !Ref Csv] }',
      '  Split: { Value: !Select [2, !Split ["-", "a-b-c"]] }',
      '  Joined: { Value: !Join ["/", [!Ref "AWS::Region", !Ref "AWS::AccountId", !Ref "AWS::StackName"]] }',
      '  Sub: { Value: !Sub ["${A}-${Env}", { A: !Select [0, !Ref Csv] }] }',
      '  OnlyProd: { Condition: IsProd, Value: !Ref ProdOnly }',
    ].join('\n');
    await cfn().send(new ExecuteChangeSetCommand({ ChangeSetName: (await createChangeSet({ template, type: 'CREATE', stackName: 'Outputs' })).Id! }));
    expect(outputsOf(await stackSettled('Outputs'))).toEqual({
      Name: '/app/dev',
      Arn: 'arn:aws:logs:us-east-1:123456789012:log-group:/app/dev:*',
      Mode: 'development',
      NotProd: 'yes',
      Second: 'y',
      Split: 'c',
      Joined: 'us-east-1/123456789012/Outputs',
      Sub: 'x-dev',
    });
    expect(Object.keys(fake.scenario.logGroups)).toEqual(['/app/dev']);

    const toProd = await settled((await createChangeSet({ template, stackName: 'Outputs', parameters: [{ ParameterKey: 'Env', ParameterValue: 'prod' }] })).Id!);
    // A name change of a log group replaces it; the resource whose Condition now holds is added.
    expect(toProd.Changes!.map((c) => [c.ResourceChange!.LogicalResourceId, c.ResourceChange!.Action, c.ResourceChange!.Replacement])).toEqual([
      ['Logs', 'Modify', 'True'],
      ['ProdOnly', 'Add', undefined],
    ]);
    await cfn().send(new ExecuteChangeSetCommand({ ChangeSetName: toProd.ChangeSetId! }));
    expect(outputsOf(await stackSettled('Outputs'))).toMatchObject({ Name: '/app/prod', Mode: 'production', NotProd: 'no', OnlyProd: '/app/prod-only', Sub: 'x-prod' });
    expect(Object.keys(fake.scenario.logGroups).sort()).toEqual(['/app/prod', '/app/prod-only']);
  });

  it('serves the new operations through fake.inject faults too', async () => {
    fake.inject({ kind: 'throttle', operation: 'CreateChangeSet', times: 1 });
    await expect(createChangeSet({ template: project.template, type: 'CREATE' })).rejects.toMatchObject({ name: 'Throttling' });
    expect(fake.scenario.stacks).toEqual({});
    const created = await createChangeSet({ template: project.template, type: 'CREATE' });
    fake.inject({ kind: 'server-error', operation: 'ExecuteChangeSet', times: 1 });
    await expect(cfn().send(new ExecuteChangeSetCommand({ ChangeSetName: created.Id! }))).rejects.toMatchObject({ name: 'InternalFailure' });
    expect(fake.scenario.stacks[STACK].status).toBe('REVIEW_IN_PROGRESS');
    expect(fake.calls.byOperation()).toMatchObject({ 'cloudformation:CreateChangeSet': 2, 'cloudformation:ExecuteChangeSet': 1 });
  });
});

describe('what CloudFormation refuses, refused the same way', () => {
  const template = [
    'Parameters:',
    '  Name: { Type: String, AllowedPattern: "[a-z]+", Default: abc }',
    '  Level: { Type: String, AllowedValues: [DEBUG, INFO], Default: DEBUG }',
    '  Count: { Type: Number, MinValue: 1, MaxValue: 10, Default: 2 }',
    '  Zones: { Type: CommaDelimitedList, Default: "a,a" }',
    '  Mode: { Type: String, Default: prod }',
    '  Required: { Type: String }',
    'Rules:',
    '  NotLatestInProd:',
    '    RuleCondition: !Equals [!Ref Mode, prod]',
    '    Assertions:',
    '      - Assert: !Not [!Equals [!Ref Name, latest]]',
    '        AssertDescription: Name must not be latest in prod',
    '  ZonesAllA:',
    '    Assertions:',
    '      - Assert: !EachMemberEquals [!Ref Zones, a]',
    '        AssertDescription: every zone must be a',
    '  InfoOnlyInProd:',
    '    Assertions:',
    '      - Assert: !Or [!Contains [[DEBUG], !Ref Level], !And [!Equals [!Ref Mode, prod], !Equals [!Ref Level, INFO]]]',
    '        AssertDescription: INFO only in prod',
    'Resources:',
    '  Logs:',
    '    Type: AWS::Logs::LogGroup',
    '    Properties: { LogGroupName: !Sub "/${Name}/${Level}/${Count}/${Required}" }',
  ].join('\n');

  /** CreateChangeSet CREATE with these parameter values; the refusal's message, or 'ok'. */
  async function attempt(values: Record<string, string>): Promise<string> {
    try {
      await createChangeSet({ template, type: 'CREATE', stackName: 'Refusals', name: `cs${Math.floor(Math.random() * 1e9)}`, parameters: Object.entries(values).map(([k, v]) => ({ ParameterKey: k, ParameterValue: v })) });
      return 'ok';
    } catch (error) {
      expect((error as Error).name).toBe('ValidationError');
      return (error as Error).message;
    }
  }

  it('refuses each constraint on its own side of the boundary, and accepts the nearest value that passes', async () => {
    const cases: [Record<string, string>, string][] = [
      [{}, 'Parameters: [Required] must have values'],
      [{ Required: 'r', Nope: 'x' }, 'Parameters: [Nope] do not exist in the template'],
      [{ Required: 'r', Name: 'abc1' }, "Parameter 'Name' must match pattern [a-z]+"],
      [{ Required: 'r', Level: 'TRACE' }, "Parameter 'Level' must be one of AllowedValues"],
      [{ Required: 'r', Count: '0' }, "Parameter 'Count' must be a number not less than 1"],
      [{ Required: 'r', Count: '11' }, "Parameter 'Count' must be a number not greater than 10"],
      [{ Required: 'r', Count: 'ten' }, "Parameter 'Count' must be a number"],
      [{ Required: 'r', Name: 'latest' }, 'Name must not be latest in prod'],
      [{ Required: 'r', Zones: 'a,b' }, 'every zone must be a'],
      [{ Required: 'r', Level: 'INFO', Mode: 'dev' }, 'INFO only in prod'],
    ];
    for (const [values, message] of cases) expect(await attempt(values), JSON.stringify(values)).toBe(message);
    // Nothing refused left a stack behind.
    await expect(cfn().send(new DescribeStacksCommand({ StackName: 'Refusals' }))).rejects.toMatchObject({ message: 'Stack with id Refusals does not exist' });
    const passing: Record<string, string>[] = [
      { Required: 'r', Name: 'abc', Count: '1' },
      { Required: 'r', Count: '10', Level: 'INFO' },
      { Required: 'r', Name: 'latest', Mode: 'dev' },
      { Required: 'r', Zones: 'a' },
    ];
    for (const values of passing) expect(await attempt(values), JSON.stringify(values)).toBe('ok');
    expect(fake.scenario.stacks.Refusals.status).toBe('REVIEW_IN_PROGRESS');
  });

  it("refuses the project's own rule: prod never runs latest", async () => {
    await expect(createChangeSet({ template: project.template, type: 'CREATE', parameters: [{ ParameterKey: 'ProdImageTag', ParameterValue: 'latest' }] })).rejects.toMatchObject({
      name: 'ValidationError',
      message: 'ProdImageTag must name a fixed version or digest, not latest',
    });
    await expect(createChangeSet({ template: project.template, type: 'CREATE', parameters: [{ ParameterKey: 'DevImageTag', ParameterValue: 'latest' }] })).resolves.toBeDefined();
  });

  it('refuses CREATE on a stack that exists and UPDATE on one that does not', async () => {
    await expect(createChangeSet({ template: project.template, type: 'UPDATE' })).rejects.toMatchObject({ message: `Stack [${STACK}] does not exist` });
    deployStack(fake.scenario, { stackName: STACK, template: project.template });
    await expect(createChangeSet({ template: project.template, type: 'CREATE' })).rejects.toMatchObject({
      message: `Stack [${STACK}] already exists and cannot be created again with the changeSet [cs1].`,
    });
  });
});

describe('a logical id is updated, deleted or created by its presence and type', () => {
  const seeded = { Resources: { Logs: { Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 7 } }, Gone: { Type: 'AWS::Logs::LogGroup' } } };

  it('same id and type: updated in place; gone: removed; new: added; same id, another type: refused as CloudFormation refuses it', async () => {
    deployStack(fake.scenario, { stackName: 'Ids', template: seeded });
    const next = { Resources: { Logs: { Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 14 } }, Added: { Type: 'AWS::Logs::LogGroup' } } };
    const cs = await settled((await createChangeSet({ template: next, stackName: 'Ids' })).Id!);
    expect(Object.fromEntries(cs.Changes!.map((c) => [c.ResourceChange!.LogicalResourceId, [c.ResourceChange!.Action, c.ResourceChange!.Replacement]]))).toEqual({ Logs: ['Modify', 'False'], Gone: ['Remove', undefined], Added: ['Add', undefined] });
    const retyped = { Resources: { Logs: { Type: 'AWS::SQS::Queue' }, Gone: { Type: 'AWS::Logs::LogGroup' } } };
    await expect(createChangeSet({ template: retyped, stackName: 'Ids', name: 'cs2' })).rejects.toMatchObject({
      name: 'ValidationError',
      message: 'Update of resource type is not permitted. The new template modifies resource type of the following resources: [Logs]',
    });
  });
});

describe('a template from S3 (TemplateURL), and the TemplateBody limit', () => {
  const BUCKET = 'cdk-hnb659fds-assets-123456789012-us-east-1';
  const KEY = 'cdk/Uploaded/0123abcd.yml';
  const template = ['Resources:', '  Logs:', '    Type: AWS::Logs::LogGroup', '    Properties: { LogGroupName: /uploaded }'].join('\n');
  const MORE = '\nFor more information check http://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html';

  function fromUrl(url: string, name = 'cs1') {
    return cfn().send(new CreateChangeSetCommand({ StackName: 'Uploaded', ChangeSetName: name, ChangeSetType: 'CREATE', TemplateURL: url, Capabilities: [...CAPABILITIES] }));
  }

  it('reads the template from the bucket and key of each URL form CloudFormation takes; GetTemplate answers it', async () => {
    bootstrapAccount(fake.scenario);
    putObject(fake.scenario, BUCKET, KEY, template);
    const urls = [
      `https://${BUCKET}.s3.us-east-1.amazonaws.com/${KEY}`, // what cdk sends: https:// + the bootstrap stack's BucketDomainName + /key
      `https://${BUCKET}.s3.amazonaws.com/${KEY}`,
      `https://s3.us-east-1.amazonaws.com/${BUCKET}/${KEY}`,
      `https://s3.amazonaws.com/${BUCKET}/${KEY}`,
      `${fake.url}/${BUCKET}/${KEY}`, // path-style on the fake's own endpoint
    ];
    for (const [i, url] of urls.entries()) {
      const { Id } = await fromUrl(url, `cs${i}`);
      expect((await settled(Id!)).Status, url).toBe('CREATE_COMPLETE');
      expect((await cfn().send(new GetTemplateCommand({ ChangeSetName: Id }))).TemplateBody).toBe(template);
    }
  });

  it('refuses a URL it cannot read with its ValidationError, creating no stack: another key, another bucket, another region, not an S3 object URL', async () => {
    bootstrapAccount(fake.scenario);
    putObject(fake.scenario, BUCKET, KEY, template);
    const cases: [string, string][] = [
      [`https://${BUCKET}.s3.us-east-1.amazonaws.com/${KEY}x`, `S3 error: The specified key does not exist.${MORE}`],
      [`https://acme-elsewhere.s3.us-east-1.amazonaws.com/${KEY}`, `S3 error: The specified bucket does not exist${MORE}`],
      [`https://${BUCKET}.s3.eu-west-1.amazonaws.com/${KEY}`, `S3 error: The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.${MORE}`],
      [`s3://${BUCKET}/${KEY}`, 'TemplateURL must be a supported URL.'],
      [`https://example.com/${BUCKET}/${KEY}`, 'TemplateURL must be a supported URL.'],
    ];
    for (const [url, message] of cases) await expect(fromUrl(url), url).rejects.toMatchObject({ name: 'ValidationError', message });
    expect(fake.scenario.stacks.Uploaded).toBeUndefined();
  });

  it("takes a TemplateBody of 51,200 bytes and refuses one byte more with the API's length error", async () => {
    const padded = (bytes: number) => `${template}\n#`.padEnd(bytes, 'x');
    expect(Buffer.byteLength(padded(51_201))).toBe(51_201);
    await expect(createChangeSet({ template: padded(51_201), type: 'CREATE', stackName: 'Inline' })).rejects.toMatchObject({
      name: 'ValidationError',
      message: `1 validation error detected: Value '${padded(51_201)}' at 'templateBody' failed to satisfy constraint: Member must have length less than or equal to 51200`,
    });
    expect(fake.scenario.stacks.Inline).toBeUndefined();
    const { Id } = await createChangeSet({ template: padded(51_200), type: 'CREATE', stackName: 'Inline' });
    expect((await settled(Id!)).Status).toBe('CREATE_COMPLETE');
  });
});

describe('timing and injected failures (scenario.cfn)', () => {
  it('shows a slow change set CREATE_PENDING, then CREATE_IN_PROGRESS, then its outcome', async () => {
    fake.scenario.cfn = { changeSetDelayMs: 1000 };
    const started = Date.now();
    const { Id } = await createChangeSet({ template: project.template, type: 'CREATE' });
    const seen: string[] = [];
    for (;;) {
      const status = (await cfn().send(new DescribeChangeSetCommand({ ChangeSetName: Id }))).Status!;
      if (seen[seen.length - 1] !== status) seen.push(status);
      if (status === 'CREATE_COMPLETE') break;
      await sleep(50);
    }
    expect(seen).toEqual(['CREATE_PENDING', 'CREATE_IN_PROGRESS', 'CREATE_COMPLETE']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it('fails a change set with the injected reason', async () => {
    fake.scenario.cfn = { failChangeSet: { reason: 'Resource handler returned message: "Access Denied"' } };
    const cs = await settled((await createChangeSet({ template: project.template, type: 'CREATE' })).Id!);
    expect(cs).toMatchObject({ Status: 'FAILED', StatusReason: 'Resource handler returned message: "Access Denied"', ExecutionStatus: 'UNAVAILABLE' });
  });

  it('runs each step of an operation stepMs apart', async () => {
    fake.scenario.cfn = { stepMs: 100 };
    deployStack(fake.scenario, { stackName: STACK, template: project.template });
    const started = Date.now();
    await cfn().send(new ExecuteChangeSetCommand({ ChangeSetName: (await createChangeSet({ template: project.template, parameters: keepingOthers(project.template, { DevImageTag: '0.0.2' }) })).Id! }));
    expect((await cfn().send(new DescribeStacksCommand({ StackName: STACK }))).Stacks![0].StackStatus).toBe('UPDATE_IN_PROGRESS');
    expect((await stackSettled()).StackStatus).toBe('UPDATE_COMPLETE');
    // 2 levels (task definition, service) of 2 steps, cleanup of 2, and the stack's 2 more: 7 steps after the first.
    expect(Date.now() - started).toBeGreaterThanOrEqual(700);
  });

  it('rolls an update back when a resource fails, leaving the world, parameters and template as they were', async () => {
    deployStack(fake.scenario, { stackName: STACK, template: project.template });
    const world = worldOf(fake.scenario);
    const devService = idOf(project.template, 'AWS::ECS::Service', 'Dev');
    fake.scenario.cfn = { failResource: { logicalId: devService, reason: 'Resource handler returned message: "Circuit breaker triggered"' } };
    await cfn().send(new ExecuteChangeSetCommand({ ChangeSetName: (await createChangeSet({ template: project.template, parameters: keepingOthers(project.template, { DevImageTag: '0.0.2' }) })).Id! }));
    const stack = await stackSettled();
    expect(stack.StackStatus).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(worldOf(fake.scenario)).toBe(world);
    expect(stack.Parameters!.find((p) => p.ParameterKey === 'DevImageTag')!.ParameterValue).toBe('latest');
    const events = await allEvents();
    const failed = events.find((e) => e.ResourceStatus === 'UPDATE_FAILED')!;
    expect(failed).toMatchObject({ LogicalResourceId: devService, ResourceStatusReason: 'Resource handler returned message: "Circuit breaker triggered"' });
    const rollback = events.find((e) => e.ResourceStatus === 'UPDATE_ROLLBACK_IN_PROGRESS')!;
    expect(rollback.ResourceStatusReason).toBe(`The following resource(s) failed to update: [${devService}]. `);
    // The rollback is an operation of its own (cdk reads the failure from the one before it).
    expect(rollback.OperationId).not.toBe(failed.OperationId);
    expect(events.slice(0, 1).map((e) => e.ResourceStatus)).toEqual(['UPDATE_ROLLBACK_COMPLETE']);

    // The nearest case that succeeds: the same change with nothing injected moves the world.
    fake.scenario.cfn = {};
    await cfn().send(new ExecuteChangeSetCommand({ ChangeSetName: (await createChangeSet({ template: project.template, parameters: keepingOthers(project.template, { DevImageTag: '0.0.2' }), name: 'cs2' })).Id! }));
    expect((await stackSettled()).StackStatus).toBe('UPDATE_COMPLETE');
    expect(worldOf(fake.scenario)).not.toBe(world);
  });

  it('rolls a create back to ROLLBACK_COMPLETE with no resources, no outputs and nothing in the world', async () => {
    fake.scenario.cfn = { failResource: { logicalId: idOf(project.template, 'AWS::ECS::Service', 'Prod'), reason: 'Resource handler returned message: "Circuit breaker triggered"' } };
    await cfn().send(new ExecuteChangeSetCommand({ ChangeSetName: (await createChangeSet({ template: project.template, type: 'CREATE' })).Id! }));
    const stack = await stackSettled();
    expect(stack.StackStatus).toBe('ROLLBACK_COMPLETE');
    expect(stack.Outputs ?? []).toEqual([]);
    expect(worldOf(fake.scenario)).toBe(worldOf(emptyScenario()));
    expect((await allEvents()).find((e) => e.ResourceStatus === 'ROLLBACK_IN_PROGRESS')!.ResourceStatusReason).toMatch(/^The following resource\(s\) failed to create: \[ProdServiceE0D8C4FE\]\. Rollback requested by user\.$/);
  });
});

describe('DeleteStack', () => {
  it('deletes through DELETE_IN_PROGRESS to DELETE_COMPLETE: the name is free again, the id still describes it, the world goes except what is retained', async () => {
    deployStack(fake.scenario, { stackName: STACK, template: project.template });
    const stack = (await cfn().send(new DescribeStacksCommand({ StackName: STACK }))).Stacks![0];
    const out = outputsOf(stack);
    await cfn().send(new DeleteStackCommand({ StackName: STACK }));
    expect((await cfn().send(new DescribeStacksCommand({ StackName: STACK }))).Stacks![0].StackStatus).toBe('DELETE_IN_PROGRESS');
    expect((await stackSettled(stack.StackId)).StackStatus).toBe('DELETE_COMPLETE');
    await expect(cfn().send(new DescribeStacksCommand({ StackName: STACK }))).rejects.toMatchObject({ name: 'ValidationError', message: `Stack with id ${STACK} does not exist` });
    await expect(ecs().send(new DescribeServicesCommand({ cluster: out.ClusterName, services: [out.DevServiceName] }))).rejects.toBeInstanceOf(ClusterNotFoundException);
    await expect(new APIGatewayClient(opts).send(new GetStagesCommand({ restApiId: out.ApiId }))).rejects.toBeInstanceOf(NotFoundException);
    await expect(new CloudWatchLogsClient(opts).send(new FilterLogEventsCommand({ logGroupName: out.ProdLogGroupName }))).resolves.toBeDefined();
    // Deleting what is not there is no error, as in CloudFormation.
    await expect(cfn().send(new DeleteStackCommand({ StackName: STACK }))).resolves.toBeDefined();
    // A new stack of the same name is a new stack.
    deployStack(fake.scenario, { stackName: STACK, template: project.template });
    expect((await cfn().send(new DescribeStacksCommand({ StackName: STACK }))).Stacks![0].StackId).not.toBe(stack.StackId);
    expect((await cfn().send(new DescribeStacksCommand({ StackName: stack.StackId }))).Stacks![0].StackStatus).toBe('DELETE_COMPLETE');
  });

  it('fails as injected: the resource DELETE_FAILED with the reason, the stack DELETE_FAILED and still there', async () => {
    deployStack(fake.scenario, { stackName: STACK, template: project.template });
    const vpc = idOf(project.template, 'AWS::EC2::VPC', 'Shared');
    fake.scenario.cfn = { failDelete: { logicalId: vpc, reason: 'resource sg-0123 has a dependent object' } };
    await cfn().send(new DeleteStackCommand({ StackName: STACK }));
    const stack = await stackSettled();
    expect(stack).toMatchObject({ StackStatus: 'DELETE_FAILED', StackStatusReason: `The following resource(s) failed to delete: [${vpc}]. ` });
    expect((await allEvents()).find((e) => e.ResourceStatus === 'DELETE_FAILED' && e.LogicalResourceId === vpc)!.ResourceStatusReason).toBe('resource sg-0123 has a dependent object');
    expect(Object.keys(fake.scenario.stacks[STACK].resources!)).toEqual([vpc]);
  });
});

describe('deployStack (seeding a stack without cdk)', () => {
  it('deploys "prod at 0.7.0" as cdk would, and a second call updates it keeping the parameters not given', async () => {
    const at = new Date('2025-01-01T00:00:00Z');
    deployStack(fake.scenario, { stackName: STACK, template: project.template, parameters: { ProdImageTag: '0.7.0', DevImageTag: '0.0.1' }, at });
    let stack = (await cfn().send(new DescribeStacksCommand({ StackName: STACK }))).Stacks![0];
    expect(stack.StackStatus).toBe('CREATE_COMPLETE');
    // Its events lead up to `at`.
    expect(stack.CreationTime!.getTime()).toBeLessThan(at.getTime());
    expect((await allEvents())[0].Timestamp!.getTime()).toBeLessThanOrEqual(at.getTime());
    const out = outputsOf(stack);
    expect((await runningImages(out.ClusterName, out.DevServiceName)).map((t) => t.digest)).toEqual([digestOf('0.0.1')]);

    deployStack(fake.scenario, { stackName: STACK, template: project.template, parameters: { ProdImageTag: '0.8.0' } });
    stack = (await cfn().send(new DescribeStacksCommand({ StackName: STACK }))).Stacks![0];
    expect(stack.StackStatus).toBe('UPDATE_COMPLETE');
    expect(Object.fromEntries(stack.Parameters!.map((p) => [p.ParameterKey, p.ParameterValue]))).toMatchObject({ ProdImageTag: '0.8.0', DevImageTag: '0.0.1' });
    expect((await runningImages(out.ClusterName, out.ProdServiceName)).map((t) => t.digest)).toEqual([digestOf('0.8.0'), digestOf('0.8.0')]);
    // GetTemplate of a seeded stack is the JSON it was given.
    expect(JSON.parse((await cfn().send(new GetTemplateCommand({ StackName: STACK }))).TemplateBody!)).toEqual(project.template);
    expect(() => deployStack(fake.scenario, { stackName: STACK, template: project.template, parameters: { ProdImageTag: 'latest' } })).toThrow('ProdImageTag must name a fixed version or digest, not latest');
  });
});
