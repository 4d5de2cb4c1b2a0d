import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createStatusApi } from '../../src/state/aws-clients.js';
import type { DeployRecords } from '../../src/state/deploy-records.js';
import type { StatusApi } from '../../src/state/status-api.js';
import { type PollUpdate, type StatusPoller, type StatusPollerOptions } from '../../src/state/status-poller.js';
import type { StatusSnapshot } from '../../src/state/status-types.js';
import { FAKE_ACCESS_KEY_ID } from '../fake-aws/server.js';
import { tempDir } from '../helpers/fixtures.js';
import { completeRollout, crashTasks, namesOf, removeService, standardScenario, startRollout } from '../fake-aws/scenario.js';
import { stackPartsNow, useFakeAws } from '../helpers/fake-aws.js';

const { fake, onCleanup, statusPoller } = useFakeAws();

/** A poller on the real SDK clients (endpoint from AWS_ENDPOINT_URL only), retries off so each fault is seen. */
function makePoller(over: Partial<StatusPollerOptions> = {}, apiOptions: { maxAttempts?: number; awsProfile?: string } = { maxAttempts: 1 }) {
  return statusPoller({ intervalMs: 20, maxBackoffMs: 200, random: () => 0.5, ...over }, apiOptions);
}

const env = (snap: StatusSnapshot, name: 'dev' | 'prod') => snap.environments.find((e) => e.name === name)!;

