import { describe, expect, it } from 'vitest';
import { TASKS_MAX_AGE_MS, type StatusPollerOptions } from '../../src/state/status-poller.js';
import type { StatusSnapshot } from '../../src/state/status-types.js';
import { digestOf, namesOf } from '../fake-aws/scenario.js';
import { useFakeAws } from '../helpers/fake-aws.js';

/**
 * The running tasks cost AWS calls (ECS ListTasks and DescribeTasks): they are
 * read for the watched (selected) environment only, when the watch moves, on
 * refresh, and otherwise at most every 30 s. Real SDK clients against the fake
 * AWS; the calls counted in its call log, the clock injected so a minute of
 * polling runs in a moment.
 */

const { fake, statusPoller } = useFakeAws();

function makePoller(over: Partial<StatusPollerOptions> = {}) {
  let clock = Date.parse('2026-11-26T12:00:00.000Z');
  const { poller } = statusPoller({ now: () => new Date(clock), ...over });
  return { poller, advance: (ms: number) => (clock += ms) };
}

const env = (s: StatusSnapshot, name: 'dev' | 'prod') => s.environments.find((e) => e.name === name)!;
/** The service names the ListTasks calls asked for. */
const listed = () => fake.calls.all.filter((c) => c.operation === 'ListTasks').map((c) => String((c.input as { serviceName?: string }).serviceName));

/** The fake's running tasks of an environment get their ENI address: the target ids of their load balancer. */
function wireTargets(envName: 'dev' | 'prod') {
  const names = namesOf(fake.scenario, envName);
  const tasks = fake.scenario.clusters[names.cluster].tasks.filter((t) => t.group === `service:${names.service}`);
  const targets = fake.scenario.targetGroups[names.targetGroupArn];
  tasks.forEach((t, i) => (t.containers[0].networkInterfaces = [{ attachmentId: `eni-${i}`, privateIpv4Address: targets[i].id }]));
  return { tasks, targets };
}

describe('running tasks', () => {
  it('are read for the watched environment only: id, digest, start, health as the load balancer sees it, zone, and the task size', async () => {
    const { tasks, targets } = wireTargets('prod');
    const { poller } = makePoller({ watchTasks: 'prod' });
    const s = await poller.snapshot();
    expect(env(s, 'dev').runningTasks).toBeUndefined();
    const prod = env(s, 'prod');
    expect(prod.runningTasks).toHaveLength(2);
    expect(prod.runningTasks!.map((t) => t.id).sort()).toEqual(tasks.map((t) => t.taskArn.split('/').at(-1)).sort());
    expect(prod.runningTasks![0]).toMatchObject({ imageDigest: digestOf('0.7.0'), health: 'target healthy', startedAt: tasks[0].startedAt });
    expect(prod.runningTasks!.map((t) => t.zone).sort()).toEqual(tasks.map((t) => t.availabilityZone).sort());
    expect(prod.taskSize).toEqual({ cpu: '512', memory: '1024' });
    expect(prod.capacity).toEqual({ min: 2, max: 10 });
    expect(prod.events?.[0].message).toMatch(/has reached a steady state/);
    expect(listed()).toEqual([namesOf(fake.scenario, 'prod').service]);
    // The nearest case: one target unhealthy, that task says so (read again on refresh).
    targets[1].state = 'unhealthy';
    const again = await poller.refresh();
    const byId = new Map(env(again, 'prod').runningTasks!.map((t) => [t.id, t.health]));
    expect(byId.get(tasks[1].taskArn.split('/').at(-1)!)).toBe('target unhealthy');
    expect(byId.get(tasks[0].taskArn.split('/').at(-1)!)).toBe('target healthy');
  });

  it('a minute of polling every 5 s, tasks shown: 3 calls a poll, ListTasks + DescribeTasks twice (every 30 s), GetMetricData once: 41 calls a minute', async () => {
    const { poller, advance } = makePoller({ watchTasks: 'dev' });
    await poller.snapshot(); // the first poll also reads the identity, the stack and the stages
    fake.calls.reset();
    for (let t = 5_000; t <= 60_000; t += 5_000) {
      advance(5_000);
      await poller.snapshot();
    }
    const by = fake.calls.byOperation();
    expect(by).toEqual({
      'ecs:DescribeServices': 12,
      'elasticloadbalancing:DescribeTargetHealth': 24,
      'ecs:ListTasks': 60_000 / TASKS_MAX_AGE_MS,
      'ecs:DescribeTasks': 60_000 / TASKS_MAX_AGE_MS,
      'monitoring:GetMetricData': 1,
    });
    expect(fake.calls.count()).toBe(41);
    expect(new Set(listed())).toEqual(new Set([namesOf(fake.scenario, 'dev').service]));
  });

  it('without a watch, the steady refresh stays at 3 calls for two environments, and the metrics add one a minute: 37', async () => {
    const { poller, advance } = makePoller();
    await poller.snapshot();
    fake.calls.reset();
    for (let i = 0; i < 12; i++) {
      advance(5_000);
      await poller.snapshot();
    }
    expect(fake.calls.count()).toBe(37);
    expect(fake.calls.count('GetMetricData')).toBe(1);
    expect(fake.calls.count('ListTasks')).toBe(0);
  });

  it('a new watch is read at the next poll, however recent the last read; the same watch waits its 30 s', async () => {
    const { poller, advance } = makePoller({ watchTasks: 'dev' });
    await poller.snapshot();
    advance(5_000);
    poller.watchTasks('prod');
    const s = await poller.snapshot();
    expect(env(s, 'prod').runningTasks).toHaveLength(2);
    // dev's tasks stay, with their read time: older than prod's.
    expect(Date.parse(env(s, 'dev').readAt!.runningTasks!)).toBeLessThan(Date.parse(env(s, 'prod').readAt!.runningTasks!));
    fake.calls.reset();
    advance(5_000);
    poller.watchTasks('prod');
    await poller.snapshot();
    expect(fake.calls.count('ListTasks')).toBe(0);
    advance(TASKS_MAX_AGE_MS);
    await poller.snapshot();
    expect(listed()).toEqual([namesOf(fake.scenario, 'prod').service]);
  });
});
