import type { DashboardState, KeyPress, PlanView, StackInfo } from '../../src/state/dashboard.js';
import { initialDashboard, reduce, type DashboardAction, type Effect } from '../../src/state/dashboard.js';
import { initialSetupForm, setupFormReducer, type SetupFormAction } from '../../src/state/setup-form.js';
import type { EnvironmentStatus, StatusSnapshot } from '../../src/state/status-types.js';
import type { LogLine } from '../../src/state/log-types.js';

export const NOW = Date.parse('2026-11-26T12:00:00.000Z');

export const BOTH: StackInfo = {
  stackName: 'BenchlingWebhookStack',
  region: 'us-east-1',
  account: '123456789012',
  environments: [
    { name: 'dev', profile: 'dev' },
    { name: 'prod', profile: 'default' },
  ],
  awsProfile: 'acme-admin',
};

export const PROD_ONLY: StackInfo = { ...BOTH, environments: [{ name: 'prod', profile: 'default' }] };

export function envStatus(name: 'dev' | 'prod', overrides: Partial<EnvironmentStatus> = {}): EnvironmentStatus {
  return {
    name,
    profile: name === 'dev' ? 'dev' : 'default',
    imageTag: name === 'dev' ? 'latest' : '0.7.0',
    endpoint: `https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/${name}`,
    service: { running: name === 'dev' ? 1 : 2, desired: name === 'dev' ? 1 : 2, pending: 0, rolloutState: 'COMPLETED' },
    targets: { healthy: name === 'dev' ? 1 : 2, unhealthy: 0, other: 0 },
    health: 'healthy',
    reason: null,
    error: null,
    readAt: { service: new Date(NOW - 2000).toISOString(), targets: new Date(NOW - 2000).toISOString() },
    lastDeploy: { imageTag: name === 'dev' ? 'latest' : '0.7.0', deployedAt: new Date(NOW - 3_600_000).toISOString() },
    ...overrides,
  };
}

export function snapshot(overrides: Partial<StatusSnapshot> = {}, envs: EnvironmentStatus[] = [envStatus('dev'), envStatus('prod')]): StatusSnapshot {
  return {
    stackName: 'BenchlingWebhookStack',
    region: 'us-east-1',
    account: '123456789012',
    stackStatus: 'UPDATE_COMPLETE',
    fetchedAt: new Date(NOW - 2000).toISOString(),
    stackReadAt: new Date(NOW - 2000).toISOString(),
    error: null,
    errorKind: null,
    hint: null,
    environments: envs,
    ...overrides,
  };
}

export function plan(overrides: Partial<PlanView> = {}): PlanView {
  return {
    kind: 'deploy',
    environment: 'dev',
    oldTag: 'latest',
    newTag: 'abc123',
    rows: [
      { label: 'profile', value: 'dev' },
      { label: 'image', value: 'latest -> abc123' },
    ],
    confirmWord: null,
    logFile: '/tmp/x/cdk.log',
    ...overrides,
  };
}

export function logLine(i: number, message = `line ${i}`, environment: 'dev' | 'prod' = 'dev'): LogLine {
  return { id: `e${i}`, environment, timestamp: NOW + i * 1000, receivedAt: NOW + i * 1000, stream: 'webhook/app/1', message };
}

/** A key by name: `k('q')`, `k('escape')`, `k('c', { ctrl: true })`. */
export function k(input: string, flags: Partial<KeyPress> = {}): KeyPress {
  const named: Record<string, Partial<KeyPress>> = {
    escape: { escape: true },
    return: { return: true },
    tab: { tab: true },
    up: { upArrow: true },
    down: { downArrow: true },
    left: { leftArrow: true },
    right: { rightArrow: true },
    pageUp: { pageUp: true },
    pageDown: { pageDown: true },
    home: { home: true },
    end: { end: true },
    backspace: { backspace: true },
  };
  if (named[input]) return { input: '', ...named[input], ...flags };
  return { input, ...flags };
}

export function start(stack: StackInfo | null = BOTH, size = { columns: 120, rows: 30 }): DashboardState {
  return initialDashboard({ ...size, now: NOW, stack, setup: stack ? undefined : initialSetupForm('default', { environment: 'prod' }) }).state;
}

/** Runs actions in order; returns the final state and every effect emitted on the way. */
export function run(state: DashboardState, ...actions: DashboardAction[]): { state: DashboardState; effects: Effect[] } {
  const effects: Effect[] = [];
  let s = state;
  for (const a of actions) {
    const t = reduce(s, a);
    s = t.state;
    effects.push(...t.effects);
  }
  return { state: s, effects };
}

export const key = (input: string, flags: Partial<KeyPress> = {}): DashboardAction => ({ type: 'key', key: k(input, flags) });

/** A change of the welcome form, as the form's component sends it. */
export const form = (action: SetupFormAction): DashboardAction => ({ type: 'setup', apply: (f) => setupFormReducer(f, action) });
