import { describe, expect, it } from 'vitest';
import { createStatusApi } from '../../src/state/aws-clients.js';
import type { PollUpdate, StackParts, StatusPollerOptions } from '../../src/state/status-poller.js';
import { firstUpdateOf, stackPartsNow, timeless, useFakeAws } from '../helpers/fake-aws.js';

/**
 * The first poll with the stack's parts from the run before (`lastParts`): the reads that follow from
 * them go out beside the stack's read, and serve only when the stack read now names the same parts.
 */
const { fake, statusPoller } = useFakeAws();

/**
 * DescribeStacks answers this long after it is asked: what comes in meanwhile was sent without its answer. Long
 * enough that a loaded machine (two test runs on two cores) still sends the early reads before it: at 600 ms, one
 * such run saw a read arrive after it.
 */
const STACK_DELAY_MS = 1_500;

function makePoller(over: Partial<StatusPollerOptions> = {}) {
  return statusPoller({ intervalMs: 20, maxBackoffMs: 200, random: () => 0.5, ...over });
}

const partsNow = () => stackPartsNow(fake);

/** When each call of `operation` reached the fake. */
const arrivals = (operation: string) => fake.calls.matching(operation).map((c) => c.at);

/** The first update of a started poller. */
const firstUpdate = (over: Partial<StatusPollerOptions>): Promise<PollUpdate> => firstUpdateOf(makePoller(over).poller);

