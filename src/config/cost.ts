import { UserError } from '../errors.js';
import type { StackProfiles } from './pairing.js';
import { PRICES, PRICES_AS_OF, PRICES_SOURCE, pricesFor, type RegionPrices } from './prices.js';
import type { EnvironmentName, ResolvedProfile } from './schema.js';
import { describeTaskSize, type TaskSize } from './task-size.js';
import { ROLLOUT_ALARM_KINDS } from './names.js';

/**
 * The monthly estimate of PRODUCT.md's `cost`: list prices times what the
 * profiles ask for, offline. Tasks run at minCapacity all month (the steady
 * desired count when autoscaling has nothing to do). API Gateway requests
 * are priced from the traffic measured where CloudWatch could be read (the
 * last 7 days' requests per environment, scaled to a month: {@link CostTraffic},
 * read by the caller); otherwise, and for the other traffic-priced items, at
 * zero, and the notes say so.
 */

/** Hours in AWS's billing month. */
export const HOURS_PER_MONTH = 730;

export interface CostLine {
  readonly item: string;
  readonly quantity: number;
  readonly unit: string;
  readonly unitPrice: number;
  readonly monthly: number;
}

export interface EnvironmentCost {
  readonly name: EnvironmentName;
  /** Tasks counted (minCapacity) and their size. */
  readonly tasks: number;
  readonly cpu: number;
  readonly memory: number;
  readonly monthly: number;
  readonly lines: readonly CostLine[];
}

/**
 * What the estimate knows of traffic: each environment's API Gateway requests
 * over the last `days` days (CloudWatch), or nothing, with why (offline, no
 * credentials, not permitted).
 */
export type CostTraffic =
  | { readonly source: 'cloudwatch'; readonly days: number; readonly requests: Readonly<Partial<Record<EnvironmentName, number>>> }
  | { readonly source: 'none'; readonly why: string };

/** What an estimate needs of the profiles: no secret, so a screen's state may hold it. */
export interface CostInputs {
  readonly region: string;
  readonly natGateways: number;
  readonly environments: readonly { readonly name: EnvironmentName; readonly minCapacity: number; readonly cpu: number; readonly memory: number }[];
}

export function costInputsOf(profiles: StackProfiles): CostInputs {
  const present: [EnvironmentName, ResolvedProfile][] = profiles.dev ? [['dev', profiles.dev], ['prod', profiles.prod]] : [['prod', profiles.prod]];
  return {
    region: profiles.place.region,
    natGateways: profiles.prod.natGateways,
    environments: present.map(([name, p]) => ({ name, minCapacity: p.minCapacity, cpu: p.cpu, memory: p.memory })),
  };
}

export interface CostEstimate {
  readonly region: string;
  readonly pricesAsOf: string;
  readonly source: string;
  readonly environments: readonly EnvironmentCost[];
  readonly shared: { readonly monthly: number; readonly lines: readonly CostLine[] };
  readonly monthly: number;
  readonly notes: readonly string[];
  /** Where the requests came from; absent when the caller did not say (then no traffic is assumed). */
  readonly traffic?: CostTraffic;
}

/** Days of traffic the estimate reads. */
export const TRAFFIC_DAYS = 7;

/** `requests` over `days` days, as millions a billing month. */
export function monthlyMillions(requests: number, days: number): number {
  return (requests * HOURS_PER_MONTH) / (days * 24) / 1e6;
}

export const COST_NOTES: readonly string[] = [
  'tasks are counted at each environment\'s minCapacity, the steady desired count; autoscaling up to maxCapacity costs more while it lasts',
  'assumes no traffic: requests, log ingestion and NAT data processed are at 0 (each is priced per unit, shown on its line)',
  'left out: CloudWatch Logs storage, Container Insights metrics, load balancer capacity units, data transfer out, ECR storage of the image, the Secrets Manager API calls, taxes and any discount or free tier',
];

/** The prices of `region`, or a refusal naming it and the regions the table holds. */
export function requirePrices(region: string): RegionPrices {
  const prices = pricesFor(region);
  if (!prices) {
    throw new UserError(
      `no list prices for region ${region}: the price table (as of ${PRICES_AS_OF}) covers ${Object.keys(PRICES).join(', ')}`,
      'add the region to src/config/prices.ts, or estimate with --region set to a region of similar prices',
    );
  }
  return prices;
}

function line(item: string, quantity: number, unit: string, unitPrice: number): CostLine {
  return { item, quantity: round(quantity, 4), unit, unitPrice, monthly: cents(quantity * unitPrice) };
}

/** The lines whose cost follows capacity and task size: what a deploy of the environment can change. */
export function taskLines(tasks: number, size: TaskSize, prices: RegionPrices): CostLine[] {
  const taskHours = tasks * HOURS_PER_MONTH;
  return [
    line('Fargate vCPU', taskHours * (size.cpu / 1024), 'vCPU-hour', prices.fargateVcpuHour),
    line('Fargate memory', taskHours * (size.memory / 1024), 'GB-hour', prices.fargateGbHour),
  ];
}

/** The monthly cost of `tasks` tasks of `size` all month, in USD (cents). */
export function taskMonthly(tasks: number, size: TaskSize, prices: RegionPrices): number {
  return sum(taskLines(tasks, size, prices));
}

