import React from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Dashboard } from '../../src/ui/Dashboard.js';
import { App, diffFailureOf } from '../../src/ui/App.js';
import { initialDashboard, type DashboardAction, type DashboardState } from '../../src/state/dashboard.js';
import type { DeployRecords } from '../../src/state/deploy-records.js';
import type { DashboardServices, PreparedOperation } from '../../src/ui/services.js';
import { ExternalError } from '../../src/errors.js';
import { BOTH, NOW, envStatus, key, logLine, plan, run, snapshot, start } from '../state/dashboard-fixtures.js';
import { KEYS, measure, renderTerminal, type Terminal } from '../helpers/terminal.js';

let open: Terminal[] = [];
afterEach(() => {
  for (const t of open) t.unmount();
  open = [];
});

function draw(state: DashboardState): string {
  const t = renderTerminal(<Dashboard state={state} onSetup={() => {}} onSave={() => {}} />, state.size);
  open.push(t);
  return t.frame();
}

const SIZES = [
  { columns: 80, rows: 24 },
  { columns: 120, rows: 40 },
] as const;

/** prod's deploy.json: 0.7.0 now, then 19 earlier deploys (0.6.19 ... 0.6.1), one a digest. */
function records(): DeployRecords {
  const history = Array.from({ length: 19 }, (_, i) => ({ imageTag: i === 4 ? `sha256:${'ef'.repeat(32)}` : `0.6.${19 - i}`, deployedAt: new Date(NOW - (i + 2) * 86_400_000).toISOString() }));
  return { prod: { endpoint: 'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod', imageTag: '0.7.0', deployedAt: new Date(NOW - 86_400_000).toISOString(), stackName: 'BenchlingWebhookStack', stage: 'prod', history } };
}

const withHistory = (size: { columns: number; rows: number }, ...more: DashboardAction[]) =>
  run(start(BOTH, size), { type: 'snapshot', snapshot: snapshot(), nextPollInMs: null }, { type: 'records', records: records() }, key('2'), ...more).state;

/** The highlighted row of the list: the one the indicator points at. */
const highlighted = (f: string) => f.split('\n').filter((l) => /^> /.test(l));

describe('history list (R, h)', () => {
  for (const size of SIZES) {
    it(`${size.columns}x${size.rows}: the history, newest first, running image marked, the reducer's entry highlighted; it fits`, () => {
      const s = withHistory(size, key('R'));
      const f = draw(s);
      expect(f).toMatch(/roll prod back: choose the image to go back to/);
      expect(f).toMatch(/^ {2}0\.7\.0\s+2026-11-25T12:00:00Z \(24 h ago\)\s+<- running$/m);
      // The first entry not running is highlighted, and only it.
      expect(highlighted(f)).toEqual([expect.stringMatching(/^> 0\.6\.19\s+2026-11-24T12:00:00Z \(2 d ago\)$/)]);
      expect(f).toMatch(/sha256:efefefefefef…/);
      const m = measure(f);
      expect(m.height).toBeLessThanOrEqual(size.rows - 1);
      expect(m.width).toBeLessThanOrEqual(size.columns);
      expect(f.split('\n').at(-1)).toMatch(/enter roll back to it\s+esc back/);
    });

    it(`${size.columns}x${size.rows}: the highlight follows the reducer, and the end of a long history scrolls into view`, () => {
      const s = withHistory(size, key('R'), ...Array.from({ length: 30 }, () => key('down')));
      const f = draw(s);
      expect(highlighted(f)).toEqual([expect.stringMatching(/^> 0\.6\.1\s/)]);
      // 20 entries: at 24 rows the newest has scrolled out to keep the highlight in view; at 40 all fit.
      if (size.rows === 24) expect(f).not.toMatch(/<- running/);
      else expect(f).toMatch(/^ {2}0\.7\.0\s.*<- running$/m);
      expect(measure(f).height).toBeLessThanOrEqual(size.rows - 1);
      const back = draw(run(s, key('up')).state);
      expect(highlighted(back)).toEqual([expect.stringMatching(/^> 0\.6\.2\s/)]);
    });
  }

  it('enter on the running image says so on screen', () => {
    const f = draw(withHistory({ columns: 80, rows: 24 }, key('R'), key('up'), key('return')));
    expect(f).toMatch(/0\.7\.0 is the image prod runs now; choose an earlier one/);
  });

  it('`h`: the same list, titled as history, with no way to roll back from it', () => {
    const f = draw(withHistory({ columns: 80, rows: 24 }, key('h')));
    expect(f).toMatch(/history of prod \(deploy\.json\), newest first/);
    expect(highlighted(f)).toEqual([expect.stringMatching(/^> 0\.7\.0\s.*<- running$/)]);
    expect(f.split('\n').at(-1)).not.toMatch(/enter/);
  });

  it('no deploy recorded: says there is nothing to go back to', () => {
    const f = draw(run(start(BOTH, { columns: 80, rows: 24 }), key('R')).state);
    expect(f).toMatch(/deploy\.json has no deploy of dev yet: nothing to go back to/);
  });
});

