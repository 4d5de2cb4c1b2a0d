import { describe, expect, it } from 'vitest';
import { crashTasks, rollBackOnAlarm } from '../fake-aws/scenario.js';
import { stackPartsOf, type PollUpdate, type StackParts, type StatusPollerOptions } from '../../src/state/status-poller.js';
import { BOTH_ENVIRONMENTS, useFakeAws } from '../helpers/fake-aws.js';
import { waitFor } from '../helpers/wait.js';

/**
 * `healthFirst` (the dashboard's poller): the first poll sends first what the health verdicts need and,
 * when they stand, gives its listeners that snapshot (`partial`) before it reads the rest (the account,
 * the API's stages, the metrics, the watched environment's running tasks); then it ends as any poll,
 * with the same calls. Real SDK clients against the fake AWS.
 */
const { fake, statusPoller } = useFakeAws();

/** What health first reads after the partial update. */
const LATER = ['sts:GetCallerIdentity', 'apigateway:GetStages', 'monitoring:GetMetricData', 'ecs:ListTasks', 'ecs:DescribeTasks'];
const none = Object.fromEntries(LATER.map((n) => [n, 0]));
const once = Object.fromEntries(LATER.map((n) => [n, 1]));

/** The parts of the fake's stack as it stands (the dashboard's kept parts from the run before). */
function partsNow(): StackParts {
  const stack = Object.values(fake.scenario.stacks)[0]!;
  return stackPartsOf({ stackName: 'BenchlingWebhookStack', stackId: '', status: '', statusReason: null, lastUpdatedTime: null, parameters: {}, outputs: stack.outputs }, BOTH_ENVIRONMENTS);
}

/** A started poller's updates, each with the calls the fake had seen when it came. */
function started(over: Partial<StatusPollerOptions>) {
  const { poller } = statusPoller({ intervalMs: 60_000, watchTasks: 'dev', readTraffic: true, ...over });
  const updates: { update: PollUpdate; calls: Record<string, number> }[] = [];
  poller.subscribe((update) => updates.push({ update, calls: fake.calls.byOperation() }));
  poller.start();
  return { poller, updates };
}

const only = (calls: Record<string, number>, names: readonly string[]) => Object.fromEntries(names.map((n) => [n, calls[n] ?? 0]));

