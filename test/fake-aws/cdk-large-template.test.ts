/**
 * A template over 50 KiB, through the real aws-cdk CLI: cdk 2.1148 sends at
 * most 50 KiB of YAML inline (TemplateBody); above that it uploads the
 * template to the bootstrap stack's staging bucket (cdk-assets publishing,
 * over the fake's S3) and creates the change set from its TemplateURL. The
 * project's stack uses the LegacyStackSynthesizer, so nothing else is
 * published and no bootstrap role is assumed. An allow-list of 300 CIDRs per
 * environment takes the project's template over the line (see
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
  [large, small] = await Promise.all([synthProjectStack({ prod: { webhookAllowList: allowList(300) }, dev: { webhookAllowList: allowList(300) } }), synthProjectStack()]);
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

  it('cdk deploy into a bootstrapped account uploads the template to the staging bucket and creates the stack from its TemplateURL', async () => {
    fake.scenario = account({ bootstrapped: true });
    fake.calls.reset();
    expect(Buffer.byteLength(templateFile(large))).toBeGreaterThan(TEMPLATE_BODY_MAX_BYTES);
    const run = await deploy(large);
    expect(run.status, run.output).toBe(0);
    expect(run.output).toContain(`✅  ${STACK}`);
    expect(stack().status).toBe('CREATE_COMPLETE');
    for (const [key, value] of Object.entries(stack().outputs)) expect(run.output).toContain(`${STACK}.${key} = ${value}`);
    expect(stack().outputs.DevServiceName).toMatch(/^BenchlingWebhookStack-DevServiceB35D2857-[A-Za-z0-9]{12}$/);
    expect(unserved()).toEqual([]);

    // What cdk 2.1148 calls, in order: the bootstrap stack's outputs, then cdk-assets publishing the template, then the change set.
    expect(sequence()).toEqual([
      'sts:GetCallerIdentity',
      'cloudformation:DescribeStacks', // the stack: does not exist yet
      'cloudformation:DescribeStacks', // CDKToolkit: BucketName, BucketDomainName
      'cloudformation:DescribeStacks', // CDKToolkit again: BootstrapVersion >= 21, so no ExpectedBucketOwner below
      'sts:GetCallerIdentity',
      's3:GetBucketLocation', // the bucket exists and is ours
      's3:ListObjectsV2', // not uploaded yet
      's3:GetBucketEncryption', // aws:kms: upload with ServerSideEncryption aws:kms
      's3:PutObject',
      'cloudformation:CreateChangeSet',
      'cloudformation:DescribeChangeSet',
      'cloudformation:DescribeStacks',
      'cloudformation:GetTemplate',
      'cloudformation:DescribeChangeSet',
      'cloudformation:ExecuteChangeSet',
      'cloudformation:DescribeStacks',
    ]);
    expect(fake.calls.matching({ service: 'cloudformation', operation: 'DescribeStacks' }).slice(1, 3).map((c) => c.input)).toEqual([{ StackName: BOOTSTRAP_STACK }, { StackName: BOOTSTRAP_STACK }]);
    expect(input('GetBucketLocation')).toEqual({ Bucket: BUCKET });

    const put = input('PutObject');
    expect(put.Key).toMatch(/^cdk\/BenchlingWebhookStack\/[0-9a-f]{64}\.yml$/);
    expect(input('ListObjectsV2')).toEqual({ Bucket: BUCKET, ListType: '2', Prefix: put.Key, MaxKeys: '1' });
    expect(put).toMatchObject({ Bucket: BUCKET, ServerSideEncryption: 'aws:kms', ChecksumAlgorithm: 'SHA256', ContentType: 'application/json' });
    // The object is the assembly's template file, byte for byte; the checksum cdk sent matched it.
    expect(Object.keys(objects())).toEqual([put.Key]);
    expect(objects()[put.Key]).toMatchObject({ body: templateFile(large), serverSideEncryption: 'aws:kms', checksumSha256: put.ChecksumSHA256 });

    // The change set names the object by the bucket's regional virtual-hosted URL, and carries no TemplateBody.
    const created = input('CreateChangeSet');
    expect(created.TemplateURL).toBe(`https://${BUCKET}.s3.us-east-1.amazonaws.com/${put.Key}`);
    expect(created.TemplateBody).toBeUndefined();
    expect(parseTemplateUrl(created.TemplateURL)).toEqual({ bucket: BUCKET, key: put.Key, region: 'us-east-1' });
    expect(stack().templateBody).toBe(templateFile(large));
  });

  it('a second deploy finds the template uploaded already (ListObjectsV2) and creates its change set from the same object', async () => {
    fake.calls.reset();
    const run = await deploy(large, '--parameters', `${STACK}:DevImageTag=0.0.2`);
    expect(run.status, run.output).toBe(0);
    expect(stack()).toMatchObject({ status: 'UPDATE_COMPLETE', parameters: { DevImageTag: '0.0.2' } });
    expect(fake.calls.count({ service: 's3' })).toBe(2);
    expect(fake.calls.count('ListObjectsV2')).toBe(1);
    expect(fake.calls.count('PutObject')).toBe(0);
    expect(Object.keys(objects())).toHaveLength(1);
    expect(input('CreateChangeSet').TemplateURL).toBe(`https://${BUCKET}.s3.us-east-1.amazonaws.com/${Object.keys(objects())[0]}`);
    expect(unserved()).toEqual([]);
  });

  it('cdk diff names the template by TemplateURL without uploading it: a change-set diff when a deploy uploaded it, else cdk falls back to a template diff', async () => {
    fake.calls.reset();
    const uploaded = await cdk(large, 'diff', '--parameters', `${STACK}:DevImageTag=0.0.3`, STACK);
    expect(uploaded.status, uploaded.output).toBe(0);
    expect(uploaded.output).toMatch(/\[~\] AWS::ECS::TaskDefinition Dev\/TaskDefinition DevTaskDefinition\w+ replace/);
    expect(fake.calls.count({ service: 's3' })).toBe(0);
    expect(fake.calls.matching('CreateChangeSet').map((c) => c.status)).toEqual([200]);

    // The uploaded template gone: CloudFormation cannot read the URL, and cdk says it diffs the templates instead.
    fake.scenario.s3![BUCKET].objects = {};
    fake.calls.reset();
    const missing = await cdk(large, 'diff', '--parameters', `${STACK}:DevImageTag=0.0.3`, STACK);
    expect(missing.status, missing.output).toBe(0);
    expect(missing.output).toContain('Could not create a change set, will base the diff on template differences');
    expect(fake.calls.matching('CreateChangeSet').map((c) => c.status)).toEqual([400]);
    expect(fake.calls.count({ service: 's3' })).toBe(0);
    expect(unserved()).toEqual([]);
  });

  it('a template of 50 KiB or less goes inline even in a bootstrapped account: no S3 call', async () => {
    fake.scenario = account({ bootstrapped: true });
    fake.calls.reset();
    const run = await deploy(small);
    expect(run.status, run.output).toBe(0);
    expect(stack().status).toBe('CREATE_COMPLETE');
    expect(fake.calls.count({ service: 's3' })).toBe(0);
    expect(input('CreateChangeSet').TemplateBody).toMatch(/^Description: /);
    expect(input('CreateChangeSet').TemplateURL).toBeUndefined();
  });

  it('an account that is not bootstrapped: cdk refuses the large template before any S3 call or change set', async () => {
    fake.scenario = account({ bootstrapped: false });
    fake.calls.reset();
    const run = await deploy(large);
    expect(run.status).not.toBe(0);
    expect(run.output).toMatch(/The template for stack "BenchlingWebhookStack" is \d+KiB\. Templates larger than 50KiB must be uploaded to S3/);
    expect(run.output).toContain('cdk bootstrap');
    expect(fake.calls.count({ service: 's3' })).toBe(0);
    expect(fake.calls.count('CreateChangeSet')).toBe(0);
    expect(fake.scenario.stacks[STACK]).toBeUndefined();
  });

  it('a bootstrap stack whose staging bucket is gone: cdk-assets finds no bucket (GetBucketLocation NoSuchBucket) and cdk creates nothing', async () => {
    fake.scenario = account({ bootstrapped: true });
    delete fake.scenario.s3![BUCKET];
    fake.calls.reset();
    const run = await deploy(large);
    expect(run.status).not.toBe(0);
    expect(run.output).toContain(`No bucket named '${BUCKET}'. Is account 123456789012 bootstrapped?`);
    expect(fake.calls.matching({ service: 's3' }).map((c) => `${c.operation} ${c.status}`)).toEqual(['GetBucketLocation 404']);
    expect(fake.calls.count('CreateChangeSet')).toBe(0);
    expect(fake.scenario.stacks[STACK]).toBeUndefined();
  });
});
