import React from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { Dashboard } from '../../src/ui/Dashboard.js';
import { NOW, envStatus, run, snapshot, start } from '../state/dashboard-fixtures.js';
import { renderTerminal, type Terminal } from '../helpers/terminal.js';
import { HOSTILE, RAW_CONTROL } from '../helpers/hostile.js';
import type { AlarmRollback } from '../../src/state/status-types.js';

/** The environment panel says when an alarm rolled its rollout back, naming the alarm. */

let open: Terminal[] = [];
afterEach(() => {
  for (const t of open) t.unmount();
  open = [];
});

function frame(prodRollback: AlarmRollback | null): string {
  const state = run(start(), {
    type: 'snapshot',
    snapshot: snapshot({}, [envStatus('dev'), envStatus('prod', { rolledBackByAlarm: prodRollback })]),
    nextPollInMs: 5000,
  }).state;
  const t = renderTerminal(<Dashboard state={state} onSetup={() => {}} onSave={() => {}} />, state.size);
  open.push(t);
  return t.stdout.frames.at(-1)!.replace(/\u001b\[[0-9;]*m/g, '');
}

const at = new Date(NOW - 3 * 60_000).toISOString();

describe('a rollout rolled back by an alarm, on the main screen', () => {
  it("shows the alarm that fired in that environment's panel only", () => {
    const f = frame({ at, alarms: ['BenchlingWebhookStack-prod-5xx'], triggered: true, status: 'ROLLBACK_SUCCESSFUL', rolledBackTo: 'ecs-svc/123' });
    const prodPanel = f.slice(f.indexOf('prod '));
    expect(prodPanel).toMatch(/rollback\s+rolled back to ecs-svc\/123 by alarm BenchlingWebhookStack-prod-5xx, \d+ min ago/);
    expect(f.slice(0, f.indexOf('prod '))).not.toContain('rolled back');
  });

  it('without the alarm that fired, names the ones guarding the rollout', () => {
    const f = frame({ at, alarms: ['S-prod-5xx', 'S-prod-unhealthy-targets'], triggered: false, status: null, rolledBackTo: null });
    expect(f).toMatch(/rollback\s+rolled back by an alarm: one of S-prod-5xx, S-prod-unhealthy-targets/);
  });

  it('the nearest case: no rollback, no row', () => {
    expect(frame(null)).not.toMatch(/\| rollback |rolled back/);
  });

  it('escapes what came from AWS', () => {
    const f = frame({ at, alarms: [`x${HOSTILE}`], triggered: true, status: null, rolledBackTo: null });
    expect(f).not.toMatch(RAW_CONTROL);
  });
});
