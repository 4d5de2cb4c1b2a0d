import { describe, expect, it } from 'vitest';
import { METRIC_POINTS, metricQueries, metricsFromResults, metricsWindow } from '../../src/state/metrics.js';
import type { StatusPollerOptions } from '../../src/state/status-poller.js';
import type { StatusSnapshot } from '../../src/state/status-types.js';
import { namesOf } from '../fake-aws/scenario.js';
import { useFakeAws } from '../helpers/fake-aws.js';
import { seedEnvironmentMetrics, seedMetric } from '../fake-aws/services/cloudwatch.js';
import { trafficFromResults } from '../../src/state/traffic.js';

/**
 * The sparklines' data: one CloudWatch GetMetricData a minute for both
 * environments, read by the status poller with the real SDK client against
 * the fake AWS; the clock injected so minutes of polling run in a moment.
 */

const { fake, statusPoller } = useFakeAws();
const START = Date.parse('2026-11-26T12:00:20.000Z');

function makePoller(over: Partial<StatusPollerOptions> = {}) {
  let clock = START;
  const { poller } = statusPoller({ now: () => new Date(clock), ...over });
  return { poller, advance: (ms: number) => (clock += ms) };
}

const env = (s: StatusSnapshot, name: 'dev' | 'prod') => s.environments.find((e) => e.name === name)!;

describe('metrics in the status poller (real SDK, fake CloudWatch)', () => {
  it('reads the last hour of both environments in one GetMetricData: ten series by ApiName+Stage and ClusterName+ServiceName, oldest first, gaps as null', async () => {
    seedEnvironmentMetrics(fake.scenario, 'prod', { now: new Date(START), requests: [120, null, 80], errors5xx: [2], latencyMs: [310.5], cpu: [41.25, 40], memory: [63] });
    seedEnvironmentMetrics(fake.scenario, 'dev', { now: new Date(START), requests: [3], cpu: [null, 7] });
    const { poller } = makePoller();
    const s = await poller.snapshot();
    expect(fake.calls.count('GetMetricData')).toBe(1);
    const input = fake.calls.matching('GetMetricData')[0].input as { MetricDataQueries: { Id: string; MetricStat: { Metric: { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: string }[] }; Stat: string; Period: number } }[] };
    expect(input.MetricDataQueries).toHaveLength(10);
    const prodNames = namesOf(fake.scenario, 'prod');
    const byId = Object.fromEntries(input.MetricDataQueries.map((q) => [q.Id, q.MetricStat]));
    expect(byId.prod_requests).toEqual({ Metric: { Namespace: 'AWS/ApiGateway', MetricName: 'Count', Dimensions: [{ Name: 'ApiName', Value: 'BenchlingWebhookStack' }, { Name: 'Stage', Value: 'prod' }] }, Period: 60, Stat: 'Sum' });
    expect(byId.prod_latencyP95).toMatchObject({ Metric: { MetricName: 'Latency' }, Stat: 'p95' });
    expect(byId.prod_errors5xx).toMatchObject({ Metric: { MetricName: '5XXError' }, Stat: 'Sum' });
    expect(byId.prod_cpu).toEqual({ Metric: { Namespace: 'AWS/ECS', MetricName: 'CPUUtilization', Dimensions: [{ Name: 'ClusterName', Value: prodNames.cluster }, { Name: 'ServiceName', Value: prodNames.service }] }, Period: 60, Stat: 'Average' });
    expect(byId.dev_memory).toMatchObject({ Metric: { MetricName: 'MemoryUtilization' }, Stat: 'Average' });

    const prod = env(s, 'prod').metrics!;
    expect(prod.start).toBe('2026-11-26T11:00:00.000Z');
    expect(prod.periodSeconds).toBe(60);
    for (const series of [prod.requests, prod.errors5xx, prod.latencyP95, prod.cpu, prod.memory]) expect(series).toHaveLength(METRIC_POINTS);
    // The newest minute is last; a minute without a point is null, not 0.
    expect(prod.requests.slice(-3)).toEqual([80, null, 120]);
    expect(prod.requests.slice(0, -3).every((v) => v === null)).toBe(true);
    expect(prod.latencyP95.at(-1)).toBe(310.5);
    expect(prod.cpu.slice(-2)).toEqual([40, 41.25]);
    expect(env(s, 'dev').metrics!.cpu.slice(-2)).toEqual([7, null]);
    expect(s.metricsError).toBeNull();
    expect(env(s, 'prod').error).toBeNull();
  });

  it('five minutes of polling every 5 s: one GetMetricData a minute, not one a poll', async () => {
    const { poller, advance } = makePoller();
    await poller.snapshot();
    for (let t = 5_000; t <= 5 * 60_000; t += 5_000) {
      advance(5_000);
      await poller.snapshot();
    }
    expect(fake.calls.count('GetMetricData')).toBe(1 + 5);
    expect(fake.calls.count('DescribeServices')).toBe(1 + 60);
  });

  it('AccessDenied: said once in the snapshot, never asked again, and the environments stay healthy with no error', async () => {
    const denied = fake.inject({ kind: 'access-denied', service: 'monitoring' });
    const { poller, advance } = makePoller();
    const first = await poller.snapshot();
    expect(first.metricsError).toMatch(/CloudWatch GetMetricData: AccessDenied: .*not authorized to perform: cloudwatch:GetMetricData/);
    expect(first.environments.map((e) => [e.health, e.error, e.metrics])).toEqual([
      ['healthy', null, undefined],
      ['healthy', null, undefined],
    ]);
    for (let i = 0; i < 36; i++) {
      advance(5_000);
      const s = await poller.snapshot();
      expect(s.environments.every((e) => e.health === 'healthy' && e.error === null)).toBe(true);
    }
    expect(denied.hits).toBe(1);
    expect(fake.calls.count('DescribeServices')).toBe(37);
  });

  it('throttling keeps the last series and tries again a minute later, without slowing the status polls', async () => {
    seedEnvironmentMetrics(fake.scenario, 'prod', { now: new Date(START), requests: [9] });
    const { poller, advance } = makePoller();
    const failuresInARow: number[] = [];
    poller.subscribe((u) => failuresInARow.push(u.failuresInARow));
    const first = await poller.snapshot();
    expect(env(first, 'prod').metrics!.requests.at(-1)).toBe(9);
    fake.inject({ kind: 'throttle', service: 'monitoring', times: 1 });
    advance(60_000);
    const throttled = await poller.snapshot();
    expect(throttled.metricsError).toMatch(/Throttling: Rate exceeded/);
    // The hour read a minute ago stays, with its read time.
    expect(env(throttled, 'prod').metrics!.readAt).toBe(env(first, 'prod').metrics!.readAt);
    advance(5_000);
    await poller.snapshot();
    expect(fake.calls.count('GetMetricData')).toBe(2);
    advance(55_000);
    const recovered = await poller.snapshot();
    expect(fake.calls.count('GetMetricData')).toBe(3);
    expect(recovered.metricsError).toBeNull();
    expect(env(recovered, 'prod').metrics!.readAt).toBe(new Date(START + 120_000).toISOString());
    expect(failuresInARow).toEqual([0, 0, 0, 0]);
  });
});

