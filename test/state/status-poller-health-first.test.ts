import { describe, expect, it } from 'vitest';
import { stackPartsOf, type PollUpdate, type StackParts, type StatusPollerOptions } from '../../src/state/status-poller.js';
import { BOTH_ENVIRONMENTS, useFakeAws } from '../helpers/fake-aws.js';
import { waitFor } from '../helpers/wait.js';

/**
 * `healthFirst` (the dashboard's poller): the first poll reads only what the health verdicts need and
 * is delivered; the account, the API's stages, the metrics and the watched environment's running
 * tasks come from a second poll that starts at once. Real SDK clients against the fake AWS.
 */
const { fake, statusPoller } = useFakeAws();

/** What the health pass leaves to the poll after it. */
const LEFT = ['sts:GetCallerIdentity', 'apigateway:GetStages', 'monitoring:GetMetricData', 'ecs:ListTasks', 'ecs:DescribeTasks'];

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
  ])('the first update has the health of both environments, read without the account, stages, metrics or running tasks (%s)', async (_, withParts) => {
    const { poller, updates } = started({ healthFirst: true, ...(withParts ? { lastParts: partsNow() } : {}) });
    await waitFor(() => updates.length >= 1);
    const [first] = updates;
    expect(only(first.calls, LEFT)).toEqual(Object.fromEntries(LEFT.map((n) => [n, 0])));
    expect(first.update.snapshot.environments.map((e) => [e.name, e.health, e.service?.running, e.targets?.healthy])).toEqual([
      ['dev', 'healthy', 1, 1],
      ['prod', 'healthy', 2, 2],
    ]);
    const dev = first.update.snapshot.environments[0];
    expect(dev.metrics).toBeUndefined();
    expect(dev.stage).toBeNull();
    expect(dev.runningTasks).toBeUndefined();
    // The rest is read at once, not at the next interval (a minute here).
    expect(first.update.nextPollInMs).toBe(0);
    await waitFor(() => updates.length >= 2, 10_000, 'the second update');
    const second = updates[1];
    expect(only(second.calls, LEFT)).toEqual(Object.fromEntries(LEFT.map((n) => [n, 1])));
    // The stack read by the first poll serves the second.
    expect(second.calls['cloudformation:DescribeStacks']).toBe(1);
    const dev2 = second.update.snapshot.environments[0];
    expect(dev2.metrics).toBeDefined();
    expect(dev2.stage?.name).toBe('dev');
    expect(dev2.runningTasks?.length).toBe(1);
    expect(second.update.nextPollInMs).toBe(60_000);
    await poller.stop();
  });

  it('costs one more read of the services and target health, once: the third poll is a steady one', async () => {
    const { poller, updates } = started({ healthFirst: true, intervalMs: 300 });
    await waitFor(() => updates.length >= 3, 10_000, 'three updates');
    await poller.stop();
    const delta = (i: number) => {
      const before = i === 0 ? {} : updates[i - 1].calls;
      return Object.fromEntries(Object.entries(updates[i].calls).map(([k, v]) => [k, v - (before[k] ?? 0)]).filter(([, v]) => Number(v) > 0));
    };
    expect(delta(0)).toEqual({ 'cloudformation:DescribeStacks': 1, 'ecs:DescribeServices': 1, 'elasticloadbalancing:DescribeTargetHealth': 2 });
    expect(delta(1)).toEqual({
      'sts:GetCallerIdentity': 1,
      'apigateway:GetStages': 1,
      'monitoring:GetMetricData': 1,
      'ecs:DescribeServices': 1,
      'elasticloadbalancing:DescribeTargetHealth': 2,
      'ecs:ListTasks': 1,
      'ecs:DescribeTasks': 1,
    });
    expect(delta(2)).toEqual({ 'ecs:DescribeServices': 1, 'elasticloadbalancing:DescribeTargetHealth': 2 });
  });

  it('is off by default: the first update has everything', async () => {
    const { poller, updates } = started({});
    await waitFor(() => updates.length >= 1);
    await poller.stop();
    expect(only(updates[0].calls, LEFT)).toEqual(Object.fromEntries(LEFT.map((n) => [n, 1])));
    expect(updates[0].update.snapshot.environments[0].metrics).toBeDefined();
  });

  it('leaves a one-shot snapshot (`status`) whole', async () => {
    const { poller } = statusPoller({ healthFirst: true, watchTasks: 'dev' });
    const snap = await poller.snapshot();
    expect(snap.environments[0].metrics).toBeDefined();
    expect(snap.environments[0].stage?.name).toBe('dev');
    expect(only(fake.calls.byOperation(), LEFT)).toEqual(Object.fromEntries(LEFT.map((n) => [n, 1])));
  });

  it('does not hurry the next poll when the first meets throttling: it backs off, and that poll reads what was left', async () => {
    fake.inject({ kind: 'throttle', operation: 'DescribeServices', times: 1 });
    const { poller, updates } = started({ healthFirst: true, intervalMs: 300, maxBackoffMs: 1_000 });
    await waitFor(() => updates.length >= 2, 10_000, 'the poll after the back-off');
    await poller.stop();
    expect(updates[0].update.failuresInARow).toBe(1);
    expect(updates[0].update.nextPollInMs).toBeGreaterThanOrEqual(300);
    expect(only(updates[0].calls, LEFT)).toEqual(Object.fromEntries(LEFT.map((n) => [n, 0])));
    expect(only(updates[1].calls, LEFT)).toEqual(Object.fromEntries(LEFT.map((n) => [n, 1])));
    expect(updates[1].update.snapshot.environments[0].metrics).toBeDefined();
  });

  it('a missing stack: the health pass reads the account after all, to say the credentials are for another one', async () => {
    fake.scenario.stacks = {};
    fake.scenario.identity.account = '999999999999';
    const { poller, updates } = started({ healthFirst: true });
    await waitFor(() => updates.length >= 1);
    await poller.stop();
    const first = updates[0].update.snapshot;
    expect(first.error).toMatch(/credentials are for account 999999999999, but the profiles place the stack in account 123456789012/);
    expect(first.hint).toMatch(/--aws-profile/);
    expect(first.account).toBe('999999999999');
  });

  it('does not hurry the next poll when the credentials failed: logging in takes longer than that', async () => {
    fake.inject({ kind: 'expired-credentials' });
    const { poller, updates } = started({ healthFirst: true, intervalMs: 20_000 });
    await waitFor(() => updates.length >= 1);
    await poller.stop();
    expect(updates[0].update.snapshot.errorKind).toBe('credentials');
    expect(updates[0].update.nextPollInMs).toBe(20_000);
  });
});
