import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BIN, ROOT, runCliAsync, runWithReaderGone, type CliResult } from '../helpers/cli.js';
import { SECRET, devProfile, prodProfile, tempDir, writeJson } from '../helpers/fixtures.js';
import { crashTasks, namesOf, rollBackOnAlarm, standardScenario, startRollout } from '../fake-aws/scenario.js';
import { seedEnvironmentMetrics } from '../fake-aws/services/cloudwatch.js';
import { parseRefresh } from '../../bin/numbers.js';
import { REFRESH_ENV, refreshFromEnvMs } from '../../bin/commands/dashboard.js';
import { DEFAULT_INTERVAL_MS, refreshMs } from '../../src/state/poll-interval.js';
import { HOSTILE, RAW_CONTROL } from '../helpers/hostile.js';
import { useFakeAws } from '../helpers/fake-aws.js';

/** The built binary reaches the fake through the environment given to it; this process's is left alone. */
const { fake } = useFakeAws({ processEnv: false });
/** Credentials files that hold nothing unless a test writes them: no AWS config of the machine leaks in. */
let awsDir: string;
/** A cache folder of each test's own: what one test's run keeps (the stack's parts) is not the next test's. */
let cacheDir: string;

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist', 'cli.js'))) throw new Error('dist/cli.js is missing: run `npm run build` first (npm test does)');
});

beforeEach(() => {
  awsDir = tempDir('bd-cli-status-aws-');
  cacheDir = tempDir('bd-cli-status-cache-');
});

function configDir(options: { dev?: boolean; prod?: Record<string, unknown> } = {}): string {
  const dir = tempDir('bd-cli-status-');
  writeJson(dir, 'default.json', prodProfile({ benchlingClientSecret: SECRET, ...options.prod }));
  if (options.dev !== false) writeJson(dir, 'dev.json', devProfile());
  return dir;
}

/** The built binary, pointed at the fake only through the environment. */
async function status(dir: string, args: string[] = ['status'], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  const r = await runCliAsync(['--config-dir', dir, ...args], {
    env: {
      ...fake.env,
      AWS_PROFILE: undefined,
      AWS_SHARED_CREDENTIALS_FILE: join(awsDir, 'credentials'),
      AWS_CONFIG_FILE: join(awsDir, 'config'),
      XDG_CACHE_HOME: cacheDir,
      ...env,
    },
  });
  expect(r.stdout + r.stderr).not.toContain(SECRET);
  return r;
}

