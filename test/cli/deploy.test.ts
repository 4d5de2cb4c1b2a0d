import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync, existsSync, mkdirSync, rmSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { BIN, runCliAsync, type CliResult } from '../helpers/cli.js';
import { imageDigestOf } from '../fake-aws/stacks.js';
import { advanceStacks } from '../fake-aws/cfn/stacks.js';
import { synthProjectStack, type ProjectStack } from '../fake-aws/project-stack.js';
import { changeSetParameters, deployedScenario, QUILT_OUTPUTS, STACK, type DeployedOptions } from '../helpers/deployed.js';
import { CDK_BIN_OVERRIDE_ENV } from '../../src/infra/runner.js';
import { HOSTILE, RAW_CONTROL } from '../helpers/hostile.js';
import { devProfile, prodProfile, QUILT_ARN, QUILT_ARN_DEV, SECRET, tempDir, writeJson } from '../helpers/fixtures.js';
import { isRunning, waitFor } from '../helpers/wait.js';
import { useFakeAws } from '../helpers/fake-aws.js';

/**
 * Every deploy, diff, promote, rollback and destroy here runs the real aws-cdk
 * CLI from node_modules against the fake AWS, whose CloudFormation holds the
 * stack synthesized from the same profiles (seeded as a deploy leaves it).
 */
/** What prod runs (its profile, the seeded stack, deploy.json), and the image before it in its history: releases the stack serves. */
const PROD_TAG = '0.7.10';
const PREVIOUS_TAG = '0.7.2';

/** Each test puts its stack in the fake (world()); the CLI and cdk reach it through the environment given to them. */
const { fake } = useFakeAws({ scenario: () => deployedScenario(null), processEnv: false });
let both: ProjectStack;
let prodOnly: ProjectStack;
beforeAll(async () => {
  [both, prodOnly] = await Promise.all([synthProjectStack({ prod: { imageTag: PROD_TAG }, dev: { benchlingTenant: 'acme' }, quiltValues: false }), synthProjectStack({ prod: { imageTag: PROD_TAG }, dev: false, quiltValues: false })]);
});

interface World {
  dir: string;
  records: string;
  run(args: string[], env?: Record<string, string>): Promise<CliResult>;
  recordsText(): string;
  /** What cdk sent CloudFormation, one entry per change set. */
  changeSets(): Record<string, string>[];
  /** Folders the run left in its temporary folder. */
  leftovers(): string[];
  /** The cdk logs kept in the config folder. */
  cdkLogs(): string[];
}

/** A config folder with both profiles and a prod record, and the fake holding the stack deployed from them (prod PROD_TAG, dev latest). */
function world(options: DeployedOptions & { template?: Record<string, any> | null; profileFields?: Record<string, unknown> } = {}): World {
  const dir = tempDir();
  const tmp = join(dir, 'tmp');
  writeJson(dir, 'default.json', prodProfile({ imageTag: PROD_TAG, ...options.profileFields }));
  writeJson(dir, 'dev.json', devProfile({ benchlingTenant: 'acme', ...options.profileFields }));
  const records = join(dir, 'deploy.json');
  writeFileSync(
    records,
    `${JSON.stringify({ prod: { endpoint: 'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod', imageTag: PROD_TAG, deployedAt: '2026-11-01T00:00:00.000Z', stackName: STACK, stage: 'prod', history: [{ imageTag: PREVIOUS_TAG, deployedAt: '2026-10-01T00:00:00.000Z' }] } }, null, 2)}\n`,
  );
  fake.scenario = deployedScenario(options.template === undefined ? both.template : options.template, options);
  return {
    dir,
    records,
    run: async (args, env = {}) => {
      mkdirSync(tmp, { recursive: true });
      return runCliAsync(['--config-dir', dir, ...args], { env: { ...fake.env, TMPDIR: tmp, ...env } });
    },
    recordsText: () => readFileSync(records, 'utf8'),
    changeSets: () => changeSetParameters(fake.calls.all) as Record<string, string>[],
    leftovers: () => (existsSync(tmp) ? readdirSync(tmp) : []),
    cdkLogs: () => (existsSync(join(dir, 'logs')) ? readdirSync(join(dir, 'logs')).sort() : []),
  };
}

const stack = () => fake.scenario.stacks[STACK];
const serviceTags = (env: 'Dev' | 'Prod') => stack().parameters[`${env}ImageTag`];
/** The resource lines of a plan's `changes` section. */
const changeLines = (stdout: string) => stdout.split('\n').filter((l) => /^\s+\[[+~-]\] /.test(l));

