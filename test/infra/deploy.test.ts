import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareDeploy, executeDeploy, blockedStackState, type DeployAws, type StackDescription, type Synthesizer } from '../../src/infra/deploy.js';
import { CDK_BIN_OVERRIDE_ENV } from '../../src/infra/runner.js';
import { resolveTarget } from '../../src/config/pairing.js';
import { inspectAllProfiles } from '../../src/config/store.js';
import { lockPathFor } from '../../src/state/deploy-records.js';
import { acquireLock } from '../../src/state/lock.js';
import { synthesizeStack } from '../../src/infra/synth.js';
import { devProfile, prodProfile, QUILT_ARN, QUILT_ARN_DEV, SECRET, tempDir, writeJson } from '../helpers/fixtures.js';

const FAKE_CDK = fileURLToPath(new URL('../fixtures/fake-cdk.mjs', import.meta.url));

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

const CDK_ENV_KEYS = [CDK_BIN_OVERRIDE_ENV, 'FAKE_CDK_MODE', 'FAKE_CDK_ARGS_FILE', 'FAKE_CDK_OUTPUTS', 'FAKE_CDK_PID_FILE'];
const savedEnv = Object.fromEntries(CDK_ENV_KEYS.map((k) => [k, process.env[k]]));
afterEach(() => {
  for (const k of CDK_ENV_KEYS) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
});

function cdkEnv(mode: string, argsFile: string, outputs: Record<string, string> = {}) {
  process.env[CDK_BIN_OVERRIDE_ENV] = FAKE_CDK;
  process.env.FAKE_CDK_MODE = mode;
  process.env.FAKE_CDK_ARGS_FILE = argsFile;
  process.env.FAKE_CDK_OUTPUTS = JSON.stringify(outputs);
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
});

describe('deploy orchestration with a stand-in cdk', () => {
  it('passes only this environment\'s parameters, records only its section', async () => {
    const s = setup();
    const argsFile = join(s.dir, 'args.jsonl');
    cdkEnv('success', argsFile, { DevEndpoint: 'https://api.example/dev' });
    const plan = await prepareDeploy({ ...s.request('dev'), imageTag: 'abc123' }, memoryAws({ stack: existing }), synth);
    expect(plan.oldTag).toBe('old-dev');
    expect(plan.parameters).toEqual({
      DevImageTag: 'abc123',
      DevSecretName: 'quiltdata/benchling-webhook/dev/acme-dev',
      DevMinCapacity: '1',
      DevMaxCapacity: '2',
      DevLogLevel: 'INFO',
      DevQuiltStackArn: QUILT_ARN_DEV,
      DevImageAccount: '712023778557',
      DevImageRegion: 'us-east-1',
      DevImageRepositoryName: 'quiltdata/benchling',
      DevWebhookVerification: 'true',
    });
    const out = await executeDeploy(plan, memoryAws({ stack: existing }), { rolloutEveryMs: 10 });
    expect(out.outcome).toBe('succeeded');
    const call = JSON.parse(readFileSync(argsFile, 'utf8').trim().split('\n').at(-1)!);
    expect(call.region).toBe('us-east-1');
    expect(call.args).toContain('--require-approval');
    expect(call.args.filter((a: string) => a.includes('Prod'))).toEqual([]);
    expect(call.args).toEqual(expect.arrayContaining(['BenchlingWebhookStack:DevImageTag=abc123']));
    expect(call.args.filter((_: string, i: number) => call.args[i - 1] === '--parameters')).toEqual(Object.entries(plan.parameters).map(([k, v]) => `BenchlingWebhookStack:${k}=${v}`));
    const file = JSON.parse(readFileSync(s.recordsPath, 'utf8'));
    expect(file.dev).toMatchObject({ endpoint: 'https://api.example/dev', imageTag: 'abc123', stage: 'dev', stackName: 'BenchlingWebhookStack' });
    expect(file.prod.imageTag).toBe('0.6.9');
    expect(existsSync(lockPathFor(s.recordsPath))).toBe(false);
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

  it('creates a missing secret before deploying, from the profile', async () => {
    const s = setup({ default: prodProfile({ benchlingClientSecret: SECRET }) });
    cdkEnv('success', join(s.dir, 'args.jsonl'), { ProdEndpoint: 'https://api.example/prod' });
    const aws = memoryAws({ secrets: new Set() });
    const plan = await prepareDeploy(s.request('prod'), aws, synth);
    expect((await executeDeploy(plan, aws)).outcome).toBe('succeeded');
    expect(JSON.parse(aws.created['quiltdata/benchling-webhook/default/acme'])).toMatchObject({ client_secret: SECRET, user_bucket: 'acme-packages' });
  });

  it('a failure reports the failed resources and stopped tasks, deploy.json untouched', async () => {
    const s = setup();
    cdkEnv('fail', join(s.dir, 'args.jsonl'));
    const before = s.before();
    const aws = memoryAws({ stack: existing });
    const out = await executeDeploy(await prepareDeploy(s.request('dev'), aws, synth), aws);
    expect(out.outcome).toBe('failed');
    if (out.outcome !== 'failed') return;
    expect(out.reasons[0]).toMatch(/^DevService AWS::ECS::Service: UPDATE_FAILED: Resource handler .*Circuit breaker/);
    expect(out.reasons).toContain('stopped task: Essential container in task exited');
    expect(s.before()).toBe(before);
    expect(existsSync(lockPathFor(s.recordsPath))).toBe(false);
  });

  it('a cancel mid-deploy stops cdk, reports the stack state, deploy.json untouched', async () => {
    const s = setup();
    cdkEnv('hang', join(s.dir, 'args.jsonl'));
    const before = s.before();
    const aws = memoryAws({ stack: existing });
    const controller = new AbortController();
    const events: string[] = [];
    const run = executeDeploy(await prepareDeploy(s.request('dev'), aws, synth), aws, {
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'line') {
          events.push(e.line);
          if (e.line.includes('deploying')) controller.abort();
        }
      },
    });
    const out = await run;
    expect(out).toMatchObject({ outcome: 'cancelled', stackStatus: 'UPDATE_COMPLETE' });
    expect(s.before()).toBe(before);
    expect(existsSync(lockPathFor(s.recordsPath))).toBe(false);
  });

  it('a killed cdk leaves deploy.json unchanged', async () => {
    const s = setup();
    const argsFile = join(s.dir, 'args.jsonl');
    cdkEnv('hang', argsFile);
    const before = s.before();
    const pidFile = join(s.dir, 'cdk.pid');
    process.env.FAKE_CDK_PID_FILE = pidFile;
    const aws = memoryAws({ stack: existing });
    const out = await executeDeploy(await prepareDeploy(s.request('dev'), aws, synth), aws, {
      onEvent: (e) => {
        // Someone else kills cdk (the OOM killer, kill -9).
        if (e.type === 'line' && e.line.includes('deploying')) process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
      },
    });
    delete process.env.FAKE_CDK_PID_FILE;
    expect(out.outcome).toBe('failed');
    expect(s.before()).toBe(before);
  });
});
