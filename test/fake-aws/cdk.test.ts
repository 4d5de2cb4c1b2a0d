/**
 * The real aws-cdk CLI (node_modules/aws-cdk) deploys, diffs and destroys the
 * project's synthesized stack against the fake: what the fake's
 * CloudFormation must be faithful to. Each cdk run is a child process,
 * spawned asynchronously (the fake serves from this test's event loop).
 *
 * The fake runs stack operations with `stepMs: 0` here: the operation is over
 * when ExecuteChangeSet/DeleteStack returns, so cdk's first DescribeStacks
 * sees it finished instead of waiting its 5 s polling interval. (Timed steps
 * are tested in cloudformation.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCdkProcess, type CdkProcessResult } from '../helpers/real-cdk.js';
import { tempDir } from '../helpers/fixtures.js';
import { startFakeAws, type FakeAws } from './server.js';
import { digestOf, type FakeService } from './scenario.js';
import { bootstrapAccount, deployStack, emptyScenario } from './stacks.js';
import { synthProjectStack, type ProjectStack } from './project-stack.js';

const STACK = 'BenchlingWebhookStack';

let fake: FakeAws;
let project: ProjectStack;

beforeAll(async () => {
  project = await synthProjectStack();
  const scenario = emptyScenario();
  scenario.cfn = { stepMs: 0 };
  // dev and prod together are over 50 KiB: cdk publishes the template to the bootstrap bucket.
  bootstrapAccount(scenario);
  fake = await startFakeAws(scenario);
});

afterAll(async () => {
  await fake.close();
});

/** `cdk ARGS --app <assembly> ...` pointed at the fake only through the environment. */
function cdk(command: string, ...args: string[]): Promise<CdkProcessResult> {
  return runCdkProcess([command, '--app', project.assemblyDir, '--no-notices', '--no-version-reporting', '--ci', ...args], { CI: 'true', NO_COLOR: '1', ...fake.env }, { label: command });
}

const stack = () => fake.scenario.stacks[STACK];
const serviceOf = (name: string): FakeService => fake.scenario.clusters[stack().outputs.ClusterName].services[name];
const runningDigests = (service: string) =>
  fake.scenario.clusters[stack().outputs.ClusterName].tasks.filter((t) => t.group === `service:${service}` && t.lastStatus === 'RUNNING').map((t) => t.containers[0].imageDigest);
/** CloudFormation operations cdk called, in order. */
const cfnCalls = () => fake.calls.matching({ service: 'cloudformation' }).map((c) => c.operation);
/** Calls the fake could not serve: none may be left, or cdk worked around a gap. */
const unserved = () => fake.calls.all.filter((c) => c.error?.includes('does not serve'));