describe('deploy (real synth, real cdk, fake AWS)', { timeout: 120_000 }, () => {
  it("deploys dev with dev's parameters only, keeps prod's, and records only dev", async () => {
    const w = world();
    const prodBefore = JSON.parse(w.recordsText()).prod;
    const prodTaskDefinition = fake.scenario.clusters[stack().outputs.ClusterName].services[stack().outputs.ProdServiceName].taskDefinition;
    const r = await w.run(['deploy', '--environment', 'dev', '--image-tag', 'abc123', '--yes']);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/image\s+latest -> abc123/);
    expect(r.stdout).toMatch(/prod keeps its running service/);
    // The plan's changes are cdk's, and only dev's.
    const changes = changeLines(r.stdout);
    expect(changes.join('\n')).toMatch(/\[~\] AWS::ECS::TaskDefinition Dev\/TaskDefinition DevTaskDefinition\w+ replace/);
    expect(changes.filter((l) => /Prod/.test(l))).toEqual([]);
    // cdk sent dev's values and asked CloudFormation to keep every prod value.
    const sent = w.changeSets().at(-1)!;
    expect(sent).toMatchObject({ DevImageTag: 'abc123', DevSecretName: 'quiltdata/benchling-webhook/dev/acme', DevMinCapacity: '1', DevMaxCapacity: '2', DevLogLevel: 'INFO', DevQuiltStackArn: QUILT_ARN_DEV, DevWebhookVerification: 'true' });
    for (const [k, v] of Object.entries(sent)) if (k.startsWith('Prod')) expect(v, k).toBe('previous');
    expect(serviceTags('Dev')).toBe('abc123');
    expect(serviceTags('Prod')).toBe(PROD_TAG);
    expect(fake.scenario.clusters[stack().outputs.ClusterName].services[stack().outputs.ProdServiceName].taskDefinition).toBe(prodTaskDefinition);
    const file = JSON.parse(w.recordsText());
    expect(file.prod).toEqual(prodBefore);
    expect(file.dev).toMatchObject({ imageTag: 'abc123', stage: 'dev', endpoint: stack().outputs.DevEndpoint });
    // The temporary folder is removed once the deploy is over; the cdk log stays in the config folder's logs/.
    expect(w.leftovers()).toEqual([]);
    expect(w.cdkLogs()).toEqual([expect.stringMatching(/^cdk-.+-deploy-dev\.log$/)]);
    expect(r.stdout).toContain(`cdk output: ${join(w.dir, 'logs', w.cdkLogs()[0])}`);
  });

  it("a plan shows exactly what the deploy does: after dev moved off its profile's tag, prod's plan and dev's plan leave the other alone", async () => {
    // dev runs 0.8.2 though its profile says latest; prod runs PROD_TAG as its profile says.
    const w = world({ imageTags: { dev: '0.8.2' } });
    const prodPlan = await w.run(['diff', '--environment', 'prod']);
    expect(prodPlan.status, prodPlan.stderr).toBe(0);
    expect(changeLines(prodPlan.stdout).filter((l) => /Dev/.test(l))).toEqual([]);
    // CloudFormation was asked with dev's running values, so its change set has nothing of dev.
    expect(w.changeSets().at(-1)).toMatchObject({ DevImageTag: '0.8.2', ProdImageTag: PROD_TAG });
    const deploy = await w.run(['deploy', '--environment', 'prod', '--image-tag', '0.8.0', '--yes']);
    expect(deploy.status, deploy.stderr).toBe(0);
    expect(changeLines(deploy.stdout).filter((l) => /Dev/.test(l))).toEqual([]);
    expect(changeLines(deploy.stdout).join('\n')).toMatch(/Prod\/TaskDefinition/);
    expect(serviceTags('Dev')).toBe('0.8.2');
    const devPlan = await w.run(['diff', '--environment', 'dev', '--image-tag', '0.8.3']);
    expect(devPlan.status, devPlan.stderr).toBe(0);
    expect(changeLines(devPlan.stdout).filter((l) => /Prod/.test(l))).toEqual([]);
    expect(changeLines(devPlan.stdout).join('\n')).toMatch(/Dev\/TaskDefinition/);
  });

  it('without --yes and without a terminal, refuses (2) and changes nothing', async () => {
    const w = world();
    const before = w.recordsText();
    const r = await w.run(['deploy', '--environment', 'prod', '--image-tag', '0.8.0']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/not confirmed: there is no terminal to ask on and --yes was not given/);
    expect(fake.calls.count('ExecuteChangeSet')).toBe(0);
    expect(serviceTags('Prod')).toBe(PROD_TAG);
    expect(w.recordsText()).toBe(before);
    expect(existsSync(`${w.records}.lock`)).toBe(false);
  });

  it("a failing deploy exits 1 naming the resource once and CloudFormation's reason; the stack rolls back; deploy.json byte for byte as before", async () => {
    const w = world();
    const serviceId = Object.keys(both.template.Resources).find((k) => k.startsWith('DevService') && both.template.Resources[k].Type === 'AWS::ECS::Service')!;
    fake.scenario.cfn = { stepMs: 0, failResource: { logicalId: serviceId, reason: 'Resource handler returned message: "Circuit breaker triggered"' } };
    const before = w.recordsText();
    const r = await w.run(['deploy', '--environment', 'dev', '--image-tag', '0.8.9', '--yes']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/deploy of dev failed; deploy.json unchanged; stack BenchlingWebhookStack is UPDATE_ROLLBACK_COMPLETE/);
    // cdk prints `Dev/Service/Service (DevServiceB35D2857) reason`: the path and id are the resource, the reason is CloudFormation's.
    expect(r.stderr).toContain(`  Dev/Service/Service (${serviceId}) AWS::ECS::Service: UPDATE_FAILED: Resource handler returned message: "Circuit breaker triggered"\n`);
    expect(r.stdout).toMatch(new RegExp(`UPDATE_FAILED\\s+AWS::ECS::Service Dev/Service/Service \\(${serviceId}\\): Resource handler`));
    expect(r.stderr).toMatch(/the full cdk output is in .*\/logs\/cdk-[^/]*-deploy-dev\.log\n/);
    expect(w.recordsText()).toBe(before);
    expect(serviceTags('Dev')).toBe('latest');
    expect(w.leftovers()).toEqual([]);
  });

  it('a template over 50 KiB (dev and prod together): the plan is a change set of the published template, and the deploy uses the same object', async () => {
    const w = world();
    const plan = await w.run(['diff', '--environment', 'dev', '--image-tag', '0.9.7']);
    expect(plan.status, plan.stderr).toBe(0);
    expect(changeLines(plan.stdout).join('\n')).toMatch(/\[~\] AWS::ECS::TaskDefinition Dev\/TaskDefinition DevTaskDefinition\w+ replace/);
    expect(plan.stdout + plan.stderr).not.toMatch(/could not be computed|Could not create a change set/);
    // The diff published the template (its JSON, under its hash) and named it by URL.
    expect(fake.calls.count('PutObject')).toBe(1);
    const url = (fake.calls.matching('CreateChangeSet').at(-1)!.input as { TemplateURL?: string; TemplateBody?: string });
    expect(url.TemplateBody).toBeUndefined();
    expect(url.TemplateURL).toMatch(/\/cdk-hnb659fds-assets-123456789012-us-east-1\/[0-9a-f]{64}\.json$/);
    const deploy = await w.run(['deploy', '--environment', 'dev', '--image-tag', '0.9.7', '--yes']);
    expect(deploy.status, deploy.stderr + deploy.stdout).toBe(0);
    // Published once: the deploy found the object the diff put there.
    expect(fake.calls.count('PutObject')).toBe(1);
    expect((fake.calls.matching('CreateChangeSet').at(-1)!.input as { TemplateURL?: string }).TemplateURL).toBe(url.TemplateURL);
    expect(serviceTags('Dev')).toBe('0.9.7');
  }, 120_000);

  it('a template over 50 KiB in an account that is not bootstrapped: refused before cdk runs, saying how to bootstrap', async () => {
    const w = world({ bootstrapped: false });
    const r = await w.run(['deploy', '--environment', 'dev', '--image-tag', '0.9.7', '--yes']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/the template is \d+ KiB, over the 50 KiB CloudFormation takes inline, so cdk uploads it to the bootstrap bucket, and account 123456789012 in us-east-1 is not bootstrapped for the CDK/);
    expect(r.stderr).toContain('npx cdk bootstrap aws://123456789012/us-east-1');
    expect(fake.calls.count('CreateChangeSet')).toBe(0);
    expect(fake.calls.count({ service: 's3' })).toBe(0);
  });

  it('refuses a profile holding the client secret that others may read, before anything runs, never showing it', async () => {
    const w = world();
    writeJson(w.dir, 'dev.json', devProfile({ benchlingTenant: 'acme', benchlingClientSecret: SECRET }), 0o644);
    const r = await w.run(['diff', '--environment', 'dev']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/error: .*dev\.json: benchlingClientSecret: the file holding it is readable by group or others \(mode 644\); it must be yours alone: run `chmod 600 /);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
    expect(fake.calls.all.length).toBe(0);
  });

  it('refuses a pairing of profile and environment before anything runs', async () => {
    const w = world();
    const r = await w.run(['deploy', '--environment', 'prod', '--profile', 'dev', '--yes']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/profile "dev" is for environment "dev"; it cannot be deployed to "prod"/);
    expect(fake.calls.all.length).toBe(0);
  });

  it('refuses a stack that cannot be updated, saying what to do', async () => {
    const w = world();
    stack().status = 'UPDATE_ROLLBACK_IN_PROGRESS';
    const r = await w.run(['deploy', '--environment', 'dev', '--yes']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cannot be updated now: another operation is running on the stack \(UPDATE_ROLLBACK_IN_PROGRESS\)/);
  });

  it('refuses to deploy when the stack holds an environment no profile describes (it would be deleted)', async () => {
    const w = world();
    rmSync(join(w.dir, 'dev.json'));
    const before = w.recordsText();
    for (const args of [['deploy', '--environment', 'prod', '--yes'], ['diff', '--environment', 'prod']]) {
      const r = await w.run(args);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/stack BenchlingWebhookStack holds the dev environment, but there is no dev profile \(.*dev\.json\); this deploy would delete dev's service/);
    }
    expect(fake.calls.count('CreateChangeSet')).toBe(0);
    expect(w.recordsText()).toBe(before);
    expect(existsSync(`${w.records}.lock`)).toBe(false);
  });

  it('a prod-only stack\'s plan does not speak of dev', async () => {
    const w = world({ template: prodOnly.template });
    rmSync(join(w.dir, 'dev.json'));
    const r = await w.run(['diff', '--environment', 'prod', '--image-tag', '0.8.0']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/dev keeps|Dev/);
    expect(changeLines(r.stdout).join('\n')).toMatch(/Prod\/TaskDefinition/);
  });

  it('creates a missing secret from the profile, never printing it', async () => {
    const w = world();
    writeJson(w.dir, 'dev.json', devProfile({ benchlingTenant: 'acme', benchlingClientSecret: SECRET }));
    delete fake.scenario.secrets['quiltdata/benchling-webhook/dev/acme'];
    const r = await w.run(['deploy', '--environment', 'dev', '--yes']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/secret\s+quiltdata\/benchling-webhook\/dev\/acme \(dev\) does not exist: it will be created/);
    expect(JSON.parse(fake.scenario.secrets['quiltdata/benchling-webhook/dev/acme'].secretString!)).toMatchObject({ client_secret: SECRET, user_bucket: 'acme-dev-packages' });
    expect(r.stdout + r.stderr).not.toContain(SECRET);
    // Nor in what cdk sent, nor in its log.
    expect(JSON.stringify(fake.calls.matching({ service: 'cloudformation' }))).not.toContain(SECRET);
    expect(w.cdkLogs()).toHaveLength(1);
    for (const f of w.cdkLogs()) expect(readFileSync(join(w.dir, 'logs', f), 'utf8')).not.toContain(SECRET);
  });

  it('expired credentials: a clear message to log in again, no stack trace, exit 1', async () => {
    const w = world();
    fake.inject({ service: 'sts', kind: 'expired-credentials' });
    const r = await w.run(['deploy', '--environment', 'dev', '--yes']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/credentials have expired/);
    expect(r.stderr).toMatch(/log in again/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

/** The parameters that carry what the container needs of its Quilt stack, its bucket and its image's contract. */
const CONTAINER_SUFFIXES = ['PackageBucket', 'QuiltWebHost', 'PackagerQueueUrl', 'AthenaDatabase', 'AthenaWorkgroup', 'Consumers'] as const;
const DEV_QUILT = QUILT_OUTPUTS[QUILT_ARN_DEV];
const PROD_QUILT = QUILT_OUTPUTS[QUILT_ARN];
/** A dev profile that gives every Quilt value itself. */
const DEV_QUILT_FIELDS = {
  quiltWebHost: 'catalog.dev.example.org',
  packagerQueueUrl: 'https://sqs.us-west-2.amazonaws.com/210987654321/profile-packager',
  athenaUserDatabase: 'profile_db',
};

describe('what the container needs: Quilt values, package bucket, image contract', { timeout: 120_000 }, () => {
  it("resolves dev's Quilt values from its Quilt stack, read in that stack's region; the plan shows each value and where it came from", async () => {
    const w = world();
    const r = await w.run(['deploy', '--environment', 'dev', '--image-tag', '0.17.2', '--yes']);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    // Read once, by its ARN, with a client in the ARN's region (us-west-2; the webhook stack is in us-east-1).
    const reads = fake.calls.matching({ service: 'cloudformation', operation: 'DescribeStacks' }).filter((c) => (c.input as { StackName?: string }).StackName === QUILT_ARN_DEV);
    expect(reads.map((c) => c.region)).toEqual(['us-west-2']);
    expect(r.stdout).toContain(`quilt     ${QUILT_ARN_DEV}: outputs read`);
    expect(r.stdout).toContain(`queue     ${DEV_QUILT.PackagerQueueUrl} (Quilt stack output PackagerQueueUrl)`);
    expect(r.stdout).toContain(`catalog   ${DEV_QUILT.QuiltWebHost} (Quilt stack output QuiltWebHost)`);
    expect(r.stdout).toContain(`database  ${DEV_QUILT.UserAthenaDatabaseName} (Quilt stack output UserAthenaDatabaseName)`);
    // dev's Quilt stack has no workgroup output: the default.
    expect(r.stdout).toMatch(/workgroup primary \(default: neither dev\.json \(athenaUserWorkgroup\) nor the Quilt stack \(UserAthenaWorkgroupName\) says\)/);
    expect(r.stdout).toContain('bucket    acme-dev-packages (profile dev.json)');
    expect(r.stdout).toContain('contract  0.17.2 (consumers events+packaging)');
    expect(w.changeSets().at(-1)).toMatchObject({
      DevPackageBucket: 'acme-dev-packages',
      DevQuiltWebHost: DEV_QUILT.QuiltWebHost,
      DevPackagerQueueUrl: DEV_QUILT.PackagerQueueUrl,
      DevAthenaDatabase: DEV_QUILT.UserAthenaDatabaseName,
      DevAthenaWorkgroup: 'primary',
      DevConsumers: 'events+packaging',
    });
    expect(stack().parameters).toMatchObject({ DevPackagerQueueUrl: DEV_QUILT.PackagerQueueUrl, DevConsumers: 'events+packaging' });
    // prod's Quilt stack is not read: prod keeps what it has.
    expect(fake.calls.all.some((c) => (c.input as { StackName?: string }).StackName === QUILT_ARN)).toBe(false);
    for (const suffix of CONTAINER_SUFFIXES) expect(w.changeSets().at(-1)![`Prod${suffix}`], suffix).toBe('previous');
  });

  it("a value the profile gives wins over the Quilt stack's output, and the plan says so", async () => {
    const w = world();
    writeJson(w.dir, 'dev.json', devProfile({ benchlingTenant: 'acme', packagerQueueUrl: DEV_QUILT_FIELDS.packagerQueueUrl, athenaUserWorkgroup: 'dev-workgroup' }));
    const r = await w.run(['diff', '--environment', 'dev']);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain(`queue     ${DEV_QUILT_FIELDS.packagerQueueUrl} (profile dev.json, instead of the Quilt stack's "${DEV_QUILT.PackagerQueueUrl}")`);
    expect(r.stdout).toContain('workgroup dev-workgroup (profile dev.json)');
    expect(r.stdout).toContain(`database  ${DEV_QUILT.UserAthenaDatabaseName} (Quilt stack output UserAthenaDatabaseName)`);
    expect(w.changeSets().at(-1)).toMatchObject({ DevPackagerQueueUrl: DEV_QUILT_FIELDS.packagerQueueUrl, DevAthenaWorkgroup: 'dev-workgroup', DevAthenaDatabase: DEV_QUILT.UserAthenaDatabaseName });
  });

  it("a Quilt stack these credentials cannot read: the plan says so and the deploy works from the profile's values", async () => {
    const w = world();
    // Another account's stack: CloudFormation answers that it does not exist.
    delete fake.scenario.stacks.QuiltDev;
    writeJson(w.dir, 'dev.json', devProfile({ benchlingTenant: 'acme', ...DEV_QUILT_FIELDS }));
    const r = await w.run(['deploy', '--environment', 'dev', '--yes']);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain(`quilt     ${QUILT_ARN_DEV} cannot be read with these credentials (it does not exist for them; it is in account 210987654321, these credentials are for 123456789012): dev.json's values are used`);
    expect(r.stdout).toContain(`queue     ${DEV_QUILT_FIELDS.packagerQueueUrl} (profile dev.json)`);
    expect(stack().parameters).toMatchObject({
      DevQuiltWebHost: DEV_QUILT_FIELDS.quiltWebHost,
      DevPackagerQueueUrl: DEV_QUILT_FIELDS.packagerQueueUrl,
      DevAthenaDatabase: DEV_QUILT_FIELDS.athenaUserDatabase,
      DevAthenaWorkgroup: 'primary',
    });
  });

  it('a Quilt stack that cannot be read and a profile without the values: refused (2), naming the file and each field; nothing changed', async () => {
    const w = world();
    delete fake.scenario.stacks.QuiltDev;
    // One field given: only the others are asked for.
    writeJson(w.dir, 'dev.json', devProfile({ benchlingTenant: 'acme', quiltWebHost: DEV_QUILT_FIELDS.quiltWebHost }));
    const before = w.recordsText();
    const stackBefore = JSON.stringify(stack().parameters);
    const r = await w.run(['deploy', '--environment', 'dev', '--yes']);
    expect(r.status, r.stderr).toBe(2);
    const devFile = join(w.dir, 'dev.json');
    expect(r.stderr).toContain(`${devFile}: packagerQueueUrl: needed by the container (PACKAGER_SQS_URL); the Quilt stack ${QUILT_ARN_DEV} cannot be read with these credentials (it does not exist for them`);
    expect(r.stderr).toContain(`${devFile}: athenaUserDatabase: needed by the container (ATHENA_USER_DATABASE); the Quilt stack ${QUILT_ARN_DEV} cannot be read`);
    expect(r.stderr).not.toMatch(/quiltWebHost: needed|athenaUserWorkgroup: needed/);
    expect(r.stderr).toMatch(/hint: set them in the profile \(`benchling-deploy setup-profile dev --packager-queue-url VALUE --athena-database VALUE`\)/);
    expect(fake.calls.count('CreateChangeSet')).toBe(0);
    expect(w.recordsText()).toBe(before);
    expect(existsSync(`${w.records}.lock`)).toBe(false);
    expect(JSON.stringify(stack().parameters)).toBe(stackBefore);
  });

  it("a Quilt stack that lacks an output the profile does not give either: refused, naming the output it lacks", async () => {
    const w = world();
    delete fake.scenario.stacks.QuiltDev.outputs.UserAthenaDatabaseName;
    const r = await w.run(['diff', '--environment', 'dev']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`dev.json: athenaUserDatabase: needed by the container (ATHENA_USER_DATABASE); the Quilt stack ${QUILT_ARN_DEV} has no output UserAthenaDatabaseName`);
    expect(fake.calls.count('CreateChangeSet')).toBe(0);
  });

  it.each([
    ['a new line', `${DEV_QUILT.PackagerQueueUrl}\nhttps://sqs.us-west-2.amazonaws.com/999999999999/elsewhere`],
    ['a wildcard', 'https://sqs.us-west-2.amazonaws.com/210987654321/*'],
  ])("a malformed output (a queue URL with %s) is refused, naming the stack and the output; the profile's value would win", async (_what, url) => {
    const w = world();
    fake.scenario.stacks.QuiltDev.outputs.PackagerQueueUrl = url;
    const r = await w.run(['deploy', '--environment', 'dev', '--yes']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`error: the Quilt stack ${QUILT_ARN_DEV}: output PackagerQueueUrl: expected an SQS queue URL https://sqs.REGION.amazonaws.com/ACCOUNT/NAME, got ${JSON.stringify(url)}`);
    // Shown quoted and escaped (the new line as \n), so on the error's one line.
    expect(fake.calls.count('CreateChangeSet')).toBe(0);
    writeJson(w.dir, 'dev.json', devProfile({ benchlingTenant: 'acme', packagerQueueUrl: DEV_QUILT_FIELDS.packagerQueueUrl }));
    const overridden = await w.run(['diff', '--environment', 'dev']);
    expect(overridden.status, overridden.stderr).toBe(0);
    expect(overridden.stdout).toContain(`queue     ${DEV_QUILT_FIELDS.packagerQueueUrl} (profile dev.json, instead of the Quilt stack's ${JSON.stringify(url)})`);
  });

  it('a profile without pkgBucket is refused (2) naming file and field: deploy, diff and synth, before any AWS call', async () => {
    const w = world();
    const { pkgBucket: _bucket, ...withoutBucket } = devProfile({ benchlingTenant: 'acme' });
    writeJson(w.dir, 'dev.json', withoutBucket);
    for (const args of [['deploy', '--environment', 'prod', '--image-tag', '0.8.0', '--yes'], ['diff', '--environment', 'dev'], ['synth', '--out', join(w.dir, 'out')]]) {
      const r = await w.run(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(`error: ${join(w.dir, 'dev.json')}: pkgBucket: required to `);
      expect(r.stderr).toContain('setup-profile dev --pkg-bucket BUCKET');
    }
    expect(existsSync(join(w.dir, 'out'))).toBe(false);
    expect(fake.calls.all).toEqual([]);
    // The same profile with its bucket synthesizes.
    writeJson(w.dir, 'dev.json', devProfile({ benchlingTenant: 'acme' }));
    expect((await w.run(['synth', '--out', join(w.dir, 'out')])).status).toBe(0);
  });

  it('an image the stack cannot serve is refused (2) with the reason, before any AWS call; the releases beside it are not', async () => {
    const w = world();
    const before = w.recordsText();
    for (const tag of ['0.9.3', '0.9.6', '0.6.9']) {
      const r = await w.run(['deploy', '--environment', 'dev', '--image-tag', tag, '--yes']);
      expect(r.status, tag).toBe(2);
      expect(r.stderr).toContain(`error: --image-tag: image ${tag} cannot be served: `);
    }
    expect(fake.calls.all).toEqual([]);
    writeJson(w.dir, 'default.json', prodProfile({ imageTag: '0.9.3' }));
    const profileTag = await w.run(['diff', '--environment', 'prod']);
    expect(profileTag.status).toBe(2);
    expect(profileTag.stderr).toContain(`error: ${join(w.dir, 'default.json')}: imageTag: image 0.9.3 cannot be served: its server binds port 8080 whatever PORT says`);
    for (const tag of ['0.9.0', '0.9.7', '0.7.0']) {
      const r = await w.run(['diff', '--environment', 'dev', '--image-tag', tag]);
      expect(r.status, `${tag}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toContain(`contract  ${tag} (consumers none)`);
    }
    expect(w.recordsText()).toBe(before);
  });

  it('an image whose version is unknown is served by the latest release\'s contract, and the plan says so', async () => {
    const w = world();
    const r = await w.run(['diff', '--environment', 'dev']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('contract  the version of latest is unknown: served as the latest release, 0.18.0 (consumers events+packaging)');
    expect(w.changeSets().at(-1)).toMatchObject({ DevImageTag: 'latest', DevConsumers: 'events+packaging' });
  });

  it("a stack deployed before these parameters existed: a plan of dev passes prod's too and says prod's service is updated; deploying it is refused without typing prod", async () => {
    const w = world();
    // The stack as the tool before this change left it: no such parameters, for either environment.
    for (const env of ['Dev', 'Prod']) for (const suffix of CONTAINER_SUFFIXES) delete stack().parameters[`${env}${suffix}`];
    const prodTaskDefinition = () => fake.scenario.clusters[stack().outputs.ClusterName].services[stack().outputs.ProdServiceName].taskDefinition;
    const prodBefore = prodTaskDefinition();
    const held = { ...stack().parameters };
    const before = w.recordsText();
    // --yes, or no terminal to type "prod" on: refused, nothing run, prod's service as it was.
    for (const args of [['--yes'], []]) {
      const refused = await w.run(['deploy', '--environment', 'dev', ...args]);
      expect(refused.status, refused.stderr).toBe(2);
      expect(refused.stdout).toMatch(/other\s+prod's service is updated by this deploy too/);
      expect(refused.stderr).toContain('error: this dev deploy would change prod\'s running service too (its parameters ProdPackageBucket, ProdQuiltWebHost, ProdPackagerQueueUrl, ProdAthenaDatabase, ProdAthenaWorkgroup, ProdConsumers are new to the stack); it is not done without typing "prod" on a terminal');
      expect(refused.stderr).toContain('hint: deploy prod first (`benchling-deploy deploy --environment prod`), then this; nothing was changed');
    }
    expect(fake.calls.count('ExecuteChangeSet')).toBe(0);
    expect(prodTaskDefinition()).toBe(prodBefore);
    expect(stack().parameters.ProdConsumers).toBeUndefined();
    expect(w.recordsText()).toBe(before);
    // What such a deploy would pass, as its plan shows it.
    const r = await w.run(['diff', '--environment', 'dev']);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/other\s+prod's service is updated by this deploy too: the template changed, and its new parameters \(ProdPackageBucket, ProdQuiltWebHost, ProdPackagerQueueUrl, ProdAthenaDatabase, ProdAthenaWorkgroup, ProdConsumers\) are set from the prod profile and its Quilt stack/);
    expect(r.stdout).not.toMatch(/prod keeps its running service/);
    expect(r.stdout).toContain(`prod quilt ${QUILT_ARN}: outputs read`);
    expect(r.stdout).toContain(`prod queue ${PROD_QUILT.PackagerQueueUrl} (Quilt stack output PackagerQueueUrl)`);
    const sent = w.changeSets().at(-1)!;
    expect(sent).toMatchObject({
      ProdPackageBucket: 'acme-packages',
      ProdQuiltWebHost: PROD_QUILT.QuiltWebHost,
      ProdPackagerQueueUrl: PROD_QUILT.PackagerQueueUrl,
      ProdAthenaDatabase: PROD_QUILT.UserAthenaDatabaseName,
      ProdAthenaWorkgroup: PROD_QUILT.UserAthenaWorkgroupName,
      // From the image prod runs (PROD_TAG, a 0.7 release), not from dev's.
      ProdConsumers: 'none',
    });
    // What the stack already held of prod is kept as it is (a diff asks with the held values, as the deploy keeps them).
    for (const [k, v] of Object.entries(sent)) if (k.startsWith('Prod') && !CONTAINER_SUFFIXES.some((x) => k === `Prod${x}`)) expect(v, k).toBe(held[k]);
    expect(serviceTags('Prod')).toBe(PROD_TAG);
    // Prod deployed first, as the refusal says: the next deploy of dev leaves prod alone.
    const prod = await w.run(['deploy', '--environment', 'prod', '--yes']);
    expect(prod.status, prod.stderr + prod.stdout).toBe(0);
    expect(stack().parameters.ProdConsumers).toBe('none');
    const again = await w.run(['deploy', '--environment', 'dev', '--image-tag', '0.8.1', '--yes']);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/other\s+prod keeps its running service/);
    for (const [k, v] of Object.entries(w.changeSets().at(-1)!)) if (k.startsWith('Prod')) expect(v, k).toBe('previous');
  });

  it("the other environment's Quilt values, when passed, come from its own profile: refused naming that profile when they cannot be resolved", async () => {
    const w = world();
    for (const suffix of CONTAINER_SUFFIXES) delete stack().parameters[`Prod${suffix}`];
    delete fake.scenario.stacks.QuiltStack;
    const r = await w.run(['deploy', '--environment', 'dev', '--yes']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${join(w.dir, 'default.json')}: packagerQueueUrl: needed by the container (PACKAGER_SQS_URL); the Quilt stack ${QUILT_ARN} cannot be read with these credentials (it does not exist for them)`);
    expect(fake.calls.count('CreateChangeSet')).toBe(0);
  });
});

describe('promote and rollback', { timeout: 120_000 }, () => {
  const devService = () => fake.scenario.clusters[stack().outputs.ClusterName].services[stack().outputs.DevServiceName];

  it('promote deploys prod with the digest dev runs, and only prod', async () => {
    const w = world({ imageTags: { dev: '0.8.0' } });
    const digest = fake.scenario.clusters[stack().outputs.ClusterName].tasks.find((t) => t.group === `service:${stack().outputs.DevServiceName}` && t.lastStatus === 'RUNNING')!.containers[0].imageDigest!;
    expect(digest).toBe(imageDigestOf('712023778557.dkr.ecr.us-east-1.amazonaws.com/quiltdata/benchling:0.8.0'));
    const devTaskDefinition = devService().taskDefinition;
    const r = await w.run(['promote', '--yes']);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain(`dev runs  0.8.0 = ${digest}`);
    expect(changeLines(r.stdout).filter((l) => /Dev/.test(l))).toEqual([]);
    // The digest is dev's 0.8.0: served by 0.8.0's contract, not the latest release's.
    expect(r.stdout).toContain("contract  the digest of dev's 0.8.0: 0.8.0 (consumers none)");
    const sent = w.changeSets().at(-1)!;
    expect(sent.ProdImageTag).toBe(digest);
    expect(sent.ProdConsumers).toBe('none');
    for (const [k, v] of Object.entries(sent)) if (k.startsWith('Dev')) expect(v, k).toBe('previous');
    expect(serviceTags('Prod')).toBe(digest);
    expect(devService().taskDefinition).toBe(devTaskDefinition);
    // deploy.json keeps the release it is served as: a rollback to this digest later serves it the same way.
    expect(JSON.parse(w.recordsText()).prod).toMatchObject({ imageTag: digest, contractTag: '0.8.0' });
  });

  it('promote refuses while dev is rolling out, and when prod already runs the image', async () => {
    const w = world();
    devService().deployments[0].rolloutState = 'IN_PROGRESS';
    const rolling = await w.run(['promote', '--yes']);
    expect(rolling.status).toBe(1);
    expect(rolling.stderr).toMatch(/promote refused: dev is not healthy: rollout IN_PROGRESS/);
    world({ imageTags: { dev: PROD_TAG, prod: PROD_TAG } });
    const same = await w.run(['promote', '--yes']);
    expect(same.status).toBe(1);
    expect(same.stderr).toMatch(/prod already runs that image/);
    expect(fake.calls.count('CreateChangeSet')).toBe(0);
  });

  it("promote refuses while one of dev's targets fails its health checks, though every task runs", async () => {
    const w = world({ parameters: { DevMinCapacity: '2' } });
    const targets = fake.scenario.targetGroups[stack().outputs.DevTargetGroupArn];
    expect(targets).toHaveLength(2);
    expect(devService().runningCount).toBe(devService().desiredCount);
    targets[1].state = 'unhealthy';
    const r = await w.run(['promote', '--yes']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/promote refused: dev is not healthy: 1 of 2 targets healthy, 1 unhealthy/);
    // The same with every target healthy goes ahead: the refusal was the target's.
    targets[1].state = 'healthy';
    expect((await w.run(['promote', '--yes'])).status).toBe(0);
  });

  it('promote without confirmation is refused', async () => {
    const w = world();
    const r = await w.run(['promote']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/not confirmed/);
  });

  it('rollback redeploys the previous image from history', async () => {
    const w = world();
    const r = await w.run(['rollback', '--yes']);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain(`image     ${PROD_TAG} -> ${PREVIOUS_TAG}`);
    expect(changeLines(r.stdout).join('\n')).toMatch(/\[~\] AWS::ECS::TaskDefinition Prod\/TaskDefinition/);
    expect(w.changeSets().at(-1)!.ProdImageTag).toBe(PREVIOUS_TAG);
    expect(serviceTags('Prod')).toBe(PREVIOUS_TAG);
    const prod = JSON.parse(w.recordsText()).prod;
    expect(prod.imageTag).toBe(PREVIOUS_TAG);
    expect(prod.history[0].imageTag).toBe(PROD_TAG);
  });

  it("rollback to a digest serves it as the release deploy.json recorded with it; with none recorded it is refused, naming the entry", async () => {
    const w = world({ imageTags: { dev: '0.8.0' } });
    const digest = imageDigestOf('712023778557.dkr.ecr.us-east-1.amazonaws.com/quiltdata/benchling:0.8.0');
    const records = (entry: Record<string, unknown>) =>
      writeFileSync(w.records, `${JSON.stringify({ prod: { endpoint: 'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod', imageTag: PROD_TAG, deployedAt: '2026-11-01T00:00:00.000Z', stackName: STACK, stage: 'prod', history: [{ deployedAt: '2026-10-01T00:00:00.000Z', ...entry }] } }, null, 2)}\n`);
    // An older record: the digest's release is unknown, and the latest release's helper containers would stop a 0.8.0 image.
    records({ imageTag: digest });
    const before = w.recordsText();
    const refused = await w.run(['rollback', '--yes']);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain(`error: ${w.records}: prod.history[0].imageTag: the release of ${digest} is unknown: deploy.json does not record which release it was deployed as`);
    expect(refused.stderr).toContain('hint: roll back by version tag (`benchling-deploy deploy --environment prod --image-tag VERSION`), or pass the version (`benchling-deploy rollback --environment prod --release VERSION`)');
    // An entry the stack cannot serve names the entry too.
    records({ imageTag: '0.9.3' });
    const unservable = await w.run(['rollback', '--yes']);
    expect(unservable.status).toBe(2);
    expect(unservable.stderr).toContain(`error: ${w.records}: prod.history[0].imageTag: image 0.9.3 cannot be served: `);
    expect(fake.calls.all).toEqual([]);
    records({ imageTag: digest });
    expect(w.recordsText()).toBe(before);
    expect(serviceTags('Prod')).toBe(PROD_TAG);
    // Recorded as 0.8.0 (promoted from dev's 0.8.0): served as 0.8.0, no helper containers.
    records({ imageTag: digest, contractTag: '0.8.0' });
    const r = await w.run(['rollback', '--yes']);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain(`contract  recorded as 0.8.0 (${w.records}: prod.history[0].contractTag): 0.8.0 (consumers none)`);
    expect(w.changeSets().at(-1)).toMatchObject({ ProdImageTag: digest, ProdConsumers: 'none' });
    expect(stack().parameters).toMatchObject({ ProdImageTag: digest, ProdConsumers: 'none' });
    expect(JSON.parse(w.recordsText()).prod).toMatchObject({ imageTag: digest, contractTag: '0.8.0' });
  });

  it('rollback with no earlier image is refused', async () => {
    const w = world();
    const r = await w.run(['rollback', '--environment', 'dev', '--yes']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no earlier dev image/);
  });
});

describe('test', () => {
  let server: Server;
  let base = '';
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/ok/health') res.writeHead(200).end('ok');
      else if (req.url === '/bad/health') res.writeHead(500).end('internal');
      else if (req.url === '/hostile/health') res.writeHead(503).end(`unavailable ${HOSTILE}`);
      // '/hang/health' never answers
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  const withEndpoint = (w: World, path: string) => {
    const file = JSON.parse(w.recordsText());
    file.prod.endpoint = `${base}/${path}`;
    writeFileSync(w.records, JSON.stringify(file));
  };

  it('exits 0 on 200 with status and latency, 1 on 500 and on no answer', async () => {
    const w = world();
    withEndpoint(w, 'ok');
    const ok = await w.run(['test', '--environment', 'prod']);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/GET .*\/ok\/health -> 200 in \d+ ms/);
    withEndpoint(w, 'bad');
    const bad = await w.run(['test', '--environment', 'prod']);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/-> 500 .*internal/);
    withEndpoint(w, 'hang');
    const hang = await w.run(['test', '--environment', 'prod', '--timeout', '0.5']);
    expect(hang.status).toBe(1);
    expect(hang.stderr).toMatch(/no answer from .* within 0\.5 s/);
  });

  it("a 503 body holding escape sequences, CR LF, DEL and C1 controls is printed escaped, on the result's line", async () => {
    const w = world();
    withEndpoint(w, 'hostile');
    const r = await w.run(['test', '--environment', 'prod']);
    expect(r.status).toBe(1);
    expect(r.stdout).not.toMatch(RAW_CONTROL);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stdout).toMatch(/-> 503 in \d+ ms: unavailable Task failed \\x1b\]0;pwned\\x07\\x1b\[2J boom ⏎ FAKE: prod healthy\\x7f\\x9b31m\\x85end/);
    // --json keeps the body as it came.
    const json = await w.run(['--json', 'test', '--environment', 'prod']);
    expect(JSON.parse(json.stdout).body).toBe(`unavailable ${HOSTILE}`);
  });

  it('falls back to the stack outputs when deploy.json has no endpoint', async () => {
    const w = world();
    stack().outputs.DevEndpoint = `${base}/ok`;
    const r = await w.run(['test', '--environment', 'dev']);
    expect(r.status, r.stderr).toBe(0);
  });
});