describe('status poller: health first', () => {
  it.each([
    ['without the parts of a run before', false],
    ['with them', true],
  ])('gives the health of both environments before the account, stages, metrics or running tasks are asked for, then the whole poll (%s)', async (_, withParts) => {
    const { poller, updates } = started({ healthFirst: true, ...(withParts ? { lastParts: partsNow() } : {}) });
    await waitFor(() => updates.length >= 2, 10_000, 'the poll to end');
    const [first, second] = updates;
    expect(first.update.partial).toBe(true);
    expect(only(first.calls, LATER)).toEqual(none);
    expect(first.update.snapshot.environments.map((e) => [e.name, e.health, e.service?.running, e.targets?.healthy])).toEqual([
      ['dev', 'healthy', 1, 1],
      ['prod', 'healthy', 2, 2],
    ]);
    const dev = first.update.snapshot.environments[0];
    expect(dev.metrics).toBeUndefined();
    expect(dev.stage).toBeNull();
    expect(dev.runningTasks).toBeUndefined();
    // The same poll's own update, with the rest, and its next poll a whole interval away.
    expect(second.update.partial).toBeUndefined();
    expect(second.update.nextPollInMs).toBe(60_000);
    expect(only(second.calls, LATER)).toEqual(once);
    const dev2 = second.update.snapshot.environments[0];
    expect(dev2.metrics).toBeDefined();
    expect(dev2.stage?.name).toBe('dev');
    expect(dev2.runningTasks?.length).toBe(1);
    expect(poller.current()).toBe(second.update.snapshot);
    await poller.stop();
  });

  it('makes the same calls as the poll without it: the services and target health are read once', async () => {
    const { poller, updates } = started({ healthFirst: true });
    await waitFor(() => updates.length >= 2, 10_000, 'the poll to end');
    await poller.stop();
    const { poller: whole, updates: wholeUpdates } = ((): ReturnType<typeof started> => {
      fake.calls.reset();
      return started({});
    })();
    await waitFor(() => wholeUpdates.length >= 1, 10_000, 'the poll without health first');
    await whole.stop();
    expect(updates[1].calls).toEqual(wholeUpdates[0].calls);
    expect(updates[1].calls['ecs:DescribeServices']).toBe(1);
    expect(updates[1].calls['elasticloadbalancing:DescribeTargetHealth']).toBe(2);
  });

  it('gives nothing early when a verdict waits for more reads: an environment down has its stopped tasks read first', async () => {
    crashTasks(fake.scenario, 'dev', { running: 0, reason: 'Essential container in task exited', exitCode: 1 });
    const { poller, updates } = started({ healthFirst: true, watchTasks: 'prod' });
    await waitFor(() => updates.length >= 1, 10_000, 'the poll to end');
    await poller.stop();
    expect(updates[0].update.partial).toBeUndefined();
    expect(updates[0].update.snapshot.environments[0].reason).toMatch(/Essential container in task exited/);
  });

  it('gives nothing early when a health read failed: the poll ends as it would', async () => {
    fake.inject({ kind: 'server-error', operation: 'DescribeServices' });
    const { poller, updates } = started({ healthFirst: true });
    await waitFor(() => updates.length >= 1, 10_000, 'the poll to end');
    await poller.stop();
    expect(updates[0].update.partial).toBeUndefined();
    expect(updates[0].update.failuresInARow).toBe(1);
  });

  it('is off by default, and for a one-shot snapshot (`status`): one update, everything in it', async () => {
    const { poller, updates } = started({});
    await waitFor(() => updates.length >= 1);
    await poller.stop();
    expect(updates).toHaveLength(1);
    expect(only(updates[0].calls, LATER)).toEqual(once);
    fake.calls.reset();
    const { poller: oneShot } = statusPoller({ healthFirst: true, watchTasks: 'dev' });
    const heard: PollUpdate[] = [];
    oneShot.subscribe((u) => heard.push(u));
    const snap = await oneShot.snapshot();
    expect(heard.map((u) => u.partial)).toEqual([undefined]);
    expect(snap.environments[0].metrics).toBeDefined();
    expect(snap.environments[0].stage?.name).toBe('dev');
    expect(only(fake.calls.byOperation(), LATER)).toEqual(once);
  });

  it('only its first poll: the next poll gives one update', async () => {
    const { poller, updates } = started({ healthFirst: true, intervalMs: 300 });
    await waitFor(() => updates.length >= 3, 10_000, 'the second poll');
    await poller.stop();
    expect(updates.map((u) => u.update.partial ?? false)).toEqual([true, false, false]);
  });

  it('a missing stack: the account is read at once, to say the credentials are for another one', async () => {
    fake.scenario.stacks = {};
    fake.scenario.identity.account = '999999999999';
    const { poller, updates } = started({ healthFirst: true });
    await waitFor(() => updates.length >= 1);
    await poller.stop();
    const first = updates[0].update.snapshot;
    expect(updates[0].update.partial).toBeUndefined();
    expect(first.error).toMatch(/credentials are for account 999999999999, but the profiles place the stack in account 123456789012/);
    expect(first.hint).toMatch(/--aws-profile/);
    expect(first.account).toBe('999999999999');
  });

  it('the rest, read after the partial update, can fail as any read: a refused stages read is the environments\' error', async () => {
    fake.inject({ kind: 'access-denied', operation: 'GetStages' });
    const { poller, updates } = started({ healthFirst: true });
    await waitFor(() => updates.length >= 2, 10_000, 'the poll to end');
    await poller.stop();
    expect(updates[0].update.snapshot.environments[0].error).toBeNull();
    expect(updates[1].update.snapshot.environments[0].error).toMatch(/API Gateway GetStages/);
  });

  it('gives nothing early while an alarm\'s rollback is still to be read: the first update names the alarm', async () => {
    rollBackOnAlarm(fake.scenario, 'prod', '0.8.0', 'BenchlingWebhookStack-prod-5xx');
    const { poller, updates } = started({ healthFirst: true });
    await waitFor(() => updates.length >= 1, 10_000, 'the poll to end');
    await poller.stop();
    expect(updates[0].update.partial).toBeUndefined();
    expect(JSON.stringify(updates[0].update.snapshot.environments[1].rolledBackByAlarm)).toMatch(/BenchlingWebhookStack-prod-5xx/);
  });

  it('sends nothing more when stopped as the health shows (the dashboard quit)', async () => {
    const { poller } = statusPoller({ intervalMs: 60_000, watchTasks: 'dev', healthFirst: true });
    const updates: PollUpdate[] = [];
    poller.subscribe((u) => {
      updates.push(u);
      if (u.partial) void poller.stop();
    });
    poller.start();
    await waitFor(() => updates.length >= 2, 10_000, 'the poll to end');
    await new Promise((r) => setTimeout(r, 200));
    expect(only(fake.calls.byOperation(), LATER)).toEqual(none);
    expect(updates[1].nextPollInMs).toBeNull();
  });

  it('the rest can fail as any read: throttling makes the next poll back off; failing credentials end the poll as such', async () => {
    fake.inject({ kind: 'throttle', operation: 'GetStages' });
    const throttled = started({ healthFirst: true });
    await waitFor(() => throttled.updates.length >= 2, 10_000, 'the poll to end');
    await throttled.poller.stop();
    expect(throttled.updates[0].update.partial).toBe(true);
    expect(throttled.updates[1].update.failuresInARow).toBe(1);
    fake.clearFaults();
    fake.inject({ kind: 'expired-credentials', service: 'sts' });
    const expired = started({ healthFirst: true });
    await waitFor(() => expired.updates.length >= 2, 10_000, 'the poll to end');
    await expired.poller.stop();
    expect(expired.updates[0].update.partial).toBe(true);
    expect(expired.updates[1].update.snapshot.errorKind).toBe('credentials');
  });

  it('is kept for the first poll of start(): a snapshot before it does not use it up', async () => {
    const { poller } = statusPoller({ intervalMs: 60_000, watchTasks: 'dev', healthFirst: true });
    await poller.snapshot();
    const updates: PollUpdate[] = [];
    poller.subscribe((u) => updates.push(u));
    poller.start();
    await waitFor(() => updates.length >= 2, 10_000, 'the poll to end');
    await poller.stop();
    expect(updates.map((u) => u.partial ?? false)).toEqual([true, false]);
  });

  it('a missing stack and profiles that name no account: the account is read at once all the same', async () => {
    fake.scenario.stacks = {};
    const { poller, updates } = started({ healthFirst: true, account: undefined });
    await waitFor(() => updates.length >= 1);
    await poller.stop();
    expect(updates[0].update.snapshot.account).toBe('123456789012');
  });
});
