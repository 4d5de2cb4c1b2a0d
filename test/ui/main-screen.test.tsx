import React from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { Dashboard, sideBySide, stackedHeights } from '../../src/ui/Dashboard.js';
import { footerKeys, type DashboardState } from '../../src/state/dashboard.js';
import { HELP_ROWS } from '../../src/ui/Help.js';
import { endpointWidth } from '../../src/ui/EnvironmentPanel.js';
import { fitPanel, type PanelList, type PanelRow } from '../../src/ui/panel-layout.js';
import type { DeployRecords } from '../../src/state/deploy-records.js';
import type { EnvironmentStatus } from '../../src/state/status-types.js';
import { BOTH, NOW, envStatus, key, run, snapshot, start } from '../state/dashboard-fixtures.js';
import { measure, renderTerminal, type Terminal } from '../helpers/terminal.js';

/**
 * The main screen at the sizes operators use: every endpoint whole on one
 * line, the rows used for events, tasks, capacity and deploys, and whatever
 * does not fit counted, never dropped without a sign.
 */

const terminals: Terminal[] = [];
afterEach(() => {
  for (const t of terminals.splice(0)) t.unmount();
});

const ago = (ms: number) => new Date(NOW - ms).toISOString();
const DIGEST = `sha256:${'ab12'.repeat(16)}`;

function events(n: number, env: string): EnvironmentStatus['events'] {
  return Array.from({ length: n }, (_, i) => ({ at: ago((i + 1) * 60_000), message: `(service BenchlingWebhookStack-${env}Service-x) event number ${i + 1}` }));
}

function tasks(n: number): EnvironmentStatus['runningTasks'] {
  return Array.from({ length: n }, (_, i) => ({ id: `${i}f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c`, imageDigest: DIGEST, startedAt: ago(3_600_000 + i), health: 'target healthy', zone: `us-east-1${'ab'[i % 2]}` }));
}

const RECORDS: DeployRecords = {
  prod: {
    endpoint: 'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod',
    imageTag: '0.7.0',
    deployedAt: ago(86_400_000),
    stackName: 'BenchlingWebhookStack',
    stage: 'prod',
    history: [
      { imageTag: '0.6.9', deployedAt: ago(10 * 86_400_000) },
      { imageTag: '0.6.8', deployedAt: ago(20 * 86_400_000) },
    ],
  },
};

function rich(name: 'dev' | 'prod', over: Partial<EnvironmentStatus> = {}): EnvironmentStatus {
  return envStatus(name, {
    events: events(name === 'dev' ? 10 : 4, name),
    capacity: name === 'dev' ? { min: 1, max: 2 } : { min: 2, max: 10 },
    ...(name === 'dev' ? { runningTasks: tasks(1), taskSize: { cpu: '256', memory: '512' }, readAt: { service: ago(2000), targets: ago(2000), runningTasks: ago(4000) } } : {}),
    ...over,
  });
}

function screen(columns: number, rows: number, envs: EnvironmentStatus[] = [rich('dev'), rich('prod')], records: DeployRecords = RECORDS, extra: (s: DashboardState) => DashboardState = (s) => s): string {
  const state = extra(run({ ...start(BOTH, { columns, rows }), records }, { type: 'snapshot', snapshot: snapshot({}, envs), nextPollInMs: 5000 }).state);
  const t = renderTerminal(<Dashboard state={state} onSetup={() => {}} onSave={() => {}} />, state.size);
  terminals.push(t);
  return t.frame();
}

const DEV_URL = 'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/dev';
const PROD_URL = 'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod';
/** The URL whole on one line, not followed by more of it. */
const whole = (url: string) => new RegExp(`${url.replace(/[./]/g, '\\$&')}(\\s|\\||$)`, 'm');

describe('the main screen at 80x24, 120x40, 200x50', () => {
  it.each([
    [80, 24],
    [100, 30],
    [120, 40],
    [141, 40],
    [200, 50],
  ])('%ix%i: both endpoints whole on one line, the frame within rows - 1 and the width', (columns, rows) => {
    const f = screen(columns, rows);
    expect(f).toMatch(whole(DEV_URL));
    expect(f).toMatch(whole(PROD_URL));
    const m = measure(f);
    expect(m.height).toBeLessThanOrEqual(rows - 1);
    expect(m.width).toBeLessThanOrEqual(columns);
  });
});

