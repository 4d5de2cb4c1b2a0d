import { describe, expect, it } from 'vitest';
import { deriveHealth, relevantStoppedTasks, stoppedTaskReason, summarizeTargets, type HealthInput } from '../../src/state/health.js';
import type { DeploymentInfo, ServiceInfo, TaskInfo } from '../../src/state/status-api.js';
import type { Health } from '../../src/state/status-types.js';

const deployment = (over: Partial<DeploymentInfo> = {}): DeploymentInfo => ({
  id: 'ecs-svc/1',
  status: 'PRIMARY',
  taskDefinition: 'td:2',
  desiredCount: 2,
  runningCount: 2,
  pendingCount: 0,
  failedTasks: 0,
  rolloutState: 'COMPLETED',
  rolloutStateReason: null,
  createdAt: '2025-01-01T00:00:00.000Z',
  ...over,
});

const service = (over: Partial<ServiceInfo> = {}, deployments: DeploymentInfo[] = [deployment()]): ServiceInfo => ({
  serviceName: 'svc',
  status: 'ACTIVE',
  desiredCount: 2,
  runningCount: 2,
  pendingCount: 0,
  taskDefinition: 'td:2',
  deployments,
  events: [{ createdAt: '2025-01-01T00:00:00.000Z', message: '(service svc) has reached a steady state.' }],
  ...over,
});

const allHealthy = { healthy: 2, unhealthy: 0, other: 0, reasons: [] };
const base: HealthInput = {
  stack: { status: 'UPDATE_COMPLETE' },
  serviceOutput: 'svc',
  serviceOutputName: 'DevServiceName',
  service: service(),
  targets: allHealthy,
};

type Row = [string, Partial<HealthInput>, Health, RegExp | null];

const table: Row[] = [
  ['all running, rollout completed, targets healthy', {}, 'healthy', null],
  ['scaled to zero is not down', { service: service({ desiredCount: 0, runningCount: 0 }, [deployment({ desiredCount: 0, runningCount: 0 })]), targets: { healthy: 0, unhealthy: 0, other: 0, reasons: [] } }, 'healthy', null],
  ['draining targets alongside healthy ones', { targets: { healthy: 2, unhealthy: 0, other: 1, reasons: [] } }, 'healthy', null],
  ['stack does not exist', { stack: 'missing' }, 'down', /stack does not exist/],
  ['stack failed to create', { stack: { status: 'ROLLBACK_COMPLETE', statusReason: 'The following resource(s) failed to create' } }, 'down', /stack ROLLBACK_COMPLETE: The following/],
  ['stack being deleted', { stack: { status: 'DELETE_IN_PROGRESS' } }, 'down', /DELETE_IN_PROGRESS/],
  ['stack stuck in UPDATE_ROLLBACK_FAILED, service fine', { stack: { status: 'UPDATE_ROLLBACK_FAILED' } }, 'degraded', /continue-update-rollback/],
  ['environment not in the stack', { serviceOutput: null, service: null, targets: null }, 'down', /no DevServiceName output/],
  ['environment not in the stack while it is being created', { stack: { status: 'CREATE_IN_PROGRESS' }, serviceOutput: null, service: null, targets: null }, 'deploying', /CREATE_IN_PROGRESS/],
  ['service unreadable', { service: null, serviceError: 'ECS DescribeServices: ThrottlingException: Rate exceeded' }, 'unknown', /Rate exceeded/],
  ['service missing in ECS', { service: 'missing' }, 'down', /ECS service svc is missing/],
  ['service inactive', { service: service({ status: 'INACTIVE' }) }, 'down', /INACTIVE/],
  [
    'rollout in progress',
    { service: service({}, [deployment({ rolloutState: 'IN_PROGRESS', runningCount: 1, id: 'new' }), deployment({ status: 'ACTIVE', id: 'old' })]) },
    'deploying',
    /rollout in progress: 1 of 2 new tasks running/,
  ],
  [
    'old deployment still draining after the new one completed',
    { service: service({}, [deployment(), deployment({ status: 'ACTIVE', runningCount: 1, id: 'old' })]) },
    'deploying',
    /rollout in progress/,
  ],
  [
    'rollout in progress with crashing tasks keeps deploying, with the reason',
    { service: service({ runningCount: 0 }, [deployment({ rolloutState: 'IN_PROGRESS', runningCount: 0 })]), stoppedReasons: ['Essential container in task exited (app: exit 1)'] },
    'deploying',
    /last stopped task: Essential container in task exited \(app: exit 1\)/,
  ],
  ['none running while desired', { service: service({ runningCount: 0 }), stoppedReasons: ['CannotPullContainerError: pull image manifest has been retried'] }, 'down', /0 of 2 tasks running; last stopped task: CannotPullContainerError/],
  ['none running, no stopped task: the newest event says why', { service: service({ runningCount: 0 }) }, 'down', /0 of 2 tasks running; \(service svc\) has reached/],
  ['none running after a failed rollout', { service: service({ runningCount: 0 }, [deployment({ rolloutState: 'FAILED', rolloutStateReason: 'circuit breaker: tasks failed to start', runningCount: 0 })]) }, 'down', /rollout failed: circuit breaker/],
  ['some running', { service: service({ runningCount: 1 }), stoppedReasons: ['Task failed ELB health checks'] }, 'degraded', /1 of 2 tasks running; last stopped task: Task failed ELB health checks/],
  ['rollout failed but tasks run', { service: service({}, [deployment({ rolloutState: 'FAILED', rolloutStateReason: 'circuit breaker' })]) }, 'degraded', /rollout failed: circuit breaker/],
  ['a target unhealthy', { targets: { healthy: 1, unhealthy: 1, other: 0, reasons: ['Health checks failed with these codes: [502]'] } }, 'degraded', /1 of 2 targets unhealthy \(Health checks failed with these codes: \[502\]\)/],
  ['no healthy target at all', { targets: { healthy: 0, unhealthy: 0, other: 2, reasons: [] } }, 'degraded', /no healthy targets/],
  ['targets unreadable while the service is fine', { targets: null, targetsError: 'ELBv2 DescribeTargetHealth: InternalFailure' }, 'unknown', /InternalFailure/],
  ['targets unreadable but the service is down: still down', { targets: null, service: service({ runningCount: 0 }) }, 'down', /0 of 2/],
];