/** A dev deploy with its plan in, the diff still running; plan rows as given. */
function planned(size: { columns: number; rows: number }, rows = plan().rows) {
  let s = run(start(BOTH, size), key('d')).state;
  const id = s.operation!.id;
  s = run(s, { type: 'planReady', id, plan: plan({ rows, logFile: '/home/op/.config/benchling-webhook/logs/deploy-dev-2026.log' }) }).state;
  return { s, id };
}

const LONG_ROWS = Array.from({ length: 14 }, (_, i) => ({ label: `row${i}`, value: `value ${i} ${'x'.repeat(30)} ${'y'.repeat(30)} ${'z'.repeat(30)} END${i}` }));

describe('deploy confirmation', () => {
  for (const size of SIZES) {
    it(`${size.columns}x${size.rows}: while the diff runs there is no question; once it is in, the question`, () => {
      const { s, id } = planned(size);
      const loading = draw(s);
      expect(loading).toMatch(/changes: computing \(cdk diff\)…/);
      expect(loading).not.toMatch(/y\/N|Deploy dev\?/);
      expect(loading).toMatch(/the question comes once the changes are known; esc cancels/);
      expect(loading.split('\n').at(-1)).toMatch(/^esc cancel\s*$/);
      const ready = draw(run(s, { type: 'diffReady', id, lines: ['[~] AWS::ECS::TaskDefinition Dev/TaskDefinition DevTaskDefinition replace'] }).state);
      expect(ready).toMatch(/Deploy dev\? y\/N/);
      expect(ready).toMatch(/\[~\] AWS::ECS::TaskDefinition Dev\/TaskDefinition DevTaskDefinition replace/);
    });

    it(`${size.columns}x${size.rows}: a failed diff shows its reason, cdk's last lines and the log file, then asks knowing that; the plan gives way`, () => {
      const { s, id } = planned(size, LONG_ROWS);
      const f = draw(run(s, { type: 'diffFailed', id, message: 'cdk diff failed (exit 1)', detail: ['❌ Unable to resolve AWS account to use. It must be either configured when you define your CDK Stack, or through the environment'] }).state);
      const flat = f.replace(/\s+/g, ' ');
      expect(flat).toMatch(/changes: could not be computed: cdk diff failed \(exit 1\)/);
      expect(f).toMatch(/the full cdk output is in:\n {2}\/home\/op\/\.config\/benchling-webhook\/logs\/deploy-dev-2026\.log\n/);
      expect(f).toMatch(/Deploy dev without knowing the changes\? y\/N/);
      if (size.rows >= 40) expect(flat).toMatch(/Unable to resolve AWS account to use\. It must be either configured when you define your CDK Stack, or through the environment/);
      const m = measure(f);
      expect(m.height).toBeLessThanOrEqual(size.rows - 1);
      expect(m.width).toBeLessThanOrEqual(size.columns);
    });

    it(`${size.columns}x${size.rows}: plan rows wrap to the width instead of being cut`, () => {
      const { s, id } = planned(size, LONG_ROWS.slice(0, 2));
      const f = draw(run(s, { type: 'diffReady', id, lines: [] }).state);
      expect(f).toMatch(/END0/);
      expect(f).toMatch(/END1/);
      expect(measure(f).width).toBeLessThanOrEqual(size.columns);
    });
  }

  it('a failed cdk diff becomes its message with the exit status, and the tail of its output', () => {
    const error = new ExternalError('cdk diff failed', { command: 'cdk diff', exitCode: 1, stderrTail: 'line one\n\n❌ Need to perform AWS calls', hint: 'the full output is in /x/cdk.log' });
    expect(diffFailureOf(error)).toEqual({ message: 'cdk diff failed (exit 1)', detail: ['line one', '❌ Need to perform AWS calls'] });
  });
});

