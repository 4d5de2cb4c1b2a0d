import { TRAFFIC_DAYS, type CostTraffic } from '../config/cost.js';
import type { EnvironmentName } from '../config/schema.js';
import { classifyAwsError } from './aws-errors.js';
import type { MetricQuery, MetricResult } from './metrics.js';
import type { StatusApi } from './status-api.js';

/**
 * The traffic the cost estimate prices: each environment's API Gateway
 * requests (Count, Sum) over the last {@link TRAFFIC_DAYS} days, by ApiName
 * (the stack's name) and Stage. `cost` reads it with one GetMetricData of its
 * own; the dashboard's poller adds these queries to its minute's call once an
 * hour. A failure is no traffic, with why: the estimate stays offline-capable.
 */

const SUFFIX = '_requests7d';
const PERIOD_SECONDS = TRAFFIC_DAYS * 86_400;

export function trafficQueries(stackName: string, environments: readonly EnvironmentName[]): MetricQuery[] {
  return environments.map((env) => ({
    id: `${env}${SUFFIX}`,
    namespace: 'AWS/ApiGateway',
    metricName: 'Count',
    dimensions: [
      { name: 'ApiName', value: stackName },
      { name: 'Stage', value: env },
    ],
    stat: 'Sum',
    periodSeconds: PERIOD_SECONDS,
  }));
}

/** The days that end at the start of `now`'s minute. */
export function trafficWindow(now: Date): { start: Date; end: Date } {
  const end = Math.floor(now.getTime() / 60_000) * 60_000;
  return { start: new Date(end - PERIOD_SECONDS * 1000), end: new Date(end) };
}

/** Requests per environment from the answer: the sum of its finite, non-negative values (a few at most are looked at); none is 0. */
export function trafficFromResults(environments: readonly EnvironmentName[], results: readonly MetricResult[]): Partial<Record<EnvironmentName, number>> {
  const out: Partial<Record<EnvironmentName, number>> = Object.fromEntries(environments.map((e) => [e, 0]));
  for (const r of results.slice(0, 100)) {
    if (typeof r.id !== 'string' || !r.id.endsWith(SUFFIX)) continue;
    const env = r.id.slice(0, -SUFFIX.length) as EnvironmentName;
    if (!environments.includes(env) || !Array.isArray(r.values)) continue;
    for (const v of r.values.slice(0, 10)) if (typeof v === 'number' && Number.isFinite(v) && v >= 0) out[env] = (out[env] ?? 0) + v;
  }
  return out;
}

/**
 * One GetMetricData for the estimate; never throws: AWS unreadable (no
 * credentials, refused, too slow: `timeoutMs`) is "no traffic", with why.
 */
export async function readTraffic(
  api: Pick<StatusApi, 'getMetricData'>,
  stackName: string,
  environments: readonly EnvironmentName[],
  options: { readonly now?: Date; readonly timeoutMs?: number } = {},
): Promise<CostTraffic> {
  if (!api.getMetricData) return { source: 'none', why: 'metrics are not read' };
  const window = trafficWindow(options.now ?? new Date());
  const timeoutMs = options.timeoutMs ?? 8_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const results = await Promise.race([
      api.getMetricData(trafficQueries(stackName, environments), window.start, window.end),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new TrafficTimeout(`CloudWatch did not answer within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
      }),
    ]);
    return { source: 'cloudwatch', days: TRAFFIC_DAYS, requests: trafficFromResults(environments, results) };
  } catch (error) {
    if (error instanceof TrafficTimeout) return { source: 'none', why: error.message };
    const problem = classifyAwsError(error);
    const why =
      problem.kind === 'credentials' || /Could not load credentials|credential/i.test(problem.message)
        ? 'no usable AWS credentials, so CloudWatch was not read'
        : problem.kind === 'access-denied'
          ? 'CloudWatch GetMetricData is not permitted to these credentials'
          : `CloudWatch could not be read: ${problem.message}`;
    return { source: 'none', why };
  } finally {
    if (timer) clearTimeout(timer);
  }
}

class TrafficTimeout extends Error {}
