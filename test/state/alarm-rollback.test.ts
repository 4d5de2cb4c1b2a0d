/**
 * A rollout rolled back by a deployment alarm, as the status poller tells it:
 * detected from ECS's own events, the alarm named by ECS's service deployment
 * (read once per rollback, not every poll), validated before use, and gone
 * once a new deployment starts. Real SDK clients against the fake ECS.
 */
import { describe, expect, it } from 'vitest';
import { createStatusApi } from '../../src/state/aws-clients.js';
import { alarmFailureEvent, alarmRollbackOf, alarmRollbackText, alarmNamesOf } from '../../src/state/alarm-rollback.js';
import type { ServiceInfo } from '../../src/state/status-api.js';
import { namesOf, rollBackOnAlarm, startRollout } from '../fake-aws/scenario.js';
import { useFakeAws } from '../helpers/fake-aws.js';

const { fake, onCleanup, statusPoller } = useFakeAws();
const STACK = 'BenchlingWebhookStack';

/** A poller of the stack with no account from the profiles. */
const makePoller = () => statusPoller({ stackName: STACK, account: undefined, intervalMs: 20 }).poller;

describe('a rollout rolled back by an alarm', () => {
  it('names the alarm ECS found in ALARM, for that environment only; status --json carries it', async () => {
    rollBackOnAlarm(fake.scenario, 'prod', '0.8.0', `${STACK}-prod-5xx`);
    const snap = await makePoller().snapshot();
    const prod = snap.environments.find((e) => e.name === 'prod')!;
    const dev = snap.environments.find((e) => e.name === 'dev')!;
    expect(prod.rolledBackByAlarm).toMatchObject({
      alarms: [`${STACK}-prod-5xx`],
      triggered: true,
      status: 'ROLLBACK_SUCCESSFUL',
      rolledBackTo: expect.stringMatching(/^ecs-svc\/\d+$/),
    });
    expect(alarmRollbackText(prod.rolledBackByAlarm!)).toBe(`rolled back to ${prod.rolledBackByAlarm!.rolledBackTo} by alarm ${STACK}-prod-5xx`);
    expect(dev.rolledBackByAlarm).toBeNull();
    expect(prod.error).toBeNull();
    // The service runs its previous deployment again: healthy, not failing.
    expect(prod.health).toBe('healthy');
    expect(JSON.parse(JSON.stringify(snap)).environments[1].rolledBackByAlarm.alarms).toEqual([`${STACK}-prod-5xx`]);
  });

  it('reads ECS service deployments once per rollback, not every poll, and never without one', async () => {
    const poller = makePoller();
    await poller.snapshot();
    await poller.snapshot();
    expect(fake.calls.count('ListServiceDeployments')).toBe(0);
    rollBackOnAlarm(fake.scenario, 'dev', 'next', `${STACK}-dev-unhealthy-targets`);
    for (let i = 0; i < 3; i++) await poller.snapshot();
    expect(fake.calls.count('ListServiceDeployments')).toBe(1);
    expect(fake.calls.count('DescribeServiceDeployments')).toBe(1);
    expect(poller.current()!.environments[0].rolledBackByAlarm?.alarms).toEqual([`${STACK}-dev-unhealthy-targets`]);
  });

  it('says no more once a new deployment starts', async () => {
    rollBackOnAlarm(fake.scenario, 'prod', '0.8.0', `${STACK}-prod-5xx`, { at: new Date(Date.now() - 60_000) });
    const poller = makePoller();
    expect((await poller.snapshot()).environments[1].rolledBackByAlarm).not.toBeNull();
    startRollout(fake.scenario, 'prod', '0.8.1');
    expect((await poller.snapshot()).environments[1].rolledBackByAlarm).toBeNull();
  });

  it('without ECS service deployments readable, still says an alarm rolled it back, naming the alarms that guard it', async () => {
    rollBackOnAlarm(fake.scenario, 'prod', '0.8.0', `${STACK}-prod-5xx`);
    fake.inject({ kind: 'server-error', operation: 'ListServiceDeployments' });
    const prod = (await makePoller().snapshot()).environments[1];
    expect(prod.rolledBackByAlarm).toMatchObject({ alarms: [`${STACK}-prod-5xx`, `${STACK}-prod-unhealthy-targets`], triggered: false, status: null });
    expect(alarmRollbackText(prod.rolledBackByAlarm!)).toMatch(new RegExp(`by an alarm: one of ${STACK}-prod-5xx, ${STACK}-prod-unhealthy-targets$`));
    expect(prod.error).toMatch(/ECS DescribeServiceDeployments: /);
  });

  it('reads the guarding alarms from DescribeServices as the stack set them', async () => {
    rollBackOnAlarm(fake.scenario, 'dev', 'x', `${STACK}-dev-5xx`);
    const api = createStatusApi({ region: 'us-east-1', maxAttempts: 1 });
    onCleanup(() => api.close());
    const names = namesOf(fake.scenario, 'dev');
    const read = await api.describeServices(names.cluster, [names.service]);
    expect(read.services[0].alarmNames).toEqual([`${STACK}-dev-5xx`, `${STACK}-dev-unhealthy-targets`]);
  });
});

describe('what is taken from ECS', () => {
  const service = (over: Partial<ServiceInfo>): ServiceInfo => ({
    serviceName: 's',
    status: 'ACTIVE',
    desiredCount: 1,
    runningCount: 1,
    pendingCount: 0,
    taskDefinition: 'td:1',
    deployments: [{ id: 'ecs-svc/1', status: 'PRIMARY', taskDefinition: 'td:1', desiredCount: 1, runningCount: 1, pendingCount: 0, failedTasks: 0, rolloutState: 'COMPLETED', rolloutStateReason: null, createdAt: '2026-01-01T00:00:00.000Z' }],
    events: [],
    ...over,
  });

  it('only an event that says an alarm failed the deployment counts, and not one older than the running deployment', () => {
    const at = '2026-01-02T00:00:00.000Z';
    expect(alarmFailureEvent(service({ events: [{ createdAt: at, message: '(service s) (deployment ecs-svc/9) deployment failed: tasks failed to start.' }] }))).toBeNull();
    expect(alarmFailureEvent(service({ events: [{ createdAt: at, message: '(service s) (deployment ecs-svc/9) deployment failed: alarm detected.' }] }))).toEqual({
      at,
      message: '(service s) (deployment ecs-svc/9) deployment failed: alarm detected.',
    });
    expect(alarmFailureEvent(service({ events: [{ createdAt: '2025-12-31T00:00:00.000Z', message: 'deployment failed: alarm detected.' }] }))).toBeNull();
  });

  it('drops alarm names that are not names (control characters, too long, not strings) and keeps ten at most', () => {
    expect(alarmNamesOf(['ok-1', 'bad\u001b[2J', 'x'.repeat(256), 7, null, 'ok-2'])).toEqual(['ok-1', 'ok-2']);
    expect(alarmNamesOf(Array.from({ length: 50 }, (_, i) => `a${i}`))).toHaveLength(10);
    expect(alarmNamesOf('not a list')).toEqual([]);
    const r = alarmRollbackOf(service({ alarmNames: ['g\u0007'] }), { at: '2026-01-02T00:00:00.000Z' }, { serviceDeploymentArn: 'a', status: 'ROLLBACK_SUCCESSFUL\n', triggeredAlarmNames: ['\u001b]0;x'], startedAt: null });
    expect(r).toEqual({ at: '2026-01-02T00:00:00.000Z', alarms: [], triggered: false, status: null, rolledBackTo: null });
    expect(alarmRollbackText(r)).toBe('rolled back: an alarm failed the deployment');
  });
});
