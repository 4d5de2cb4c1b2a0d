import React from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { Dashboard } from '../../src/ui/Dashboard.js';
import type { DashboardState } from '../../src/state/dashboard.js';
import type { EnvironmentMetrics } from '../../src/state/metrics.js';
import type { EnvironmentStatus, StatusSnapshot } from '../../src/state/status-types.js';
import { sparkRows, sparkline } from '../../src/ui/sparkline.js';
import { BOTH, NOW, envStatus, run, snapshot, start } from '../state/dashboard-fixtures.js';
import { renderTerminal, type Terminal } from '../helpers/terminal.js';

/** Each panel's last hour as sparklines: a bar a minute, gaps as gaps, bounded by the panel's width. */

const terminals: Terminal[] = [];
afterEach(() => {
  for (const t of terminals.splice(0)) t.unmount();
});

const hour = (f: (i: number) => number | null): (number | null)[] => Array.from({ length: 60 }, (_, i) => f(i));

function metrics(over: Partial<EnvironmentMetrics> = {}): EnvironmentMetrics {
  return {
    start: new Date(NOW - 3_600_000).toISOString(),
    periodSeconds: 60,
    readAt: new Date(NOW - 5_000).toISOString(),
    requests: hour((i) => (i < 30 ? null : 100 + i)),
    errors5xx: hour(() => 0),
    latencyP95: hour((i) => 200 + i),
    cpu: hour(() => 40),
    memory: hour(() => 60),
    ...over,
  };
}

function frame(columns: number, rows: number, envs: EnvironmentStatus[], over: Partial<StatusSnapshot> = {}): string {
  const state: DashboardState = run(start(BOTH, { columns, rows }), { type: 'snapshot', snapshot: snapshot(over, envs), nextPollInMs: 5000 }).state;
  const t = renderTerminal(<Dashboard state={state} onSetup={() => {}} onSave={() => {}} />, state.size);
  terminals.push(t);
  return t.frame();
}

describe('sparkline', () => {
  it('draws a bar a minute scaled to the highest, a gap as a space, zero as the lowest bar', () => {
    expect(sparkline([0, 4, 8, null, 2], 10)).toBe('▁▅█ ▃');
    expect(sparkline([null, null], 10)).toBe('  ');
    // Percent series against 100: a flat 40 % is not a full bar.
    expect(sparkline([40, 40], 10, 100)).toBe('▄▄');
    // Narrower than the hour: the newest points.
    expect(sparkline([8, 0, 8], 2)).toBe('▁█');
  });

  it('rows say the newest value and the total or peak, and a series with no point says so', () => {
    const rows = sparkRows(metrics({ requests: hour(() => null), errors5xx: hour((i) => (i === 59 ? 3 : null)) }), 90);
    expect(rows.map((r) => r.label)).toEqual(['requests', '5xx', 'p95', 'cpu', 'memory']);
    expect(rows[0].value).toBe('none in the last hour');
    expect(rows[1].value).toMatch(/ █  3\/min, 3 in 1 h$/);
    expect(rows[1].color).toBe('yellow');
    expect(rows[2].value).toMatch(/^[▁-█]{60}  259 ms, peak 259 ms$/);
    expect(rows[3].value).toMatch(/40%, peak 40%$/);
  });
});

describe('the panels draw the last hour', () => {
  it('at 120x40 each panel shows five sparklines of the full hour', () => {
    const out = frame(120, 40, [envStatus('dev', { metrics: metrics() }), envStatus('prod', { metrics: metrics({ errors5xx: hour((i) => (i === 58 ? 2 : 0)) }) })]);
    for (const label of ['requests', '5xx', 'p95', 'cpu', 'memory']) expect(out.match(new RegExp(`\\| ${label}\\s`, 'g'))?.length).toBe(2);
    // Requests: half an hour with no point is 30 blanks before the bars, not 30 low bars.
    expect(out).toMatch(/requests +\s{30}[▁-█]{30}  159\/min, 4\.3k in 1 h/);
    expect(out).toMatch(/5xx\s+▁{58}█▁  0\/min, 2 in 1 h/);
    expect(out).toMatch(/cpu\s+▄{60}  40%, peak 40%/);
    for (const line of out.split('\n')) expect([...line].length).toBeLessThanOrEqual(120);
  });

  it('at 80x24 the bars shrink to the width and nothing passes the edge', () => {
    const out = frame(80, 40, [envStatus('dev', { metrics: metrics() }), envStatus('prod', { metrics: metrics() })]);
    const cpu = out.split('\n').find((l) => /\| cpu /.test(l))!;
    expect(cpu).toMatch(/▄+  40%, peak 40%/);
    expect((cpu.match(/▄/g) ?? []).length).toBeLessThan(60);
    for (const line of out.split('\n')) expect([...line].length).toBeLessThanOrEqual(80);
  });

  it('an hour with no point in any series takes no row, not five blank ones', () => {
    const empty = hour(() => null);
    const out = frame(120, 40, [envStatus('dev', { metrics: metrics({ requests: empty, errors5xx: empty, latencyP95: empty, cpu: empty, memory: empty }) }), envStatus('prod', { metrics: metrics() })]);
    expect(out.match(/\| (cpu|requests|5xx|p95|memory) /g)).toHaveLength(5);
    expect(out).not.toMatch(/in the last hour/);
  });

  it('with the sparklines in a short, narrow panel, the endpoint on its two lines stays whole and the rest is counted', () => {
    // At 70 columns the endpoint does not fit beside its label: it takes two lines, both or none.
    const out = frame(70, 24, [envStatus('dev', { metrics: metrics() }), envStatus('prod', { metrics: metrics() })]);
    expect(out).toMatch(/\| endpoint: +\|\n\| https:\/\/a1b2c3d4e5\.execute-api\.us-east-1\.amazonaws\.com\/dev +\|/);
    expect(out).toMatch(/\| https:\/\/a1b2c3d4e5\.execute-api\.us-east-1\.amazonaws\.com\/prod +\|/);
    expect(out).not.toMatch(/more rows? \(endpoint/);
    expect(out).toMatch(/\+\d+ more rows/);
  });

  it('without metrics there are no sparkline rows; a refusal is said once, above the panels', () => {
    const none = frame(120, 40, [envStatus('dev'), envStatus('prod')]);
    expect(none).not.toMatch(/\| (requests|p95|cpu) /);
    const refused = frame(120, 40, [envStatus('dev'), envStatus('prod')], {
      metricsError: 'CloudWatch GetMetricData: AccessDenied: User: x is not authorized to perform: cloudwatch:GetMetricData\u001b[31m (no sparklines; the rest of the dashboard is unaffected)',
    });
    expect(refused.match(/not authorized to perform: cloudwatch:GetMetricData/g)).toHaveLength(1);
    expect(refused).toContain('\\x1b[31m');
    expect(refused).not.toContain('\u001b[31m');
    expect(refused).toMatch(/healthy/);
  });
});
