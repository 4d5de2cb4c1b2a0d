import React from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { Dashboard } from '../../src/ui/Dashboard.js';
import type { DashboardState } from '../../src/state/dashboard.js';
import { FIELD_KEEP } from '../../src/display-text.js';
import { envStatus, key, plan, run, snapshot, start } from '../state/dashboard-fixtures.js';
import { renderTerminal, type Terminal } from '../helpers/terminal.js';
import { HOSTILE, RAW_CONTROL } from '../helpers/hostile.js';

/**
 * Text from outside on the dashboard's screens: escaped through the one door,
 * one row per field, and a frame whose cost does not grow with the text.
 */

let open: Terminal[] = [];
afterEach(() => {
  for (const t of open) t.unmount();
  open = [];
});

/** The last frame as written, only Ink's own colour codes (SGR) removed: a raw escape of the data would remain. */
function rawFrame(state: DashboardState): string {
  const t = renderTerminal(<Dashboard state={state} onSetup={() => {}} onSave={() => {}} />, state.size);
  open.push(t);
  return t.stdout.frames.at(-1)!.replace(/\u001b\[[0-9;]*m/g, '');
}

/** A stop reason of `size` characters, a line break every 80, an escape sequence in each line. */
function hugeReason(size: number): string {
  const line = `Essential container in task exited \u001b[2J ${'x'.repeat(30)}\r\n`;
  return line.repeat(Math.ceil(size / line.length)).slice(0, size);
}

/** Dev down for `reason`; the stack status and rollout state carry `extra` (hostile unless told). */
const withReason = (reason: string, more: Partial<Parameters<typeof envStatus>[1]> = {}, extra = HOSTILE) =>
  run(start(), {
    type: 'snapshot',
    snapshot: snapshot({ stackStatus: `UPDATE_COMPLETE${extra}` }, [
      envStatus('dev', { health: 'down', reason, service: { running: 0, desired: 1, pending: 0, rolloutState: `FAILED${extra}` }, ...more }),
      envStatus('prod'),
    ]),
    nextPollInMs: 5000,
  }).state;

describe('outside text on the main screen', () => {
  it('an ECS reason with OSC, CSI, BEL, CR LF, DEL, U+009B and U+0085 is shown escaped, on its own row', () => {
    const f = rawFrame(withReason(`last stopped task: ${HOSTILE}`));
    expect(f).not.toMatch(RAW_CONTROL);
    expect(f).toContain('\\x1b]0;pwned\\x07\\x1b[2J');
    // The forged line stays inside the reason's row: no row of the frame starts with it.
    expect(f).not.toMatch(/^\s*\|?\s*FAKE: prod healthy/m);
    expect(f).toMatch(/why\s+last stopped task: Task failed/);
    // Header (stack status) and the tasks row (rollout state) too.
    expect(f.split('\n')[0]).toContain('UPDATE_COMPLETETask failed \\x1b]0;pwned');
  });

  it('the nearest case: a plain reason is shown as it is', () => {
    const f = rawFrame(withReason('last stopped task: Essential container exited (app: exit 1)', {}, ''));
    expect(f).toMatch(/why\s+last stopped task: Essential container exited \(app: exit 1\)\s+\|/);
    expect(f).toMatch(/tasks\s+0\/1 running\s+rollout FAILED\s/);
    expect(f.split('\n')[0]).toMatch(/UPDATE_COMPLETE\s+data/);
  });

  it('a long reason is cut with an ellipsis in the panel', () => {
    const f = rawFrame(withReason(`start ${'word '.repeat(2000)}TAIL-MARK`));
    expect(f).toMatch(/why\s+start word word/);
    expect(f).toContain('…');
    expect(f).not.toContain('TAIL-MARK');
  });

  it('the state keeps a few KB of a 1 MB reason; the frame is drawn in well under a second', () => {
    const huge = hugeReason(1_000_000);
    const state = withReason(huge, { error: `DescribeTargetHealth: ${huge}`, lastEvent: { at: '2026-11-26T12:00:00.000Z', message: huge }, stoppedTasks: [{ taskArn: 'arn:t', stoppedAt: null, reason: huge }] });
    const dev = state.snapshot!.environments[0];
    expect(dev.reason!.length).toBeLessThanOrEqual(FIELD_KEEP);
    expect(dev.error!.length).toBeLessThanOrEqual(FIELD_KEEP);
    expect(dev.lastEvent!.message.length).toBeLessThanOrEqual(FIELD_KEEP);
    expect(dev.stoppedTasks![0].reason.length).toBeLessThanOrEqual(FIELD_KEEP);
    const t0 = performance.now();
    const f = rawFrame(state);
    const ms = performance.now() - t0;
    expect(f).toMatch(/dev\s+down/);
    expect(f).not.toMatch(RAW_CONTROL);
    // Before the door, 200 KB took some 40 s here; bounded, the frame costs the screen's size.
    expect(ms).toBeLessThan(1_000);
  });

  it('the frame costs the screen, not the data: 64 KB and 1 MB reasons draw in about the same time', () => {
    const time = (size: number) => {
      const state = withReason(hugeReason(size));
      const t0 = performance.now();
      rawFrame(state);
      return performance.now() - t0;
    };
    time(1000); // warm-up
    const small = Math.min(time(65_536), time(65_536));
    const big = Math.min(time(1_000_000), time(1_000_000));
    expect(big).toBeLessThan(small * 3 + 50);
  });
});

describe('outside text on the other screens', () => {
  it('deploy progress: cdk events and output lines are escaped, one row each', () => {
    let s = run(start(), key('d')).state;
    const id = s.operation!.id;
    s = run(s, { type: 'planReady', id, plan: plan() }, { type: 'diffReady', id, lines: [] }, key('y')).state;
    s = run(
      s,
      { type: 'deployEvent', id, event: { type: 'phase', phase: 'deploying' } },
      { type: 'deployEvent', id, event: { type: 'line', line: `cdk says ${HOSTILE}` } },
      { type: 'deployEvent', id, event: { type: 'resource', event: { stack: 'S', done: 2, total: 3, time: '12:00:09', status: 'UPDATE_FAILED', resourceType: 'AWS::ECS::Service', logicalId: 'DevService', reason: `handler: ${HOSTILE}` } } },
      { type: 'deployEvent', id, event: { type: 'rollout', rollout: { rolloutState: `FAILED${HOSTILE}`, running: 0, desired: 1, pending: 0 } } },
    ).state;
    let f = rawFrame(s);
    expect(f).not.toMatch(RAW_CONTROL);
    expect(f).toContain('DevService: handler: Task failed \\x1b]0;pwned');
    expect(f).not.toMatch(/^\s*FAKE: prod healthy/m);
    s = run(s, { type: 'deployFinished', id, outcome: { outcome: 'failed', reasons: [`DevService AWS::ECS::Service: UPDATE_FAILED: ${HOSTILE}`], stackStatus: `UPDATE_ROLLBACK_COMPLETE${HOSTILE}`, logFile: '/tmp/w/cdk.log' } }).state;
    f = rawFrame(s);
    expect(f).not.toMatch(RAW_CONTROL);
    expect(f).toContain('UPDATE_FAILED: Task failed \\x1b]0;pwned');
  });

  it('refusals, the error banner and the test body are escaped', () => {
    let s = run(start(), key('P')).state;
    s = run(s, { type: 'operationRefused', id: s.operation!.id, reason: `dev says ${HOSTILE}` }).state;
    let f = rawFrame(s);
    expect(f).not.toMatch(RAW_CONTROL);
    expect(f).toContain('refused: dev says Task failed \\x1b]0;pwned');

    s = run(start(), { type: 'error', error: { message: `lock held by ${HOSTILE}`, hint: `hint ${HOSTILE}`, detail: [`detail ${HOSTILE}`] } }).state;
    f = rawFrame(s);
    expect(f).not.toMatch(RAW_CONTROL);
    expect(f).toContain('error: lock held by Task failed \\x1b]0;pwned');

    s = run(start(), key('t')).state;
    s = run(s, { type: 'testFinished', id: s.test!.id, result: { ok: true, endpoint: 'https://x/dev', source: 'deploy.json', check: { ok: false, url: 'https://x/dev/health', status: 503, latencyMs: 5, body: `down ${HOSTILE}` } } }).state;
    f = rawFrame(s);
    expect(f).not.toMatch(RAW_CONTROL);
    expect(f).toMatch(/-> 503 in 5 ms/);
    expect(f).toContain('down Task failed \\x1b]0;pwned\\x07\\x1b[2J boom FAKE: prod healthy');
  });
});