describe('help and footer wrap to the width', () => {
  it.each([
    [80, 24],
    [120, 40],
    [50, 40],
  ])('%ix%i: every word of every help row is on screen, no line cut', (columns, rows) => {
    const f = screen(columns, rows, undefined, undefined, (s) => run(s, key('?')).state);
    const words = f.replace(/\s+/g, ' ');
    for (const [k, what] of HELP_ROWS) {
      expect(words).toContain(k);
      expect(words).toContain(what);
    }
    // The header (row 1) is another screen's; the help below it is cut nowhere.
    expect(f.split('\n').slice(1).join('\n')).not.toContain('…');
    expect(measure(f).width).toBeLessThanOrEqual(columns);
  });

  it('the footer keeps what each key does, on two lines when one is not enough', () => {
    const f = screen(80, 24, undefined, undefined, (s) => ({ ...s, banner: { message: 'boom' } }));
    const lines = measure(f).lines;
    const footer = lines.slice(-2).join(' ');
    for (const [k, what] of footerKeys(run(start(BOTH, { columns: 80, rows: 24 }), { type: 'error', error: { message: 'x' } }).state)) expect(footer).toContain(`${k} ${what}`);
    expect(lines.length).toBeLessThanOrEqual(23);
  });
});

describe('layout by width', () => {
  it('side by side only from the width where each panel shows the longest endpoint whole', () => {
    const need = endpointWidth(PROD_URL);
    const boundary = 2 * (need + 4);
    expect(sideBySide(boundary - 1, [DEV_URL, PROD_URL])).toBe(false);
    expect(sideBySide(boundary, [DEV_URL, PROD_URL])).toBe(true);
    expect(sideBySide(120, [DEV_URL, PROD_URL])).toBe(false);
    // At 120 the panels are stacked: the prod URL is not cut after `amaz`.
    const f = screen(120, 40);
    expect(f).not.toMatch(/\+\+/);
    expect(f).not.toMatch(/amaz…/);
  });

  it('a URL too long for its label column gets a line of its own, whole', () => {
    const long = `https://a1b2c3d4e5.execute-api.ap-southeast-2.amazonaws.com/${'p'.repeat(8)}`;
    const f = screen(80, 40, [rich('dev', { endpoint: long }), rich('prod')]);
    expect(f).toMatch(new RegExp(`^\\| ${long.replace(/[./]/g, '\\$&')}\\s+\\|$`, 'm'));
  });
});

