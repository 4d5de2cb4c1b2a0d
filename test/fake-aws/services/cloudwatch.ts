/**
 * CloudWatch (signing name `monitoring`): GetMetricData over `scenario.metrics`.
 *
 * The SDK client (3.1142) speaks JSON 1.0 to it (`X-Amz-Target:
 * GraniteServiceVersion20100801.GetMetricData`, timestamps as epoch seconds)
 * with `awsQueryCompatible`: it sends `x-amzn-query-mode: true`, and an error
 * is named by the Query code of the `x-amzn-query-error: Code;Sender`
 * header (`Throttling`, `AccessDenied`, `InvalidParameterValue`), the body's
 * `__type` being the JSON shape's id. The replies here have that shape.
 *
 * Seeding: {@link seedMetric} adds raw samples of one metric;
 * {@link seedEnvironmentMetrics} the five series the dashboard draws for one
 * environment of a {@link standardScenario} (API stage requests, 5xx and
 * latency, service CPU and memory), one sample a minute, with gaps.
 */
import { AwsServiceError, type ServiceDefinition } from '../protocols.js';
import { namesOf, type EnvName, type FakeMetricSeries, type Scenario } from '../scenario.js';

/** The JSON shape ids the service names its errors by, per Query code. */
const ERROR_TYPES: Record<string, string> = {
  Throttling: 'com.amazon.coral.availability#ThrottlingException',
  AccessDenied: 'com.amazon.coral.service#AccessDeniedException',
  ExpiredToken: 'com.amazon.coral.service#ExpiredTokenException',
  InternalFailure: 'com.amazon.coral.service#InternalFailure',
  InvalidParameterValue: 'com.amazonaws.cloudwatch#InvalidParameterValueException',
  MissingParameter: 'com.amazonaws.cloudwatch#MissingRequiredParameterException',
  InvalidParameterCombination: 'com.amazonaws.cloudwatch#InvalidParameterCombinationException',
  InvalidNextToken: 'com.amazonaws.cloudwatch#InvalidNextToken',
};

/** At most this many queries in one GetMetricData call, as the API allows. */
const MAX_QUERIES = 500;
/** At most this many datapoints in one reply; more is refused here (the real API pages them, which nothing here asks for). */
const MAX_DATAPOINTS = 100_800;
const STATS = /^(Sum|Average|Minimum|Maximum|SampleCount|p\d{1,2}(\.\d+)?)$/;

export const cloudwatch: ServiceDefinition<Scenario> = {
  signingName: 'monitoring',
  protocol: 'json',
  targetPrefix: 'GraniteServiceVersion20100801',
  json: { version: '1.0', queryCompatible: { defaultNamespace: 'com.amazonaws.cloudwatch', types: ERROR_TYPES } },
  throttle: { code: 'Throttling', status: 400, message: 'Rate exceeded' },
  expired: { code: 'ExpiredToken', status: 403 },
  accessDenied: { code: 'AccessDenied', status: 403, iamPrefix: 'cloudwatch' },
  operations: {
    GetMetricData(input, scenario) {
      const queries = input.MetricDataQueries;
      if (!Array.isArray(queries) || queries.length === 0) throw invalid('The parameter MetricDataQueries is required.', 'MissingParameter');
      if (queries.length > MAX_QUERIES) throw invalid(`The collection MetricDataQueries must not have a size greater than ${MAX_QUERIES}.`);
      const start = epochSeconds(input.StartTime, 'StartTime');
      const end = epochSeconds(input.EndTime, 'EndTime');
      if (start >= end) throw invalid('The parameter StartTime must be less than the parameter EndTime.');
      const ascending = input.ScanBy === 'TimestampAscending';
      const ids = new Set<string>();
      let datapoints = 0;
      const results = queries.map((q: Record<string, any>) => {
        const id = q?.Id;
        if (typeof id !== 'string' || !/^[a-z][a-zA-Z0-9_]*$/.test(id)) throw invalid(`The value ${String(id)} for parameter MetricDataQueries.member.Id is not valid: it must start with a lower-case letter and hold only letters, digits and underscores.`);
        if (ids.has(id)) throw invalid(`The value ${id} for parameter MetricDataQueries.member.Id is not unique.`);
        ids.add(id);
        if (q.Expression !== undefined) throw invalid('the fake AWS endpoint does not evaluate metric math Expression (see test/fake-aws/services/cloudwatch.ts)');
        const stat = q.MetricStat;
        const metric = stat?.Metric;
        if (!metric || typeof metric.Namespace !== 'string' || typeof metric.MetricName !== 'string') throw invalid('Exactly one of Expression and MetricStat must be given.', 'InvalidParameterCombination');
        const period = stat.Period;
        if (typeof period !== 'number' || period < 1 || (period >= 60 && period % 60 !== 0) || (period < 60 && ![1, 5, 10, 20, 30].includes(period))) {
          throw invalid(`The value ${String(period)} for parameter MetricDataQueries.member.MetricStat.Period is not valid.`);
        }
        if (typeof stat.Stat !== 'string' || !STATS.test(stat.Stat)) throw invalid(`The value ${String(stat.Stat)} for parameter MetricDataQueries.member.MetricStat.Stat is not valid.`);
        const dims: Record<string, string> = Object.fromEntries(((metric.Dimensions ?? []) as { Name: string; Value: string }[]).map((d) => [d.Name, d.Value]));
        const series = (scenario.metrics ?? []).find((m) => m.namespace === metric.Namespace && m.metricName === metric.MetricName && sameDimensions(m.dimensions, dims));
        const points = series ? aggregate(series.samples, start, end, period, stat.Stat) : [];
        if (!ascending) points.reverse();
        datapoints += points.length;
        return { Id: id, Label: typeof q.Label === 'string' ? q.Label : metric.MetricName, Timestamps: points.map((p) => new Date(p.t * 1000)), Values: points.map((p) => p.v), StatusCode: 'Complete' };
      });
      if (datapoints > MAX_DATAPOINTS) throw invalid(`the reply would hold ${datapoints} datapoints; the fake serves at most ${MAX_DATAPOINTS} in one page`);
      // Queries with ReturnData false are computed but not returned.
      const returned = results.filter((_, i) => (queries[i] as Record<string, unknown>).ReturnData !== false);
      return { MetricDataResults: returned, Messages: [] };
    },
  },
};