describe('the cost estimate\'s traffic in the dashboard\'s poller', () => {
  it('readTraffic: the last 7 days\' requests per environment, in the minute\'s one GetMetricData once an hour; not read by status', async () => {
    const day = 86_400_000;
    const dims = (Stage: string) => ({ ApiName: 'BenchlingWebhookStack', Stage });
    seedMetric(fake.scenario, { namespace: 'AWS/ApiGateway', metricName: 'Count', dimensions: dims('prod') }, [1, 2, 3].map((d) => ({ t: START - d * day, v: 1000 * d })));
    seedMetric(fake.scenario, { namespace: 'AWS/ApiGateway', metricName: 'Count', dimensions: dims('dev') }, [{ t: START - 8 * day, v: 99 }]);
    const plain = makePoller();
    expect((await plain.poller.snapshot()).traffic).toBeUndefined();
    expect(fake.calls.count('GetMetricData')).toBe(1);
    fake.calls.reset();

    const { poller, advance } = makePoller({ readTraffic: true });
    const first = await poller.snapshot();
    // The first minute draws the sparklines; the next one reads the 7 days.
    expect(first.traffic).toBeNull();
    expect(first.environments[1].metrics).toBeDefined();
    advance(5_000);
    await poller.snapshot();
    expect(fake.calls.count('GetMetricData')).toBe(1);
    advance(55_000);
    const second = await poller.snapshot();
    expect(second.traffic).toEqual({ days: 7, requests: { dev: 0, prod: 6000 }, readAt: new Date(START + 60_000).toISOString() });
    const period = (c: { input: unknown }) => (c.input as { MetricDataQueries: { MetricStat: { Period: number } }[] }).MetricDataQueries[0].MetricStat.Period;
    expect(fake.calls.matching('GetMetricData').map(period)).toEqual([60, 604800]);
    // An hour of polls a minute apart: one call each, the 7 days again at the hour.
    for (let i = 0; i < 60; i++) {
      advance(60_000);
      await poller.snapshot();
    }
    expect(fake.calls.count('GetMetricData')).toBe(2 + 60);
    expect(fake.calls.matching('GetMetricData').filter((c) => period(c) === 604800)).toHaveLength(2);
  });

  it('keeps only finite, non-negative values of the series it asked for', () => {
    expect(
      trafficFromResults(
        ['dev', 'prod'],
        [
          { id: 'prod_requests7d', timestamps: [], values: [10, Number.NaN, -5, Number.POSITIVE_INFINITY, '7', 20] },
          { id: 'staging_requests7d', timestamps: [], values: [1] },
          { id: 'dev_requests', timestamps: [], values: [1] },
        ],
      ),
    ).toEqual({ dev: 0, prod: 30 });
  });
});