describe('header age and one error once', () => {
  it('during a credentials failure the age is of the last good data, not "0 s"', () => {
    const s = run(start(), {
      type: 'snapshot',
      snapshot: snapshot({ fetchedAt: new Date(NOW).toISOString(), stackReadAt: new Date(NOW - 40_000).toISOString(), error: 'AWS credentials expired or missing', errorKind: 'credentials', hint: 'log in again: `aws sso login --profile acme-admin`' }, [envStatus('dev', { readAt: undefined, service: null, targets: null, health: 'unknown', error: 'AWS credentials expired or missing', reason: 'AWS credentials expired or missing' }), envStatus('prod', { readAt: undefined, service: null, targets: null, health: 'unknown', error: 'AWS credentials expired or missing', reason: 'AWS credentials expired or missing' })]),
      nextPollInMs: null,
    }).state;
    const f = draw(s);
    expect(f.split('\n')[0]).toMatch(/data 40 s old/);
    expect(f).not.toMatch(/data 0 s old/);
  });

  it('a panel showing data from 11 s ago: the header says 11 s too', () => {
    const at = (ago: number) => new Date(NOW - ago).toISOString();
    const s = run(start(), {
      type: 'snapshot',
      snapshot: snapshot({ fetchedAt: at(0), stackReadAt: at(6000) }, [envStatus('dev', { readAt: { service: at(11_000), targets: at(11_000) }, error: 'ECS DescribeServices: throttled' }), envStatus('prod', { readAt: { service: at(0), targets: at(0) } })]),
      nextPollInMs: null,
    }).state;
    const f = draw(s);
    expect(f).toMatch(/showing data from 11 s ago/);
    expect(f.split('\n')[0]).toMatch(/data 11 s old/);
  });

  it('an AWS error that is also the health reason is shown once', () => {
    const error = 'ECS DescribeServices: AccessDeniedException: not authorized; ELB DescribeTargetHealth: AccessDeniedException: not authorized';
    const s = run(start(BOTH, { columns: 80, rows: 40 }), { type: 'snapshot', snapshot: snapshot({}, [envStatus('dev', { service: null, health: 'unknown', error, reason: 'ECS DescribeServices: AccessDeniedException: not authorized' }), envStatus('prod')]), nextPollInMs: null }).state;
    // Stacked panels (80 columns): the dev panel's text reads on when borders and breaks are folded.
    const f = draw(s).replace(/[|]/g, ' ').replace(/\s+/g, ' ');
    expect(f).toMatch(/AWS error \(showing data from 2 s ago\) ECS DescribeServices: AccessDeniedException/);
    expect(f.match(/DescribeServices/g)).toHaveLength(1);
    expect(f).not.toMatch(/ why /);
  });

  it('the banner wraps a long error to the width: its end is on screen', () => {
    const s = run(start(BOTH, { columns: 80, rows: 24 }), { type: 'error', error: { message: `the stack could not be read: ${'Rate exceeded, '.repeat(6)}END-OF-MESSAGE`, hint: 'wait and press r' } }).state;
    const f = draw(s);
    expect(f).toMatch(/END-OF-MESSAGE/);
    expect(f).toMatch(/hint: wait and press r/);
    expect(measure(f).width).toBeLessThanOrEqual(80);
  });
});

describe('logs', () => {
  it('a long line wraps under its time instead of being cut', () => {
    const s = run(start(BOTH, { columns: 80, rows: 24 }), key('l'), { type: 'logLines', environment: 'dev', lines: [logLine(1, `ERROR ${'traceback frame '.repeat(10)}LAST-WORD`), logLine(2, 'INFO ok')] }).state;
    const f = draw(s);
    expect(f).toMatch(/LAST-WORD/);
    expect(f).toMatch(/INFO ok/);
    expect(measure(f).width).toBeLessThanOrEqual(80);
  });
});

describe('through the App: keys reach the reducer, not the list', () => {
  it('R, down, enter prepares a rollback to the image highlighted', async () => {
    const prepared: string[] = [];
    const services: DashboardServices = {
      startStatus: () => ({ refresh() {}, invalidate() {}, stop: async () => {} }),
      readRecords: () => records(),
      async prepare(kind, environment, options): Promise<PreparedOperation | { refusal: string }> {
        prepared.push(`${kind} ${environment} ${options?.imageTag}`);
        return { refusal: 'stop here' };
      },
      openLogs: () => ({ stop() {} }),
      testEndpoint: async () => ({ ok: false, message: 'x' }),
      saveProfile: vi.fn(),
      loadStack: () => ({ stack: BOTH, records: records() }),
    };
    const initial = initialDashboard({ columns: 80, rows: 24, now: NOW, stack: BOTH, records: records() });
    const t = renderTerminal(<App services={services} initial={initial} tickMs={0} now={() => NOW} />, { columns: 80, rows: 24 });
    open.push(t);
    await t.waitFor((f) => /> dev/.test(f));
    await t.pressAndWait('2', (f) => /> prod/.test(f));
    await t.pressAndWait('R', (f) => /^> 0\.6\.19/m.test(f));
    await t.pressAndWait(KEYS.down, (f) => /^> 0\.6\.18/m.test(f));
    await t.pressAndWait(KEYS.enter, (f) => /refused: stop here/.test(f));
    expect(prepared).toEqual(['rollback prod 0.6.18']);
  });
});
