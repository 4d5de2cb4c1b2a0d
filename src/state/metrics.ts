import type { EnvironmentName } from '../config/schema.js';

/**
 * The last hour of each environment's behaviour, one point a minute, for the
 * dashboard's sparklines and `status --json`: requests, 5xx and p95 latency
 * of its API Gateway stage, CPU and memory of its ECS service. All of it comes
 * from one CloudWatch GetMetricData call for every environment together
 * (five queries each). What CloudWatch answers is checked here before use:
 * only finite, non-negative numbers at a minute of the window asked for are
 * kept; a minute without one is a gap (null), never a zero.
 */

/** The series of one environment, in the order the panel draws them. */
export const METRIC_SERIES = ['requests', 'errors5xx', 'latencyP95', 'cpu', 'memory'] as const;
export type MetricSeriesName = (typeof METRIC_SERIES)[number];

/** Points per series: the last hour, one a minute. */
export const METRIC_POINTS = 60;
export const METRIC_PERIOD_SECONDS = 60;

/** One metric of one environment, as GetMetricData is asked for it. */
export interface MetricQuery {
  /** `<env>_<series>`: GetMetricData ids start with a lower-case letter. */
  readonly id: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: readonly { readonly name: string; readonly value: string }[];
  readonly stat: string;
  readonly periodSeconds: number;
}

/** One series as the API answered it, before any check. */
export interface MetricResult {
  readonly id: unknown;
  readonly timestamps: readonly unknown[];
  readonly values: readonly unknown[];
}

/** One environment's last hour: each series oldest first, {@link METRIC_POINTS} long, null where CloudWatch has no point. */
export interface EnvironmentMetrics {
  /** The first minute of the window (ISO). */
  readonly start: string;
  readonly periodSeconds: number;
  /** When CloudWatch was read (ISO). */
  readonly readAt: string;
  /** API Gateway Count per minute. */
  readonly requests: readonly (number | null)[];
  /** API Gateway 5XXError per minute. */
  readonly errors5xx: readonly (number | null)[];
  /** API Gateway Latency p95, milliseconds. */
  readonly latencyP95: readonly (number | null)[];
  /** ECS CPUUtilization average, percent of the task's reservation. */
  readonly cpu: readonly (number | null)[];
  /** ECS MemoryUtilization average, percent. */
  readonly memory: readonly (number | null)[];
}

/** Where an environment's metrics live: its stage of the REST API and its ECS service. */
export interface MetricsTarget {
  readonly environment: EnvironmentName;
  /** The REST API's name (the stack's name: the API is named after it); null when unknown. */
  readonly apiName: string | null;
  readonly cluster: string | null;
  /** The service name or ARN (the `<Env>ServiceName` output). */
  readonly service: string | null;
}

const SPEC: Record<MetricSeriesName, { namespace: string; metricName: string; stat: string; on: 'stage' | 'service' }> = {
  requests: { namespace: 'AWS/ApiGateway', metricName: 'Count', stat: 'Sum', on: 'stage' },
  errors5xx: { namespace: 'AWS/ApiGateway', metricName: '5XXError', stat: 'Sum', on: 'stage' },
  latencyP95: { namespace: 'AWS/ApiGateway', metricName: 'Latency', stat: 'p95', on: 'stage' },
  cpu: { namespace: 'AWS/ECS', metricName: 'CPUUtilization', stat: 'Average', on: 'service' },
  memory: { namespace: 'AWS/ECS', metricName: 'MemoryUtilization', stat: 'Average', on: 'service' },
};

const lastPart = (nameOrArn: string) => nameOrArn.slice(nameOrArn.lastIndexOf('/') + 1);

/**
 * The queries for every environment: a stage's metrics by ApiName and Stage
 * (what a REST API stage publishes without detailed metrics), a service's by
 * ClusterName and ServiceName. A part whose names are unknown is left out.
 */
export function metricQueries(targets: readonly MetricsTarget[]): MetricQuery[] {
  const queries: MetricQuery[] = [];
  for (const t of targets) {
    for (const series of METRIC_SERIES) {
      const spec = SPEC[series];
      const dimensions =
        spec.on === 'stage'
          ? t.apiName
            ? [{ name: 'ApiName', value: t.apiName }, { name: 'Stage', value: t.environment }]
            : null
          : t.cluster && t.service
            ? [{ name: 'ClusterName', value: lastPart(t.cluster) }, { name: 'ServiceName', value: lastPart(t.service) }]
            : null;
      if (!dimensions) continue;
      queries.push({ id: `${t.environment}_${series}`, namespace: spec.namespace, metricName: spec.metricName, dimensions, stat: spec.stat, periodSeconds: METRIC_PERIOD_SECONDS });
    }
  }
  return queries;
}

/** The hour that ends at the start of `now`'s minute. */
export function metricsWindow(now: Date): { start: Date; end: Date } {
  const end = Math.floor(now.getTime() / 60_000) * 60_000;
  return { start: new Date(end - METRIC_POINTS * METRIC_PERIOD_SECONDS * 1000), end: new Date(end) };
}

/**
 * The answer placed on the window's minutes, per environment. Anything that
 * is not a finite, non-negative number at a whole minute inside the window
 * (or a series not asked for) is dropped; at most {@link METRIC_POINTS}
 * points per series are looked at, so no size of answer costs more.
 */
export function metricsFromResults(
  environments: readonly EnvironmentName[],
  results: readonly MetricResult[],
  window: { start: Date; end: Date },
  readAt: Date,
): Map<EnvironmentName, EnvironmentMetrics> {
  const empty = () => Array.from({ length: METRIC_POINTS }, () => null as number | null);
  const out = new Map<EnvironmentName, Record<MetricSeriesName, (number | null)[]>>(
    environments.map((e) => [e, Object.fromEntries(METRIC_SERIES.map((s) => [s, empty()])) as Record<MetricSeriesName, (number | null)[]>]),
  );
  const startMs = window.start.getTime();
  for (const r of results.slice(0, environments.length * METRIC_SERIES.length * 2)) {
    if (typeof r.id !== 'string') continue;
    const cut = r.id.indexOf('_');
    const env = r.id.slice(0, cut) as EnvironmentName;
    const series = r.id.slice(cut + 1) as MetricSeriesName;
    // Only our own ids: an id such as `prod___proto__` must not reach the object's prototype.
    const slots = (METRIC_SERIES as readonly string[]).includes(series) ? out.get(env)?.[series] : undefined;
    if (!slots || !Array.isArray(r.timestamps) || !Array.isArray(r.values)) continue;
    const n = Math.min(r.timestamps.length, r.values.length, METRIC_POINTS * 2);
    for (let i = 0; i < n; i++) {
      const t: unknown = r.timestamps[i];
      const v: unknown = r.values[i];
      const ms: number = t instanceof Date ? t.getTime() : typeof t === 'string' ? Date.parse(t) : NaN;
      if (!Number.isFinite(ms) || typeof v !== 'number' || !Number.isFinite(v) || v < 0) continue;
      const offset = (ms - startMs) / (METRIC_PERIOD_SECONDS * 1000);
      if (!Number.isInteger(offset) || offset < 0 || offset >= METRIC_POINTS) continue;
      slots[offset] = v;
    }
  }
  return new Map(
    [...out].map(([env, s]) => [env, { start: window.start.toISOString(), periodSeconds: METRIC_PERIOD_SECONDS, readAt: readAt.toISOString(), ...s }]),
  );
}
