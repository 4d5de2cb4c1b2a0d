import { primaryDeployment } from './health.js';
import type { ServiceInfo, ServiceRollback } from './status-api.js';
import type { AlarmRollback } from './status-types.js';

/**
 * ECS's service events when a deployment alarm fails a rollout and the
 * service rolls back, as ECS writes them:
 *
 *     (service S) (deployment ecs-svc/N) deployment failed: alarm detected.
 *     (service S) rolling back to deployment ecs-svc/M.
 *
 * (ECS events captured in aws/copilot-cli, internal/pkg/stream/ecs_deployment_test.go,
 * which watches deployment alarms the same way.) Neither names the alarm, and
 * the failed deployment, with its rolloutStateReason, is gone from
 * DescribeServices once the rollback completes; the events stay. The alarm
 * itself is named by ECS's service deployment (DescribeServiceDeployments:
 * `alarms.triggeredAlarmNames`), read only when such an event is seen.
 */
export const ALARM_FAILURE_RE = /deployment failed: alarm detected/i;
const ROLLED_BACK_TO_RE = /rolling back to deployment (ecs-svc\/[0-9]{1,40})/i;

/** A CloudWatch alarm name as shown: 1-255 characters, none a control character. */
const ALARM_NAME_RE = /^[^\x00-\x1f\x7f-\x9f]{1,255}$/;
/** Alarms told per rollback, at most (ECS allows 10 deployment alarms per service). */
const ALARMS_MAX = 10;

export function isAlarmName(value: unknown): value is string {
  return typeof value === 'string' && ALARM_NAME_RE.test(value);
}

/** Only well-formed alarm names, at most {@link ALARMS_MAX}: AWS's answer is not trusted as it comes. */
export function alarmNamesOf(values: unknown): string[] {
  return Array.isArray(values) ? values.filter(isAlarmName).slice(0, ALARMS_MAX) : [];
}

/**
 * The newest event saying an alarm failed a deployment of the service, if
 * it is about the deployment running now (no deployment started since).
 */
export function alarmFailureEvent(service: ServiceInfo): { at: string; message: string } | null {
  const event = service.events.find((e) => ALARM_FAILURE_RE.test(e.message));
  if (!event) return null;
  const primary = primaryDeployment(service);
  // A deployment created after the event is a new rollout: the rollback is history.
  if (primary?.createdAt && Date.parse(primary.createdAt) > Date.parse(event.createdAt)) return null;
  return { at: event.createdAt, message: event.message };
}

/**
 * What the panel and `status --json` say of a rollback by alarm: the alarms
 * ECS found in ALARM when it read them (`triggered`), else the alarms that
 * guard the service (one of them fired).
 */
export function alarmRollbackOf(service: ServiceInfo, event: { at: string }, rollback: ServiceRollback | null): AlarmRollback {
  const triggered = alarmNamesOf(rollback?.triggeredAlarmNames);
  const to = service.events.find((e) => Date.parse(e.createdAt) >= Date.parse(event.at) && ROLLED_BACK_TO_RE.test(e.message));
  return {
    at: event.at,
    alarms: triggered.length > 0 ? triggered : alarmNamesOf(service.alarmNames),
    triggered: triggered.length > 0,
    status: rollback?.status && /^ROLLBACK_[A-Z_]{1,20}$/.test(rollback.status) ? rollback.status : null,
    rolledBackTo: to ? ROLLED_BACK_TO_RE.exec(to.message)![1] : null,
  };
}

/** One line: `rolled back by alarm X` or `rolled back by an alarm: one of X, Y`. */
export function alarmRollbackText(rollback: AlarmRollback): string {
  const to = rollback.rolledBackTo ? ` to ${rollback.rolledBackTo}` : '';
  if (rollback.alarms.length === 0) return `rolled back${to}: an alarm failed the deployment`;
  if (rollback.triggered) return `rolled back${to} by alarm ${rollback.alarms.join(', ')}`;
  return `rolled back${to} by an alarm: one of ${rollback.alarms.join(', ')}`;
}
