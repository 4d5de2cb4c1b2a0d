import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { prepareDeploy, executeDeploy, blockedStackState, type DeployAws, type DeployEvent, type StackDescription, type Synthesizer } from '../../src/infra/deploy.js';
import { synthesizeStackLazily } from '../../src/infra/operations.js';
import { startFakeAws, type FakeAws } from '../fake-aws/server.js';
import { synthProjectStack, type ProjectStack } from '../fake-aws/project-stack.js';
import { changeSetParameters, deployedScenario, STACK } from '../helpers/deployed.js';
import { resolveTarget } from '../../src/config/pairing.js';
import { inspectAllProfiles } from '../../src/config/store.js';
import { lockPathFor } from '../../src/state/deploy-records.js';
import { acquireLock } from '../../src/state/lock.js';
import { synthesizeStack } from '../../src/infra/synth.js';
import { devProfile, prodProfile, QUILT_ARN, QUILT_ARN_DEV, SECRET, tempDir, writeJson } from '../helpers/fixtures.js';

const synth: Synthesizer = async (_profiles, outDir) => {
  writeFileSync(join(outDir, 'manifest.json'), '{}');
  return { assemblyDir: outDir, hasAssets: false, templateBodySize: 40_000 };
};

function memoryAws(overrides: Partial<DeployAws> & { stack?: StackDescription; secrets?: Set<string> } = {}): DeployAws & { created: Record<string, string> } {
  const secrets = overrides.secrets ?? new Set(['quiltdata/benchling-webhook/default/acme', 'quiltdata/benchling-webhook/dev/acme-dev']);
  const created: Record<string, string> = {};
  return {
    created,
    callerIdentity: async () => ({ account: '123456789012', arn: 'arn:aws:iam::123456789012:user/op' }),
    describeStack: async (name) => (name === 'BenchlingWebhookStack' ? overrides.stack : undefined),
    secretExists: async (name) => secrets.has(name),
    createSecret: async (name, value) => {
      created[name] = value;
    },
    stoppedTaskReasons: async () => ['Essential container in task exited'],
    serviceRollout: async () => ({ rolloutState: 'IN_PROGRESS', running: 1, desired: 2, pending: 1 }),
    targetHealth: async () => ({ healthy: 1, unhealthy: 0, other: 0 }),
    ...overrides,
  };
}

const existing: StackDescription = {
  status: 'UPDATE_COMPLETE',
  parameters: { DevImageTag: 'old-dev', ProdImageTag: '0.6.9' },
  outputs: { ClusterName: 'c', DevServiceName: 'dev-svc', ProdServiceName: 'prod-svc' },
};

function setup(files: Record<string, unknown> = { default: prodProfile(), dev: devProfile() }) {
  const dir = tempDir();
  for (const [n, v] of Object.entries(files)) writeJson(dir, `${n}.json`, v);
  const recordsPath = join(dir, 'deploy.json');
  const prior = { prod: { endpoint: 'https://p/prod', imageTag: '0.6.9', deployedAt: '2026-01-01T00:00:00Z', stackName: 'BenchlingWebhookStack', stage: 'prod', history: [] } };
  writeFileSync(recordsPath, JSON.stringify(prior, null, 2));
  const request = (environment: 'dev' | 'prod', extra: Record<string, unknown> = {}) => ({
    target: resolveTarget(inspectAllProfiles(dir), { environment }),
    configDir: dir,
    recordsPath,
    workDir: join(dir, 'work'),
    purpose: `deploy ${environment}`,
    ...extra,
  });
  return { dir, recordsPath, request, before: () => readFileSync(recordsPath, 'utf8') };
}

