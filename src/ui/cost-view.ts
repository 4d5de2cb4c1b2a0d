import { estimateCostOf, money, type CostEstimate, type CostTraffic } from '../config/cost.js';
import type { EnvironmentName } from '../config/schema.js';
import type { StackInfo } from '../state/dashboard.js';
import type { StatusSnapshot } from '../state/status-types.js';

/**
 * The dashboard's cost estimate: the same computation as `cost`, from the
 * profiles' task sizes and capacities the stack info holds, with the last 7
 * days' requests the poller reads once an hour when CloudWatch is readable.
 * Pure: a screen calls it with the state it draws.
 */
export type DashboardEstimate = { readonly estimate: CostEstimate } | { readonly unavailable: string };

export function trafficOf(snapshot: StatusSnapshot | null): CostTraffic {
  const t = snapshot?.traffic;
  if (t) return { source: 'cloudwatch', days: t.days, requests: t.requests };
  if (snapshot?.metricsError) return { source: 'none', why: 'CloudWatch could not be read' };
  return { source: 'none', why: 'the requests are not read yet' };
}

export function dashboardEstimate(stack: StackInfo | null, snapshot: StatusSnapshot | null): DashboardEstimate {
  if (!stack?.cost) return { unavailable: 'the profiles are being read' };
  try {
    return { estimate: estimateCostOf(stack.cost, trafficOf(snapshot)) };
  } catch (error) {
    // A region the price table lacks: said where the figure would be.
    return { unavailable: error instanceof Error ? error.message : String(error) };
  }
}

/** One panel's figure, said after its capacity: its month, and where the requests come from. */
export function panelCostText(view: DashboardEstimate, environment: EnvironmentName): string {
  if ('unavailable' in view) return `cost unknown: ${view.unavailable}`;
  const e = view.estimate.environments.find((x) => x.name === environment);
  if (!e) return 'cost -';
  const t = view.estimate.traffic;
  return `${money(e.monthly)}/month (${t?.source === 'cloudwatch' ? `last ${t.days} d of requests` : 'no traffic assumed'}; c)`;
}