describe('deriveHealth', () => {
  it.each(table)('%s', (_name, over, health, reason) => {
    const verdict = deriveHealth({ ...base, ...over });
    expect(verdict.health).toBe(health);
    if (reason === null) expect(verdict.reason).toBeNull();
    else expect(verdict.reason).toMatch(reason);
  });
});

describe('the parts of a verdict', () => {
  it('summarizes targets by state, with distinct reasons', () => {
    expect(
      summarizeTargets([
        { id: 'a', state: 'healthy', reason: null, description: null },
        { id: 'b', state: 'unhealthy', reason: 'Target.FailedHealthChecks', description: 'Health checks failed' },
        { id: 'c', state: 'unhealthy', reason: 'Target.FailedHealthChecks', description: 'Health checks failed' },
        { id: 'd', state: 'draining', reason: 'Target.DeregistrationInProgress', description: null },
        { id: 'e', state: 'initial', reason: null, description: null },
      ]),
    ).toEqual({ healthy: 1, unhealthy: 2, other: 2, reasons: ['Health checks failed'] });
  });

  const task = (over: Partial<TaskInfo>): TaskInfo => ({
    taskArn: 'arn:task/1',
    group: 'service:svc',
    lastStatus: 'STOPPED',
    taskDefinitionArn: 'td:2',
    createdAt: '2025-01-01T00:00:00.000Z',
    stoppedAt: '2025-01-01T00:01:00.000Z',
    stoppedReason: 'Essential container in task exited',
    stopCode: 'EssentialContainerExited',
    containers: [{ name: 'app', image: null, imageDigest: null, exitCode: 137, reason: 'OutOfMemoryError: Container killed due to memory usage' }],
    ...over,
  });

  it('words a stopped task with its failing container', () => {
    expect(stoppedTaskReason(task({}))).toBe('Essential container in task exited (app: exit 137, OutOfMemoryError: Container killed due to memory usage)');
    expect(stoppedTaskReason(task({ containers: [{ name: 'app', image: null, imageDigest: null, exitCode: 0, reason: null }] }))).toBe('Essential container in task exited');
    expect(stoppedTaskReason(task({ stoppedReason: null, containers: [] }))).toBe('EssentialContainerExited');
  });

  it('keeps the current deployment\'s stopped tasks, newest first, without routine scale-ins', () => {
    const tasks = [
      task({ taskArn: 'old-def', taskDefinitionArn: 'td:1' }),
      task({ taskArn: 'other-service', group: 'service:other' }),
      task({ taskArn: 'scale-in', stoppedReason: 'Scaling activity initiated by (deployment ecs-svc/1)' }),
      task({ taskArn: 'no-time', stoppedAt: null }),
      task({ taskArn: 'older', stoppedAt: '2025-01-01T00:01:00.000Z' }),
      task({ taskArn: 'newer', stoppedAt: '2025-01-01T00:05:00.000Z' }),
      task({ taskArn: 'running', lastStatus: 'RUNNING', stoppedAt: null }),
    ];
    expect(relevantStoppedTasks(tasks, service()).map((t) => t.taskArn)).toEqual(['newer', 'older', 'no-time']);
  });
});
