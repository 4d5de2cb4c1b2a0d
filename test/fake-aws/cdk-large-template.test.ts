/**
 * A template over 50 KiB, through the real aws-cdk CLI: cdk 2.1148 sends at
 * most 50 KiB of YAML inline (TemplateBody); above that it uploads the
 * template to the bootstrap stack's staging bucket (cdk-assets publishing,
 * over the fake's S3) and creates the change set from its TemplateURL. The
 * project's synthesizer (src/infra/template-synthesizer.ts) makes a template
 * over the line the stack's template asset, published with the caller's own
 * credentials (no bootstrap role is assumed) by deploy and diff alike; one
 * under it goes inline. dev and prod together are over the line, prod alone
 * under it; an allow-list of 300 CIDRs per environment adds a margin (see
 * test/infra/template-size.test.ts for where exactly the line is). The
 * bootstrapped account is `bootstrapAccount()`'s, which the first test holds
 * equal to what the real `cdk bootstrap` makes against the fake.
 *
 * `stepMs: 0`, as in cdk.test.ts: an operation is over when
 * ExecuteChangeSet returns.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCdkProcess, type CdkProcessResult } from '../helpers/real-cdk.js';
import { tempDir } from '../helpers/fixtures.js';
import { startFakeAws, type FakeAws } from './server.js';
import type { Scenario } from './scenario.js';
import { BOOTSTRAP_STACK, bootstrapAccount, CDK_BOOTSTRAP_PARAMETERS, emptyScenario, parseTemplateUrl, TEMPLATE_BODY_MAX_BYTES } from './stacks.js';
import { synthProjectStack, type ProjectStack } from './project-stack.js';

const STACK = 'BenchlingWebhookStack';
const BUCKET = 'cdk-hnb659fds-assets-123456789012-us-east-1';

const allowList = (n: number) => Array.from({ length: n }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`).join(',');

let fake: FakeAws;
let large: ProjectStack;
let small: ProjectStack;

beforeAll(async () => {
  [large, small] = await Promise.all([synthProjectStack({ prod: { webhookAllowList: allowList(300) }, dev: { webhookAllowList: allowList(300) } }), synthProjectStack({ dev: false })]);
  fake = await startFakeAws(account({ bootstrapped: true }));
});

afterAll(async () => {
  await fake.close();
});

function account(options: { bootstrapped: boolean }): Scenario {
  const scenario = emptyScenario();
  scenario.cfn = { stepMs: 0 };
  if (options.bootstrapped) bootstrapAccount(scenario);
  return scenario;
}

/** `cdk COMMAND --app <assembly> ...` (no app for `bootstrap`) pointed at the fake only through the environment. */
function cdk(project: ProjectStack | null, command: string, ...args: string[]): Promise<CdkProcessResult> {
  const app = project ? ['--app', project.assemblyDir] : [];
  return runCdkProcess([command, ...app, '--no-notices', '--no-version-reporting', '--ci', ...args], { CI: 'true', NO_COLOR: '1', ...fake.env }, { label: command });
}

const deploy = (project: ProjectStack, ...args: string[]) => cdk(project, 'deploy', '--require-approval', 'never', '--progress', 'events', ...args, STACK);
const stack = () => fake.scenario.stacks[STACK];
const objects = () => fake.scenario.s3?.[BUCKET]?.objects ?? {};
/** `service:Operation` of every call, in order, DescribeStackEvents polling left out. */
const sequence = () => fake.calls.all.filter((c) => c.operation !== 'DescribeStackEvents').map((c) => `${c.service}:${c.operation}`);
const input = (operation: string, n = 0) => fake.calls.matching(operation)[n].input as Record<string, string>;
const unserved = () => fake.calls.all.filter((c) => c.error?.includes('does not serve'));
/** The assembly's template file: what cdk uploads (it measures the YAML, and uploads the file as synthesized). */
const templateFile = (project: ProjectStack) => readFileSync(join(project.assemblyDir, `${STACK}.template.json`), 'utf8');