function invalid(message: string, code = 'InvalidParameterValue'): AwsServiceError {
  return new AwsServiceError(code, message, 400, 'Sender');
}

function epochSeconds(value: unknown, name: string): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return Date.parse(value) / 1000;
  throw invalid(`The parameter ${name} is required.`, 'MissingParameter');
}

function sameDimensions(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => b[k] === a[k]);
}

/** Samples in [start, end) grouped into periods aligned to `start`, each reduced to the statistic; empty periods have no point. */
function aggregate(samples: readonly { t: number; v: number }[], start: number, end: number, period: number, stat: string): { t: number; v: number }[] {
  const buckets = new Map<number, number[]>();
  for (const s of samples) {
    const t = s.t / 1000;
    if (t < start || t >= end) continue;
    const bucket = start + Math.floor((t - start) / period) * period;
    let values = buckets.get(bucket);
    if (!values) buckets.set(bucket, (values = []));
    values.push(s.v);
  }
  return [...buckets.entries()].sort((a, b) => a[0] - b[0]).map(([t, values]) => ({ t, v: statistic(values, stat) }));
}

function statistic(values: readonly number[], stat: string): number {
  switch (stat) {
    case 'Sum':
      return values.reduce((a, b) => a + b, 0);
    case 'Average':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'Minimum':
      return Math.min(...values);
    case 'Maximum':
      return Math.max(...values);
    case 'SampleCount':
      return values.length;
    default: {
      // pNN: the nearest-rank percentile of the samples.
      const p = Number(stat.slice(1));
      const sorted = [...values].sort((a, b) => a - b);
      return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
    }
  }
}

/** Adds raw samples to a metric (created if new). */
export function seedMetric(scenario: Scenario, metric: Omit<FakeMetricSeries, 'samples'>, samples: readonly { t: number; v: number }[]): void {
  scenario.metrics ??= [];
  let series = scenario.metrics.find((m) => m.namespace === metric.namespace && m.metricName === metric.metricName && sameDimensions(m.dimensions, metric.dimensions));
  if (!series) scenario.metrics.push((series = { ...metric, dimensions: { ...metric.dimensions }, samples: [] }));
  series.samples.push(...samples);
}

/** A value per minute ago (index 0: the minute before `now`'s); null or undefined is no sample (a gap). */
export type PerMinute = readonly (number | null | undefined)[];

export interface EnvironmentMetrics {
  readonly now?: Date;
  readonly requests?: PerMinute;
  readonly errors5xx?: PerMinute;
  readonly latencyMs?: PerMinute;
  readonly cpu?: PerMinute;
  readonly memory?: PerMinute;
}

/**
 * The series the dashboard draws for `env` of a standard scenario's stack:
 * AWS/ApiGateway Count, 5XXError and Latency by ApiName (the REST API's name,
 * which is the stack's name) and Stage (the environment's name), and
 * AWS/ECS CPUUtilization and MemoryUtilization by ClusterName and
 * ServiceName. Value i is one sample in the minute that started i+1 minutes
 * before `now`'s minute (CloudWatch's most recent complete minute is index 0).
 */
export function seedEnvironmentMetrics(scenario: Scenario, env: EnvName, metrics: EnvironmentMetrics): void {
  const names = namesOf(scenario, env);
  const minute = Math.floor((metrics.now ?? new Date()).getTime() / 60_000) * 60_000;
  const samples = (values: PerMinute | undefined) =>
    (values ?? []).flatMap((v, i) => (typeof v === 'number' ? [{ t: minute - (i + 1) * 60_000 + 1_000, v }] : []));
  const api = { ApiName: names.stackName, Stage: env };
  const service = { ClusterName: names.cluster, ServiceName: names.service.slice(names.service.lastIndexOf('/') + 1) };
  seedMetric(scenario, { namespace: 'AWS/ApiGateway', metricName: 'Count', dimensions: api }, samples(metrics.requests));
  seedMetric(scenario, { namespace: 'AWS/ApiGateway', metricName: '5XXError', dimensions: api }, samples(metrics.errors5xx));
  seedMetric(scenario, { namespace: 'AWS/ApiGateway', metricName: 'Latency', dimensions: api }, samples(metrics.latencyMs));
  seedMetric(scenario, { namespace: 'AWS/ECS', metricName: 'CPUUtilization', dimensions: service }, samples(metrics.cpu));
  seedMetric(scenario, { namespace: 'AWS/ECS', metricName: 'MemoryUtilization', dimensions: service }, samples(metrics.memory));
}
