/**
 * The dashboard starts polling the stack of its first frame (the profiles read as plain
 * JSON) while the profiles are checked; the poller that startStatus then needs is that
 * one when the checked profiles place the same stack: the first snapshot is not waited
 * for twice. Real SDK clients against the fake AWS.
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { checkProfiles, createServices, dashboardStatusClients, provisionalStack, startChecked } from '../../bin/commands/dashboard.js';
import type { DashboardAction } from '../../src/state/dashboard.js';
import { createStatusApi, type AwsClientOptions } from '../../src/state/aws-clients.js';
import { leaveEarlyStatusWorker, startStatusWorker, takeEarlyStatusWorker } from '../../src/state/status-worker-start.js';
import type { ReadAhead } from '../../src/state/status-worker-protocol.js';
import { statusClientsInWorker, type StatusClients } from '../../src/state/worker-status-api.js';
import { ROOT } from '../helpers/cli.js';
import type { StatusSnapshot } from '../../src/state/status-types.js';
import { devProfile, prodProfile, tempDir, writeJson } from '../helpers/fixtures.js';
import { waitFor } from '../helpers/wait.js';
import { useFakeAws } from '../helpers/fake-aws.js';

const { fake } = useFakeAws();
// Runs before the set-up's own afterEach (after hooks run last registered first), so the environment is still the fake's.
afterEach(async () => {
  // A call a test's stopped poller had in flight (team mode's first records read) lands before the next test counts.
  await settled();
});

function configDir(prod: Record<string, unknown> = prodProfile()): string {
  const dir = tempDir();
  writeJson(dir, 'default.json', prod);
  writeJson(dir, 'dev.json', devProfile());
  return dir;
}

describe('prestartStatus', () => {
  it('is adopted by startStatus: the snapshot of the poll made meanwhile is given at once, and no second poller polls', async () => {
    const dir = configDir();
    const services = createServices({ g: {}, configDir: dir, recordsPath: `${dir}/deploy.json`, intervalMs: 60_000 });
    services.prestartStatus(provisionalStack(dir, {})!);
    await waitFor(() => (fake.calls.byOperation()['ecs:DescribeServices'] ?? 0) >= 1);
    const callsBefore = await settled();
    const snapshots: StatusSnapshot[] = [];
    const handle = await services.startStatus((u) => snapshots.push(u.snapshot));
    expect(snapshots).toHaveLength(1);
    expect(snapshots[0].environments.map((e) => [e.name, e.health])).toEqual([
      ['dev', 'healthy'],
      ['prod', 'healthy'],
    ]);
    // Adopted, not started again: no status call since the prestarted poll; the one call is
    // team mode's first read of the account's records, bound once the profiles were checked.
    await new Promise((r) => setTimeout(r, 200));
    const ops = fake.calls.byOperation();
    expect(fake.calls.count() - callsBefore).toBe(1);
    expect(ops['ssm:GetParameters']).toBe(1);
    await handle.stop();
  });

  it('is stopped, not adopted, when the checked profiles place another stack', async () => {
    const dir = configDir(prodProfile({ stackName: 'OtherStack' }));
    const services = createServices({ g: {}, configDir: dir, recordsPath: `${dir}/deploy.json`, intervalMs: 60_000 });
    // The first frame's guess, for a stack the profiles do not name (as when a file changed meanwhile).
    services.prestartStatus({ ...provisionalStack(dir, {})!, stackName: 'BenchlingWebhookStack' });
    await waitFor(() => (fake.calls.byOperation()['cloudformation:DescribeStacks'] ?? 0) >= 1);
    await settled();
    const snapshots: StatusSnapshot[] = [];
    const handle = await services.startStatus((u) => snapshots.push(u.snapshot));
    await waitFor(() => snapshots.length >= 1);
    expect(snapshots[0].stackName).toBe('OtherStack');
    await handle.stop();
  });

  it('shows health first: a partial snapshot without the metrics, stages and running tasks, then the poll\'s own with them', async () => {
    const dir = configDir();
    const services = createServices({ g: {}, configDir: dir, recordsPath: `${dir}/deploy.json`, intervalMs: 60_000 });
    // The poll cannot end before startStatus subscribes (its replay would then be the whole snapshot alone).
    fake.inject({ kind: 'slow', operation: 'GetMetricData', delayMs: 1_000 });
    const updates: { snapshot: StatusSnapshot; partial?: true }[] = [];
    const handle = await services.startStatus((u) => updates.push(u), { watchTasks: 'dev' });
    // Not the next interval's poll (a minute away): the first poll's own update.
    await waitFor(() => updates.length >= 2, 10_000, 'the second update');
    const [first, second] = updates;
    expect([first.partial, second.partial]).toEqual([true, undefined]);
    expect(first.snapshot.environments.map((e) => [e.name, e.health, e.metrics === undefined, e.stage, e.runningTasks])).toEqual([
      ['dev', 'healthy', true, null, undefined],
      ['prod', 'healthy', true, null, undefined],
    ]);
    expect(second.snapshot.environments[0].metrics).toBeDefined();
    expect(second.snapshot.environments[0].stage?.name).toBe('dev');
    expect(second.snapshot.environments[0].runningTasks).toHaveLength(1);
    await handle.stop();
  });

  it("comes with the checked profiles: their stack and the poll's first update in one synchronous run (one frame), not given again by startStatus", async () => {
    const dir = configDir();
    const services = createServices({ g: {}, configDir: dir, recordsPath: `${dir}/deploy.json`, intervalMs: 60_000 });
    // The poll's own update comes 3 s behind its health: the update given with the profiles is its health.
    fake.inject({ kind: 'slow', operation: 'GetMetricData', delayMs: 3_000 });
    // Checked before the poll starts (and handed in as done), so that the wait, not the check's speed, meets the health.
    const checked = await checkProfiles(dir, {});
    services.prestartStatus(provisionalStack(dir, {})!);
    const actions: DashboardAction[] = [];
    // What React has been given when the render it schedules at the first change runs (a microtask later).
    let atFirstRender: string[] | undefined;
    const d = (action: DashboardAction) => {
      actions.push(action);
      if (actions.length === 1) queueMicrotask(() => (atFirstRender = actions.map((a) => a.type)));
    };
    await startChecked(d, services, async () => checked, 20_000);
    expect(atFirstRender).toEqual(['started', 'snapshot']);
    const given = actions[1] as Extract<DashboardAction, { type: 'snapshot' }>;
    expect(given.partial).toBe(true);
    expect(given.snapshot.environments.map((e) => [e.name, e.health])).toEqual([
      ['dev', 'healthy'],
      ['prod', 'healthy'],
    ]);
    const updates: { snapshot: StatusSnapshot; partial?: true }[] = [];
    const handle = await services.startStatus((u) => updates.push(u));
    await waitFor(() => updates.length >= 1, 10_000, "the poll's own update");
    // The health given with the profiles is not given again: the next update is the poll's whole one.
    expect(updates.map((u) => u.partial)).toEqual([undefined]);
    expect(updates[0].snapshot.environments[0].metrics).toBeDefined();
    await handle.stop();
  });

  it('leaves the checked profiles to be shown alone when the first update does not come in time; startStatus gives it as it comes', async () => {
    const dir = configDir();
    const services = createServices({ g: {}, configDir: dir, recordsPath: `${dir}/deploy.json`, intervalMs: 60_000 });
    fake.inject({ kind: 'slow', operation: 'DescribeServices', delayMs: 2_000, times: 1 });
    // Checked before the poll starts: the 100 ms wait begins at once, long before the health can come.
    const checked = await checkProfiles(dir, {});
    services.prestartStatus(provisionalStack(dir, {})!);
    const actions: DashboardAction[] = [];
    await startChecked((a) => actions.push(a), services, async () => checked, 100);
    expect(actions.map((a) => a.type)).toEqual(['started']);
    const updates: { snapshot: StatusSnapshot; partial?: true }[] = [];
    const handle = await services.startStatus((u) => updates.push(u));
    await waitFor(() => updates.length >= 1, 10_000, 'the first update');
    expect(updates[0].snapshot.environments.map((e) => [e.name, e.health])).toEqual([
      ['dev', 'healthy'],
      ['prod', 'healthy'],
    ]);
    await handle.stop();
  });

  it("gives no update of a poll of another stack than the checked profiles': the checked stack is shown without it at once", async () => {
    const dir = configDir(prodProfile({ stackName: 'OtherStack' }));
    const services = createServices({ g: {}, configDir: dir, recordsPath: `${dir}/deploy.json`, intervalMs: 60_000 });
    services.prestartStatus({ ...provisionalStack(dir, {})!, stackName: 'BenchlingWebhookStack' });
    const actions: DashboardAction[] = [];
    // Waited for, the prestarted poll's update would come within this time.
    await startChecked((a) => actions.push(a), services, () => checkProfiles(dir, {}), 20_000);
    expect(actions.map((a) => a.type)).toEqual(['started']);
    const updates: { snapshot: StatusSnapshot; partial?: true }[] = [];
    const handle = await services.startStatus((u) => updates.push(u));
    await waitFor(() => updates.length >= 1, 10_000, 'the first update');
    expect(updates[0].snapshot.stackName).toBe('OtherStack');
    await handle.stop();
  });

  it('polls nothing for a place that the schema would refuse (a region that is not one)', async () => {
    const dir = configDir();
    const services = createServices({ g: {}, configDir: dir, recordsPath: `${dir}/deploy.json`, intervalMs: 60_000 });
    services.prestartStatus({ ...provisionalStack(dir, {})!, region: 'evil.example.com/x' });
    await new Promise((r) => setTimeout(r, 300));
    expect(fake.calls.count()).toBe(0);
  });
});

/** Clients that, once closed, fail every call as closed clients do (the SDK's own may still answer after destroy()). */
function closable(api: StatusClients): StatusClients {
  let closed = false;
  return new Proxy(api, {
    get(target, name) {
      if (name === 'close') return () => ((closed = true), target.close());
      const value = Reflect.get(target, name) as unknown;
      return typeof value === 'function' ? (...args: unknown[]) => (closed ? Promise.reject(new Error('the AWS clients were closed')) : (value as (...a: unknown[]) => unknown).apply(target, args)) : value;
    },
  });
}

