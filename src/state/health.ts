import type { AwsErrorKind, Health, StatusSnapshot } from './status-types.js';
import type { DeploymentInfo, ServiceInfo, TargetInfo, TaskInfo } from './status-api.js';

/**
 * The health of one environment from what was read of it, in one pure
 * function so the rules (PRODUCT.md section 6, issue 5) are tested as a table:
 *
 * - `healthy`: running = desired, the rollout completed, every target healthy;
 * - `deploying`: a rollout in progress (or the stack being created);
 * - `degraded`: some tasks running, a failed rollout, or some targets unhealthy;
 * - `down`: none running while desired > 0, the service or stack gone, or the stack failed;
 * - `unknown`: a part needed to decide could not be read.
 */

/** Stack states in which no environment can be serving. */
const STACK_DOWN = new Set(['CREATE_FAILED', 'ROLLBACK_IN_PROGRESS', 'ROLLBACK_FAILED', 'ROLLBACK_COMPLETE', 'DELETE_IN_PROGRESS', 'DELETE_FAILED', 'DELETE_COMPLETE']);
/** A stuck stack whose services still run what they ran. */
const STACK_STUCK = new Set(['UPDATE_ROLLBACK_FAILED']);

export function isStackInProgress(status: string): boolean {
  return status.endsWith('_IN_PROGRESS');
}

/**
 * What happens to the stack after a deploy was cancelled, given its status
 * then; undefined when nothing is left running. A first deploy cancelled
 * while CloudFormation prepared its change set leaves REVIEW_IN_PROGRESS: no
 * resource exists and nothing will happen by itself; the next deploy creates
 * the stack afresh, as cdk does.
 */
export function afterCancel(stackStatus: string | null): string | undefined {
  if (stackStatus === 'REVIEW_IN_PROGRESS') return 'nothing was created (the first change set was never executed); the next deploy creates the stack afresh';
  if (stackStatus && isStackInProgress(stackStatus)) return 'CloudFormation finishes or rolls back the update on its own';
  return undefined;
}

/** A failure's kind in a few words, for a header. */
export const ERROR_KIND_WORDS: Readonly<Record<AwsErrorKind, string>> = {
  credentials: 'credentials refused',
  'access-denied': 'access denied',
  throttled: 'throttled',
  server: 'AWS server error',
  timeout: 'timed out',
  network: 'network error',
  'bad-response': 'unreadable reply',
  'not-found': 'not found',
  other: 'error',
};

/**
 * The stack's status for a header line: its status when known, else why
 * not. "stack not found" only when CloudFormation said the stack does not
 * exist; a read that failed says so, with the kind of failure.
 */
export function stackStatusWords(s: Pick<StatusSnapshot, 'stackStatus' | 'error' | 'errorKind'>): string {
  if (s.stackStatus) return s.stackStatus;
  if (s.error && s.errorKind !== 'not-found') return `stack not read (${ERROR_KIND_WORDS[s.errorKind ?? 'other']})`;
  return 'stack not found';
}

export interface TargetsSummary {
  readonly healthy: number;
  readonly unhealthy: number;
  readonly other: number;
  /** Distinct reasons given for unhealthy targets. */
  readonly reasons: readonly string[];
}

export interface HealthInput {
  /** The stack's status, or `missing` when it does not exist. */
  readonly stack: { readonly status: string; readonly statusReason?: string | null } | 'missing';
  /** The output naming this environment's service, when the stack has it; null when the stack holds no such environment. */
  readonly serviceOutput: string | null;
  /** The name of the output that is looked for (`DevServiceName`), for the reason. */
  readonly serviceOutputName: string;
  /** The ECS service; `missing` when ECS does not know it; null when it could not be read. */
  readonly service: ServiceInfo | 'missing' | null;
  readonly serviceError?: string | null;
  /** Null when the target health could not be read. */
  readonly targets: TargetsSummary | null;
  readonly targetsError?: string | null;
  /** Why recent tasks of the current deployment stopped, newest first. */
  readonly stoppedReasons?: readonly string[];
}

export interface HealthVerdict {
  readonly health: Health;
  /** Null when healthy; else why, in words. */
  readonly reason: string | null;
}

export function summarizeTargets(targets: readonly TargetInfo[]): TargetsSummary {
  let healthy = 0;
  let unhealthy = 0;
  const reasons = new Set<string>();
  for (const t of targets) {
    if (t.state === 'healthy') healthy++;
    else if (t.state === 'unhealthy') {
      unhealthy++;
      const why = t.description ?? t.reason;
      if (why) reasons.add(why);
    }
  }
  return { healthy, unhealthy, other: targets.length - healthy - unhealthy, reasons: [...reasons] };
}

export function primaryDeployment(service: ServiceInfo): DeploymentInfo | undefined {
  return service.deployments.find((d) => d.status === 'PRIMARY');
}