describe('a template over 50 KiB, through the real aws-cdk CLI', { timeout: 120_000 }, () => {
  it('bootstrapAccount leaves what the real `cdk bootstrap` leaves in the fake: the same CDKToolkit template, parameters, outputs and staging bucket', async () => {
    fake.scenario = account({ bootstrapped: false });
    fake.calls.reset();
    const run = await cdk(null, 'bootstrap', 'aws://123456789012/us-east-1');
    expect(run.status, run.output).toBe(0);
    expect(unserved()).toEqual([]);
    const sent = (input('CreateChangeSet') as unknown as { Parameters: { ParameterKey: string; ParameterValue: string }[] }).Parameters;
    expect(Object.fromEntries(sent.map((p) => [p.ParameterKey, p.ParameterValue]))).toEqual(CDK_BOOTSTRAP_PARAMETERS);
    const real = fake.scenario;
    const seeded = account({ bootstrapped: true });
    const [a, b] = [real.stacks[BOOTSTRAP_STACK], seeded.stacks[BOOTSTRAP_STACK]];
    expect(a.status).toBe('CREATE_COMPLETE');
    expect(b.template).toEqual(a.template);
    expect(b.parameters).toEqual(a.parameters);
    expect(b.outputs).toEqual(a.outputs);
    expect(b.capabilities).toEqual(a.capabilities);
    const typed = (s: typeof a) => Object.fromEntries(Object.values(s.resources!).map((r) => [r.logicalId, r.type]));
    expect(typed(b)).toEqual(typed(a));
    const buckets = (s: Scenario) => Object.fromEntries(Object.entries(s.s3 ?? {}).map(([name, bucket]) => [name, { ...bucket, creationDate: undefined }]));
    expect(buckets(seeded)).toEqual(buckets(real));
    expect(Object.keys(real.s3!)).toEqual([BUCKET]);
  });

  it('cdk deploy into a bootstrapped account publishes the template asset to the staging bucket and creates the stack from its TemplateURL', async () => {
    fake.scenario = account({ bootstrapped: true });
    fake.calls.reset();
    expect(Buffer.byteLength(templateFile(large))).toBeGreaterThan(TEMPLATE_BODY_MAX_BYTES);
    const run = await deploy(large);
    expect(run.status, run.output).toBe(0);
    expect(run.output).toContain(`Published ${STACK} Template`);
    expect(run.output).toContain(`✅  ${STACK}`);
    expect(stack().status).toBe('CREATE_COMPLETE');
    for (const [key, value] of Object.entries(stack().outputs)) expect(run.output).toContain(`${STACK}.${key} = ${value}`);
    expect(stack().outputs.DevServiceName).toMatch(/^BenchlingWebhookStack-DevServiceB35D2857-[A-Za-z0-9]{12}$/);
    expect(unserved()).toEqual([]);

    // What cdk 2.1148 calls, in order: cdk-assets publishing the template with the caller's credentials, then the change set.
    expect(sequence()).toEqual([
      'sts:GetCallerIdentity',
      's3:ListObjectsV2', // published already? no
      'sts:GetCallerIdentity',
      'cloudformation:DescribeStacks', // CDKToolkit: BootstrapVersion >= 21, so no ExpectedBucketOwner below
      's3:GetBucketLocation', // the bucket exists and is ours
      's3:ListObjectsV2', // not uploaded yet
      's3:GetBucketEncryption', // aws:kms: upload with ServerSideEncryption aws:kms
      's3:PutObject',
      'sts:GetCallerIdentity',
      'cloudformation:DescribeStacks', // the stack: does not exist yet
      'cloudformation:DescribeStacks', // CDKToolkit
      'cloudformation:DescribeStacks',
      'cloudformation:CreateChangeSet',
      'cloudformation:DescribeChangeSet',
      'cloudformation:DescribeStacks',
      'cloudformation:GetTemplate',
      'cloudformation:DescribeChangeSet',
      'cloudformation:ExecuteChangeSet',
      'cloudformation:DescribeStacks',
    ]);
    expect(input('GetBucketLocation')).toEqual({ Bucket: BUCKET });

    // The object is the assembly's template file, byte for byte, under its content hash; the checksum cdk sent matched it.
    const put = input('PutObject');
    expect(put.Key).toMatch(/^[0-9a-f]{64}\.json$/);
    expect(input('ListObjectsV2')).toEqual({ Bucket: BUCKET, ListType: '2', Prefix: put.Key, MaxKeys: '1' });
    expect(put).toMatchObject({ Bucket: BUCKET, ServerSideEncryption: 'aws:kms', ChecksumAlgorithm: 'SHA256', ContentType: 'application/json' });
    expect(Object.keys(objects())).toEqual([put.Key]);
    expect(objects()[put.Key]).toMatchObject({ body: templateFile(large), serverSideEncryption: 'aws:kms', checksumSha256: put.ChecksumSHA256 });

    // The change set names the object by the S3 client's endpoint, path style (against AWS,
    // https://s3.REGION.amazonaws.com/BUCKET/KEY), and carries no TemplateBody.
    const created = input('CreateChangeSet');
    expect(created.TemplateURL).toBe(`${fake.env.AWS_ENDPOINT_URL}/${BUCKET}/${put.Key}`);
    expect(created.TemplateBody).toBeUndefined();
    expect(parseTemplateUrl(created.TemplateURL)).toMatchObject({ bucket: BUCKET, key: put.Key });
    expect(stack().templateBody).toBe(templateFile(large));
  });

  it('a second deploy finds the template published already (ListObjectsV2) and creates its change set from the same object', async () => {
    fake.calls.reset();
    const run = await deploy(large, '--parameters', `${STACK}:DevImageTag=0.9.7`);
    expect(run.status, run.output).toBe(0);
    expect(stack()).toMatchObject({ status: 'UPDATE_COMPLETE', parameters: { DevImageTag: '0.9.7' } });
    expect(fake.calls.matching({ service: 's3' }).map((c) => c.operation)).toEqual(['ListObjectsV2']);
    expect(Object.keys(objects())).toHaveLength(1);
    expect(input('CreateChangeSet').TemplateURL).toBe(`${fake.env.AWS_ENDPOINT_URL}/${BUCKET}/${Object.keys(objects())[0]}`);
    expect(unserved()).toEqual([]);
  });

  it('cdk diff publishes the template asset before its change set: a change-set diff even when no deploy uploaded the template', async () => {
    fake.scenario.s3![BUCKET].objects = {};
    fake.calls.reset();
    const run = await cdk(large, 'diff', '--method=change-set', '--parameters', `${STACK}:DevImageTag=0.9.8`, STACK);
    expect(run.status, run.output).toBe(0);
    expect(run.output).toMatch(/\[~\] AWS::ECS::TaskDefinition Dev\/TaskDefinition DevTaskDefinition\w+ replace/);
    expect(run.output).not.toContain('Could not create a change set');
    expect(fake.calls.count('PutObject')).toBe(1);
    expect(Object.keys(objects())).toHaveLength(1);
    expect(fake.calls.matching('CreateChangeSet').map((c) => c.status)).toEqual([200]);
    // The diff changes nothing: the stack is as it was.
    expect(fake.calls.count('ExecuteChangeSet')).toBe(0);
    expect(stack()).toMatchObject({ status: 'UPDATE_COMPLETE', parameters: { DevImageTag: '0.9.7' } });
    expect(unserved()).toEqual([]);
  });

  it('a template of 50 KiB or less (prod alone) goes inline even in a bootstrapped account: no S3 call', async () => {
    fake.scenario = account({ bootstrapped: true });
    fake.calls.reset();
    const run = await deploy(small);
    expect(run.status, run.output).toBe(0);
    expect(stack().status).toBe('CREATE_COMPLETE');
    expect(fake.calls.count({ service: 's3' })).toBe(0);
    expect(input('CreateChangeSet').TemplateBody).toMatch(/^Description: /);
    expect(input('CreateChangeSet').TemplateURL).toBeUndefined();
  });

  it('an account that is not bootstrapped: cdk-assets finds no staging bucket and cdk creates nothing', async () => {
    fake.scenario = account({ bootstrapped: false });
    fake.calls.reset();
    const run = await deploy(large);
    expect(run.status).not.toBe(0);
    expect(run.output).toContain(`No bucket named '${BUCKET}'. Is account 123456789012 bootstrapped?`);
    expect(fake.calls.count('PutObject')).toBe(0);
    expect(fake.calls.count('CreateChangeSet')).toBe(0);
    expect(fake.scenario.stacks[STACK]).toBeUndefined();
  });

  it('a bootstrap stack whose staging bucket is gone: the same refusal, and cdk creates nothing', async () => {
    fake.scenario = account({ bootstrapped: true });
    delete fake.scenario.s3![BUCKET];
    fake.calls.reset();
    const run = await deploy(large);
    expect(run.status).not.toBe(0);
    expect(run.output).toContain(`No bucket named '${BUCKET}'. Is account 123456789012 bootstrapped?`);
    expect(fake.calls.count('PutObject')).toBe(0);
    expect(fake.calls.count('CreateChangeSet')).toBe(0);
    expect(fake.scenario.stacks[STACK]).toBeUndefined();
  });
});
