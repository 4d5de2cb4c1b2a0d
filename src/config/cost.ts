import { UserError } from '../errors.js';
import type { StackProfiles } from './pairing.js';
import { PRICES, PRICES_AS_OF, PRICES_SOURCE, pricesFor, type RegionPrices } from './prices.js';
import type { EnvironmentName, ResolvedProfile } from './schema.js';
import { describeTaskSize, type TaskSize } from './task-size.js';
import { ROLLOUT_ALARM_KINDS } from './names.js';

/**
 * The monthly estimate of PRODUCT.md's `cost`: list prices times what the
 * profiles ask for, offline. Tasks run at minCapacity all month (the steady
 * desired count when autoscaling has nothing to do); traffic-priced items are
 * listed at zero, since no metrics are read.
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

export interface CostEstimate {
  readonly region: string;
  readonly pricesAsOf: string;
  readonly source: string;
  readonly environments: readonly EnvironmentCost[];
  readonly shared: { readonly monthly: number; readonly lines: readonly CostLine[] };
  readonly monthly: number;
  readonly notes: readonly string[];
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

export function environmentCost(name: EnvironmentName, profile: ResolvedProfile, prices: RegionPrices): EnvironmentCost {
  const size = { cpu: profile.cpu, memory: profile.memory };
  const lines = [
    ...taskLines(profile.minCapacity, size, prices),
    line('API Gateway requests', 0, 'million requests', prices.apiGatewayRestPerMillion),
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
export function estimateCost(profiles: StackProfiles): CostEstimate {
  const region = profiles.place.region;
  const prices = requirePrices(region);
  const present: [EnvironmentName, ResolvedProfile][] = profiles.dev ? [['dev', profiles.dev], ['prod', profiles.prod]] : [['prod', profiles.prod]];
  const environments = present.map(([name, profile]) => environmentCost(name, profile, prices));
  const lines = sharedLines(profiles.prod.natGateways, prices);
  const shared = { monthly: sum(lines), lines };
  return {
    region,
    pricesAsOf: PRICES_AS_OF,
    source: PRICES_SOURCE,
    environments,
    shared,
    monthly: cents(environments.reduce((total, e) => total + e.monthly, shared.monthly)),
    notes: COST_NOTES,
  };
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
