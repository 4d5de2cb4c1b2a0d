import { describe, expect, it } from 'vitest';
import { CloudWatchClient, GetMetricDataCommand, InvalidParameterValueException, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { namesOf } from './scenario.js';
import { seedEnvironmentMetrics, seedMetric } from './services/cloudwatch.js';
import { useFakeAws } from '../helpers/fake-aws.js';

const { fake } = useFakeAws();

const client = (maxAttempts = 1) => new CloudWatchClient({ region: 'us-east-1', maxAttempts });
const NOW = new Date('2026-12-01T12:00:30Z');
const minute = (n: number) => new Date(Date.UTC(2026, 11, 1, 12, 0) - n * 60_000);

const cpuQuery = (id: string, stat = 'Average'): MetricDataQuery => {
  const names = namesOf(fake.scenario, 'prod');
  return {
    Id: id,
    MetricStat: {
      Metric: { Namespace: 'AWS/ECS', MetricName: 'CPUUtilization', Dimensions: [{ Name: 'ServiceName', Value: names.service }, { Name: 'ClusterName', Value: names.cluster }] },
      Period: 60,
      Stat: stat,
    },
  };
};

describe('CloudWatch GetMetricData in the fake, through the real SDK client (JSON 1.0, awsQueryCompatible)', () => {
  it('is reached by the JSON 1.0 target the client sends, and answers per-minute datapoints newest first, gaps left out', async () => {
    seedEnvironmentMetrics(fake.scenario, 'prod', { now: NOW, cpu: [40, null, 20, 10] });
    const out = await client().send(new GetMetricDataCommand({ StartTime: minute(60), EndTime: minute(0), MetricDataQueries: [cpuQuery('cpu')] }));
    const r = out.MetricDataResults![0];
    expect(r).toMatchObject({ Id: 'cpu', Label: 'CPUUtilization', StatusCode: 'Complete' });
    // Minute 1 ago, then 3 and 4 ago: minute 2 had no sample, so no datapoint (not a zero).
    expect(r.Timestamps!.map((t) => t.toISOString())).toEqual([minute(1), minute(3), minute(4)].map((d) => d.toISOString()));
    expect(r.Values).toEqual([40, 20, 10]);
    const call = fake.calls.all[0];
    expect(call).toMatchObject({ service: 'monitoring', operation: 'GetMetricData', status: 200 });
    // Times travel as epoch seconds, as JSON 1.0 sends them.
    expect((call.input as { StartTime: unknown }).StartTime).toBe(minute(60).getTime() / 1000);
  });

  it('computes the statistic asked for over the period (Sum over an hour, p95, SampleCount), and an unknown metric is an empty series', async () => {
    const names = namesOf(fake.scenario, 'prod');
    const dims = { ApiName: names.stackName, Stage: 'prod' };
    seedMetric(fake.scenario, { namespace: 'AWS/ApiGateway', metricName: 'Latency', dimensions: dims }, Array.from({ length: 20 }, (_, i) => ({ t: minute(30).getTime() + i * 1000, v: i + 1 })));
    const metric = { Namespace: 'AWS/ApiGateway', MetricName: 'Latency', Dimensions: [{ Name: 'ApiName', Value: names.stackName }, { Name: 'Stage', Value: 'prod' }] };
    const out = await client().send(
      new GetMetricDataCommand({
        StartTime: minute(60),
        EndTime: minute(0),
        ScanBy: 'TimestampAscending',
        MetricDataQueries: [
          { Id: 'sum', MetricStat: { Metric: metric, Period: 3600, Stat: 'Sum' } },
          { Id: 'p95', MetricStat: { Metric: metric, Period: 3600, Stat: 'p95' } },
          { Id: 'n', MetricStat: { Metric: metric, Period: 3600, Stat: 'SampleCount' } },
          { Id: 'dev', MetricStat: { Metric: { ...metric, Dimensions: [{ Name: 'ApiName', Value: names.stackName }, { Name: 'Stage', Value: 'dev' }] }, Period: 60, Stat: 'Sum' } },
        ],
      }),
    );
    const byId = Object.fromEntries(out.MetricDataResults!.map((r) => [r.Id, r.Values]));
    expect(byId).toEqual({ sum: [210], p95: [19], n: [20], dev: [] });
  });

  it('refuses what the API refuses with InvalidParameterValue, which the SDK maps to its modelled exception by the Query code', async () => {
    const error = await client()
      .send(new GetMetricDataCommand({ StartTime: minute(0), EndTime: minute(60), MetricDataQueries: [cpuQuery('cpu')] }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidParameterValueException);
    expect((error as Error).message).toMatch(/StartTime must be less than/);
    const badId = await client()
      .send(new GetMetricDataCommand({ StartTime: minute(60), EndTime: minute(0), MetricDataQueries: [cpuQuery('Cpu')] }))
      .catch((e: unknown) => e);
    // A modelled error: the class of the shape whose Query code the header names.
    expect(badId).toMatchObject({ name: 'InvalidParameterValueException', Code: 'InvalidParameterValue', Type: 'Sender' });
    expect(fake.calls.all.map((c) => c.status)).toEqual([400, 400]);
  });

  it('throttles with Throttling (x-amzn-query-error), which the client retries as throttling', async () => {
    seedEnvironmentMetrics(fake.scenario, 'prod', { now: NOW, cpu: [5] });
    const once = fake.inject({ kind: 'throttle', service: 'monitoring', operation: 'GetMetricData', times: 1 });
    const failed = await client(1)
      .send(new GetMetricDataCommand({ StartTime: minute(60), EndTime: minute(0), MetricDataQueries: [cpuQuery('cpu')] }))
      .catch((e: unknown) => e as Error & { $retryable?: unknown; $metadata: { httpStatusCode: number } });
    expect(failed).toMatchObject({ name: 'Throttling', message: 'Rate exceeded' });
    expect((failed as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode).toBe(400);
    expect(once.hits).toBe(1);
    fake.inject({ kind: 'throttle', service: 'monitoring', times: 1 });
    const retried = await client(3).send(new GetMetricDataCommand({ StartTime: minute(60), EndTime: minute(0), MetricDataQueries: [cpuQuery('cpu')] }));
    expect(retried.MetricDataResults![0].Values).toEqual([5]);
    expect(fake.calls.count('GetMetricData')).toBe(3);
  });

  it('refuses a role without cloudwatch:GetMetricData with AccessDenied, 403, not retried', async () => {
    fake.inject({ kind: 'access-denied', service: 'monitoring' });
    const error = (await client(3)
      .send(new GetMetricDataCommand({ StartTime: minute(60), EndTime: minute(0), MetricDataQueries: [cpuQuery('cpu')] }))
      .catch((e: unknown) => e)) as Error & { $metadata: { httpStatusCode: number }; Code?: string; Type?: string };
    expect(error.name).toBe('AccessDenied');
    expect(error.message).toMatch(/is not authorized to perform: cloudwatch:GetMetricData/);
    expect(error).toMatchObject({ Code: 'AccessDenied', Type: 'Sender' });
    expect(error.$metadata.httpStatusCode).toBe(403);
    expect(fake.calls.count('GetMetricData')).toBe(1);
  });
});