/** The next `n` updates of a started poller. */
function updates(poller: StatusPoller, until: (u: PollUpdate[]) => boolean): Promise<PollUpdate[]> {
  return new Promise((resolve) => {
    const seen: PollUpdate[] = [];
    const off = poller.subscribe((u) => {
      seen.push(u);
      if (until(seen)) {
        off();
        resolve(seen);
      }
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('status poller against the fake AWS endpoint', () => {
  it('reads a full healthy snapshot of two environments', async () => {
    const records: DeployRecords = {
      prod: { endpoint: 'https://old/prod', imageTag: '0.6.9', deployedAt: '2025-01-01T00:00:00.000Z', stackName: 'BenchlingWebhookStack', stage: 'prod', history: [] },
    };
    const { poller } = makePoller({ deployRecords: () => records });
    const snap = await poller.snapshot();
    expect(snap).toMatchObject({ stackName: 'BenchlingWebhookStack', region: 'us-east-1', account: '123456789012', stackStatus: 'UPDATE_COMPLETE', error: null });
    expect(snap.environments.map((e) => e.name)).toEqual(['dev', 'prod']);
    expect(env(snap, 'prod')).toMatchObject({
      profile: 'default',
      imageTag: '0.7.0',
      endpoint: 'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod',
      service: { running: 2, desired: 2, pending: 0, rolloutState: 'COMPLETED' },
      targets: { healthy: 2, unhealthy: 0, other: 0 },
      health: 'healthy',
      reason: null,
      error: null,
      lastDeploy: { imageTag: '0.6.9', deployedAt: '2025-01-01T00:00:00.000Z' },
      stage: { name: 'prod' },
      stoppedTasks: [],
    });
    expect(env(snap, 'dev')).toMatchObject({ profile: 'dev', imageTag: 'latest', health: 'healthy', service: { running: 1, desired: 1 }, lastDeploy: null });
    expect(env(snap, 'dev').lastEvent?.message).toMatch(/steady state/);
    for (const e of snap.environments) {
      for (const at of [e.readAt?.service, e.readAt?.targets, e.readAt?.stage, snap.stackReadAt, snap.fetchedAt]) expect(Number.isNaN(Date.parse(at ?? ''))).toBe(false);
    }
    // One DescribeServices for both environments' services, one GetMetricData for both environments' metrics.
    expect(fake.calls.byOperation()).toEqual({
      'sts:GetCallerIdentity': 1,
      'cloudformation:DescribeStacks': 1,
      'apigateway:GetStages': 1,
      'ecs:DescribeServices': 1,
      'elasticloadbalancing:DescribeTargetHealth': 2,
      'monitoring:GetMetricData': 1,
    });
    const names = [namesOf(fake.scenario, 'dev').service, namesOf(fake.scenario, 'prod').service];
    expect(fake.calls.matching('DescribeServices')[0].input).toMatchObject({ services: names });
    expect(fake.calls.all.every((c) => c.accessKeyId === FAKE_ACCESS_KEY_ID && c.region === 'us-east-1')).toBe(true);
  });

  it("without readStages (status's table) reads no stages, with kept parts or without, and each environment's stage is null", async () => {
    const { poller } = makePoller({ readStages: false });
    const snap = await poller.snapshot();
    expect(fake.calls.count('GetStages')).toBe(0);
    expect(snap.environments.map((e) => [e.stage, e.readAt?.stage, e.error, e.health])).toEqual([
      [null, undefined, null, 'healthy'],
      [null, undefined, null, 'healthy'],
    ]);
    // The early reads from the parts a run before kept go without them too.
    const { poller: again } = makePoller({ readStages: false, lastParts: stackPartsNow(fake) });
    fake.calls.reset();
    await again.snapshot();
    expect(fake.calls.count('GetStages')).toBe(0);
    expect(fake.calls.count('DescribeServices')).toBe(1);
  });

  it("without readMetrics (status's table) reads no metrics, with kept parts or without, from an API that could, and says no metricsError", async () => {
    const { poller } = makePoller({ readMetrics: false });
    const snap = await poller.snapshot();
    expect(fake.calls.count('GetMetricData')).toBe(0);
    expect(snap).not.toHaveProperty('metricsError');
    expect(snap.environments.map((e) => e.health)).toEqual(['healthy', 'healthy']);
    const { poller: again } = makePoller({ readMetrics: false, lastParts: stackPartsNow(fake) });
    fake.calls.reset();
    await again.snapshot();
    expect(fake.calls.count('GetMetricData')).toBe(0);
    expect(fake.calls.count('DescribeServices')).toBe(1);
    // With the option left out, the same poller reads them (the first test above: one call).
    const { poller: reads } = makePoller();
    fake.calls.reset();
    expect(await reads.snapshot()).toHaveProperty('metricsError', null);
    expect(fake.calls.count('GetMetricData')).toBe(1);
  });

  it('in steady state reads only the services (one call) and each target group, keeping the stack and stages cached', async () => {
    const { poller } = makePoller();
    const first = await poller.snapshot();
    for (let i = 0; i < 3; i++) {
      fake.calls.reset();
      const next = await poller.snapshot();
      expect(fake.calls.byOperation()).toEqual({ 'ecs:DescribeServices': 1, 'elasticloadbalancing:DescribeTargetHealth': 2 });
      expect(next.stackReadAt).toBe(first.stackReadAt);
      expect(next.environments.every((e) => e.health === 'healthy')).toBe(true);
    }
  });

  it('shows a rollout as deploying, re-reads the stack while it lasts, and caches it again after', async () => {
    const { poller } = makePoller();
    await poller.snapshot();
    startRollout(fake.scenario, 'dev', '0.8.0', 0);
    fake.calls.reset();
    const during = await poller.snapshot();
    expect(env(during, 'dev')).toMatchObject({ health: 'deploying', service: { rolloutState: 'IN_PROGRESS', running: 1, desired: 1, pending: 1 } });
    expect(env(during, 'dev').reason).toMatch(/rollout in progress: 0 of 1 new tasks running/);
    expect(env(during, 'prod').health).toBe('healthy');
    // Not healthy: its stopped tasks are looked at (none yet, so nothing to describe).
    expect(fake.calls.count('ListTasks')).toBe(1);
    expect(fake.calls.count('DescribeTasks')).toBe(0);

    fake.calls.reset();
    const next = await poller.snapshot();
    expect(fake.calls.count('DescribeStacks')).toBe(1);
    expect(env(next, 'dev').imageTag).toBe('0.8.0');

    completeRollout(fake.scenario, 'dev');
    const done = await poller.snapshot();
    expect(env(done, 'dev')).toMatchObject({ health: 'healthy', service: { rolloutState: 'COMPLETED' } });
    fake.calls.reset();
    await poller.snapshot();
    await poller.snapshot();
    expect(fake.calls.count('DescribeStacks')).toBe(0);
    expect(fake.calls.count('ListTasks')).toBe(0);
  });

  it('gives failing tasks\' stop reasons: down with none running, degraded with some', async () => {
    crashTasks(fake.scenario, 'dev', { running: 0, reason: 'Essential container in task exited', exitCode: 1, containerReason: 'ModuleNotFoundError' });
    crashTasks(fake.scenario, 'prod', { running: 1, reason: 'Task failed ELB health checks in (target-group bw-prod)', exitCode: 0 });
    const { poller } = makePoller();
    const snap = await poller.snapshot();
    const dev = env(snap, 'dev');
    expect(dev.health).toBe('down');
    expect(dev.reason).toBe('0 of 1 tasks running; last stopped task: Essential container in task exited (app: exit 1, ModuleNotFoundError)');
    expect(dev.stoppedTasks).toHaveLength(3);
    const prod = env(snap, 'prod');
    expect(prod.health).toBe('degraded');
    expect(prod.reason).toMatch(/^1 of 2 tasks running; last stopped task: Task failed ELB health checks in \(target-group bw-prod\)$/);
    expect(prod.targets).toEqual({ healthy: 1, unhealthy: 1, other: 0 });
    expect(fake.calls.count('ListTasks')).toBe(2);
    // Both environments' stopped tasks in one DescribeTasks.
    expect(fake.calls.count('DescribeTasks')).toBe(1);
  });

  it('survives a throttling burst: backs off with jitter, then shows the data and polls at the normal pace', async () => {
    fake.inject({ kind: 'throttle', operation: 'DescribeServices', times: 3 });
    const { poller } = makePoller();
    const seen = updates(poller, (u) => u.length === 4);
    poller.start();
    const u = await seen;
    expect(u.slice(0, 3).map((x) => x.failuresInARow)).toEqual([1, 2, 3]);
    // Equal jitter at random()=0.5 of min(200, 20 * 2^n): 30, 60, 120.
    expect(u.slice(0, 3).map((x) => x.nextPollInMs)).toEqual([30, 60, 120]);
    for (const x of u.slice(0, 3)) {
      expect(env(x.snapshot, 'prod').health).toBe('unknown');
      expect(env(x.snapshot, 'prod').error).toBe('ECS DescribeServices: ThrottlingException: Rate exceeded');
      // The rest stands: target health was read.
      expect(env(x.snapshot, 'prod').targets).toEqual({ healthy: 2, unhealthy: 0, other: 0 });
    }
    expect(u[3].failuresInARow).toBe(0);
    expect(u[3].nextPollInMs).toBe(20);
    expect(u[3].snapshot.environments.map((e) => e.health)).toEqual(['healthy', 'healthy']);
  });

  it('lets the SDK\'s own retries absorb a short burst within one poll', async () => {
    fake.inject({ kind: 'throttle', operation: 'DescribeServices', times: 2 });
    const { poller } = makePoller({}, {});
    const snap = await poller.snapshot();
    expect(snap.environments.map((e) => e.health)).toEqual(['healthy', 'healthy']);
    expect(fake.calls.count('DescribeServices')).toBe(3);
  });

  it('with one service missing: that environment is down with the reason, the other is fine', async () => {
    removeService(fake.scenario, 'dev');
    const { poller } = makePoller();
    const snap = await poller.snapshot();
    expect(env(snap, 'dev')).toMatchObject({ health: 'down', service: null, error: null });
    expect(env(snap, 'dev').reason).toMatch(/^ECS service BenchlingWebhookStack-DevService-\w+ is missing$/);
    expect(env(snap, 'prod')).toMatchObject({ health: 'healthy', error: null });
  });

  it("a task count that is not a whole number (a string, a huge or negative number) makes ECS's answer unreadable, not a count shown", async () => {
    for (const bad of ['abc', 1e300, -5, 2.5]) {
      fake.scenario = standardScenario();
      const { cluster, service } = namesOf(fake.scenario, 'dev');
      (fake.scenario.clusters[cluster]!.services[service] as unknown as { desiredCount: unknown }).desiredCount = bad;
      const { poller } = makePoller();
      const snap = await poller.snapshot();
      for (const name of ['dev', 'prod'] as const) {
        expect(env(snap, name).error, `${bad} ${name}`).toMatch(/DescribeServices answered desiredCount with .*not a count of tasks/);
        expect(JSON.stringify(env(snap, name).service), `${bad} ${name}`).not.toMatch(/abc|1e\+300|-5|2\.5/);
      }
      await poller.stop();
    }
  });

  it('with one environment\'s target group unreadable: that one is unknown with the error, the other is fine', async () => {
    delete fake.scenario.targetGroups[namesOf(fake.scenario, 'prod').targetGroupArn];
    const { poller } = makePoller();
    const snap = await poller.snapshot();
    expect(env(snap, 'prod')).toMatchObject({ health: 'unknown', targets: null, service: { running: 2 } });
    expect(env(snap, 'prod').error).toMatch(/^ELBv2 DescribeTargetHealth: TargetGroupNotFound(Exception)?: Target groups '.*' not found$/);
    expect(env(snap, 'dev')).toMatchObject({ health: 'healthy', error: null });
  });

  it('keeps the last values with their read time when a later read fails', async () => {
    const { poller } = makePoller();
    const first = await poller.snapshot();
    await sleep(5);
    fake.inject({ kind: 'server-error', operation: 'DescribeServices', times: 1 });
    const failed = await poller.snapshot();
    const prod = env(failed, 'prod');
    expect(prod.health).toBe('unknown');
    expect(prod.error).toMatch(/ECS DescribeServices: InternalFailure/);
    expect(prod.service).toEqual(env(first, 'prod').service);
    expect(prod.readAt?.service).toBe(env(first, 'prod').readAt?.service);
    expect(Date.parse(prod.readAt!.targets!)).toBeGreaterThan(Date.parse(env(first, 'prod').readAt!.targets!));
    const recovered = await poller.snapshot();
    expect(recovered.environments.map((e) => e.health)).toEqual(['healthy', 'healthy']);
  });

  it('turns expired credentials into a clear log-in message, with no stack trace', async () => {
    fake.inject({ kind: 'expired-credentials' });
    const { poller } = makePoller({ awsProfile: 'ops' });
    const snap = await poller.snapshot();
    expect(snap.errorKind).toBe('credentials');
    expect(snap.error).toBe('AWS credentials expired or missing (STS GetCallerIdentity: ExpiredToken: The security token included in the request is expired)');
    expect(snap.hint).toMatch(/aws sso login --profile ops/);
    expect(snap.environments.map((e) => e.health)).toEqual(['unknown', 'unknown']);
    expect(JSON.stringify(snap)).not.toMatch(/\n\s+at /);
  });

  it('treats missing credentials the same way', async () => {
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    const empty = tempDir('bd-nocreds-');
    process.env.AWS_SHARED_CREDENTIALS_FILE = join(empty, 'credentials');
    process.env.AWS_CONFIG_FILE = join(empty, 'config');
    const { poller } = makePoller();
    const snap = await poller.snapshot();
    expect(snap.errorKind).toBe('credentials');
    expect(snap.error).toMatch(/^AWS credentials expired or missing \(.*Could not load credentials from any providers\)$/);
    expect(fake.calls.count()).toBe(0);
  });

  it('signs with the AWS profile given (--aws-profile), one credential chain shared by every client', async () => {
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    const dir = tempDir('bd-creds-');
    writeFileSync(join(dir, 'credentials'), '[ops]\naws_access_key_id = AKIAOPSPROFILE000001\naws_secret_access_key = ops-secret\n');
    writeFileSync(join(dir, 'config'), '');
    process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, 'credentials');
    process.env.AWS_CONFIG_FILE = join(dir, 'config');
    const { poller } = makePoller({}, { maxAttempts: 1, awsProfile: 'ops' });
    const snap = await poller.snapshot();
    expect(snap.error).toBeNull();
    expect(fake.calls.count()).toBe(7);
    expect(new Set(fake.calls.all.map((c) => c.accessKeyId))).toEqual(new Set(['AKIAOPSPROFILE000001']));
  });

  it('reports a missing stack as down, and explains an account mismatch', async () => {
    fake.scenario.stacks = {};
    const { poller } = makePoller();
    const snap = await poller.snapshot();
    expect(snap).toMatchObject({ stackStatus: null, error: null });
    expect(snap.environments.map((e) => [e.health, e.reason])).toEqual([
      ['down', 'the stack does not exist (not deployed yet?)'],
      ['down', 'the stack does not exist (not deployed yet?)'],
    ]);
    fake.scenario.identity.account = '999999999999';
    const { poller: other } = makePoller();
    const wrong = await other.snapshot();
    expect(wrong.error).toMatch(/credentials are for account 999999999999, but the profiles place the stack in account 123456789012/);
    expect(wrong.hint).toMatch(/--aws-profile/);
  });

  it('with no dev profile reads prod only', async () => {
    const { poller } = makePoller({ environments: [{ name: 'prod', profile: 'default' }] });
    const snap = await poller.snapshot();
    expect(snap.environments.map((e) => e.name)).toEqual(['prod']);
    expect(fake.calls.matching('DescribeServices')[0].input).toMatchObject({ services: [namesOf(fake.scenario, 'prod').service] });
    expect(fake.calls.count('DescribeTargetHealth')).toBe(1);
  });

  it('shows a dev profile whose environment the stack does not hold as down, not deployed', async () => {
    fake.scenario = standardScenario({ environments: ['prod'] });
    const { poller } = makePoller();
    const snap = await poller.snapshot();
    expect(env(snap, 'dev')).toMatchObject({ health: 'down', reason: 'not deployed: the stack has no DevServiceName output', service: null });
    expect(env(snap, 'prod').health).toBe('healthy');
  });

  it('team records: refreshed at start, then after the period; an unchanged service does not bring it sooner', async () => {
    let clock = Date.parse('2025-06-01T00:00:00Z');
    let refreshes = 0;
    const { poller } = makePoller({ now: () => new Date(clock), recordsEveryMs: 300_000, refreshRecords: async () => void (refreshes += 1) });
    await poller.snapshot();
    expect(refreshes).toBe(1);
    for (const step of [5_000, 60_000, 120_000, 114_000]) {
      clock += step;
      await poller.snapshot();
    }
    expect(refreshes).toBe(1);
    clock += 1_000;
    await poller.snapshot();
    expect(refreshes).toBe(2);
  });

  it('team records: the first poll reads the identity and the stack while the records refresh, not after', async () => {
    let inRefresh: string[] = [];
    const { poller } = makePoller({
      refreshRecords: async () => {
        // Held open until the stack's and the identity's reads have reached AWS (sent together, they
        // may arrive a few ms apart): a poll that waited for the records would get to neither.
        const from = fake.calls.all.length;
        const during = () => fake.calls.all.slice(from).map((c) => c.operation);
        for (let i = 0; i < 200 && !(during().includes('DescribeStacks') && during().includes('GetCallerIdentity')); i += 1) await new Promise((r) => setTimeout(r, 10));
        inRefresh = during().sort();
      },
    });
    const snap = await poller.snapshot();
    expect(inRefresh).toEqual(['DescribeStacks', 'GetCallerIdentity']);
    expect(env(snap, 'prod').health).toBe('healthy');
  });

  it('team records: with the stack cached, a refresh that brings a deploy has the stack re-read after it, in the same poll', async () => {
    let clock = Date.parse('2025-06-01T00:00:00Z');
    let records: DeployRecords = {};
    let order: string[] = [];
    const { poller } = makePoller({
      now: () => new Date(clock),
      deployRecords: () => records,
      recordsEveryMs: 60_000,
      refreshRecords: async () => {
        order.push(`refresh after ${fake.calls.count('DescribeStacks')} stack reads`);
        records = { prod: { endpoint: 'https://a.example/prod', imageTag: '0.8.0', deployedAt: new Date(clock).toISOString(), stackName: 'BenchlingWebhookStack', stage: 'prod', history: [] } };
      },
    });
    await poller.snapshot();
    fake.calls.reset();
    order = [];
    clock += 5_000;
    await poller.snapshot();
    expect(fake.calls.count('DescribeStacks')).toBe(0);
    clock += 60_000;
    await poller.snapshot();
    expect(order).toEqual(['refresh after 0 stack reads']);
    expect(fake.calls.count('DescribeStacks')).toBe(1);
  });

  it("team records: a service's new task definition (a deploy from anywhere) refreshes them at the next poll, then at the follow pace until its record arrives", async () => {
    let clock = Date.parse('2025-06-01T00:00:00Z');
    const refreshedAt: number[] = [];
    let brings = false;
    const { poller } = makePoller({
      now: () => new Date(clock),
      recordsEveryMs: 300_000,
      refreshRecords: async () => {
        refreshedAt.push(clock);
        return brings;
      },
    });
    const start = clock;
    await poller.snapshot();
    clock += 5_000;
    await poller.snapshot();
    startRollout(fake.scenario, 'dev', '0.8.0', 0);
    clock += 5_000;
    await poller.snapshot();
    expect(refreshedAt).toEqual([start]);
    clock += 5_000;
    await poller.snapshot();
    expect(refreshedAt).toEqual([start, start + 15_000]);
    // The record comes after the rollout: looked for every 20 s meanwhile, not every poll.
    clock += 5_000;
    await poller.snapshot();
    expect(refreshedAt).toHaveLength(2);
    clock += 15_000;
    await poller.snapshot();
    expect(refreshedAt).toEqual([start, start + 15_000, start + 35_000]);
    completeRollout(fake.scenario, 'dev');
    brings = true;
    clock += 20_000;
    await poller.snapshot();
    expect(refreshedAt).toHaveLength(4);
    // It arrived: back to the period.
    for (let i = 0; i < 6; i += 1) {
      clock += 20_000;
      await poller.snapshot();
    }
    expect(refreshedAt).toHaveLength(4);
  });

  it('re-reads the stack when deploy.json records a deploy, when invalidated, and when the cache is old', async () => {
    let records: DeployRecords = {};
    let clock = Date.parse('2025-06-01T00:00:00Z');
    const { poller } = makePoller({ deployRecords: () => records, now: () => new Date(clock), stackMaxAgeMs: 300_000 });
    await poller.snapshot();
    fake.calls.reset();
    await poller.snapshot();
    expect(fake.calls.count('DescribeStacks')).toBe(0);
    records = { dev: { endpoint: 'https://e.execute-api.us-east-1.amazonaws.com/dev', imageTag: '0.8.0', deployedAt: '2025-06-01T00:00:01Z', stackName: 'BenchlingWebhookStack', stage: 'dev', history: [] } };
    await poller.snapshot();
    expect(fake.calls.count('DescribeStacks')).toBe(1);
    poller.invalidate();
    await poller.snapshot();
    expect(fake.calls.count('DescribeStacks')).toBe(2);
    expect(fake.calls.count('GetStages')).toBe(1);
    clock += 301_000;
    await poller.snapshot();
    expect(fake.calls.count('DescribeStacks')).toBe(3);
    // r, "refresh now": the stack and stages again, not their cache.
    await poller.refresh();
    expect(fake.calls.count('DescribeStacks')).toBe(4);
    expect(fake.calls.count('GetStages')).toBe(2);
    await poller.snapshot();
    expect(fake.calls.count('DescribeStacks')).toBe(4);
    // While a deploy of this process runs, every poll reads the stack; after it, the cache again.
    poller.followStack(true);
    await poller.snapshot();
    await poller.snapshot();
    expect(fake.calls.count('DescribeStacks')).toBe(6);
    poller.followStack(false);
    await poller.snapshot();
    expect(fake.calls.count('DescribeStacks')).toBe(6);
  });
});

describe('poll scheduling', () => {
  it('stop() waits for the poll in flight, and nothing is called after it', async () => {
    fake.inject({ kind: 'slow', operation: 'DescribeServices', delayMs: 300 });
    const { poller } = makePoller();
    let published = 0;
    poller.subscribe(() => {
      published++;
    });
    poller.start();
    while (fake.calls.count('DescribeServices') === 0) await sleep(5);
    expect(poller.isPolling()).toBe(true);
    await poller.stop();
    expect(published).toBe(1);
    expect(poller.isPolling()).toBe(false);
    const callsAtStop = fake.calls.count();
    await sleep(100);
    expect(fake.calls.count()).toBe(callsAtStop);
  });

  it('never overlaps polls, whatever the pace and however often refresh is asked', async () => {
    fake.inject({ kind: 'slow', operation: 'DescribeServices', delayMs: 40 });
    const real = createStatusApi({ region: 'us-east-1', maxAttempts: 1 });
    onCleanup(() => real.close());
    let active = 0;
    let maxActive = 0;
    const api: StatusApi = {
      ...real,
      describeServices: async (cluster, services) => {
        active++;
        maxActive = Math.max(maxActive, active);
        try {
          return await real.describeServices(cluster, services);
        } finally {
          active--;
        }
      },
    };
    const { poller } = makePoller({ api, intervalMs: 1 });
    const seen = updates(poller, (u) => u.length >= 5);
    poller.start();
    const joined = [poller.refresh(), poller.refresh(), poller.refresh()];
    expect(joined[1]).toBe(joined[0]);
    expect(joined[2]).toBe(joined[0]);
    for (let i = 0; i < 5; i++) {
      void poller.refresh();
      await sleep(15);
    }
    await seen;
    await poller.stop();
    expect(maxActive).toBe(1);
    expect(fake.calls.count('DescribeServices')).toBeGreaterThanOrEqual(5);
  });

  it('caps the back-off at maxBackoffMs, jitter included', async () => {
    const failing: StatusApi = {
      getCallerIdentity: async () => ({ account: '123456789012', arn: 'arn' }),
      describeStack: async () => {
        throw Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } });
      },
      describeServices: async () => ({ services: [], missing: [] }),
      describeTargetHealth: async () => [],
      getStages: async () => [],
      listStoppedTasks: async () => [],
      describeTasks: async () => [],
    };
    const { poller } = makePoller({ api: failing, intervalMs: 5, maxBackoffMs: 40, random: () => 0.999999 });
    const seen = updates(poller, (u) => u.length === 6);
    poller.start();
    const u = await seen;
    expect(u.map((x) => x.nextPollInMs)).toEqual([10, 20, 40, 40, 40, 40]);
    expect(u[5].snapshot.error).toBe('CloudFormation DescribeStacks: Throttling: Rate exceeded');
    expect(u[5].snapshot.environments.map((e) => e.health)).toEqual(['unknown', 'unknown']);
  });
});