describe('benchling-deploy status', () => {
  it('prints a compact table and exits 0 when both environments are healthy', async () => {
    const r = await status(configDir());
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('BenchlingWebhookStack  us-east-1  account 123456789012  UPDATE_COMPLETE');
    expect(lines[1]).toMatch(/^ENV\s+PROFILE\s+HEALTH\s+TASKS\s+ROLLOUT\s+TARGETS\s+IMAGE\s+ENDPOINT$/);
    expect(lines[2]).toMatch(/^dev\s+dev\s+healthy\s+1\/1\s+COMPLETED\s+1\/1 healthy\s+latest\s+https:\/\/a1b2c3d4e5\.execute-api\.us-east-1\.amazonaws\.com\/dev$/);
    expect(lines[3]).toMatch(/^prod\s+default\s+healthy\s+2\/2\s+COMPLETED\s+2\/2 healthy\s+0\.7\.0\s+https:\/\/a1b2c3d4e5\.execute-api\.us-east-1\.amazonaws\.com\/prod$/);
    expect(lines).toHaveLength(4);
  });

  it('reads the identity and the stack while the team records are read: a slow GetParameters holds back neither', async () => {
    fake.inject({ kind: 'slow', operation: 'GetParameters', delayMs: 1500 });
    const r = await status(configDir());
    expect(r.status, r.stderr).toBe(0);
    const at = (operation: string) => fake.calls.all.find((c) => c.operation === operation)!.at;
    // Both reached AWS while the records' read was still waiting for its answer.
    expect(at('DescribeStacks') - at('GetParameters')).toBeLessThan(1500);
    expect(at('GetCallerIdentity') - at('GetParameters')).toBeLessThan(1500);
    expect(fake.calls.count('GetParameters')).toBe(1);
    expect(fake.calls.count('DescribeStacks')).toBe(1);
  });

  it("a second run sends the reads after the stack's beside it, from the parts the first run kept; a stack that changed between them still shows as it is", async () => {
    // DescribeStacks answers 2 s after it is asked: a read that reached AWS sooner was sent without its answer.
    fake.inject({ kind: 'slow', operation: 'DescribeStacks', delayMs: 2000 });
    const dir = configDir();
    /** When each read after the stack's reached AWS, after DescribeStacks was asked: one time for each call of each. */
    const after = () => {
      const stackAt = fake.calls.matching('DescribeStacks')[0]!.at;
      const reads = ['DescribeServices', 'DescribeTargetHealth'].map((operation) => fake.calls.matching(operation).map((c) => c.at - stackAt));
      for (const times of reads) expect(times.length).toBeGreaterThan(0);
      return reads.flat();
    };
    const first = await status(dir);
    expect(first.status, first.stderr).toBe(0);
    expect(Math.min(...after())).toBeGreaterThanOrEqual(2000);
    const calls = fake.calls.byOperation();
    expect(readdirSync(join(cacheDir, 'benchling-deploy', 'stacks'))).toHaveLength(1);

    fake.calls.reset();
    const second = await status(dir);
    expect(second.status, second.stderr).toBe(0);
    expect(Math.max(...after())).toBeLessThan(2000);
    expect(second.stdout).toBe(first.stdout);
    expect(fake.calls.byOperation()).toEqual(calls);

    // The stack now names another service for dev (replaced by a deploy): what was read with the kept parts (the old
    // service, gone) is dropped, and dev is read again by the name the stack gives now.
    const names = namesOf(fake.scenario, 'dev');
    const cluster = fake.scenario.clusters[names.cluster]!;
    const renamed = `${names.service}-2`;
    cluster.services[renamed] = { ...cluster.services[names.service]!, serviceName: renamed };
    delete cluster.services[names.service];
    fake.scenario.stacks.BenchlingWebhookStack!.outputs.DevServiceName = renamed;
    fake.calls.reset();
    const third = await status(dir);
    expect(third.status, third.stdout + third.stderr).toBe(0);
    expect(third.stdout).toBe(first.stdout);
    expect(fake.calls.matching('DescribeServices').map((c) => (c.input as { services: string[] }).services[0])).toEqual([names.service, renamed]);
  });

  it("the table, which shows neither metrics nor the API's stages, reads neither; --json reads both, one call each", async () => {
    const text = await status(configDir());
    expect(text.status, text.stderr).toBe(0);
    expect(fake.calls.count('GetMetricData')).toBe(0);
    expect(fake.calls.count('GetStages')).toBe(0);
    // Every other read the status makes, once each (the target groups' health once for each environment).
    expect(fake.calls.byOperation()).toEqual({
      'sts:GetCallerIdentity': 1,
      'ssm:GetParameters': 1,
      'cloudformation:DescribeStacks': 1,
      'ecs:DescribeServices': 1,
      'elasticloadbalancing:DescribeTargetHealth': 2,
    });
    fake.calls.reset();
    const json = await status(configDir(), ['status', '--json']);
    expect(json.status, json.stderr).toBe(0);
    expect(fake.calls.count('GetMetricData')).toBe(1);
    expect(fake.calls.count('GetStages')).toBe(1);
    const snap = JSON.parse(json.stdout);
    expect(snap.metricsError).toBeNull();
    expect(snap.environments.map((e: { stage: { name: string } | null }) => e.stage?.name)).toEqual(['dev', 'prod']);
  });

  it('--json carries the last hour of metrics as numbers, gaps as null, from one GetMetricData', async () => {
    // The command reads the hour up to its own minute: seeded and read in the same minute (a
    // minute that turned between the two would shift every value by one).
    const left = 60_000 - (Date.now() % 60_000);
    if (left < 12_000) await new Promise((r) => setTimeout(r, left + 100));
    seedEnvironmentMetrics(fake.scenario, 'prod', { requests: [1200, null, 900], errors5xx: [3], latencyMs: [245.5], cpu: [37.5], memory: [61] });
    const r = await status(configDir(), ['status', '--json']);
    expect(r.status).toBe(0);
    const snap = JSON.parse(r.stdout);
    expect(snap.metricsError).toBeNull();
    const prod = snap.environments[1].metrics;
    expect(Object.keys(prod).sort()).toEqual(['cpu', 'errors5xx', 'latencyP95', 'memory', 'periodSeconds', 'readAt', 'requests', 'start']);
    expect(prod.requests).toHaveLength(60);
    expect(prod.requests.slice(-3)).toEqual([900, null, 1200]);
    expect([prod.errors5xx.at(-1), prod.latencyP95.at(-1), prod.cpu.at(-1), prod.memory.at(-1)]).toEqual([3, 245.5, 37.5, 61]);
    expect(snap.environments[0].metrics.requests.every((v: unknown) => v === null)).toBe(true);
    expect(fake.calls.count('GetMetricData')).toBe(1);
  });

  it('--json with metrics refused: says so once, and the status is otherwise whole (exit 0)', async () => {
    fake.inject({ kind: 'access-denied', service: 'monitoring' });
    const r = await status(configDir(), ['status', '--json']);
    expect(r.status).toBe(0);
    const snap = JSON.parse(r.stdout);
    expect(snap.metricsError).toMatch(/AccessDenied/);
    expect(snap.environments.map((e: { health: string; error: unknown }) => [e.health, e.error])).toEqual([
      ['healthy', null],
      ['healthy', null],
    ]);
  });

  it('--json prints the snapshot in the shape of PRODUCT.md section 6', async () => {
    const r = await status(configDir(), ['status', '--json']);
    expect(r.status).toBe(0);
    const snap = JSON.parse(r.stdout);
    expect(snap).toMatchObject({ stackName: 'BenchlingWebhookStack', region: 'us-east-1', stackStatus: 'UPDATE_COMPLETE', error: null });
    expect(Number.isNaN(Date.parse(snap.fetchedAt))).toBe(false);
    expect(snap.environments).toHaveLength(2);
    for (const e of snap.environments) {
      expect(Object.keys(e)).toEqual(expect.arrayContaining(['name', 'profile', 'imageTag', 'endpoint', 'service', 'targets', 'health', 'error']));
      expect(Object.keys(e.service).sort()).toEqual(['desired', 'pending', 'rolloutState', 'running']);
      expect(Object.keys(e.targets).sort()).toEqual(['healthy', 'other', 'unhealthy']);
    }
    expect(snap.environments[1]).toMatchObject({ name: 'prod', profile: 'default', imageTag: '0.7.0', health: 'healthy', error: null, service: { running: 2, desired: 2, pending: 0, rolloutState: 'COMPLETED' } });
  });

  it('says when an alarm rolled prod\'s rollout back, naming the alarm, in text and --json', async () => {
    rollBackOnAlarm(fake.scenario, 'prod', '0.8.0', 'BenchlingWebhookStack-prod-5xx');
    const r = await status(configDir());
    // Rolled back, the service runs its previous image again: healthy.
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^prod: rolled back to ecs-svc\/\d+ by alarm BenchlingWebhookStack-prod-5xx \(\d{4}-\d\d-\d\dT[\d:.]+Z\)$/m);
    expect(r.stdout).not.toMatch(/^dev: rolled back/m);
    const json = JSON.parse((await status(configDir(), ['status', '--json'])).stdout);
    expect(json.environments[1].rolledBackByAlarm).toMatchObject({ alarms: ['BenchlingWebhookStack-prod-5xx'], triggered: true, status: 'ROLLBACK_SUCCESSFUL' });
    expect(json.environments[0].rolledBackByAlarm).toBeNull();
  });

  it('exits 1 during a rollout, showing it as deploying', async () => {
    startRollout(fake.scenario, 'dev', '0.8.0', 0);
    const r = await status(configDir());
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^dev\s+dev\s+deploying\s+1\/1 \+1 pending\s+IN_PROGRESS/m);
    expect(r.stdout).toMatch(/^dev: rollout in progress: 0 of 1 new tasks running$/m);
    expect(r.stdout).toMatch(/^prod\s+default\s+healthy/m);
  });

  it('exits 1 with failing tasks, giving their stop reasons', async () => {
    crashTasks(fake.scenario, 'prod', { running: 0, reason: 'Essential container in task exited', exitCode: 2, containerReason: 'KeyError: client_secret' });
    const r = await status(configDir());
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^prod\s+default\s+down\s+0\/2/m);
    expect(r.stdout).toContain('prod: 0 of 2 tasks running; last stopped task: Essential container in task exited (app: exit 2, KeyError: client_secret)');
  });

  it('an ECS stop reason and rollout reason holding escape sequences, CR LF, DEL and C1 controls are printed escaped, one line each', async () => {
    crashTasks(fake.scenario, 'prod', { running: 0, reason: `Essential container exited ${HOSTILE}`, exitCode: 2 });
    const primary = fake.scenario.clusters[Object.keys(fake.scenario.clusters)[0]].services;
    for (const svc of Object.values(primary)) for (const d of svc.deployments) if (d.status === 'PRIMARY' && svc.serviceName.toLowerCase().includes('prod')) Object.assign(d, { rolloutState: 'FAILED', rolloutStateReason: `circuit breaker ${HOSTILE}` });
    const r = await status(configDir());
    expect(r.status).toBe(1);
    expect(r.stdout).not.toMatch(RAW_CONTROL);
    // The forged line is no line of its own: it stays inside prod's reason.
    expect(r.stdout).not.toMatch(/^FAKE: prod healthy/m);
    const reason = r.stdout.split('\n').filter((l) => l.startsWith('prod: '));
    expect(reason).toHaveLength(1);
    expect(reason[0]).toContain('rollout failed: circuit breaker Task failed \\x1b]0;pwned\\x07\\x1b[2J boom ⏎ FAKE: prod healthy\\x7f\\x9b31m\\x85end');
    expect(reason[0]).toContain('last stopped task: Essential container exited Task failed \\x1b]0;pwned');
  });

  it('--json keeps the original reason, escaped by JSON only: it parses back to the same string', async () => {
    crashTasks(fake.scenario, 'prod', { running: 0, reason: `Essential container exited ${HOSTILE}`, exitCode: 2 });
    const r = await status(configDir(), ['status', '--json']);
    expect(r.status).toBe(1);
    expect(r.stdout).not.toMatch(RAW_CONTROL);
    const prod = JSON.parse(r.stdout).environments.find((e: { name: string }) => e.name === 'prod');
    expect(prod.reason).toContain(`last stopped task: Essential container exited ${HOSTILE}`);
    expect(prod.stoppedTasks[0].reason).toContain(HOSTILE);
  });

  it('a long reason is cut with an ellipsis in the table; --json has it whole', async () => {
    const long = `Essential container exited ${'z'.repeat(5000)} TAIL-MARK`;
    crashTasks(fake.scenario, 'prod', { running: 0, reason: long, exitCode: 2 });
    const text = await status(configDir());
    const reason = text.stdout.split('\n').find((l) => l.startsWith('prod: '))!;
    expect(reason.length).toBeLessThanOrEqual('prod: '.length + 1000);
    expect(reason.endsWith('…')).toBe(true);
    expect(reason).not.toContain('TAIL-MARK');
    const json = await status(configDir(), ['status', '--json']);
    expect(JSON.parse(json.stdout).environments[1].reason).toContain(`${long} (app: exit 2)`);
  });

  it('with no dev profile shows prod only', async () => {
    const r = await status(configDir({ dev: false }), ['status', '--json']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).environments.map((e: { name: string }) => e.name)).toEqual(['prod']);
  });

  it('exits 1 when an environment is degraded though every other is healthy, in text and --json', async () => {
    crashTasks(fake.scenario, 'prod', { running: 1, reason: 'Task failed ELB health checks' });
    const r = await status(configDir());
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^dev\s+dev\s+healthy/m);
    expect(r.stdout).toMatch(/^prod\s+default\s+degraded\s+1\/2/m);
    const json = await status(configDir(), ['status', '--json']);
    expect(json.status).toBe(1);
    expect(JSON.parse(json.stdout).environments.map((e: { health: string }) => e.health)).toEqual(['healthy', 'degraded']);
  });

  it('a stack CloudFormation says does not exist: "stack not found", exit 1', async () => {
    fake.scenario.stacks = {};
    const r = await status(configDir());
    expect(r.status).toBe(1);
    expect(r.stdout.split('\n')[0]).toBe('BenchlingWebhookStack  us-east-1  account 123456789012  stack not found');
  });

  for (const [fault, words, error] of [
    ['throttle', 'throttled', /^error: CloudFormation DescribeStacks: Throttling: Rate exceeded$/m],
    ['server-error', 'AWS server error', /^error: CloudFormation DescribeStacks: InternalFailure: /m],
    ['malformed', 'unreadable reply', /^error: CloudFormation DescribeStacks: the AWS reply could not be read/m],
  ] as const) {
    it(`a DescribeStacks ${fault} (past the retries) is a failure of its kind, never "stack not found": exit 1`, async () => {
      fake.inject({ kind: fault, operation: 'DescribeStacks' });
      const r = await status(configDir(), ['status'], { AWS_MAX_ATTEMPTS: '1' });
      expect(r.status).toBe(1);
      expect(r.stdout.split('\n')[0]).toBe(`BenchlingWebhookStack  us-east-1  account 123456789012  stack not read (${words})`);
      expect(r.stdout).toMatch(/^prod\s+default\s+unknown/m);
      expect(r.stdout + r.stderr).not.toMatch(/not found|does not exist/);
      expect(r.stderr).toMatch(error);
      expect(fake.calls.count('DescribeStacks')).toBe(1);
    });
  }

  it('survives a short throttling burst (the SDK retries) and reads the region from --region', async () => {
    fake.inject({ kind: 'throttle', operation: 'DescribeServices', times: 2 });
    const r = await status(configDir(), ['--region', 'eu-west-1', 'status', '--json']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).region).toBe('eu-west-1');
    expect(fake.calls.count('DescribeServices')).toBe(3);
    expect(new Set(fake.calls.all.map((c) => c.region))).toEqual(new Set(['eu-west-1']));
  });

  it('says to log in again when the credentials expired: exit 1, no stack trace', async () => {
    fake.inject({ kind: 'expired-credentials' });
    const r = await status(configDir());
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: AWS credentials expired or missing \(.*ExpiredToken.*: The security token included in the request is expired\)\nhint: log in again/);
    expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
  });

  it('names the AWS profile to log in with (--aws-profile), and signs with it', async () => {
    writeFileSync(join(awsDir, 'credentials'), '[ops]\naws_access_key_id = AKIAOPSPROFILE000002\naws_secret_access_key = x\n');
    fake.inject({ kind: 'expired-credentials' });
    const r = await status(configDir(), ['--aws-profile', 'ops', 'status'], { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('hint: log in again: `aws sso login --profile ops`');
    expect(fake.calls.all.length).toBeGreaterThan(0);
    expect(fake.calls.all.every((c) => c.accessKeyId === 'AKIAOPSPROFILE000002')).toBe(true);
  });

  it('--aws-profile with keys also in the environment: the profile signs, and one line of ours says so (not the SDK\'s nine)', async () => {
    writeFileSync(join(awsDir, 'credentials'), '[ops]\naws_access_key_id = AKIAOPSPROFILE000003\naws_secret_access_key = x\n');
    const r = await status(configDir(), ['--aws-profile', 'ops', 'status']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('warning: AWS profile ops is used; AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment are ignored\n');
    expect(fake.calls.all.every((c) => c.accessKeyId === 'AKIAOPSPROFILE000003')).toBe(true);
  });

  it('an --aws-profile that does not exist is named as such (exit 2), not taken for an expired login', async () => {
    writeFileSync(join(awsDir, 'config'), '[profile ops]\nregion = us-east-1\n');
    for (const args of [['status'], ['deploy', '--environment', 'prod', '--yes'], ['logs', '--environment', 'prod']]) {
      const r = await status(configDir(), ['--aws-profile', 'nosuch', ...args], { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined });
      expect(r.stderr, args[0]).toContain(`error: no AWS profile nosuch in ${join(awsDir, 'config')} (nor in ${join(awsDir, 'credentials')})\n`);
      expect(r.stderr, args[0]).not.toMatch(/sso login|expired/);
      expect(r.status, args[0]).toBe(2);
    }
    expect(fake.calls.count()).toBe(0);
    // The profile from the config file is found.
    writeFileSync(join(awsDir, 'credentials'), '[ops]\naws_access_key_id = AKIAOPSPROFILE000004\naws_secret_access_key = x\n');
    const ok = await status(configDir(), ['--aws-profile', 'ops', 'status'], { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined });
    expect(ok.status, ok.stderr).toBe(0);
  });

  it('says the same when there are no credentials at all', async () => {
    const r = await status(configDir(), ['status', '--json'], { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined });
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ errorKind: 'credentials', environments: [{ health: 'unknown' }, { health: 'unknown' }] });
    expect(r.stderr).toMatch(/^error: AWS credentials expired or missing \(.*Could not load credentials from any providers\)\nhint: /);
    expect(fake.calls.count()).toBe(0);
  });

  it('exits 2 for bad profiles, before any AWS call', async () => {
    const none = tempDir('bd-cli-status-empty-');
    const missing = await status(none);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/no prod profile/);
    const dir = configDir();
    writeJson(dir, 'dev.json', devProfile({ benchlingTenant: 'Not Valid' }));
    const bad = await status(dir);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain(join(dir, 'dev.json'));
    expect(bad.stderr).toMatch(/benchlingTenant/);
    expect(fake.calls.count()).toBe(0);
  });

  it('refuses a bad --refresh with exit 2, naming the flag', async () => {
    for (const bad of ['0', 'soon', '99999']) {
      const r = await status(configDir(), ['--refresh', bad, 'status']);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/--refresh <seconds>.*expected a number of seconds from 1 to 3600/);
    }
    expect(fake.calls.count()).toBe(0);
  });

  it('runs once with no command when there is no terminal (a pipe or CI)', async () => {
    const r = await status(configDir(), []);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^ENV\s+PROFILE\s+HEALTH/m);
    expect(r.stdout).toMatch(/^prod\s+default\s+healthy/m);
  });
});

