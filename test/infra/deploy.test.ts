import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { prepareDeploy, executeDeploy, disposePlan, blockedStackState, environmentParameters, type DeployAws, type DeployEvent, type StackDescription, type Synthesizer } from '../../src/infra/deploy.js';
import { planRows } from '../../src/infra/operations.js';
import { ExternalError, UserError } from '../../src/errors.js';
import { synthesizeStackLazily } from '../../src/infra/operations.js';
import { startFakeAws, type FakeAws } from '../fake-aws/server.js';
import { namesOf, rollBackOnAlarm } from '../fake-aws/scenario.js';
import { synthProjectStack, type ProjectStack } from '../fake-aws/project-stack.js';
import { changeSetParameters, deployedScenario, QUILT_OUTPUTS, STACK } from '../helpers/deployed.js';
import { resolveTarget } from '../../src/config/pairing.js';
import { inspectAllProfiles } from '../../src/config/store.js';
import { lockPathFor } from '../../src/state/deploy-records.js';
import { acquireLock } from '../../src/config/lock.js';
import { synthesizeStack } from '../../src/infra/synth.js';
import { PARAMETER_SUFFIXES } from '../../src/config/names.js';
import { devProfile, prodProfile, QUILT_ARN, QUILT_ARN_DEV, SECRET, tempDir, writeJson } from '../helpers/fixtures.js';
import { HOSTILE, RAW_CONTROL } from '../helpers/hostile.js';

const synth: Synthesizer = async (_profiles, outDir) => {
  writeFileSync(join(outDir, 'manifest.json'), '{}');
  return { assemblyDir: outDir, hasAssets: false, templateBodySize: 40_000 };
};