/** One environment's lines; `requestMillions` a month from measured traffic, else none. */
export function environmentCost(name: EnvironmentName, profile: Pick<ResolvedProfile, 'minCapacity' | 'cpu' | 'memory'>, prices: RegionPrices, requestMillions = 0): EnvironmentCost {
  const size = { cpu: profile.cpu, memory: profile.memory };
  const lines = [
    ...taskLines(profile.minCapacity, size, prices),
    line('API Gateway requests', requestMillions, 'million requests', prices.apiGatewayRestPerMillion),
    line('CloudWatch Logs ingestion', 0, 'GB', prices.logsIngestionGb),
    line('CloudWatch alarms guarding its rollouts', ROLLOUT_ALARM_KINDS.length, 'alarm-month', prices.alarmMonth),
    line('Secrets Manager secret', 1, 'secret-month', prices.secretMonth),
  ];
  return { name, tasks: profile.minCapacity, cpu: size.cpu, memory: size.memory, monthly: sum(lines), lines };
}

export function sharedLines(natGateways: number, prices: RegionPrices): CostLine[] {
  const natHours = natGateways * HOURS_PER_MONTH;
  return [
    line('NAT gateway', natHours, 'hour', prices.natGatewayHour),
    line('NAT gateway public IPv4 address', natHours, 'IPv4-hour', prices.publicIpv4Hour),
    line('NAT gateway data processed', 0, 'GB', prices.natGatewayGb),
    line('Network load balancer', HOURS_PER_MONTH, 'hour', prices.nlbHour),
    line('VPC flow logs ingestion', 0, 'GB', prices.logsIngestionGb),
  ];
}

/** The estimate for the stack the profiles describe, at its region's list prices. */
export function estimateCost(profiles: StackProfiles, traffic?: CostTraffic): CostEstimate {
  return estimateCostOf(costInputsOf(profiles), traffic);
}

/** The estimate from its inputs (what a screen holds), with the traffic measured if any. */
export function estimateCostOf(inputs: CostInputs, traffic?: CostTraffic): CostEstimate {
  const region = inputs.region;
  const prices = requirePrices(region);
  const measured = traffic?.source === 'cloudwatch' ? traffic : null;
  const environments = inputs.environments.map((e) => environmentCost(e.name, e, prices, measured ? monthlyMillions(measured.requests[e.name] ?? 0, measured.days) : 0));
  const lines = sharedLines(inputs.natGateways, prices);
  const shared = { monthly: sum(lines), lines };
  return {
    region,
    pricesAsOf: PRICES_AS_OF,
    source: PRICES_SOURCE,
    environments,
    shared,
    monthly: cents(environments.reduce((total, e) => total + e.monthly, shared.monthly)),
    notes: traffic ? trafficNotes(traffic) : COST_NOTES,
    ...(traffic ? { traffic } : {}),
  };
}

/** The notes, the traffic one saying what was measured, or why nothing was. */
function trafficNotes(traffic: CostTraffic): string[] {
  const [tasks, , left] = COST_NOTES;
  const said =
    traffic.source === 'cloudwatch'
      ? `requests: each environment's API Gateway requests of the last ${traffic.days} days (CloudWatch), scaled to a month of ${HOURS_PER_MONTH} hours; log ingestion and NAT data processed are at 0 (each is priced per unit, shown on its line)`
      : `assumes no traffic (${traffic.why}): requests, log ingestion and NAT data processed are at 0 (each is priced per unit, shown on its line)`;
  return [tasks, said, left];
}

/** What a deploy's change of capacity or task size does to the month's bill. */
export function costChangeText(environment: EnvironmentName, region: string, before: { tasks: number; size: TaskSize } | undefined, after: { tasks: number; size: TaskSize }): string {
  const prices = pricesFor(region);
  if (!prices) return `unknown: no list prices for region ${region}`;
  const now = taskMonthly(after.tasks, after.size, prices);
  const what = (x: { tasks: number; size: TaskSize }) => `${x.tasks} task${x.tasks === 1 ? '' : 's'} of ${describeTaskSize(x.size)}`;
  if (!before) return `${money(now, true)}/month: ${environment}'s ${what(after)} ${after.tasks === 1 ? 'is' : 'are'} new (list prices, tasks at minCapacity)`;
  const delta = cents(now - taskMonthly(before.tasks, before.size, prices));
  if (delta === 0 && before.tasks === after.tasks && before.size.cpu === after.size.cpu && before.size.memory === after.size.memory) {
    return `no change: ${environment}'s ${what(after)}, ${money(now)}/month`;
  }
  return `${money(delta, true)}/month: ${environment} ${what(before)} -> ${what(after)} (list prices, tasks at minCapacity)`;
}

/** `18.02` -> `$18`, `3.5` -> `$3.50`; `signed` adds `+` or `-`. */
export function money(usd: number, signed = false): string {
  const abs = Math.abs(usd);
  const text = abs >= 10 ? `$${Math.round(abs)}` : `$${abs.toFixed(2)}`;
  if (!signed) return usd < 0 ? `-${text}` : text;
  return `${usd < 0 ? '-' : '+'}${text}`;
}

function sum(lines: readonly CostLine[]): number {
  return cents(lines.reduce((total, l) => total + l.monthly, 0));
}

/** To the cent, half up; `toFixed(6)` first, so 16.425 stored as 16.42499... still rounds to 16.43. */
function cents(usd: number): number {
  return Math.round(Number((usd * 100).toFixed(6))) / 100;
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