describe('--refresh', () => {
  it('gives the poll interval in ms, 5 s by default', () => {
    expect(parseRefresh('2.5')).toBe(2500);
    expect(parseRefresh('3600')).toBe(3_600_000);
    // The poller's interval when neither --refresh nor the variable gives one.
    expect(DEFAULT_INTERVAL_MS).toBe(5000);
    expect(() => parseRefresh('0.5')).toThrow(/from 1 to 3600, got "0.5"/);
    expect(() => parseRefresh('')).toThrow(/from 1 to 3600/);
  });

  it('is read the same way on the line, by the front\'s route and from BENCHLING_DEPLOY_REFRESH_SECONDS', () => {
    for (const [text, ms] of [['1', 1000], ['2.5', 2500], [' 7 ', 7000], ['3600', 3_600_000], ['0.9995', undefined], ['0', undefined], ['3600.5', undefined], ['soon', undefined], ['', undefined], ['Infinity', undefined]] as const) {
      expect(refreshMs(text), text).toBe(ms);
      if (ms === undefined) expect(() => parseRefresh(text), text).toThrow(/from 1 to 3600/);
      else expect(parseRefresh(text), text).toBe(ms);
    }
    expect(refreshFromEnvMs({})).toBeUndefined();
    expect(refreshFromEnvMs({ [REFRESH_ENV]: ' ' })).toBeUndefined();
    expect(refreshFromEnvMs({ [REFRESH_ENV]: '2.5' })).toBe(2500);
    expect(() => refreshFromEnvMs({ [REFRESH_ENV]: '0' })).toThrow(`${REFRESH_ENV}: expected a number of seconds from 1 to 3600, got "0"`);
  });
});