describe('status poller: the first poll with the last run\'s parts', () => {
  it('sends the stages, services, target health and metrics beside the stack read, not after its answer; the same snapshot and calls as without', async () => {
    fake.inject({ kind: 'slow', operation: 'DescribeStacks', delayMs: STACK_DELAY_MS });
    // One clock for both polls: they are seconds apart, and the metrics' window starts at a whole minute.
    const at = new Date();
    const now = () => at;
    const without = await makePoller({ now }).poller.snapshot();
    const callsWithout = fake.calls.byOperation();
    const [stackAsked] = arrivals('DescribeStacks');
    // Without the parts, the reads wait for the stack's answer.
    for (const operation of ['DescribeServices', 'DescribeTargetHealth', 'GetStages', 'GetMetricData']) expect(Math.min(...arrivals(operation)) - stackAsked!).toBeGreaterThanOrEqual(STACK_DELAY_MS);

    fake.calls.reset();
    const withParts = await makePoller({ lastParts: partsNow(), now }).poller.snapshot();
    const [stackAskedAgain] = arrivals('DescribeStacks');
    // With them, each reached AWS while the stack's read was still waiting for its answer.
    for (const operation of ['DescribeServices', 'DescribeTargetHealth', 'GetStages', 'GetMetricData']) expect(Math.max(...arrivals(operation)) - stackAskedAgain!).toBeLessThan(STACK_DELAY_MS);
    expect(fake.calls.byOperation()).toEqual(callsWithout);
    expect(timeless(withParts)).toEqual(timeless(without));
    expect(withParts.environments.map((e) => [e.name, e.health, e.error])).toEqual([
      ['dev', 'healthy', null],
      ['prod', 'healthy', null],
    ]);
  });

  it('parts the stack no longer names: what was read with them is dropped, read again with the stack\'s, and its failures do not count', async () => {
    const stale: StackParts = {
      cluster: 'OldCluster',
      apiId: 'oldapi0000',
      environments: {
        dev: { service: 'OldDevService', targetGroup: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/old-dev/0000000000000000' },
        prod: { service: 'OldProdService', targetGroup: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/old-prod/0000000000000000' },
      },
    };
    fake.inject({ kind: 'slow', operation: 'DescribeStacks', delayMs: STACK_DELAY_MS });
    // The early DescribeServices (the only one sent while the stack is awaited) is throttled: a failure of a read that is dropped.
    fake.inject({ kind: 'throttle', operation: 'DescribeServices', times: 1 });
    const update = await firstUpdate({ lastParts: stale });
    expect(update.failuresInARow).toBe(0);
    expect(update.snapshot.error).toBeNull();
    expect(update.snapshot.environments.map((e) => [e.name, e.health, e.error, e.service?.running])).toEqual([
      ['dev', 'healthy', null, 1],
      ['prod', 'healthy', null, 2],
    ]);
    const services = fake.calls.matching('DescribeServices');
    expect(services.map((c) => [c.fault ?? null, (c.input as { cluster: string }).cluster])).toEqual([
      ['throttle', 'OldCluster'],
      [null, partsNow().cluster],
    ]);
    expect(fake.calls.matching('DescribeTargetHealth').map((c) => (c.input as { TargetGroupArn: string }).TargetGroupArn).sort()).toEqual(
      [stale.environments.dev!.targetGroup, stale.environments.prod!.targetGroup, partsNow().environments.dev!.targetGroup, partsNow().environments.prod!.targetGroup].sort(),
    );
  });

  it('a metrics read sent with parts that are dropped changes nothing: its refusal is not the poll\'s, and the metrics are read with the stack\'s parts', async () => {
    const stale: StackParts = { ...partsNow(), cluster: 'OldCluster' };
    fake.inject({ kind: 'slow', operation: 'DescribeStacks', delayMs: STACK_DELAY_MS });
    // The first GetMetricData (the early one, sent while the stack is awaited) is refused: a refusal stops the metrics for good.
    fake.inject({ kind: 'access-denied', service: 'monitoring', times: 1 });
    const { poller } = makePoller({ lastParts: stale, metricsIntervalMs: 0 });
    const snap = await poller.snapshot();
    expect(fake.calls.matching('GetMetricData').map((c) => c.fault ?? null)).toEqual(['access-denied', null]);
    expect(snap.metricsError).toBeNull();
    expect(snap.environments.every((e) => e.metrics !== undefined)).toBe(true);
    // Not refused for good: the next poll reads them again.
    const next = await poller.snapshot();
    expect(fake.calls.count('GetMetricData')).toBe(3);
    expect(next.metricsError).toBeNull();
  });

  it('an early read that serves brings its failures with it: a throttled one is the poll\'s, for the back-off', async () => {
    fake.inject({ kind: 'slow', operation: 'DescribeStacks', delayMs: STACK_DELAY_MS });
    fake.inject({ kind: 'throttle', operation: 'DescribeServices', times: 1 });
    const update = await firstUpdate({ lastParts: partsNow() });
    expect(fake.calls.count('DescribeServices')).toBe(1);
    expect(update.failuresInARow).toBe(1);
    expect(update.snapshot.environments.map((e) => e.error)).toEqual([expect.stringMatching(/ECS DescribeServices: .*Throttl/), expect.stringMatching(/ECS DescribeServices: .*Throttl/)]);
  });

  it('a stack that is gone: the early reads change nothing, the snapshot says it is missing', async () => {
    const parts = partsNow();
    fake.scenario.stacks = {};
    const without = await makePoller().poller.snapshot();
    const withParts = await makePoller({ lastParts: parts }).poller.snapshot();
    expect(timeless(withParts)).toEqual(timeless(without));
    expect(withParts.environments.map((e) => [e.health, e.reason])).toEqual([
      ['down', 'the stack does not exist (not deployed yet?)'],
      ['down', 'the stack does not exist (not deployed yet?)'],
    ]);
  });

  it('serves the first poll only: the next polls read as in steady state', async () => {
    const seen: StackParts[] = [];
    const { poller } = makePoller({ lastParts: partsNow(), onStackParts: (p) => seen.push(p) });
    await poller.snapshot();
    fake.calls.reset();
    // A poll of the interval (not r's refresh, which reads the stack and stages again by design).
    await poller.snapshot();
    expect(fake.calls.byOperation()).toEqual({ 'ecs:DescribeServices': 1, 'elasticloadbalancing:DescribeTargetHealth': 2 });
    // Told once, for the one read of the stack.
    expect(seen).toEqual([partsNow()]);
  });

  it('onStackParts failing is not the poll\'s: the snapshot is whole', async () => {
    const snap = await makePoller({
      onStackParts: () => {
        throw new Error('disk full');
      },
    }).poller.snapshot();
    expect(snap.error).toBeNull();
    expect(snap.environments.map((e) => e.health)).toEqual(['healthy', 'healthy']);
  });

  it('onStackParts: the parts of every read of an existing stack, never of a missing one', async () => {
    const seen: StackParts[] = [];
    await makePoller({ onStackParts: (p) => seen.push(p) }).poller.snapshot();
    expect(seen).toEqual([partsNow()]);
    expect(seen[0]).toMatchObject({ cluster: expect.stringMatching(/Cluster/), apiId: 'a1b2c3d4e5', environments: { dev: { service: expect.stringMatching(/DevService/) }, prod: { service: expect.stringMatching(/ProdService/) } } });
    fake.scenario.stacks = {};
    await makePoller({ onStackParts: (p) => seen.push(p) }).poller.snapshot();
    expect(seen).toHaveLength(1);
  });

  it("the clients closed (the command's end) while an early read waits for its client: that client is not made, and nothing more reaches AWS", async () => {
    const api = createStatusApi({ region: 'us-east-1', maxAttempts: 1 });
    // Asked for, then closed before its client exists (the client is made once its module has loaded).
    const read = api.describeServices(partsNow().cluster!, ['BenchlingWebhookStack-DevService']);
    api.close();
    await expect(read).rejects.toThrow(/the AWS clients were closed/);
    await expect(api.describeTargetHealth(partsNow().environments.dev!.targetGroup!)).rejects.toThrow(/the AWS clients were closed/);
    expect(fake.calls.count()).toBe(0);
  });
});