/** A rollout is in progress while the primary deployment says so or an older one still has tasks. */
export function rolloutInProgress(service: ServiceInfo): boolean {
  const primary = primaryDeployment(service);
  if (primary?.rolloutState === 'IN_PROGRESS') return true;
  return service.deployments.some((d) => d.status === 'ACTIVE' && d.runningCount + d.pendingCount > 0);
}

/** One line for a stopped task: its reason and the first failing container's exit. */
export function stoppedTaskReason(task: TaskInfo): string {
  const failing = task.containers.find((c) => (c.exitCode !== null && c.exitCode !== 0) || c.reason);
  const base = task.stoppedReason ?? task.stopCode ?? 'stopped';
  if (!failing) return base;
  const detail = [failing.exitCode !== null ? `exit ${failing.exitCode}` : null, failing.reason].filter(Boolean).join(', ');
  return `${base} (${failing.name}: ${detail})`;
}

/**
 * The stopped tasks worth showing: the service's, of its current task
 * definition, newest first, without the scheduler's routine scale-ins.
 */
export function relevantStoppedTasks(tasks: readonly TaskInfo[], service: ServiceInfo): TaskInfo[] {
  const taskDefinition = primaryDeployment(service)?.taskDefinition ?? service.taskDefinition;
  return tasks
    .filter((t) => t.group === `service:${service.serviceName}` && t.lastStatus === 'STOPPED')
    .filter((t) => t.taskDefinitionArn === taskDefinition)
    .filter((t) => !/^Scaling activity initiated by/.test(t.stoppedReason ?? ''))
    .sort((a, b) => stoppedTime(b) - stoppedTime(a));
}

/** A task with no stop time sorts last. */
function stoppedTime(task: TaskInfo): number {
  const t = Date.parse(task.stoppedAt ?? '');
  return Number.isNaN(t) ? -Infinity : t;
}

export function deriveHealth(input: HealthInput): HealthVerdict {
  const { stack } = input;
  if (stack === 'missing') return { health: 'down', reason: 'the stack does not exist (not deployed yet?)' };
  const stackWords = `stack ${stack.status}${stack.statusReason ? `: ${stack.statusReason}` : ''}`;
  if (STACK_DOWN.has(stack.status)) return { health: 'down', reason: stackWords };
  if (input.serviceOutput === null) {
    if (isStackInProgress(stack.status)) return { health: 'deploying', reason: stackWords };
    return { health: 'down', reason: `not deployed: the stack has no ${input.serviceOutputName} output` };
  }
  const service = input.service;
  if (service === null) return { health: 'unknown', reason: input.serviceError ?? 'the ECS service could not be read' };
  if (service === 'missing') return { health: 'down', reason: `ECS service ${input.serviceOutput} is missing` };
  if (service.status !== 'ACTIVE') return { health: 'down', reason: `ECS service ${service.serviceName} is ${service.status}` };

  const stopped = input.stoppedReasons ?? [];
  const lastStop = stopped.length > 0 ? `last stopped task: ${stopped[0]}` : null;
  const running = `${service.runningCount} of ${service.desiredCount} tasks running`;
  const primary = primaryDeployment(service);
  const join = (...parts: (string | null | undefined)[]) => parts.filter(Boolean).join('; ');

  if (rolloutInProgress(service)) {
    const progress = primary ? `rollout in progress: ${primary.runningCount} of ${primary.desiredCount} new tasks running` : 'rollout in progress';
    return { health: 'deploying', reason: join(progress, lastStop) };
  }
  if (service.desiredCount > 0 && service.runningCount === 0) {
    const failed = primary?.rolloutState === 'FAILED' ? `rollout failed: ${primary.rolloutStateReason ?? 'no reason given'}` : null;
    return { health: 'down', reason: join(running, failed, lastStop ?? service.events[0]?.message) };
  }
  let verdict: HealthVerdict | null = null;
  if (primary?.rolloutState === 'FAILED') verdict = { health: 'degraded', reason: join(`rollout failed: ${primary.rolloutStateReason ?? 'no reason given'}`, lastStop) };
  else if (service.runningCount < service.desiredCount) verdict = { health: 'degraded', reason: join(running, lastStop) };
  else if (input.targets === null) return { health: 'unknown', reason: input.targetsError ?? 'target health could not be read' };
  else if (input.targets.unhealthy > 0) {
    const t = input.targets;
    verdict = { health: 'degraded', reason: join(`${t.unhealthy} of ${t.healthy + t.unhealthy + t.other} targets unhealthy${t.reasons.length ? ` (${t.reasons.join('; ')})` : ''}`, lastStop) };
  } else if (service.desiredCount > 0 && input.targets.healthy === 0) {
    verdict = { health: 'degraded', reason: join('no healthy targets in the load balancer', lastStop) };
  }
  if (verdict) return verdict;
  if (STACK_STUCK.has(stack.status)) return { health: 'degraded', reason: `${stackWords} (the service runs, but the stack needs \`continue-update-rollback\`)` };
  return { health: 'healthy', reason: null };
}