describe('the real aws-cdk CLI against the fake', { timeout: 120_000 }, () => {
  it('cdk deploy creates the stack from a change set: CREATE_COMPLETE, the outputs cdk prints, each service running the image of its parameters', async () => {
    const run = await cdk('deploy', '--require-approval', 'never', '--progress', 'events', STACK);
    expect(run.status, run.output).toBe(0);
    expect(run.output).toContain(`✅  ${STACK}`);
    expect(stack().status).toBe('CREATE_COMPLETE');
    const outputs = stack().outputs;
    for (const [key, value] of Object.entries(outputs)) expect(run.output).toContain(`${STACK}.${key} = ${value}`);
    expect(outputs.DevServiceName).toMatch(/^BenchlingWebhookStack-DevServiceB35D2857-[A-Za-z0-9]{12}$/);
    expect(runningDigests(outputs.DevServiceName)).toEqual([digestOf('latest')]);
    expect(runningDigests(outputs.ProdServiceName)).toEqual([digestOf('0.7.0'), digestOf('0.7.0')]);
    expect(unserved()).toEqual([]);
    // What cdk 2.1148 calls to create a stack, in order: the bootstrap stack for publishing the template, the stack (does not exist), the bootstrap stack twice more.
    expect(cfnCalls()).toEqual([
      'DescribeStacks',
      'DescribeStacks',
      'DescribeStacks',
      'DescribeStacks',
      'CreateChangeSet',
      'DescribeChangeSet',
      'DescribeStacks',
      'GetTemplate',
      'DescribeChangeSet',
      'ExecuteChangeSet',
      'DescribeStacks',
      ...cfnCalls().slice(11).map(() => 'DescribeStackEvents'),
    ]);
    // Dev and prod together are over 50 KiB: the template is published, and named by its URL.
    expect(fake.calls.matching('CreateChangeSet')[0].input).toMatchObject({ ChangeSetType: 'CREATE', TemplateURL: expect.stringMatching(/\/cdk-hnb659fds-assets-123456789012-us-east-1\/[0-9a-f]{64}\.json$/) });
  });

  it('cdk deploy --parameters DevImageTag=0.0.2 keeps every other parameter (UsePreviousValue) and rolls dev only', async () => {
    fake.calls.reset();
    const before = structuredClone(stack());
    const prodBefore = structuredClone(serviceOf(before.outputs.ProdServiceName));
    const devBefore = structuredClone(serviceOf(before.outputs.DevServiceName));
    const run = await cdk('deploy', '--require-approval', 'never', '--progress', 'events', '--parameters', `${STACK}:DevImageTag=0.0.2`, STACK);
    expect(run.status, run.output).toBe(0);
    expect(stack().status).toBe('UPDATE_COMPLETE');
    expect(stack().parameters).toEqual({ ...before.parameters, DevImageTag: '0.0.2' });
    expect(stack().outputs).toEqual(before.outputs);
    const sent = fake.calls.matching('CreateChangeSet')[0].input as { Parameters: Record<string, string>[] };
    expect(sent.Parameters.filter((p) => p.UsePreviousValue !== 'true')).toEqual([{ ParameterKey: 'DevImageTag', ParameterValue: '0.0.2' }]);
    expect(sent.Parameters).toHaveLength(Object.keys(project.template.Parameters).length);

    const dev = serviceOf(before.outputs.DevServiceName);
    expect(dev.deployments).toHaveLength(1);
    expect(dev.deployments[0].id).not.toBe(devBefore.deployments[0].id);
    expect(runningDigests(before.outputs.DevServiceName)).toEqual([digestOf('0.0.2')]);
    expect(serviceOf(before.outputs.ProdServiceName)).toEqual(prodBefore);
    expect(run.output).toMatch(/UPDATE_COMPLETE +\| AWS::ECS::Service +\| Dev\/Service\/Service \(DevServiceB35D2857\)/);
    expect(run.output).not.toMatch(/\(Prod\w+\)/);
    expect(unserved()).toEqual([]);
  });

  it('cdk deploy --force of what is deployed: the change set FAILS with the reason cdk reads as "no changes", and nothing is executed', async () => {
    fake.calls.reset();
    const before = structuredClone(fake.scenario);
    const run = await cdk('deploy', '--require-approval', 'never', '--force', '--parameters', `${STACK}:DevImageTag=0.0.2`, STACK);
    expect(run.status, run.output).toBe(0);
    expect(run.output).toContain(`✅  ${STACK} (no changes)`);
    expect(cfnCalls()).toContain('CreateChangeSet');
    expect(cfnCalls()).not.toContain('ExecuteChangeSet');
    // --force publishes the template again: the same object, written anew.
    const bodies = (s: typeof before) => Object.values(s.s3!).map((b) => Object.fromEntries(Object.entries(b.objects).map(([k, o]) => [k, o.body])));
    expect(bodies(fake.scenario)).toEqual(bodies(before));
    expect({ ...fake.scenario, s3: undefined }).toEqual({ ...before, s3: undefined });
  });

  it('cdk diff (a change set it deletes again) shows what a deploy would change, and only that; without UsePreviousValue it shows prod reset to its default', async () => {
    // Prod deployed at 0.8.0, away from the template default 0.7.0 (seeded through the same code as ExecuteChangeSet).
    deployStack(fake.scenario, { stackName: STACK, template: project.template, parameters: { ProdImageTag: '0.8.0' } });
    const before = structuredClone(fake.scenario);
    fake.calls.reset();
    const keeping = await cdk('diff', '--parameters', `${STACK}:DevImageTag=0.0.3`, '--parameters', `${STACK}:ProdImageTag=0.8.0`, STACK);
    expect(keeping.status, keeping.output).toBe(0);
    expect(keeping.output).toMatch(/\[~\] AWS::ECS::TaskDefinition Dev\/TaskDefinition DevTaskDefinitionDB3B3642 replace/);
    expect(keeping.output).toContain('[+] "Image": "712023778557.dkr.ecr.us-east-1.amazonaws.com/quiltdata/benchling:0.0.3"');
    expect(keeping.output).not.toMatch(/Prod\w+[0-9A-F]{8}/);
    expect(cfnCalls()).toEqual(expect.arrayContaining(['CreateChangeSet', 'DescribeChangeSet', 'DeleteChangeSet']));

    // cdk diff sends only the parameters it is given: the others take their template defaults.
    const forgetting = await cdk('diff', '--parameters', `${STACK}:DevImageTag=0.0.3`, STACK);
    expect(forgetting.status, forgetting.output).toBe(0);
    expect(forgetting.output).toMatch(/\[~\] AWS::ECS::TaskDefinition Prod\/TaskDefinition ProdTaskDefinition\w+ replace/);
    expect(forgetting.output).toContain('[+] "Image": "712023778557.dkr.ecr.us-east-1.amazonaws.com/quiltdata/benchling:0.7.0"');
    // A diff changes nothing and leaves no change set behind.
    expect(fake.scenario).toEqual(before);
    expect(unserved()).toEqual([]);
  });

  it('cdk destroy deletes the stack and its world, keeping the log groups it retains', async () => {
    const { stackId, outputs } = stack();
    fake.calls.reset();
    const run = await cdk('destroy', '--force', STACK);
    expect(run.status, run.output).toBe(0);
    expect(run.output).toContain(`✅  ${STACK}: destroyed`);
    expect(fake.scenario.stacks[STACK]).toMatchObject({ stackId, status: 'DELETE_COMPLETE' });
    expect(fake.scenario.clusters).toEqual({});
    expect(fake.scenario.targetGroups).toEqual({});
    expect(fake.scenario.restApis).toEqual({});
    expect(Object.keys(fake.scenario.logGroups)).toEqual(expect.arrayContaining([outputs.DevLogGroupName, outputs.ProdLogGroupName]));
    expect(cfnCalls().slice(0, 3)).toEqual(['DescribeStacks', 'DeleteStack', 'DescribeStacks']);
    expect(unserved()).toEqual([]);
  });
});