function memoryAws(overrides: Partial<DeployAws> & { stack?: StackDescription; secrets?: Set<string>; quilt?: Record<string, Record<string, string>> } = {}): DeployAws & { created: Record<string, string>; quiltReads: string[] } {
  const secrets = overrides.secrets ?? new Set(['quiltdata/benchling-webhook/default/acme', 'quiltdata/benchling-webhook/dev/acme-dev']);
  const created: Record<string, string> = {};
  const quilt = overrides.quilt ?? QUILT_OUTPUTS;
  const quiltReads: string[] = [];
  return {
    created,
    quiltReads,
    quiltStackOutputs: async (arn) => {
      quiltReads.push(arn);
      return quilt[arn] ? { status: 'UPDATE_COMPLETE', outputs: quilt[arn] } : undefined;
    },
    callerIdentity: async () => ({ account: '123456789012', arn: 'arn:aws:iam::123456789012:user/op' }),
    describeStack: async (name) => (name === 'BenchlingWebhookStack' ? overrides.stack : undefined),
    deployedTemplate: async () => undefined,
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

/** A stack that holds every parameter of both environments (deployed by this version), as values of its own. */
const current: StackDescription = {
  status: 'UPDATE_COMPLETE',
  parameters: Object.fromEntries((['Dev', 'Prod'] as const).flatMap((env) => PARAMETER_SUFFIXES.map((suffix) => [`${env}${suffix}`, `held-${env}${suffix}`]))),
  outputs: { ClusterName: 'c', DevServiceName: 'dev-svc', ProdServiceName: 'prod-svc' },
};

/** A stack deployed before the container's parameters existed: image tags and such, no Quilt values. */
const existing: StackDescription = {
  status: 'UPDATE_COMPLETE',
  parameters: { DevImageTag: 'old-dev', ProdImageTag: '0.6.9' },
  outputs: { ClusterName: 'c', DevServiceName: 'dev-svc', ProdServiceName: 'prod-svc' },
};

/** The image prod's profile names: a 0.7 release, whose contract has no helper processes. */
const PROD_TAG = '0.7.10';

function setup(files: Record<string, unknown> = { default: prodProfile({ imageTag: PROD_TAG }), dev: devProfile() }) {
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

describe('the plan names the alarms that guard the rollout', () => {
  it.each(['dev', 'prod'] as const)('%s: its own two alarms, not the other environment\'s', async (env) => {
    const s = setup();
    const plan = await prepareDeploy(s.request(env), memoryAws({ stack: current }), synth);
    plan.lock.release();
    const rows = planRows(plan).filter((r) => r.label === 'alarms');
    expect(rows).toEqual([
      { label: 'alarms', value: `${env}'s rollout rolls back by itself if ${plan.stackName}-${env}-5xx or ${plan.stackName}-${env}-unhealthy-targets fires` },
    ]);
  });
});

describe('the plan shows the cost change', () => {
  it('capacity and task size from the stack against the ones passed: +$18/month for one more prod task', async () => {
    const s = setup({ default: prodProfile({ imageTag: PROD_TAG, minCapacity: 3 }), dev: devProfile() });
    const held = { ...current.parameters, ProdMinCapacity: '2', ProdCpu: '512', ProdMemory: '1024' };
    const plan = await prepareDeploy(s.request('prod'), memoryAws({ stack: { ...current, parameters: held } }), synth);
    plan.lock.release();
    expect(plan.deployedParameters).toMatchObject({ ProdMinCapacity: '2', ProdCpu: '512', ProdMemory: '1024' });
    expect(planRows(plan)).toContainEqual({ label: 'cost', value: '+$18/month: prod 2 tasks of 0.5 vCPU / 1 GB -> 3 tasks of 0.5 vCPU / 1 GB (list prices, tasks at minCapacity)' });
  });

  it('a stack from before the task size was a parameter ran 1 vCPU / 2 GB: the right-sized default saves', async () => {
    const s = setup();
    const plan = await prepareDeploy(s.request('dev'), memoryAws({ stack: { ...existing, parameters: { ...existing.parameters, DevMinCapacity: '1' } } }), synth);
    plan.lock.release();
    const rows = planRows(plan);
    expect(rows).toContainEqual({ label: 'cost', value: '-$25/month: dev 1 task of 1 vCPU / 2 GB -> 1 task of 0.25 vCPU / 1 GB (list prices, tasks at minCapacity)' });
    // prod's parameters are passed too (the stack lacks them): its change is shown, compared with what it holds.
    expect(rows.find((r) => r.label === 'prod cost')?.value).toMatch(/^\+\$36\/month: prod's 2 tasks of 0.5 vCPU \/ 1 GB are new/);
    expect(new Set(rows.map((r) => r.label)).size).toBe(rows.length);
  });

  it('unchanged says so; a first deploy says what the new tasks cost', async () => {
    const s = setup();
    const same = { ...current.parameters, DevMinCapacity: '1', DevCpu: '256', DevMemory: '1024' };
    const kept = await prepareDeploy(s.request('dev'), memoryAws({ stack: { ...current, parameters: same } }), synth);
    kept.lock.release();
    expect(planRows(kept)).toContainEqual({ label: 'cost', value: "no change: dev's 1 task of 0.25 vCPU / 1 GB, $11/month" });
    const first = await prepareDeploy(s.request('dev'), memoryAws(), synth);
    first.lock.release();
    expect(first.deployedParameters).toEqual({});
    expect(planRows(first)).toContainEqual({ label: 'cost', value: "+$11/month: dev's 1 task of 0.25 vCPU / 1 GB is new (list prices, tasks at minCapacity)" });
  });
});

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

  it("shows AWS's words in a refusal escaped, on one line, bounded: a stack status, an account and an ARN that try to forge lines", async () => {
    const s = setup();
    const refusals: Error[] = [];
    for (const aws of [
      memoryAws({ stack: { ...existing, status: `${HOSTILE}${'x'.repeat(100_000)}_IN_PROGRESS` } }),
      memoryAws({ callerIdentity: async () => ({ account: `${HOSTILE}${'9'.repeat(100_000)}`, arn: `arn:${HOSTILE}${'x'.repeat(100_000)}` }) }),
    ]) {
      refusals.push(await prepareDeploy(s.request('dev'), aws, synth).then(() => new Error('not refused'), (e: Error) => e));
    }
    for (const e of refusals) {
      expect(e.message).toMatch(/another operation is running|credentials are for account/);
      expect(e.message).not.toMatch(RAW_CONTROL);
      expect(e.message).not.toContain('\n');
      expect(e.message.length).toBeLessThan(1_000);
    }
    expect(existsSync(lockPathFor(s.recordsPath))).toBe(false);
  });

  it('refuses a second deploy while the lock is held, naming the holder', async () => {
    const s = setup();
    const held = acquireLock(lockPathFor(s.recordsPath), 'deploy prod');
    await expect(prepareDeploy(s.request('dev'), memoryAws(), synth)).rejects.toThrow(/holds the lock on this stack: deploy prod/);
    held.release();
  });

  it('plans the secret creation when it is missing and the profile has the values', async () => {
    const s = setup({ default: prodProfile({ imageTag: PROD_TAG, benchlingClientSecret: SECRET }) });
    const plan = await prepareDeploy(s.request('prod'), memoryAws({ secrets: new Set() }), synth);
    expect(plan.secrets).toEqual([{ environment: 'prod', name: 'quiltdata/benchling-webhook/default/acme', create: true }]);
    plan.lock.release();
  });

  it("a stack's first deploy plans every environment's secret, since it creates every environment's service", async () => {
    const s = setup({ default: prodProfile({ imageTag: PROD_TAG, benchlingClientSecret: SECRET }), dev: devProfile({ benchlingClientSecret: SECRET }) });
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
    const t = setup({ default: prodProfile({ imageTag: PROD_TAG }), dev: devProfile({ benchlingClientSecret: SECRET }) });
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
    const plan = await prepareDeploy({ ...s.request('prod'), imageTag: '0.8.0' }, memoryAws({ stack: { ...current, parameters: { ...current.parameters, ProdImageTag: '0.6.9' } } }), synth);
    expect(plan.parameters).toEqual({
      ProdImageTag: '0.8.0',
      ProdSecretName: 'quiltdata/benchling-webhook/default/acme',
      ProdMinCapacity: '2',
      ProdMaxCapacity: '10',
      ProdCpu: '512',
      ProdMemory: '1024',
      ProdLogLevel: 'INFO',
      ProdQuiltStackArn: QUILT_ARN,
      ProdImageAccount: '712023778557',
      ProdImageRegion: 'us-east-1',
      ProdImageRepositoryName: 'quiltdata/benchling',
      ProdWebhookVerification: 'true',
      ProdPackageBucket: 'acme-packages',
      ProdQuiltWebHost: QUILT_OUTPUTS[QUILT_ARN].QuiltWebHost,
      ProdPackagerQueueUrl: QUILT_OUTPUTS[QUILT_ARN].PackagerQueueUrl,
      ProdAthenaDatabase: QUILT_OUTPUTS[QUILT_ARN].UserAthenaDatabaseName,
      ProdAthenaWorkgroup: QUILT_OUTPUTS[QUILT_ARN].UserAthenaWorkgroupName,
      ProdConsumers: 'none',
    });
    expect(plan.oldTag).toBe('0.6.9');
    plan.lock.release();
    await expect(prepareDeploy({ ...s.request('prod'), imageTag: 'latest' }, memoryAws({ stack: existing }), synth)).rejects.toThrow(/prod must not run "latest"/);
  });

  it.each(['dev', 'prod'] as const)(
    "%s: passes every one of its parameters in the template, at the profile's values (the defaults synth gives them), and none of the other's",
    async (env) => {
      const s = setup({
        default: prodProfile({ imageTag: '0.17.0', webhookVerification: false, imageRepository: '210987654321.dkr.ecr.eu-west-1.amazonaws.com/acme/prod-hook', logLevel: 'WARNING', packagerQueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/prod-profile-queue' }),
        dev: devProfile({ imageRepository: '123456789012.dkr.ecr.us-west-2.amazonaws.com/acme/benchling-dev', benchlingSecret: 'acme/dev-secret', minCapacity: 0, maxCapacity: 4, athenaUserWorkgroup: 'dev-profile-workgroup', quiltWebHost: 'dev.catalog.example.org' }),
      });
      const request = s.request(env);
      const plan = await prepareDeploy(request, memoryAws({ stack: current, secrets: new Set(['quiltdata/benchling-webhook/default/acme', 'acme/dev-secret']) }), synth);
      plan.lock.release();
      const template = synthesizeStack(request.target, join(s.dir, 'assembly')).template;
      const T = env === 'dev' ? 'Dev' : 'Prod';
      const own = Object.keys(template.Parameters).filter((k) => k.startsWith(T));
      expect(Object.keys(plan.parameters).sort()).toEqual(own.sort());
      // Where the template's default is the profile's value, the plan passes that value. The Quilt values the
      // profile does not give come from the Quilt stack's outputs: the template has no default for them (the
      // workgroup's is primary, for when nothing says otherwise), and the plan passes the outputs.
      const fromQuilt = env === 'dev' ? ['DevPackagerQueueUrl', 'DevAthenaDatabase'] : ['ProdQuiltWebHost', 'ProdAthenaDatabase'];
      for (const k of own) {
        if (fromQuilt.includes(k)) expect(template.Parameters[k].Default, k).toBeUndefined();
        else if (k === 'ProdAthenaWorkgroup') expect(template.Parameters[k].Default, k).toBe('primary');
        else expect(plan.parameters[k], k).toBe(String(template.Parameters[k].Default));
      }
      expect(plan.parameters).toMatchObject(
        env === 'dev'
          ? {
              DevQuiltStackArn: QUILT_ARN_DEV, DevImageAccount: '123456789012', DevImageRegion: 'us-west-2', DevImageRepositoryName: 'acme/benchling-dev', DevWebhookVerification: 'true', DevSecretName: 'acme/dev-secret', DevMinCapacity: '0', DevMaxCapacity: '4',
              DevPackageBucket: 'acme-dev-packages', DevQuiltWebHost: 'dev.catalog.example.org', DevAthenaWorkgroup: 'dev-profile-workgroup', DevConsumers: 'events+packaging',
              DevPackagerQueueUrl: QUILT_OUTPUTS[QUILT_ARN_DEV].PackagerQueueUrl, DevAthenaDatabase: QUILT_OUTPUTS[QUILT_ARN_DEV].UserAthenaDatabaseName,
            }
          : {
              ProdQuiltStackArn: QUILT_ARN, ProdImageAccount: '210987654321', ProdImageRegion: 'eu-west-1', ProdImageRepositoryName: 'acme/prod-hook', ProdWebhookVerification: 'false', ProdLogLevel: 'WARNING',
              ProdPackageBucket: 'acme-packages', ProdPackagerQueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/prod-profile-queue', ProdConsumers: 'events',
              ProdQuiltWebHost: QUILT_OUTPUTS[QUILT_ARN].QuiltWebHost, ProdAthenaDatabase: QUILT_OUTPUTS[QUILT_ARN].UserAthenaDatabaseName, ProdAthenaWorkgroup: QUILT_OUTPUTS[QUILT_ARN].UserAthenaWorkgroupName,
            },
      );
    },
  );

});

describe('pre-flight: reads that overlap', () => {
  /** memoryAws whose calls each take a turn of the event loop, logging when each starts and ends. */
  function timedAws(overrides: Parameters<typeof memoryAws>[0] = {}) {
    const events: string[] = [];
    const base = memoryAws({ stack: current, ...overrides });
    const timed =
      <A extends unknown[], R>(label: (...args: A) => string, call: (...args: A) => Promise<R>) =>
      async (...args: A): Promise<R> => {
        events.push(`start ${label(...args)}`);
        try {
          await new Promise((r) => setTimeout(r, 5));
          return await call(...args);
        } finally {
          events.push(`end ${label(...args)}`);
        }
      };
    const aws: DeployAws = {
      ...base,
      callerIdentity: timed(() => 'sts', base.callerIdentity),
      describeStack: timed((name: string) => `describe ${name}`, base.describeStack),
      deployedTemplate: timed((_name: string) => 'template', base.deployedTemplate),
      secretExists: timed((name: string) => `secret ${name}`, base.secretExists),
      quiltStackOutputs: timed((arn: string) => `quilt ${arn}`, base.quiltStackOutputs),
    };
    const timedSynth: Synthesizer = timed((..._args: Parameters<Synthesizer>) => 'synth', synth);
    return { aws, events, synth: timedSynth };
  }

  it("the target's Quilt stack, its secret and whether the account is bootstrapped are asked while other reads and the synthesis run", async () => {
    const s = setup();
    const t = timedAws();
    const big: Synthesizer = async (profiles, outDir) => ({ ...(await t.synth(profiles, outDir)), templateBodySize: 60_000 });
    const withToolkit = { ...t.aws, describeStack: async (name: string) => (name === 'CDKToolkit' ? (await t.aws.describeStack(name), existing) : t.aws.describeStack(name)) };
    (await prepareDeploy(s.request('dev'), withToolkit, big)).lock.release();
    const at = (event: string) => {
      expect(t.events, event).toContain(event);
      return t.events.indexOf(event);
    };
    // The Quilt read starts once the credentials are checked, before the stack's own reads end.
    expect(at(`start quilt ${QUILT_ARN_DEV}`)).toBeGreaterThan(at('end sts'));
    expect(at(`start quilt ${QUILT_ARN_DEV}`)).toBeLessThan(at('end describe BenchlingWebhookStack'));
    // dev's secret is looked up while the deployed template is read.
    expect(at('start secret quiltdata/benchling-webhook/dev/acme-dev')).toBeLessThan(at('end template'));
    // Whether the account is bootstrapped is asked before the synthesis ends.
    expect(at('start describe CDKToolkit')).toBeLessThan(at('end synth'));
  });

  it('a read started ahead that fails is reported where it was always taken, and never ahead of an earlier refusal', async () => {
    const denied = () => Promise.reject(Object.assign(new Error('User is not authorized to perform: secretsmanager:DescribeSecret'), { name: 'AccessDeniedException' }));
    // A prod-only profile set and a stack that holds dev: the refusal comes before the secrets are looked at.
    const prodOnly = setup({ default: prodProfile({ imageTag: PROD_TAG }) });
    await expect(prepareDeploy(prodOnly.request('prod'), memoryAws({ stack: current, secretExists: denied }), synth)).rejects.toThrow(/holds the dev environment, but there is no dev profile/);
    // With nothing earlier to refuse, the secret's error is the deploy's.
    const s = setup();
    await expect(prepareDeploy(s.request('dev'), memoryAws({ stack: current, secretExists: denied }), synth)).rejects.toThrow(/not authorized to perform: secretsmanager:DescribeSecret/);
    // The bootstrap stack's read counts only for a template that needs it.
    const toolkitDenied = (aws: DeployAws): DeployAws => ({ ...aws, describeStack: (name) => (name === 'CDKToolkit' ? Promise.reject(new Error('toolkit read denied')) : aws.describeStack(name)) });
    (await prepareDeploy(s.request('dev'), toolkitDenied(memoryAws({ stack: current })), synth)).lock.release();
    const big: Synthesizer = async (profiles, outDir) => ({ ...(await synth(profiles, outDir)), templateBodySize: 60_000 });
    await expect(prepareDeploy(s.request('dev'), toolkitDenied(memoryAws({ stack: current })), big)).rejects.toThrow('toolkit read denied');
    // A failed synthesis is the deploy's error, whatever the bootstrap read does.
    const failing: Synthesizer = async () => {
      throw new Error('synthesis failed');
    };
    await expect(prepareDeploy(s.request('dev'), toolkitDenied(memoryAws({ stack: current })), failing)).rejects.toThrow('synthesis failed');
    expect(existsSync(lockPathFor(s.recordsPath))).toBe(false);
  });
});

describe('pre-flight: what the container needs', () => {
  const devQuilt = QUILT_OUTPUTS[QUILT_ARN_DEV];
  const prodQuilt = QUILT_OUTPUTS[QUILT_ARN];
  const awsError = (name: string, message: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 }, ...extra });

  it("reads only the Quilt stacks of environments whose parameters it passes, and says where each value came from", async () => {
    const s = setup();
    const aws = memoryAws({ stack: current });
    const plan = await prepareDeploy(s.request('dev'), aws, synth);
    plan.lock.release();
    expect(aws.quiltReads).toEqual([QUILT_ARN_DEV]);
    expect(plan.quilt).toHaveLength(1);
    expect(plan.quilt[0]).toMatchObject({
      environment: 'dev',
      stackArn: QUILT_ARN_DEV,
      values: {
        packagerQueueUrl: { value: devQuilt.PackagerQueueUrl, source: 'stack' },
        quiltWebHost: { value: devQuilt.QuiltWebHost, source: 'stack' },
        athenaUserDatabase: { value: devQuilt.UserAthenaDatabaseName, source: 'stack' },
        athenaUserWorkgroup: { value: 'primary', source: 'default' },
      },
    });
    expect(plan.quilt[0].unreadable).toBeUndefined();
    expect(plan.others).toEqual([{ environment: 'prod', change: 'kept', passed: [] }]);
    expect(Object.keys(plan.parameters).every((k) => k.startsWith('Dev'))).toBe(true);
    const rows = planRows(plan);
    expect(rows).toContainEqual({ label: 'queue', value: `${devQuilt.PackagerQueueUrl} (Quilt stack output PackagerQueueUrl)` });
    expect(rows).toContainEqual({ label: 'other', value: 'prod keeps its running service (parameters unchanged)' });
    expect(new Set(rows.map((r) => r.label)).size).toBe(rows.length);
  });

  it("a stack that lacks the other environment's new parameters: they are resolved from its profile, its Quilt stack and the image it runs, and passed", async () => {
    const s = setup();
    const aws = memoryAws({ stack: existing });
    const plan = await prepareDeploy(s.request('dev'), aws, synth);
    plan.lock.release();
    expect(aws.quiltReads).toEqual([QUILT_ARN_DEV, QUILT_ARN]);
    const passed = ['ProdSecretName', 'ProdMinCapacity', 'ProdMaxCapacity', 'ProdCpu', 'ProdMemory', 'ProdLogLevel', 'ProdQuiltStackArn', 'ProdImageAccount', 'ProdImageRegion', 'ProdImageRepositoryName', 'ProdWebhookVerification', 'ProdPackageBucket', 'ProdQuiltWebHost', 'ProdPackagerQueueUrl', 'ProdAthenaDatabase', 'ProdAthenaWorkgroup', 'ProdConsumers'];
    expect(plan.others).toEqual([{ environment: 'prod', change: 'updated', passed }]);
    // Not its image tag: the stack holds it, and it is kept.
    expect(plan.parameters.ProdImageTag).toBeUndefined();
    expect(plan.keptParameters).toEqual({ ProdImageTag: '0.6.9' });
    expect(plan.parameters).toMatchObject({ ProdPackageBucket: 'acme-packages', ProdPackagerQueueUrl: prodQuilt.PackagerQueueUrl, ProdAthenaWorkgroup: prodQuilt.UserAthenaWorkgroupName });
    // Consumers from what prod runs (0.6.9 in the stack), not from dev's image (latest) nor prod's profile.
    expect(plan.parameters.ProdConsumers).toBe('none');
    const withNewer = await prepareDeploy(s.request('dev'), memoryAws({ stack: { ...existing, parameters: { ...existing.parameters, ProdImageTag: '0.17.0' } } }), synth);
    withNewer.lock.release();
    expect(withNewer.parameters.ProdConsumers).toBe('events');
    expect(planRows(plan).filter((r) => r.label === 'other')).toEqual([
      { label: 'other', value: `prod's service is updated by this deploy too: the template changed, and its new parameters (${passed.join(', ')}) are set from the prod profile and its Quilt stack` },
    ]);
    expect(planRows(plan)).toContainEqual({ label: 'prod queue', value: `${prodQuilt.PackagerQueueUrl} (Quilt stack output PackagerQueueUrl)` });
    // The Quilt stack its service was deployed with, when the stack holds it, not one its profile names since.
    const moved = 'arn:aws:cloudformation:us-east-1:123456789012:stack/QuiltOld/99999999-2222-3333-4444-555555555555';
    const oldQuilt = { ...prodQuilt, PackagerQueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/old-packager' };
    const heldAws = memoryAws({ stack: { ...existing, parameters: { ...existing.parameters, ProdQuiltStackArn: moved } }, quilt: { ...QUILT_OUTPUTS, [moved]: oldQuilt } });
    const held = await prepareDeploy(s.request('dev'), heldAws, synth);
    held.lock.release();
    expect(heldAws.quiltReads).toEqual([QUILT_ARN_DEV, moved]);
    expect(held.parameters.ProdPackagerQueueUrl).toBe('https://sqs.us-east-1.amazonaws.com/123456789012/old-packager');
    expect(held.parameters.ProdQuiltStackArn).toBeUndefined();
  });

  it("a stack's first deploy passes the other environment's values too, and refuses an image of it the stack cannot serve", async () => {
    const s = setup({ default: prodProfile({ imageTag: PROD_TAG }), dev: devProfile() });
    const plan = await prepareDeploy(s.request('dev'), memoryAws(), synth);
    plan.lock.release();
    expect(plan.others).toMatchObject([{ environment: 'prod', change: 'created' }]);
    expect(plan.parameters).toMatchObject({ ProdImageTag: PROD_TAG, ProdPackagerQueueUrl: prodQuilt.PackagerQueueUrl, ProdConsumers: 'none', DevPackagerQueueUrl: devQuilt.PackagerQueueUrl });
    const t = setup({ default: prodProfile({ imageTag: '0.9.4' }), dev: devProfile() });
    await expect(prepareDeploy(t.request('dev'), memoryAws(), synth)).rejects.toThrow(/default\.json: imageTag: image 0\.9\.4 cannot be served \(this deploy also creates prod's service\): its server binds port 8080/);
    expect(existsSync(lockPathFor(t.recordsPath))).toBe(false);
  });

  it("a value the profile gives wins over the stack's output, which the plan shows escaped", async () => {
    const s = setup({ default: prodProfile({ imageTag: PROD_TAG }), dev: devProfile({ packagerQueueUrl: 'https://sqs.us-west-2.amazonaws.com/210987654321/mine' }) });
    const aws = memoryAws({ stack: current, quilt: { [QUILT_ARN_DEV]: { ...devQuilt, PackagerQueueUrl: 'https://evil\u001b[2J' } } });
    const plan = await prepareDeploy(s.request('dev'), aws, synth);
    plan.lock.release();
    expect(plan.parameters.DevPackagerQueueUrl).toBe('https://sqs.us-west-2.amazonaws.com/210987654321/mine');
    expect(planRows(plan)).toContainEqual({ label: 'queue', value: 'https://sqs.us-west-2.amazonaws.com/210987654321/mine (profile dev.json, instead of the Quilt stack\'s "https://evil\\u001b[2J")' });
  });

  it('a Quilt stack denied to these credentials: the profile\'s values stand in; what is still missing is refused naming file and field', async () => {
    const denied = memoryAws({ stack: current, quiltStackOutputs: async () => Promise.reject(awsError('AccessDenied', 'User: arn:aws:iam::123456789012:user/op is not authorized to perform: cloudformation:DescribeStacks')) });
    const complete = setup({ default: prodProfile({ imageTag: PROD_TAG }), dev: devProfile({ quiltWebHost: 'q.example.org', packagerQueueUrl: 'https://sqs.us-west-2.amazonaws.com/210987654321/q', athenaUserDatabase: 'db' }) });
    const plan = await prepareDeploy(complete.request('dev'), denied, synth);
    plan.lock.release();
    expect(plan.quilt[0].unreadable).toBe('cannot be read with these credentials (AccessDenied: User: arn:aws:iam::123456789012:user/op is not authorized to perform: cloudformation:DescribeStacks; it is in account 210987654321, these credentials are for 123456789012)');
    expect(plan.parameters).toMatchObject({ DevQuiltWebHost: 'q.example.org', DevAthenaDatabase: 'db', DevAthenaWorkgroup: 'primary' });
    const lacking = setup({ default: prodProfile({ imageTag: PROD_TAG }), dev: devProfile({ quiltWebHost: 'q.example.org', athenaUserDatabase: 'db' }) });
    const refusal = await prepareDeploy(lacking.request('dev'), denied, synth).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(UserError);
    expect((refusal as UserError).message).toBe(`${join(lacking.dir, 'dev.json')}: packagerQueueUrl: needed by the container (PACKAGER_SQS_URL); the Quilt stack ${QUILT_ARN_DEV} cannot be read with these credentials (AccessDenied: User: arn:aws:iam::123456789012:user/op is not authorized to perform: cloudformation:DescribeStacks; it is in account 210987654321, these credentials are for 123456789012)`);
    expect(existsSync(lockPathFor(lacking.recordsPath))).toBe(false);
  });

  it('a passing failure reading the Quilt stack is an AWS failure (1) only when a value is then missing', async () => {
    const throttled = memoryAws({ stack: current, quiltStackOutputs: async () => Promise.reject(awsError('ThrottlingException', 'Rate exceeded', { $retryable: { throttling: true } })) });
    const lacking = setup();
    const refusal = await prepareDeploy(lacking.request('dev'), throttled, synth).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(ExternalError);
    expect((refusal as ExternalError).message).toMatch(/reading the Quilt stack .*QuiltDev.*: ThrottlingException: Rate exceeded/);
    expect((refusal as ExternalError).hint).toMatch(/throttling/);
    const complete = setup({ default: prodProfile({ imageTag: PROD_TAG }), dev: devProfile({ quiltWebHost: 'q.example.org', packagerQueueUrl: 'https://sqs.us-west-2.amazonaws.com/210987654321/q', athenaUserDatabase: 'db' }) });
    const plan = await prepareDeploy(complete.request('dev'), throttled, synth);
    plan.lock.release();
    expect(plan.quilt[0].unreadable).toBe('could not be read now (ThrottlingException: Rate exceeded)');
  });

  it.each([
    ['quiltWebHost', 'QuiltWebHost', 'https://quilt.example.com'],
    ['athenaUserDatabase', 'UserAthenaDatabaseName', 'db; DROP'],
    ['athenaUserWorkgroup', 'UserAthenaWorkgroupName', 'wg\nx'],
    ['packagerQueueUrl', 'PackagerQueueUrl', 'https://sqs.us-west-2.amazonaws.com/210987654321/q*'],
  ])('a malformed %s output (%s) is refused naming the stack and the output', async (_field, output, value) => {
    const s = setup();
    const aws = memoryAws({ stack: current, quilt: { [QUILT_ARN_DEV]: { ...devQuilt, [output]: value } } });
    const refusal = await prepareDeploy(s.request('dev'), aws, synth).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(ExternalError);
    expect((refusal as Error).message).toContain(`the Quilt stack ${QUILT_ARN_DEV}: output ${output}: expected `);
    expect((refusal as Error).message).toContain(`got ${JSON.stringify(value)}`);
    expect(existsSync(lockPathFor(s.recordsPath))).toBe(false);
  });

  it('an image the stack cannot serve, or a profile without pkgBucket, is refused before any AWS call', async () => {
    const calls: string[] = [];
    const aws = memoryAws({ stack: current, callerIdentity: async () => (calls.push('sts'), { account: '123456789012', arn: 'x' }) });
    const s = setup();
    for (const tag of ['0.9.1', '0.9.5', '0.9.6', '0.6.9', 'v0.9.3']) {
      await expect(prepareDeploy({ ...s.request('dev'), imageTag: tag }, aws, synth), tag).rejects.toThrow(new RegExp(`^image ${tag.replace(/\./g, '\\.')} cannot be served: `));
    }
    const { pkgBucket: _b, ...noBucket } = devProfile();
    const t = setup({ default: prodProfile({ imageTag: PROD_TAG }), dev: noBucket });
    await expect(prepareDeploy(t.request('prod'), aws, synth)).rejects.toThrow(`${join(t.dir, 'dev.json')}: pkgBucket: required to deploy`);
    expect(calls).toEqual([]);
    for (const tag of ['0.9.0', '0.9.7', '0.7.0']) (await prepareDeploy({ ...s.request('dev'), imageTag: tag }, aws, synth)).lock.release();
  });

  it("an image of unknown version follows the latest release's contract; promote's digest follows dev's tag", async () => {
    const s = setup();
    const digest = `sha256:${'a'.repeat(64)}`;
    const unknown = await prepareDeploy({ ...s.request('prod'), imageTag: digest }, memoryAws({ stack: current }), synth);
    unknown.lock.release();
    expect(unknown.contract).toEqual({ tag: digest, release: '0.18.0', assumed: true, consumers: 'events+packaging' });
    expect(unknown.parameters.ProdConsumers).toBe('events+packaging');
    const promoted = await prepareDeploy({ ...s.request('prod'), imageTag: digest, contractTag: '0.17.0' }, memoryAws({ stack: current }), synth);
    promoted.lock.release();
    expect(promoted.contract).toEqual({ tag: '0.17.0', release: '0.17.0', assumed: false, consumers: 'events' });
    expect(promoted.parameters).toMatchObject({ ProdImageTag: digest, ProdConsumers: 'events' });
    expect(planRows(promoted)).toContainEqual({ label: 'contract', value: "the digest of dev's 0.17.0: 0.17.0 (consumers events)" });
    await expect(prepareDeploy({ ...s.request('prod'), imageTag: digest, contractTag: '0.9.2' }, memoryAws({ stack: current }), synth)).rejects.toThrow(/image 0\.9\.2 cannot be served/);
  });

  it('environmentParameters: Consumers from the contract tag, the Quilt values as given', () => {
    const profile = inspectAllProfiles(setup().dir).find((p) => p.name === 'dev')!.profile!;
    const quilt = { quiltWebHost: 'h.example.org', packagerQueueUrl: 'https://sqs.us-west-2.amazonaws.com/210987654321/q', athenaUserDatabase: 'db', athenaUserWorkgroup: 'wg' };
    expect(environmentParameters('dev', profile, { imageTag: '0.17.1', quilt })).toMatchObject({ DevConsumers: 'events', DevQuiltWebHost: 'h.example.org', DevAthenaWorkgroup: 'wg', DevPackageBucket: 'acme-dev-packages' });
    expect(environmentParameters('dev', profile, { imageTag: '0.17.2', quilt }).DevConsumers).toBe('events+packaging');
    expect(environmentParameters('dev', profile, { imageTag: '0.16.9', quilt }).DevConsumers).toBe('none');
    expect(environmentParameters('dev', profile, { imageTag: 'latest', contractTag: '0.16.9', quilt }).DevConsumers).toBe('none');
  });

  it("the other environment's new Consumers, when it runs a digest, follow the release deploy.json recorded for it; unknown: refused, naming where", async () => {
    const digest = `sha256:${'d'.repeat(64)}`;
    const stack = { ...existing, parameters: { ...existing.parameters, ProdImageTag: digest } };
    const prior = (contractTag?: string, imageTag = digest) => ({ prod: { endpoint: 'https://p/prod', imageTag, deployedAt: '2026-01-01T00:00:00Z', stackName: 'BenchlingWebhookStack', stage: 'prod', history: [], ...(contractTag ? { contractTag } : {}) } });
    const s = setup();
    // Recorded as 0.8.0 (promoted from dev's 0.8.0): no helper containers, not the latest release's two.
    writeFileSync(s.recordsPath, JSON.stringify(prior('0.8.0')));
    const plan = await prepareDeploy(s.request('dev'), memoryAws({ stack }), synth);
    plan.lock.release();
    expect(plan.parameters.ProdConsumers).toBe('none');
    writeFileSync(s.recordsPath, JSON.stringify(prior('0.17.2')));
    const newer = await prepareDeploy(s.request('dev'), memoryAws({ stack }), synth);
    newer.lock.release();
    expect(newer.parameters.ProdConsumers).toBe('events+packaging');
    // A tag naming no release, with no record: the latest release, as for any deploy of such a tag.
    writeFileSync(s.recordsPath, '{}');
    const latest = await prepareDeploy(s.request('dev'), memoryAws({ stack: { ...existing, parameters: { ...existing.parameters, ProdImageTag: 'latest' } } }), synth);
    latest.lock.release();
    expect(latest.parameters.ProdConsumers).toBe('events+packaging');
    // A digest with no release recorded, or a record of another image than the one the stack runs: nothing to go by.
    for (const records of [prior(), prior('0.8.0', '0.8.3'), {}]) {
      writeFileSync(s.recordsPath, JSON.stringify(records));
      const error = await prepareDeploy(s.request('dev'), memoryAws({ stack }), synth).catch((e: unknown) => e);
      expect(error, JSON.stringify(records)).toBeInstanceOf(UserError);
      expect((error as UserError).message).toBe(
        `stack BenchlingWebhookStack: ProdImageTag: prod runs ${digest}, whose release is unknown, and ${s.recordsPath} does not record which release it was deployed as; this deploy would set ProdConsumers for prod's running service without knowing what the image needs`,
      );
      expect((error as UserError).hint).toMatch(/deploy prod first by its version tag \(`benchling-deploy deploy --environment prod --image-tag VERSION`\)/);
      expect(existsSync(lockPathFor(s.recordsPath))).toBe(false);
    }
  });

  it('a refused image names where its tag came from: --image-tag, a deploy.json history entry and its recorded release', async () => {
    const s = setup();
    const aws = memoryAws({ stack: current });
    await expect(prepareDeploy({ ...s.request('dev'), imageTag: '0.9.3', imageTagSource: '--image-tag' }, aws, synth)).rejects.toThrow(/^--image-tag: image 0\.9\.3 cannot be served: /);
    const at = `${s.recordsPath}: prod.history[2]`;
    await expect(prepareDeploy({ ...s.request('prod'), imageTag: '0.9.6', imageTagSource: `${at}.imageTag` }, aws, synth)).rejects.toThrow(`${at}.imageTag: image 0.9.6 cannot be served: `);
    const digest = `sha256:${'e'.repeat(64)}`;
    await expect(prepareDeploy({ ...s.request('prod'), imageTag: digest, imageTagSource: `${at}.imageTag`, contractTag: '0.9.4', contractTagSource: `${at}.contractTag` }, aws, synth)).rejects.toThrow(`${at}.contractTag: image 0.9.4 cannot be served: `);
    // A servable image from the same places goes ahead, and the plan says where its release came from.
    const back = await prepareDeploy({ ...s.request('prod'), imageTag: digest, imageTagSource: `${at}.imageTag`, contractTag: '0.8.0', contractTagSource: `${at}.contractTag` }, aws, synth);
    back.lock.release();
    expect(back.parameters).toMatchObject({ ProdImageTag: digest, ProdConsumers: 'none' });
    expect(planRows(back)).toContainEqual({ label: 'contract', value: `recorded as 0.8.0 (${at}.contractTag): 0.8.0 (consumers none)` });
  });
});

describe('deploy orchestration: the real cdk against the fake AWS', { timeout: 120_000 }, () => {
  let fake: FakeAws;
  let project: ProjectStack;
  const saved = { ...process.env };
  beforeAll(async () => {
    project = await synthProjectStack({ quiltValues: false });
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

  it("asks the credentials' identity once a preparation, though the team's lock names the caller too; a failed answer is asked again", async () => {
    const s = await deployed();
    const { createTeam } = await import('../../src/state/team-records.js');
    const team = createTeam({ store: s.aws.parameters, stackName: STACK, region: 'us-east-1', account: '123456789012', recordsPath: s.recordsPath, who: async () => (await s.aws.callerIdentity()).arn, toolVersion: '0.0.0', notice: () => undefined });
    const denied = fake.inject({ kind: 'access-denied', operation: 'GetCallerIdentity', times: 1 });
    await expect(prepareDeploy({ ...s.request('dev'), team }, s.aws, synthesizeStackLazily)).rejects.toThrow(/not authorized/);
    expect(denied.hits).toBe(1);
    const plan = await prepareDeploy({ ...s.request('dev'), team }, s.aws, synthesizeStackLazily);
    expect(plan.accountLock?.info.who).toBe('arn:aws:sts::123456789012:assumed-role/Admin/operator');
    disposePlan(plan);
    await plan.accountLock?.release();
    expect(fake.calls.count('GetCallerIdentity')).toBe(2);
    expect(fake.calls.count('PutParameter')).toBeGreaterThan(0);
  });

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

  it('records the release the image is served as; a deploy.json that cannot be written then is reported as such, not as a failed deploy', async () => {
    const s = await deployed();
    const digest = `sha256:${'f'.repeat(64)}`;
    const out = await executeDeploy(await prepareDeploy({ ...s.request('prod'), imageTag: digest, contractTag: '0.8.0' }, s.aws, synthesizeStackLazily), s.aws);
    expect(out.outcome).toBe('succeeded');
    const file = JSON.parse(readFileSync(s.recordsPath, 'utf8'));
    expect(file.prod).toMatchObject({ imageTag: digest, contractTag: '0.8.0' });
    // The section it replaced goes to history with its own release (none recorded by an older deploy: none kept).
    expect(file.prod.history[0]).toEqual({ imageTag: '0.6.9', deployedAt: '2026-01-01T00:00:00Z', endpoint: 'https://p/prod' });
    const next = await executeDeploy(await prepareDeploy({ ...s.request('prod'), imageTag: '0.8.3' }, s.aws, synthesizeStackLazily), s.aws);
    expect(next.outcome).toBe('succeeded');
    const after = JSON.parse(readFileSync(s.recordsPath, 'utf8')).prod;
    expect(after).toMatchObject({ imageTag: '0.8.3', contractTag: '0.8.3' });
    expect(after.history[0]).toMatchObject({ imageTag: digest, contractTag: '0.8.0' });

    // deploy.json is spoiled while cdk runs: the stack runs the image, only the record is missing.
    const plan = await prepareDeploy({ ...s.request('dev'), imageTag: '0.8.4' }, s.aws, synthesizeStackLazily);
    const spoiled = await executeDeploy(plan, s.aws, { onEvent: (e) => e.type === 'phase' && e.phase === 'deploying' && writeFileSync(s.recordsPath, '{ "prod": ') });
    expect(spoiled).toMatchObject({ outcome: 'unrecorded', endpoint: fake.scenario.stacks[STACK].outputs.DevEndpoint });
    if (spoiled.outcome !== 'unrecorded') return;
    expect(spoiled.error).toContain(s.recordsPath);
    expect(fake.scenario.stacks[STACK].parameters.DevImageTag).toBe('0.8.4');
    expect(readFileSync(s.recordsPath, 'utf8')).toBe('{ "prod": ');
    expect(existsSync(lockPathFor(s.recordsPath))).toBe(false);
  });

  it("a failure reports CloudFormation's reason for the failed resource, deploy.json untouched", async () => {
    const s = await deployed();
    const serviceId = Object.keys(project.template.Resources).find((k) => k.startsWith('DevService') && project.template.Resources[k].Type === 'AWS::ECS::Service')!;
    fake.scenario.cfn = { stepMs: 0, failResource: { logicalId: serviceId, reason: 'Resource handler returned message: "Circuit breaker triggered"' } };
    const before = s.before();
    const out = await executeDeploy(await prepareDeploy({ ...s.request('dev'), imageTag: '0.8.9' }, s.aws, synthesizeStackLazily), s.aws);
    expect(out).toMatchObject({ outcome: 'failed', stackStatus: 'UPDATE_ROLLBACK_COMPLETE' });
    if (out.outcome !== 'failed') return;
    expect(out.reasons[0]).toBe(`Dev/Service/Service (${serviceId}) AWS::ECS::Service: UPDATE_FAILED: Resource handler returned message: "Circuit breaker triggered"`);
    expect(s.before()).toBe(before);
    expect(existsSync(lockPathFor(s.recordsPath))).toBe(false);
  });

  it('a rollout that a deployment alarm rolled back says so first, naming the alarm ECS found in ALARM', async () => {
    const s = await deployed();
    const serviceId = Object.keys(project.template.Resources).find((k) => k.startsWith('DevService') && project.template.Resources[k].Type === 'AWS::ECS::Service')!;
    // ECS rolls the service back on the alarm, then CloudFormation fails the resource. The product
    // does not read CloudFormation's words for it: it asks ECS which alarm fired.
    const alarm = `${STACK}-dev-5xx`;
    fake.scenario.cfn = { stepMs: 0, failResource: { logicalId: serviceId, reason: 'Resource handler returned message: "the service deployment failed"', alarm } };
    const before = s.before();
    const out = await executeDeploy(await prepareDeploy({ ...s.request('dev'), imageTag: '0.8.9' }, s.aws, synthesizeStackLazily), s.aws);
    expect(out).toMatchObject({ outcome: 'failed', stackStatus: 'UPDATE_ROLLBACK_COMPLETE' });
    if (out.outcome !== 'failed') return;
    expect(out.reasons[0]).toBe(`dev's service rolled back by itself: deployment alarm ${alarm} fired during the rollout`);
    expect(out.reasons[1]).toMatch(/AWS::ECS::Service: UPDATE_FAILED: Resource handler returned message/);
    expect(s.before()).toBe(before);
  });

  it('the nearest case: a rollback by alarm ECS started before the deploy is not blamed for its failure', async () => {
    const s = await deployed();
    const names = namesOf(fake.scenario, 'dev');
    const since = new Date(Date.now() - 30_000).toISOString();
    rollBackOnAlarm(fake.scenario, 'dev', 'earlier', `${STACK}-dev-5xx`, { at: new Date(Date.now() - 10 * 60_000) });
    expect(await s.aws.alarmRollback!(names.cluster, names.service, since)).toEqual([]);
    rollBackOnAlarm(fake.scenario, 'dev', 'now', `${STACK}-dev-unhealthy-targets`);
    expect(await s.aws.alarmRollback!(names.cluster, names.service, since)).toEqual([`${STACK}-dev-unhealthy-targets`]);
  });

  it("a failure reason holding control characters (cdk's event line) is escaped, one line; the log file keeps cdk's output", async () => {
    const s = await deployed();
    const serviceId = Object.keys(project.template.Resources).find((k) => k.startsWith('DevService') && project.template.Resources[k].Type === 'AWS::ECS::Service')!;
    fake.scenario.cfn = { stepMs: 0, failResource: { logicalId: serviceId, reason: `Resource handler returned message: ${HOSTILE}` } };
    const plan = await prepareDeploy({ ...s.request('dev'), imageTag: '0.8.9' }, s.aws, synthesizeStackLazily);
    const out = await executeDeploy(plan, s.aws);
    expect(out.outcome).toBe('failed');
    if (out.outcome !== 'failed') return;
    for (const r of out.reasons) expect(r).not.toMatch(RAW_CONTROL);
    // cdk drops colour-like CSI sequences and breaks its line at the CR LF; the OSC and BEL it passes on are escaped.
    expect(out.reasons[0]).toMatch(/AWS::ECS::Service: UPDATE_FAILED: Resource handler returned message: Task failed \\x1b\]0;pwned\\x07/);
    expect(out.reasons[0]).not.toContain('\n');
    expect(readFileSync(plan.logFile, 'utf8')).toContain('Resource handler returned message: Task failed');
  });

  it('a cdk killed by someone else (kill -9) leaves deploy.json unchanged', async () => {
    const s = await deployed({ stepMs: 2_000 });
    const before = s.before();
    const plan = await prepareDeploy({ ...s.request('dev'), imageTag: '0.8.9' }, s.aws, synthesizeStackLazily);
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