/** The built worker thread of the dashboard's AWS clients (test/state/status-worker.test.ts checks the build is current). */
const WORKER = join(ROOT, 'dist', 'status-worker.cjs');

describe("the dashboard's AWS clients in their worker thread", () => {
  it("read ahead from the first frame's place: made once for the poller and team mode, and the first poll's reads go out once", async () => {
    const dir = configDir();
    process.env.XDG_CACHE_HOME = tempDir();
    const made: [AwsClientOptions, ReadAhead | undefined][] = [];
    const statusClients = async (options: AwsClientOptions, readAhead?: ReadAhead) => {
      made.push([options, readAhead]);
      return statusClientsInWorker(startStatusWorker(WORKER, Worker), options, async () => createStatusApi(options), readAhead);
    };
    // A first run keeps the stack's parts; the second reads ahead with them.
    const first = createServices({ g: {}, configDir: dir, recordsPath: `${dir}/deploy.json`, intervalMs: 60_000, statusClients });
    let firstSnapshots = 0;
    const handle = await first.startStatus(() => void firstSnapshots++);
    await waitFor(() => firstSnapshots > 0, 20_000, 'the first run\'s snapshot');
    await settled();
    await handle.stop();
    // What the first run still had on its way lands before the second counts.
    await settled();
    made.length = 0;
    fake.calls.reset();

    const services = createServices({ g: {}, configDir: dir, recordsPath: `${dir}/deploy.json`, intervalMs: 60_000, statusClients });
    const place = provisionalStack(dir, {})!;
    // Asked together, as the dashboard may: one set of clients (a second would send the poll's reads again).
    services.readAhead(place);
    services.prestartStatus(place);
    const snapshots: StatusSnapshot[] = [];
    const again = await services.startStatus((u) => snapshots.push(u.snapshot));
    // The worker's start may take longer than settled's quiet time on a busy machine: its reads first.
    await waitFor(() => snapshots.length > 0, 20_000, 'the first snapshot');
    await settled();
    expect(made).toEqual([[{ region: 'us-east-1' }, { stackName: 'BenchlingWebhookStack', account: '123456789012', environments: ['dev', 'prod'] }]]);
    expect(fake.calls.byOperation()).toMatchObject({ 'cloudformation:DescribeStacks': 1, 'ecs:DescribeServices': 1, 'elasticloadbalancing:DescribeTargetHealth': 2 });
    expect(snapshots.at(-1)!.environments.map((e) => [e.name, e.health])).toEqual([
      ['dev', 'healthy'],
      ['prod', 'healthy'],
    ]);
    await again.stop();
  });

  it('makes new clients after a stop (not the closed ones), and closes clients that come after it', async () => {
    const dir = configDir();
    const made: StatusClients[] = [];
    let delayMs = 0;
    const statusClients = async (options: AwsClientOptions) => {
      const api = closable(createStatusApi(options));
      made.push(api);
      await new Promise((r) => setTimeout(r, delayMs));
      return api;
    };
    const services = createServices({ g: {}, configDir: dir, recordsPath: `${dir}/deploy.json`, intervalMs: 60_000, statusClients });
    const updates: { snapshot: StatusSnapshot; partial?: true }[] = [];
    const first = await services.startStatus((u) => updates.push(u));
    await waitFor(() => fake.calls.count('GetParameters') >= 1, 10_000, "team mode's first read");
    await first.stop();
    await settled();
    fake.calls.reset();
    const second = await services.startStatus((u) => updates.push(u));
    await waitFor(() => updates.length >= 2 && !updates.at(-1)!.partial, 10_000, 'the second poll');
    expect(made).toHaveLength(2);
    // Team mode reads the account's records with the new clients, not the ones the stop closed.
    await waitFor(() => fake.calls.count('GetParameters') >= 1, 10_000, "team mode's read on the new clients");
    expect(updates.at(-1)!.snapshot.error ?? null).toBeNull();
    expect(updates.at(-1)!.snapshot.environments.map((e) => [e.name, e.health, e.error])).toEqual([
      ['dev', 'healthy', null],
      ['prod', 'healthy', null],
    ]);
    // Clients still being made when the status stops are closed when they come, not kept.
    await second.stop();
    delayMs = 300;
    services.readAhead(provisionalStack(dir, {})!);
    await waitFor(() => made.length === 3);
    const third = await services.startStatus(() => {});
    await third.stop();
    await new Promise((r) => setTimeout(r, 400));
    await expect(made[2]!.getCallerIdentity()).rejects.toThrow('the AWS clients were closed');
  });

  it("clients made for the first frame's place, come after the checked place's, do not replace them", async () => {
    const dir = configDir();
    const statusClients = async (options: AwsClientOptions) => {
      const api = closable(createStatusApi(options));
      // The first frame's place answers last.
      if (options.region === 'us-west-2') await new Promise((r) => setTimeout(r, 300));
      return api;
    };
    const services = createServices({ g: {}, configDir: dir, recordsPath: `${dir}/deploy.json`, intervalMs: 60_000, statusClients });
    services.readAhead({ ...provisionalStack(dir, {})!, region: 'us-west-2' });
    const updates: { snapshot: StatusSnapshot; partial?: true }[] = [];
    const handle = await services.startStatus((u) => updates.push(u));
    await new Promise((r) => setTimeout(r, 500));
    const before = updates.length;
    handle.refresh();
    await waitFor(() => updates.length > before && !updates.at(-1)!.partial, 10_000, 'the refresh');
    expect(updates.at(-1)!.snapshot.error ?? null).toBeNull();
    expect(updates.at(-1)!.snapshot.environments.map((e) => [e.name, e.health, e.error])).toEqual([
      ['dev', 'healthy', null],
      ['prod', 'healthy', null],
    ]);
    await handle.stop();
  });

  it('makes no clients for a place the schema would refuse', async () => {
    const dir = configDir();
    const made: unknown[] = [];
    const services = createServices({ g: {}, configDir: dir, recordsPath: `${dir}/deploy.json`, intervalMs: 60_000, statusClients: async (o) => (made.push(o), createStatusApi(o)) });
    services.readAhead({ ...provisionalStack(dir, {})!, account: 'not-an-account' });
    await new Promise((r) => setTimeout(r, 200));
    expect(made).toEqual([]);
    expect(fake.calls.count()).toBe(0);
  });

  it("adopts the worker the front started, once: the calls cross to it", async () => {
    const early = startStatusWorker(WORKER, Worker);
    leaveEarlyStatusWorker(early);
    const api = await dashboardStatusClients({ region: 'us-east-1', maxAttempts: 1 });
    expect(takeEarlyStatusWorker()).toBeUndefined();
    expect((await api.describeStack('BenchlingWebhookStack'))?.stackName).toBe('BenchlingWebhookStack');
    // A call held at AWS fails when that thread ends: it was there.
    fake.inject({ kind: 'slow', operation: 'GetStages', delayMs: 5_000, times: 1 });
    const held = api.getStages('a1b2c3d4e5').then(() => 'answered', (e: Error) => e.message);
    await waitFor(() => fake.calls.count('GetStages') === 1, 20_000, 'the call to reach AWS');
    await early.worker.terminate();
    expect(await held).toMatch(/worker thread stopped/);
    api.close();
  });
});

/** The call count once no call has come for 150 ms (the first poll is over). */
async function settled(): Promise<number> {
  let last = -1;
  while (fake.calls.count() !== last) {
    last = fake.calls.count();
    await new Promise((r) => setTimeout(r, 150));
  }
  return last;
}