describe('what CloudWatch answers is checked before use', () => {
  const window = metricsWindow(new Date(START));
  const at = (minutesAgo: number) => new Date(window.end.getTime() - minutesAgo * 60_000);

  it('keeps finite non-negative numbers at whole minutes of the window, and drops the rest', () => {
    const out = metricsFromResults(
      ['prod'],
      [
        {
          id: 'prod_requests',
          timestamps: [at(1), at(2), at(3), at(4), new Date(at(5).getTime() + 1_000), at(0), at(61), 'not a date', at(6), at(7)],
          values: [1, Number.NaN, Number.POSITIVE_INFINITY, -3, 5, 6, 7, 8, '9', 10],
        },
        { id: 'dev_requests', timestamps: [at(1)], values: [1] },
        { id: 'prod_other', timestamps: [at(1)], values: [1] },
        { id: 42, timestamps: [at(1)], values: [1] },
      ],
      window,
      new Date(START),
    );
    const prod = out.get('prod')!;
    expect(prod.requests.at(-1)).toBe(1);
    expect(prod.requests.filter((v) => v !== null)).toEqual([10, 1]);
    expect(prod.cpu.every((v) => v === null)).toBe(true);
    expect([...out.keys()]).toEqual(['prod']);
  });

  it('looks at a bounded number of points whatever the answer holds', () => {
    const huge = 200_000;
    // Every point read is counted: the work is bounded by what is shown, not by the answer's size.
    let read = 0;
    const counted = <T,>(items: T[]) => new Proxy(items, { get: (t, k, r) => ((typeof k === 'string' && /^\d+$/.test(k) && read++), Reflect.get(t, k, r)) });
    const timestamps = counted(Array.from({ length: huge }, () => at(1)));
    const values = counted(Array.from({ length: huge }, () => 1));
    const out = metricsFromResults(['prod'], Array.from({ length: 50 }, () => ({ id: 'prod_cpu', timestamps, values })), window, new Date(START));
    expect(read).toBeGreaterThan(0);
    expect(read).toBeLessThanOrEqual(5 * 2 * 2 * METRIC_POINTS * 2);
    expect(out.get('prod')!.cpu.at(-1)).toBe(1);
  });

  it('an id naming no series of ours (prod___proto__) is dropped, never written through to the prototype', () => {
    const out = metricsFromResults(['prod'], [{ id: 'prod___proto__', timestamps: [at(1)], values: [7] }, { id: 'prod_constructor', timestamps: [at(1)], values: [7] }], window, new Date(START));
    expect(Object.getOwnPropertyNames(Object.prototype).filter((k) => /^\d+$/.test(k))).toEqual([]);
    const prod = out.get('prod')!;
    for (const series of ['requests', 'errors5xx', 'latencyP95', 'cpu', 'memory'] as const) expect(prod[series].every((v) => v === null)).toBe(true);
  });

  it('asks only for what the stack names: no API id, no stage metrics; no service, no ECS metrics', () => {
    const queries = metricQueries([
      { environment: 'dev', apiName: null, cluster: 'c', service: 'arn:aws:ecs:us-east-1:1:service/c/svc' },
      { environment: 'prod', apiName: 'S', cluster: 'c', service: null },
    ]);
    expect(queries.map((q) => q.id)).toEqual(['dev_cpu', 'dev_memory', 'prod_requests', 'prod_errors5xx', 'prod_latencyP95']);
    expect(queries[0].dimensions).toEqual([{ name: 'ClusterName', value: 'c' }, { name: 'ServiceName', value: 'svc' }]);
  });
});