describe('what does not fit is counted', () => {
  it('80x24: dev shows some of its 10 events and counts the rest; prod keeps its endpoint and counts its rows', () => {
    const f = screen(80, 24);
    const shown = (f.match(/event number \d+/g) ?? []).length;
    const more = Number(/\+(\d+) more events/.exec(f)?.[1]);
    expect(shown).toBeGreaterThan(0);
    expect(shown + more).toBe(10);
    expect(f).toMatch(whole(PROD_URL));
    expect(f).toMatch(/\+\d+ more rows/);
  });

  it('80x24 under an AWS error: no row of prod disappears without a sign, the error is named', () => {
    const error = 'ELBv2 DescribeTargetHealth: Rate exceeded';
    const f = screen(80, 24, [rich('dev'), rich('prod', { error, health: 'unknown' })]);
    const prodPanel = f.slice(f.indexOf('  prod  '));
    expect(prodPanel).toMatch(whole(PROD_URL));
    const visible = ['image', 'tasks', 'targets', 'capacity', 'deployed', 'AWS error'].filter((label) => new RegExp(`^\\| ${label}\\s`, 'm').test(prodPanel));
    const counted = Number(/\+(\d+) more rows? \(AWS error\)/.exec(prodPanel)?.[1]);
    expect(visible.length + counted).toBe(6);
    expect(prodPanel).toMatch(/\+4 more events, \+3 more deploys/);
  });

  it('the selected environment gets the room first', () => {
    const f = screen(80, 24, undefined, undefined, (s) => run(s, key('tab')).state);
    const prodPanel = f.slice(f.indexOf('> prod'));
    expect(prodPanel).toMatch(/event number 1/);
    expect(prodPanel).toMatch(/0\.6\.9|\+\d+ more deploys/);
    const devPanel = f.slice(0, f.indexOf('> prod'));
    expect(devPanel).toMatch(whole(DEV_URL));
    expect(devPanel).toMatch(/\+10 more events/);
  });

  it('200x50: events, tasks with digest, zone and health, capacity, task size and the deploys all shown', () => {
    const f = screen(200, 50);
    expect(f).toMatch(/event number 10\b/);
    expect(f).not.toMatch(/\(service /);
    expect(f).toMatch(/0f3e2d1c  sha256:ab12ab12ab12…  up 1 h  target healthy  us-east-1a/);
    expect(f).toMatch(/capacity\s+desired 1 within 1\.\.2, task 0\.25 vCPU, 512 MiB/);
    expect(f).toMatch(/capacity\s+desired 2 within 2\.\.10/);
    expect(f).toMatch(/10 d ago\s+0\.6\.9/);
    expect(f).toMatch(/20 d ago\s+0\.6\.8/);
    expect(f).not.toMatch(/more events|more deploys|more rows/);
  });

  it('before its running tasks are read, the selected environment says its task size is being read; the other, to select it', () => {
    const f = screen(200, 50, [rich('dev', { runningTasks: undefined, taskSize: undefined }), rich('prod')]);
    // dev's capacity is 1..2, prod's 2..10.
    expect(f).toMatch(/capacity\s+desired 1 within 1\.\.2, task size: reading\.\.\./);
    expect(f).toMatch(/capacity\s+desired 2 within 2\.\.10, task size: select to read/);
  });

  it('when that read failed, the selected environment says its task size was not read (the error row says why)', () => {
    const f = screen(200, 50, [rich('dev', { runningTasks: undefined, taskSize: undefined, error: 'ECS ListTasks: AccessDeniedException: not allowed' }), rich('prod')]);
    expect(f).toMatch(/capacity\s+desired 1 within 1\.\.2, task size: not read/);
    expect(f).toMatch(/AWS error\s+\(showing data from/);
  });
});

describe('fitPanel', () => {
  const rows: PanelRow[] = [
    { key: 'endpoint', name: 'endpoint', lines: ['e'], priority: 0 },
    { key: 'error', name: 'AWS error', lines: ['a', 'b', 'c'], priority: 1, shrinks: true },
    { key: 'image', name: 'image', lines: ['i'], priority: 2 },
    { key: 'deployed', name: 'deployed', lines: ['d'], priority: 7 },
  ];
  const lists: PanelList[] = [
    { key: 'events', noun: 'events', header: 'events', items: Array.from({ length: 7 }, (_, i) => `ev${i}`) },
    { key: 'deploys', noun: 'deploys', header: 'deploys', items: ['d0', 'd1', 'd2'] },
  ];
  it.each(Array.from({ length: 22 }, (_, h) => h + 1))('in %i rows: never taller, and every row and item drawn or counted', (height) => {
    const out = fitPanel(rows, lists, height);
    expect(out.length).toBeLessThanOrEqual(height);
    const text = out.map((l) => ('text' in l ? l.text : 'TITLE')).join('\n');
    const hiddenRows = Number(/\+(\d+) more rows?/.exec(text)?.[1] ?? 0);
    const shownRows = rows.filter((r) => out.some((l) => l.kind === 'row' && l.key === r.key)).length;
    if (height >= 3) expect(shownRows + hiddenRows).toBe(rows.length);
    for (const l of lists) {
      const shown = out.filter((x) => x.kind === 'item' && x.key === l.key).length;
      const more = Number(new RegExp(`\\+(\\d+) more ${l.noun}`).exec(text)?.[1] ?? 0);
      if (height >= 3) expect(shown + more).toBe(l.items.length);
    }
    if (height >= 3) expect(out.some((l) => l.kind === 'row' && l.key === 'endpoint')).toBe(true);
  });
});