describe('pre-flight', () => {
  it('says what to do for stack states that cannot be updated', () => {
    expect(blockedStackState('ROLLBACK_COMPLETE')).toMatch(/destroy/);
    expect(blockedStackState('UPDATE_IN_PROGRESS')).toMatch(/another operation is running/);
    // A first change set never executed (a cancelled first deploy): cdk creates the stack afresh.
    expect(blockedStackState('REVIEW_IN_PROGRESS')).toBeUndefined();
    expect(blockedStackState('UPDATE_COMPLETE')).toBeUndefined();
    expect(blockedStackState('UPDATE_ROLLBACK_COMPLETE')).toBeUndefined();
  });

  it('refuses a blocked stack, other credentials, a missing secret without values; releases the lock', async () => {
    const s = setup();
    await expect(prepareDeploy(s.request('dev'), memoryAws({ stack: { ...existing, status: 'UPDATE_IN_PROGRESS' } }), synth)).rejects.toThrow(/cannot be updated now: another operation/);
    await expect(prepareDeploy(s.request('dev'), memoryAws({ callerIdentity: async () => ({ account: '999999999999', arn: 'x' }) }), synth)).rejects.toThrow(/credentials are for account 999999999999 .* stack lives in account 123456789012/);
    await expect(prepareDeploy(s.request('prod'), memoryAws({ secrets: new Set() }), synth)).rejects.toThrow(/benchlingClientSecret: needed to create the secret quiltdata\/benchling-webhook\/default\/acme/);
    const expired = Object.assign(new Error('The security token included in the request is expired'), { name: 'ExpiredTokenException' });
    await expect(prepareDeploy(s.request('dev'), memoryAws({ callerIdentity: async () => Promise.reject(expired) }), synth)).rejects.toMatchObject({ message: 'the AWS credentials have expired', hint: expect.stringMatching(/log in again/) });
    expect(existsSync(lockPathFor(s.recordsPath))).toBe(false);
  });

  it('refuses a second deploy while the lock is held, naming the holder', async () => {
    const s = setup();
    const held = acquireLock(lockPathFor(s.recordsPath), 'deploy prod');
    await expect(prepareDeploy(s.request('dev'), memoryAws(), synth)).rejects.toThrow(/holds the lock on this stack: deploy prod/);
    held.release();
  });

  it('plans the secret creation when it is missing and the profile has the values', async () => {
    const s = setup({ default: prodProfile({ benchlingClientSecret: SECRET }) });
    const plan = await prepareDeploy(s.request('prod'), memoryAws({ secrets: new Set() }), synth);
    expect(plan.secrets).toEqual([{ environment: 'prod', name: 'quiltdata/benchling-webhook/default/acme', create: true }]);
    plan.lock.release();
  });

  it("a stack's first deploy plans every environment's secret, since it creates every environment's service", async () => {
    const s = setup({ default: prodProfile({ benchlingClientSecret: SECRET }), dev: devProfile({ benchlingClientSecret: SECRET }) });
    const plan = await prepareDeploy(s.request('dev'), memoryAws({ secrets: new Set(['quiltdata/benchling-webhook/dev/acme-dev']) }), synth);
    expect(plan.secrets).toEqual([
      { environment: 'dev', name: 'quiltdata/benchling-webhook/dev/acme-dev', create: false },
      { environment: 'prod', name: 'quiltdata/benchling-webhook/default/acme', create: true },
    ]);
    plan.lock.release();
    // The same when the stack exists but has never held prod (a dev-only stack gaining prod)...
    const devOnly: StackDescription = { status: 'UPDATE_COMPLETE', parameters: { DevImageTag: 'x' }, outputs: { ClusterName: 'c', DevServiceName: 'dev-svc' } };
    const grown = await prepareDeploy(s.request('dev'), memoryAws({ stack: devOnly, secrets: new Set(['quiltdata/benchling-webhook/dev/acme-dev']) }), synth);
    expect(grown.secrets.map((x) => x.environment)).toEqual(['dev', 'prod']);
    grown.lock.release();
    // ...but not once prod runs: its secret is its own deploy's business.
    const both = await prepareDeploy(s.request('dev'), memoryAws({ stack: existing, secrets: new Set(['quiltdata/benchling-webhook/dev/acme-dev']) }), synth);
    expect(both.secrets).toEqual([{ environment: 'dev', name: 'quiltdata/benchling-webhook/dev/acme-dev', create: false }]);
    both.lock.release();
    // Without the other profile's client secret the first deploy is refused before anything runs, naming that profile.
    const t = setup({ default: prodProfile(), dev: devProfile({ benchlingClientSecret: SECRET }) });
    await expect(prepareDeploy(t.request('dev'), memoryAws({ secrets: new Set() }), synth)).rejects.toThrow(/default\.json: benchlingClientSecret: needed to create the secret quiltdata\/benchling-webhook\/default\/acme, .*also creates prod's service/);
  });

  it('treats a stack left in REVIEW_IN_PROGRESS (a cancelled first deploy) as new', async () => {
    const s = setup();
    const plan = await prepareDeploy(s.request('dev'), memoryAws({ stack: { status: 'REVIEW_IN_PROGRESS', parameters: {}, outputs: {} } }), synth);
    expect(plan.stackExists).toBe(false);
    expect(plan.keptParameters).toEqual({});
    plan.lock.release();
  });

  it("keeps the other environment's current parameters for the diff", async () => {
    const s = setup();
    const plan = await prepareDeploy(s.request('dev'), memoryAws({ stack: { ...existing, parameters: { ...existing.parameters, ProdMinCapacity: '3', DevMinCapacity: '9' } } }), synth);
    expect(plan.keptParameters).toEqual({ ProdImageTag: '0.6.9', ProdMinCapacity: '3' });
    plan.lock.release();
  });

  it('a template over the inline limit needs a bootstrapped account, and says why', async () => {
    const s = setup();
    const big: Synthesizer = async (profiles, outDir) => ({ ...(await synth(profiles, outDir)), templateBodySize: 51_201 });
    await expect(prepareDeploy(s.request('dev'), memoryAws({ stack: existing }), big)).rejects.toThrow(/template is 50 KiB, over the 50 KiB CloudFormation takes inline.*not bootstrapped/);
    const limit: Synthesizer = async (profiles, outDir) => ({ ...(await synth(profiles, outDir)), templateBodySize: 51_200 });
    (await prepareDeploy(s.request('dev'), memoryAws({ stack: existing }), limit)).lock.release();
    const bootstrapped = memoryAws({ stack: existing });
    const withToolkit = { ...bootstrapped, describeStack: async (name: string) => (name === 'CDKToolkit' ? existing : bootstrapped.describeStack(name)) };
    (await prepareDeploy(s.request('dev'), withToolkit, big)).lock.release();
  });
  it('prod gets prod\'s parameters only', async () => {
    const s = setup();
    const plan = await prepareDeploy({ ...s.request('prod'), imageTag: '0.8.0' }, memoryAws({ stack: existing }), synth);
    expect(plan.parameters).toEqual({
      ProdImageTag: '0.8.0',
      ProdSecretName: 'quiltdata/benchling-webhook/default/acme',
      ProdMinCapacity: '2',
      ProdMaxCapacity: '10',
      ProdLogLevel: 'INFO',
      ProdQuiltStackArn: QUILT_ARN,
      ProdImageAccount: '712023778557',
      ProdImageRegion: 'us-east-1',
      ProdImageRepositoryName: 'quiltdata/benchling',
      ProdWebhookVerification: 'true',
    });
    expect(plan.oldTag).toBe('0.6.9');
    plan.lock.release();
    await expect(prepareDeploy({ ...s.request('prod'), imageTag: 'latest' }, memoryAws({ stack: existing }), synth)).rejects.toThrow(/prod must not run "latest"/);
  });

  it.each(['dev', 'prod'] as const)(
    "%s: passes every one of its parameters in the template, at the profile's values (the defaults synth gives them), and none of the other's",
    async (env) => {
      const s = setup({
        default: prodProfile({ webhookVerification: false, imageRepository: '210987654321.dkr.ecr.eu-west-1.amazonaws.com/acme/prod-hook', logLevel: 'WARNING' }),
        dev: devProfile({ imageRepository: '123456789012.dkr.ecr.us-west-2.amazonaws.com/acme/benchling-dev', benchlingSecret: 'acme/dev-secret', minCapacity: 0, maxCapacity: 4 }),
      });
      const request = s.request(env);
      const plan = await prepareDeploy(request, memoryAws({ stack: existing, secrets: new Set(['quiltdata/benchling-webhook/default/acme', 'acme/dev-secret']) }), synth);
      plan.lock.release();
      const template = synthesizeStack(request.target, join(s.dir, 'assembly')).template;
      const T = env === 'dev' ? 'Dev' : 'Prod';
      const own = Object.keys(template.Parameters).filter((k) => k.startsWith(T));
      expect(Object.keys(plan.parameters).sort()).toEqual(own.sort());
      for (const k of own) expect(plan.parameters[k], k).toBe(String(template.Parameters[k].Default));
      expect(plan.parameters).toMatchObject(
        env === 'dev'
          ? { DevQuiltStackArn: QUILT_ARN_DEV, DevImageAccount: '123456789012', DevImageRegion: 'us-west-2', DevImageRepositoryName: 'acme/benchling-dev', DevWebhookVerification: 'true', DevSecretName: 'acme/dev-secret', DevMinCapacity: '0', DevMaxCapacity: '4' }
          : { ProdQuiltStackArn: QUILT_ARN, ProdImageAccount: '210987654321', ProdImageRegion: 'eu-west-1', ProdImageRepositoryName: 'acme/prod-hook', ProdWebhookVerification: 'false', ProdLogLevel: 'WARNING' },
      );
    },
  );

});

describe('deploy orchestration: the real cdk against the fake AWS', { timeout: 120_000 }, () => {
  let fake: FakeAws;
  let project: ProjectStack;
  const saved = { ...process.env };
  beforeAll(async () => {
    project = await synthProjectStack();
    fake = await startFakeAws(deployedScenario(null));
    // The SDK clients and the cdk child find the fake only through the environment.
    Object.assign(process.env, fake.env);
    delete process.env.AWS_PROFILE;
  });
  afterAll(async () => {
    process.env = saved;
    await fake.close();
  });

  /** The world of setup() with the stack deployed from the same profiles, and the real AWS side. */
  async function deployed(options: Parameters<typeof deployedScenario>[1] = {}) {
    const s = setup();
    fake.scenario = deployedScenario(project.template, options);
    fake.calls.reset();
    const { createDeployAws } = await import('../../src/infra/deploy-aws.js');
    return { ...s, aws: await createDeployAws({ region: 'us-east-1' }) };
  }

  it("passes only this environment's parameters, records only its section, and reports progress events", async () => {
    const s = await deployed();
    const plan = await prepareDeploy({ ...s.request('dev'), imageTag: 'abc123' }, s.aws, synthesizeStackLazily);
    expect(plan.oldTag).toBe('latest');
    const events: DeployEvent[] = [];
    const out = await executeDeploy(plan, s.aws, { rolloutEveryMs: 10, onEvent: (e) => events.push(e) });
    expect(out.outcome).toBe('succeeded');
    const sent = changeSetParameters(fake.calls.all).at(-1)!;
    expect(sent.DevImageTag).toBe('abc123');
    expect(Object.entries(sent).filter(([k]) => k.startsWith('Prod')).every(([, v]) => v === 'previous')).toBe(true);
    const resources = events.flatMap((e) => (e.type === 'resource' ? [e.event] : []));
    expect(resources.find((r) => r.resourceType === 'AWS::ECS::TaskDefinition')).toMatchObject({ constructPath: 'Dev/TaskDefinition', logicalId: expect.stringMatching(/^DevTaskDefinition/) });
    const file = JSON.parse(readFileSync(s.recordsPath, 'utf8'));
    expect(file.dev).toMatchObject({ endpoint: fake.scenario.stacks[STACK].outputs.DevEndpoint, imageTag: 'abc123', stage: 'dev', stackName: STACK });
    expect(file.prod.imageTag).toBe('0.6.9');
    expect(existsSync(lockPathFor(s.recordsPath))).toBe(false);
  });

  it("a failure reports CloudFormation's reason for the failed resource, deploy.json untouched", async () => {
    const s = await deployed();
    const serviceId = Object.keys(project.template.Resources).find((k) => k.startsWith('DevService') && project.template.Resources[k].Type === 'AWS::ECS::Service')!;
    fake.scenario.cfn = { stepMs: 0, failResource: { logicalId: serviceId, reason: 'Resource handler returned message: "Circuit breaker triggered"' } };
    const before = s.before();
    const out = await executeDeploy(await prepareDeploy({ ...s.request('dev'), imageTag: '0.0.9' }, s.aws, synthesizeStackLazily), s.aws);
    expect(out).toMatchObject({ outcome: 'failed', stackStatus: 'UPDATE_ROLLBACK_COMPLETE' });
    if (out.outcome !== 'failed') return;
    expect(out.reasons[0]).toBe(`Dev/Service/Service (${serviceId}) AWS::ECS::Service: UPDATE_FAILED: Resource handler returned message: "Circuit breaker triggered"`);
    expect(s.before()).toBe(before);
    expect(existsSync(lockPathFor(s.recordsPath))).toBe(false);
  });

  it('a cdk killed by someone else (kill -9) leaves deploy.json unchanged', async () => {
    const s = await deployed({ stepMs: 2_000 });
    const before = s.before();
    const plan = await prepareDeploy({ ...s.request('dev'), imageTag: '0.0.9' }, s.aws, synthesizeStackLazily);
    let killed = false;
    const out = await executeDeploy(plan, s.aws, {
      onEvent: (e) => {
        // Someone else kills cdk (the OOM killer, kill -9) once it runs the update.
        if (!killed && e.type === 'resource') {
          killed = true;
          process.kill(plan.lock.info.cdkPid!, 'SIGKILL');
        }
      },
    });
    expect(killed).toBe(true);
    expect(out.outcome).toBe('failed');
    expect(s.before()).toBe(before);
  });
});