/**
 * status as the front's route reads it runs in dist/status.cjs; a line the front's parser reads
 * (two short flags in one word, `-yy`) runs it in the ESM bundle. The same command either way. (The bare command off a
 * terminal is status in status.cjs: test/cli/front.test.ts.)
 */
describe('status in either bundle', () => {
  /** Times and ages differ from run to run; nothing else may. */
  const settled = (r: CliResult) => ({ status: r.status, stdout: r.stdout.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, 'T').replace(/\b\d+[smhd] ago\b/g, 'ago'), stderr: r.stderr });

  it.each([
    ['healthy, text', () => configDir(), []],
    ['healthy, --json', () => configDir(), ['--json']],
    ['a malformed deploy.json', () => {
      const dir = configDir();
      writeFileSync(join(dir, 'deploy.json'), '{ not json');
      return dir;
    }, []],
    ['no prod profile', () => tempDir('bd-cli-status-empty-'), []],
  ])('%s: `status` (status.cjs) and `-yy status` (the ESM bundle) say the same', async (_what, dir, flags) => {
    const d = dir();
    const front = await status(d, [...flags, 'status']);
    const esm = await status(d, ['-yy', ...flags, 'status']);
    expect(settled(front)).toEqual(settled(esm));
    expect(front.stdout + front.stderr).not.toBe('');
  });

  it.each([[['status']], [['-yy', 'status']], [['--refresh', '5', 'status']], [['--json', 'status']], [[]]])('%j ends quietly when its reader has gone (`| head`): exit 0, nothing on stderr', async (args) => {
    const env = { ...process.env, ...fake.env, CI: 'true', NO_COLOR: '1', AWS_PROFILE: '', AWS_SHARED_CREDENTIALS_FILE: join(awsDir, 'credentials'), AWS_CONFIG_FILE: join(awsDir, 'config') };
    expect(await runWithReaderGone([BIN, '--config-dir', configDir(), ...args], env)).toEqual({ status: 0, stderr: '' });
  });
});