describe('the real aws-cdk CLI with no credentials', () => {
  const noCredentials = (home: string) => ({
    HOME: home,
    AWS_PROFILE: undefined,
    AWS_ACCESS_KEY_ID: undefined,
    AWS_SECRET_ACCESS_KEY: undefined,
    AWS_SESSION_TOKEN: undefined,
    AWS_ENDPOINT_URL: undefined,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(home, 'none'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'none'),
  });

  it('deploy stops at the pre-flight with a clear message, exit 1, deploy.json byte-identical', async () => {
    const w = world();
    const before = w.recordsText();
    const r = await runCliAsync(['--config-dir', w.dir, 'deploy', '--environment', 'prod', '--yes'], { env: noCredentials(w.dir) });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no usable AWS credentials/);
    expect(r.stderr).toMatch(/log in again/);
    // It stops at the pre-flight: no synth, no cdk.
    expect(r.stdout).not.toMatch(/cdk output/);
    expect(w.recordsText()).toBe(before);
  });

  it('cdk deploy itself, given the synthesized assembly, fails cleanly without credentials', async () => {
    const w = world();
    const out = join(w.dir, 'assembly');
    const synth = await runCliAsync(['--config-dir', w.dir, 'synth', '--out', out]);
    expect(synth.status, synth.stderr).toBe(0);
    const { runCdk } = await import('../../src/infra/runner.js');
    const env = noCredentials(w.dir);
    const saved = { ...process.env };
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k];
    try {
      const r = await runCdk({ args: ['deploy', '--app', out, '--require-approval', 'never', '--no-notices', '--ci', 'BenchlingWebhookStack'], cwd: w.dir, logFile: join(w.dir, 'cdk.log'), env: { ...env, AWS_REGION: 'us-east-1' } as Record<string, string | undefined> });
      expect(r.outcome).toBe('failed');
      if (r.outcome === 'failed') expect(r.stderrTail).toMatch(/credentials|Unable to resolve AWS account/i);
    } finally {
      process.env = saved;
    }
  }, 90_000);
});

/** `deploy --environment dev --yes` (or `args`) as a child whose signals the test sends. */
function spawnDeploy(w: World, args: string[] = ['deploy', '--environment', 'dev', '--image-tag', '0.8.5', '--yes'], env: Record<string, string> = {}): { child: ChildProcessWithoutNullStreams; out: { stdout: string; stderr: string }; exited: Promise<number | null> } {
  mkdirSync(join(w.dir, 'tmp'), { recursive: true });
  const child = spawn(process.execPath, [BIN, '--config-dir', w.dir, ...args], {
    env: { ...process.env, ...fake.env, CI: 'true', NO_COLOR: '1', TMPDIR: join(w.dir, 'tmp'), ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d) => (out.stdout += d));
  child.stderr.on('data', (d) => (out.stderr += d));
  const exited = new Promise<number | null>((r) => child.on('close', (code, signal) => r(code ?? (signal ? -1 : null))));
  return { child, out, exited };
}

/** The cdk the lock names (the runner writes its pid there once cdk started). */
function cdkPidOf(w: World): number | undefined {
  try {
    return (JSON.parse(readFileSync(`${w.records}.lock`, 'utf8')) as { cdkPid?: number }).cdkPid;
  } catch {
    return undefined;
  }
}

describe('cancel, kill and destroy', { timeout: 180_000 }, () => {
  it('a deploy whose record cannot be written says the stack runs the image and the record failed (1), not that the deploy failed', async () => {
    const w = world({ stepMs: 1_000 });
    const run = w.run(['deploy', '--environment', 'dev', '--image-tag', '0.8.4', '--yes']);
    await waitFor(() => fake.calls.count('ExecuteChangeSet') > 0, 60_000, 'cdk to execute its change set');
    // deploy.json spoiled while cdk runs (another editor, a full disk): the record is what fails.
    writeFileSync(w.records, '{ "prod": ');
    const r = await run;
    expect(r.status, r.stderr + r.stdout).toBe(1);
    expect(serviceTags('Dev')).toBe('0.8.4');
    expect(r.stderr).toContain(`error: deployed 0.8.4 to dev (the stack runs it); recording it in deploy.json failed: ${w.records}: `);
    expect(r.stderr).toContain(`endpoint: ${stack().outputs.DevEndpoint}`);
    expect(r.stderr).not.toMatch(/deploy of dev failed|nothing was changed/);
    expect(w.recordsText()).toBe('{ "prod": ');
    expect(existsSync(`${w.records}.lock`)).toBe(false);
  });

  it('ctrl-c during a deploy stops cdk, says the stack state, deploy.json unchanged', async () => {
    const w = world({ stepMs: 1_000 });
    const before = w.recordsText();
    const run = spawnDeploy(w);
    await waitFor(() => fake.calls.count('ExecuteChangeSet') > 0, 60_000, 'cdk to execute its change set');
    const cdkPid = cdkPidOf(w)!;
    expect(isRunning(cdkPid)).toBe(true);
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(1);
    expect(run.out.stdout).toMatch(/cancelled; deploy.json unchanged; stack BenchlingWebhookStack is UPDATE_IN_PROGRESS/);
    expect(run.out.stdout).toMatch(/CloudFormation finishes or rolls back the update on its own/);
    expect(run.out.stderr).toMatch(/cancelling: stopping cdk/);
    expect(isRunning(cdkPid)).toBe(false);
    expect(w.recordsText()).toBe(before);
    expect(existsSync(`${w.records}.lock`)).toBe(false);
    expect(w.leftovers()).toEqual([]);
  });

  it('diff leaves no temporary folder, when cdk diff fails and on ctrl-c', async () => {
    const w = world();
    // Failed: CloudFormation refuses the change set.
    fake.inject({ service: 'cloudformation', operation: 'CreateChangeSet', kind: 'expired-credentials' });
    const failed = await w.run(['diff', '--environment', 'dev']);
    expect(failed.status, failed.stderr).toBe(1);
    expect(failed.stderr).toMatch(/cdk diff failed/);
    expect(w.leftovers()).toEqual([]);
    fake.clearFaults();
    // Cancelled: cdk is stopped, the plan disposed of.
    fake.scenario.cfn = { stepMs: 0, changeSetDelayMs: 60_000 };
    const run = spawnDeploy(w, ['diff', '--environment', 'dev']);
    await waitFor(() => fake.calls.count('CreateChangeSet') > 0 && cdkPidOf(w) !== undefined, 60_000, 'the diff to create its change set');
    const cdkPid = cdkPidOf(w)!;
    expect(w.leftovers().filter((d) => d.startsWith('benchling-deploy-'))).toHaveLength(1);
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(1);
    await waitFor(() => !isRunning(cdkPid), 10_000, 'cdk to end');
    expect(w.leftovers()).toEqual([]);
    fake.scenario.cfn = { stepMs: 0 };
  });

  it('a deploy forced to quit (a second ctrl-c while cdk ignores the first) leaves no temporary folder', async () => {
    const w = world();
    const pidFile = join(w.dir, 'cdk.pid');
    const run = spawnDeploy(w, undefined, { [CDK_BIN_OVERRIDE_ENV]: fileURLToPath(new URL('../fixtures/fake-cdk.mjs', import.meta.url)), FAKE_CDK_MODE: 'ignore-sigterm', FAKE_CDK_PID_FILE: pidFile });
    await waitFor(() => /deploying dev/.test(run.out.stdout) && existsSync(pidFile), 60_000, 'cdk deploy to start');
    expect(w.leftovers().filter((d) => d.startsWith('benchling-deploy-'))).toHaveLength(1);
    run.child.kill('SIGINT');
    await waitFor(() => /cancelling/.test(run.out.stderr), 10_000, 'the first ctrl-c to be seen');
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(130);
    expect(run.out.stderr).toMatch(/forced: cdk killed/);
    expect(w.leftovers()).toEqual([]);
  });

  it("ctrl-c while the plan's cdk diff runs: cdk stopped, lock released, nothing changed", async () => {
    const w = world();
    fake.scenario.cfn = { stepMs: 0, changeSetDelayMs: 60_000 };
    const before = w.recordsText();
    const run = spawnDeploy(w);
    await waitFor(() => fake.calls.count('CreateChangeSet') > 0 && cdkPidOf(w) !== undefined, 60_000, 'the diff to create its change set');
    const cdkPid = cdkPidOf(w)!;
    run.child.kill('SIGHUP');
    expect(await run.exited).toBe(1);
    expect(run.out.stderr).toMatch(/cancelled; nothing was changed/);
    await waitFor(() => !isRunning(cdkPid), 10_000, 'cdk to end');
    expect(fake.calls.count('ExecuteChangeSet')).toBe(0);
    expect(w.recordsText()).toBe(before);
    expect(existsSync(`${w.records}.lock`)).toBe(false);
  });

  it('a first deploy cancelled while CloudFormation prepares it leaves REVIEW_IN_PROGRESS; the next deploy creates the stack afresh', async () => {
    const w = world({ template: null });
    writeJson(w.dir, 'default.json', prodProfile({ imageTag: PROD_TAG, benchlingClientSecret: SECRET }));
    writeJson(w.dir, 'dev.json', devProfile({ benchlingTenant: 'acme', benchlingClientSecret: SECRET }));
    const run = spawnDeploy(w, ['deploy', '--environment', 'dev', '--yes']);
    // The plan's diff runs as usual; cdk deploy's own first change set is the one CloudFormation takes long to prepare.
    await waitFor(() => /deploying dev/.test(run.out.stdout), 60_000, 'the deploy to start');
    fake.scenario.cfn = { stepMs: 0, changeSetDelayMs: 60_000 };
    const before = fake.calls.count('CreateChangeSet');
    await waitFor(() => fake.calls.count('CreateChangeSet') > before && stack()?.status === 'REVIEW_IN_PROGRESS', 60_000, 'cdk deploy to wait for its first change set');
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(1);
    expect(stack().status).toBe('REVIEW_IN_PROGRESS');
    expect(run.out.stdout).toMatch(/stack BenchlingWebhookStack is REVIEW_IN_PROGRESS/);
    expect(run.out.stdout).toMatch(/nothing was created \(the first change set was never executed\); the next deploy creates the stack afresh/);
    fake.scenario.cfn = { stepMs: 0 };
    const again = await w.run(['deploy', '--environment', 'dev', '--yes']);
    expect(again.status, again.stderr + again.stdout).toBe(0);
    expect(again.stdout).toMatch(/stack\s+BenchlingWebhookStack \(new: first deploy creates every environment/);
    expect(stack().status).toBe('CREATE_COMPLETE');
  });

  it("a stack's first deploy creates every environment's secret first, so the environment not asked for starts too", async () => {
    const w = world({ template: null });
    writeJson(w.dir, 'default.json', prodProfile({ imageTag: PROD_TAG, benchlingClientSecret: SECRET }));
    writeJson(w.dir, 'dev.json', devProfile({ benchlingTenant: 'acme', benchlingClientSecret: SECRET }));
    const r = await w.run(['deploy', '--environment', 'dev', '--yes']);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    // One row per secret, each with its own label (the dashboard keys rows by label).
    expect(r.stdout).toMatch(/^  secret\s+quiltdata\/benchling-webhook\/dev\/acme \(dev\) does not exist: it will be created from the dev profile$/m);
    expect(r.stdout).toMatch(/^  prod secret quiltdata\/benchling-webhook\/default\/acme \(prod\) does not exist: it will be created from the prod profile$/m);
    expect(Object.keys(fake.scenario.secrets).sort()).toEqual(['quiltdata/benchling-webhook/default/acme', 'quiltdata/benchling-webhook/dev/acme']);
    // Both secrets exist before CloudFormation starts any task.
    const order = fake.calls.all.map((c) => c.operation);
    expect(order.lastIndexOf('CreateSecret')).toBeLessThan(order.indexOf('ExecuteChangeSet'));
    expect(stack().status).toBe('CREATE_COMPLETE');
    expect(JSON.parse(w.recordsText()).dev.imageTag).toBe('latest');
  });

  it('kill -9 of a deploy leaves cdk running: the next deploy is refused naming that cdk until it ends', async () => {
    const w = world({ stepMs: 1_500 });
    const run = spawnDeploy(w);
    await waitFor(() => fake.calls.count('ExecuteChangeSet') > 0, 60_000, 'cdk to execute its change set');
    const cdkPid = cdkPidOf(w)!;
    run.child.kill('SIGKILL');
    await run.exited;
    try {
      expect(isRunning(cdkPid)).toBe(true);
      const second = await w.run(['deploy', '--environment', 'prod', '--image-tag', '0.8.0', '--yes']);
      expect(second.status).toBe(1);
      expect(second.stderr).toContain(`held by cdk (pid ${cdkPid}), still running for deploy dev`);
      expect(second.stderr).toMatch(new RegExp(`kill -TERM -${cdkPid}`));
      expect(fake.calls.count('ExecuteChangeSet')).toBe(1);
      // The orphaned cdk finishes the update on its own; then the lock is stale and the next deploy goes ahead.
      await waitFor(() => !isRunning(cdkPid), 90_000, 'the orphaned cdk to finish');
      await waitFor(() => {
        advanceStacks(fake.scenario, Date.now());
        return stack().status === 'UPDATE_COMPLETE';
      }, 90_000, 'the update cdk started to complete');
      fake.scenario.cfn = { stepMs: 0 };
      const third = await w.run(['deploy', '--environment', 'prod', '--image-tag', '0.8.0', '--yes']);
      expect(third.status, third.stderr).toBe(0);
    } finally {
      if (isRunning(cdkPid)) process.kill(-cdkPid, 'SIGKILL');
    }
  });

  it('destroy asks for the stack name; with --yes it deletes and keeps the history', async () => {
    const w = world();
    const refused = await w.run(['destroy']);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/not confirmed/);
    const r = await w.run(['destroy', '--yes']);
    expect(r.status, r.stderr).toBe(0);
    expect(fake.calls.count('DeleteStack')).toBe(1);
    expect(stack().status).toBe('DELETE_COMPLETE');
    // The stack's lock in the account was taken (created, never overwritten) for the destroy, and is gone after it.
    const lock = '/benchling-webhook/BenchlingWebhookStack/lock';
    const lockPuts = fake.calls.matching('PutParameter').filter((c) => (c.input as { Name?: string }).Name === lock);
    expect(lockPuts.length).toBeGreaterThan(0);
    expect(lockPuts.every((c) => (c.input as { Overwrite?: boolean }).Overwrite === false)).toBe(true);
    expect(fake.scenario.ssm?.[lock]).toBeUndefined();
    const prod = JSON.parse(w.recordsText()).prod;
    expect(prod.destroyedAt).toMatch(/^\d{4}-/);
    expect(prod.history).toHaveLength(1);
    expect(prod.imageTag).toBe(PROD_TAG);
  });

  it("destroy's header shows the stack status and the account as AWS gave them, escaped on one line: no forged line before the question", async () => {
    const w = world();
    fake.scenario.identity = { ...fake.scenario.identity, account: `${HOSTILE}\ndestroyed ${STACK}; nothing to do` };
    stack().status = `UPDATE_COMPLETE${HOSTILE}`;
    const r = await w.run(['destroy']);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/not confirmed/);
    const header = r.stdout.split('\n').filter((l) => l.startsWith('destroy: stack'));
    expect(header).toHaveLength(1);
    expect(r.stdout).not.toMatch(RAW_CONTROL);
    expect(r.stdout).not.toMatch(/^destroyed /m);
    expect(r.stdout).not.toMatch(/^FAKE: /m);
  });

  it('destroy needs no package bucket: a dev profile without one (for a stack that holds only prod) is no reason to refuse', async () => {
    const w = world({ template: prodOnly.template });
    const { pkgBucket: _bucket, ...noBucket } = devProfile({ benchlingTenant: 'acme' });
    writeJson(w.dir, 'dev.json', noBucket);
    const r = await w.run(['destroy', '--yes']);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stderr).not.toContain('pkgBucket');
    expect(fake.calls.count('DeleteStack')).toBe(1);
    expect(stack().status).toBe('DELETE_COMPLETE');
    expect(JSON.parse(w.recordsText()).prod.destroyedAt).toMatch(/^\d{4}-/);
  });

  it('a cdk destroy that claims success while the stack is still there does not mark deploy.json destroyed', async () => {
    // A stand-in: the real cdk exits 1 whenever the deletion fails (below), so only a stand-in can claim success falsely.
    const w = world();
    const before = w.recordsText();
    const r = await w.run(['destroy', '--yes'], { [CDK_BIN_OVERRIDE_ENV]: fileURLToPath(new URL('../fixtures/fake-cdk.mjs', import.meta.url)) });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cdk destroy ended, but stack BenchlingWebhookStack is CREATE_COMPLETE; deploy.json unchanged/);
    expect(w.recordsText()).toBe(before);
  });

  it('a failed destroy exits 1 and leaves deploy.json as it was', async () => {
    const w = world();
    fake.scenario.cfn = { stepMs: 0, failDelete: { reason: 'Network load balancer has deletion protection enabled' } };
    const before = w.recordsText();
    const r = await w.run(['destroy', '--yes']);
    expect(r.status).toBe(1);
    expect(stack().status).toBe('DELETE_FAILED');
    expect(r.stderr).toMatch(/cdk destroy failed; deploy.json unchanged/);
    // cdk's error is shown once: not again in our error, nor cdk's own repeat of it on the next line.
    expect((r.stdout + r.stderr).match(/The stack named BenchlingWebhookStack is in a failed state/g)).toHaveLength(1);
    expect(r.stderr).toMatch(/cdk's output is above, and in full in .*\/logs\/cdk-[^/]*-destroy\.log/);
    // CloudFormation refusing DeleteStack outright (an error cdk does not retry): the same.
    fake.inject({ service: 'cloudformation', operation: 'DeleteStack', kind: 'expired-credentials' });
    const refused = await w.run(['destroy', '--yes']);
    expect(refused.status).toBe(1);
    expect(w.recordsText()).toBe(before);
    expect(existsSync(`${w.records}.lock`)).toBe(false);
  });
});

describe('AWS failures are external errors in words', () => {
  it('a server error on Secrets Manager during deploy: exit 1, what failed and what to do, no stack trace', async () => {
    const w = world();
    fake.inject({ service: 'secretsmanager', kind: 'server-error' });
    const r = await w.run(['deploy', '--environment', 'dev', '--yes'], { AWS_MAX_ATTEMPTS: '1' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error: .*InternalFailure/m);
    expect(r.stderr).toMatch(/hint: AWS answered with a server error; try again/);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(existsSync(`${w.records}.lock`)).toBe(false);
  });

  it('throttling on CloudFormation during test and promote: exit 1 with the throttling hint', async () => {
    const w = world();
    const file = JSON.parse(w.recordsText());
    delete file.prod;
    writeFileSync(w.records, JSON.stringify(file));
    fake.inject({ service: 'cloudformation', kind: 'throttle' });
    for (const args of [['test', '--environment', 'prod'], ['promote', '--yes']]) {
      const r = await w.run(args, { AWS_MAX_ATTEMPTS: '1' });
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/hint: AWS is throttling these calls/);
      expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    }
  });
});
