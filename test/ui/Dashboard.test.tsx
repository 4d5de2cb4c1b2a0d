import React from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { Dashboard } from '../../src/ui/Dashboard.js';
import { reduce, type DashboardAction, type DashboardState } from '../../src/state/dashboard.js';
import { BOTH, NOW, PROD_ONLY, envStatus, form, key, logLine, plan, run, snapshot, start } from '../state/dashboard-fixtures.js';
import { Welcome } from '../../src/ui/Welcome.js';
import { measure, renderTerminal, type Terminal } from '../helpers/terminal.js';
import { SECRET } from '../helpers/fixtures.js';

let open: Terminal[] = [];
afterEach(() => {
  for (const t of open) t.unmount();
  open = [];
});

/** The frame Dashboard draws for a state, in a terminal of the state's size. */
function draw(state: DashboardState): string {
  const t = renderTerminal(<Dashboard state={state} onSetup={() => {}} onSave={() => {}} welcome={Welcome} />, state.size);
  open.push(t);
  return t.frame();
}

/** The frame's words with borders and line breaks folded to single spaces (wrapped text reads on). */
const flat = (f: string) => f.replace(/[|]/g, ' ').replace(/\s+/g, ' ');

const withSnapshot = (s: DashboardState, ...more: DashboardAction[]) => run(s, { type: 'snapshot', snapshot: snapshot(), nextPollInMs: 5000 }, ...more).state;

describe('main screen', () => {
  it('header: stack, region, account, stack status, data age; both panels; the footer keys', () => {
    const f = draw(withSnapshot(start()));
    expect(f).toMatch(/BenchlingWebhookStack\s+us-east-1\s+UPDATE_COMPLETE\s+data 2 s old\s+account 123456789012/);
    expect(f).toMatch(/> dev\s+healthy\s+1\/1 running\s+profile dev/);
    expect(f).toMatch(/prod\s+healthy\s+2\/2 running\s+profile default/);
    expect(f).toMatch(/image\s+0\.7\.0/);
    expect(f).toMatch(/tasks\s+2\/2 running\s+rollout COMPLETED/);
    expect(f).toMatch(/targets\s+2\/2 healthy/);
    expect(f).toMatch(/endpoint\s+https:\/\/a1b2c3d4e5\.execute-api/);
    expect(f).toMatch(/deployed\s+0\.7\.0, 1 h ago/);
    expect(f.split('\n').at(-1)).toMatch(/l logs\s+d deploy\s+P promote\s+R rollback\s+h history\s+c cost\s+t test\s+r refresh\s+\? help\s+q quit/);
  });

  it('before the first snapshot: the profiles\' stack and "reading"; last deploy from deploy.json', () => {
    const s = run(start(), { type: 'records', records: { prod: { endpoint: 'https://x/prod', imageTag: '0.6.9', deployedAt: new Date(NOW - 120_000).toISOString(), stackName: 'S', stage: 'prod', history: [] } } }).state;
    const f = draw(s);
    expect(f).toMatch(/BenchlingWebhookStack\s+us-east-1\s+reading AWS\.\.\.\s+account 123456789012/);
    expect(f).toMatch(/reading\.\.\./);
    expect(f).toMatch(/deployed\s+0\.6\.9, 2 min ago/);
  });

  it('before the first snapshot the main screen is plain ASCII (the first non-ASCII character costs Intl.Segmenter\'s start-up)', () => {
    for (const stack of [BOTH, PROD_ONLY]) expect(draw(start(stack))).toMatch(/^[\n\x20-\x7e]*$/);
  });

  it('not healthy: the reason is shown, in words', () => {
    const s = run(start(), {
      type: 'snapshot',
      snapshot: snapshot({}, [envStatus('dev', { health: 'degraded', reason: '1 of 2 targets unhealthy (Health checks failed); last stopped task: Essential container exited (app: exit 1)', targets: { healthy: 1, unhealthy: 1, other: 0 } }), envStatus('prod')]),
      nextPollInMs: 5000,
    }).state;
    const f = draw(s);
    expect(f).toMatch(/degraded/);
    expect(f).toMatch(/why\s+1 of 2 targets unhealthy/);
    expect(f).toMatch(/targets\s+1\/2 healthy, 1 unhealthy/);
  });

  it('an AWS error stands where the data would be, with the age of what is still shown', () => {
    const s = run(start(BOTH, { columns: 90, rows: 40 }), {
      type: 'snapshot',
      snapshot: snapshot({}, [envStatus('dev', { health: 'unknown', error: 'ECS DescribeServices: ThrottlingException: Rate exceeded', reason: 'ECS DescribeServices: ThrottlingException: Rate exceeded', readAt: { service: new Date(NOW - 95_000).toISOString() } }), envStatus('prod')]),
      nextPollInMs: 20000,
    }).state;
    const f = draw(s);
    expect(flat(f)).toContain('AWS error (showing data from 1 min ago) ECS DescribeServices: ThrottlingException: Rate exceeded');
    expect(f).toMatch(/dev\s+unknown/);
  });

  it('no credentials: the panels say so and how to log in; the footer still works', () => {
    const hint = 'log in again: `aws sso login --profile acme-admin` (or refresh the credentials of AWS profile "acme-admin")';
    const err = 'AWS credentials expired or missing (STS GetCallerIdentity: ExpiredToken: The security token included in the request is expired)';
    const s = run(start(), {
      type: 'snapshot',
      snapshot: snapshot({ stackStatus: null, error: err, errorKind: 'credentials', hint }, [envStatus('dev', { health: 'unknown', service: null, targets: null, error: err, reason: err }), envStatus('prod', { health: 'unknown', service: null, targets: null, error: err, reason: err })]),
      nextPollInMs: 5000,
    }).state;
    const f = draw(s);
    expect(f.match(/no usable credentials/g)).toHaveLength(2);
    expect(f.match(/log in\s+`aws sso login --profile acme-admin`/g)).toHaveLength(2);
    expect(f).toMatch(/q quit/);
  });

  it('a narrow footer keeps every key: what each does wrapped onto a second line, else the keys alone', () => {
    const narrow = (columns: number, lines: number) => draw(withSnapshot(start(BOTH, { columns, rows: 24 }))).split('\n').slice(-lines);
    expect(narrow(80, 2)).toEqual(['tab select  l logs  d deploy  P promote  R rollback  h history  c cost  t test', 'r refresh  ? help  q quit']);
    expect(narrow(60, 2)).toEqual(['tab select  l logs  d deploy  P promote  R rollback', 'h history  c cost  t test  r refresh  ? help  q quit']);
    expect(narrow(40, 1)).toEqual(['tab l d P R h c t r ? q']);
  });

  it('prod only: one panel, no promote key', () => {
    const f = draw(run(start(PROD_ONLY), { type: 'snapshot', snapshot: snapshot({}, [envStatus('prod')]), nextPollInMs: 5000 }).state);
    expect(f).toMatch(/> prod/);
    expect(f).not.toMatch(/\bdev\b/);
    expect(f).not.toMatch(/promote/);
  });

  it('the selected panel is marked without colour (">" before its name)', () => {
    const f = draw(withSnapshot(start(), key('2')));
    expect(f).toMatch(/\|\s+dev/);
    expect(f).toMatch(/\| > prod/);
  });

  it('the error banner: message, hint, and x to dismiss', () => {
    const f = draw(withSnapshot(start(), { type: 'error', error: { message: 'deploy.json: not valid JSON', hint: 'fix it or move it aside', detail: ['a', 'b'] } }));
    expect(f).toMatch(/error: deploy\.json: not valid JSON/);
    expect(f).toMatch(/hint: fix it or move it aside/);
    expect(f).toMatch(/x dismiss error/);
  });
});

describe('other screens', () => {
  it('help lists the keys', () => {
    const f = draw(run(start(), key('?')).state);
    for (const k of ['select an environment', 'logs of the selected', 'deploy the selected', 'promote', 'roll the selected', 'test the selected', 'refresh now', 'quit']) expect(f).toContain(k);
  });

  it('logs: newest line at the bottom, only the visible slice, filter and follow state', () => {
    const lines = Array.from({ length: 500 }, (_, i) => logLine(i, `message number ${i}`));
    let s = run(start(undefined, { columns: 100, rows: 20 }), key('l'), { type: 'logLines', environment: 'dev', lines }, { type: 'logStatus', environment: 'dev', status: { mode: 'live', following: true, error: null, notice: null, logGroup: '/ecs/benchling-webhook/dev' } }).state;
    let f = draw(s);
    const rows = f.split('\n');
    expect(rows[1]).toMatch(/logs dev\s+live tail\s+following\s+500 lines\s+\/ecs\/benchling-webhook\/dev/);
    expect(rows.filter((r) => /message number/.test(r))).toHaveLength(20 - 1 - 3);
    expect(rows.at(-2)).toMatch(/message number 499$/);
    s = run(s, key('/'), key('4'), key('2')).state;
    f = draw(s);
    expect(f).toMatch(/filter: 42▏/);
    expect(f.split('\n').filter((r) => /message number/.test(r)).every((r) => r.includes('42'))).toBe(true);
    s = run(s, key('return'), key('f')).state;
    expect(draw(s)).toMatch(/paused/);
  });

  it('logs at 80 columns: the filter being typed and an error with its hint are shown whole on rows of their own, not cut off the title row', () => {
    const group = 'BenchlingWebhookStack-DevLogsBE81C943-QyoMLkw6sYrE';
    const error = 'CloudWatch Logs FilterLogEvents: ExpiredTokenException: The security token included in the request is expired';
    const hint = 'log in again: aws sso login --profile dev-admin';
    let s = run(start(undefined, { columns: 80, rows: 24 }), key('l'), { type: 'logLines', environment: 'dev', lines: [logLine(1, 'INFO GET /health 200')] }, { type: 'logStatus', environment: 'dev', status: { mode: 'polling', following: true, error, hint, notice: null, logGroup: group } }).state;
    s = run(s, key('/'), key('E'), key('R'), key('R')).state;
    const f = draw(s);
    const rows = f.split('\n');
    expect(rows.every((r) => [...r].length <= 80)).toBe(true);
    expect(f).toMatch(/^filter: ERR▏$/m);
    expect(f.replace(/\n/g, ' ').replace(/\s+/g, ' ')).toContain(error);
    expect(f).toContain(hint);
    // The nearest case: without a filter being typed or an error, the title row is all there is above the lines.
    const plain = draw(run(start(undefined, { columns: 80, rows: 24 }), key('l'), { type: 'logLines', environment: 'dev', lines: [logLine(1, 'INFO GET /health 200')] }, { type: 'logStatus', environment: 'dev', status: { mode: 'live', following: true, error: null, notice: null, logGroup: group } }).state);
    expect(plain.split('\n')[2]).toMatch(/INFO GET \/health 200/);
  });

  it('a log line cannot move the cursor or recolour the screen', () => {
    const s = run(start(), key('l'), { type: 'logLines', environment: 'dev', lines: [logLine(1, 'evil \u001b[2J\u001b[31mred\nsecond')] }).state;
    const t = renderTerminal(<Dashboard state={s} onSetup={() => {}} onSave={() => {}} />, s.size);
    open.push(t);
    const raw = t.stdout.frames.at(-1)!;
    expect(raw).not.toContain('\u001b[2J');
    expect(t.frame()).toContain('evil \\x1b[2J\\x1b[31mred ⏎ second');
  });

  it('deploy confirmation: the plan, the diff, the question', () => {
    let s = run(start(), key('d')).state;
    const id = s.operation!.id;
    s = run(s, { type: 'planReady', id, plan: plan() }, { type: 'diffReady', id, lines: ['[~] AWS::ECS::TaskDefinition DevTaskDefinition'] }).state;
    const f = draw(s);
    expect(f).toMatch(/deploy dev: latest -> abc123/);
    expect(f).toMatch(/profile\s+dev/);
    expect(f).toMatch(/changes:\s*\n\s+\[~\] AWS::ECS::TaskDefinition DevTaskDefinition/);
    expect(f).toMatch(/Deploy dev\? y\/N/);
  });

  it('promote: dev image -> prod image, and the typed word', () => {
    let s = run(start(), key('P')).state;
    const id = s.operation!.id;
    const digest = `sha256:${'ab'.repeat(32)}`;
    s = run(s, { type: 'planReady', id, plan: plan({ kind: 'promote', environment: 'prod', oldTag: '0.7.0', newTag: digest, confirmWord: 'prod', rows: [{ label: 'dev runs', value: `latest = ${digest}` }] }) }, { type: 'diffReady', id, lines: [] }, key('p'), key('r')).state;
    const f = draw(s);
    expect(f).toMatch(/promote dev -> prod: 0\.7\.0 -> sha256:abababababab…/);
    expect(f).toMatch(/dev runs\s+latest = sha256:abab/);
    expect(f).toMatch(/Type "prod" to confirm, enter to run: pr/);
  });

  it('promote refused: the reason in words', () => {
    let s = run(start(), key('P')).state;
    s = run(s, { type: 'operationRefused', id: s.operation!.id, reason: 'dev is not healthy: rollout IN_PROGRESS, 0/1 running; wait for it to settle' }).state;
    expect(draw(s)).toMatch(/refused: dev is not healthy: rollout IN_PROGRESS/);
  });

  it('progress: resources done of total, rollout, events, cdk output; then the outcome', () => {
    let s = run(start(), key('d')).state;
    const id = s.operation!.id;
    s = run(s, { type: 'planReady', id, plan: plan() }, { type: 'diffReady', id, lines: [] }, key('y')).state;
    s = run(
      s,
      { type: 'deployEvent', id, event: { type: 'phase', phase: 'deploying' } },
      { type: 'deployEvent', id, event: { type: 'line', line: 'BenchlingWebhookStack: deploying... [1/1]' } },
      { type: 'deployEvent', id, event: { type: 'resource', event: { stack: 'S', done: 2, total: 3, time: '12:00:09', status: 'UPDATE_COMPLETE', resourceType: 'AWS::ECS::Service', logicalId: 'DevService' } } },
      { type: 'deployEvent', id, event: { type: 'rollout', rollout: { rolloutState: 'IN_PROGRESS', running: 1, desired: 2, pending: 1 } } },
      { type: 'tick', now: NOW + 35_000 },
    ).state;
    let f = draw(s);
    expect(f).toMatch(/cdk deploy running\s+00:35/);
    expect(f).toMatch(/resources [█░]+ 2\/3\s+rollout IN_PROGRESS: 1\/2 running, 1 pending/);
    expect(f).toMatch(/12:00:09\s+UPDATE_COMPLETE\s+AWS::ECS::Service DevService/);
    expect(f).toMatch(/deploying\.\.\. \[1\/1\]/);
    f = draw(run(s, key('escape')).state);
    expect(f).toMatch(/Cancel the deploy\? .* y\/N/);
    f = draw(run(s, { type: 'deployFinished', id, outcome: { outcome: 'failed', reasons: ['DevService (AWS::ECS::Service): UPDATE_FAILED: Circuit breaker'], stackStatus: 'UPDATE_ROLLBACK_COMPLETE', logFile: '/tmp/w/cdk.log' } }).state);
    expect(f).toMatch(/deploy of dev failed; deploy\.json unchanged; stack is UPDATE_ROLLBACK_COMPLETE/);
    expect(f).toMatch(/Circuit breaker/);
    expect(f).toMatch(/the full cdk output is in \/tmp\/w\/cdk\.log/);
  });

  it('test result', () => {
    let s = run(start(), key('t')).state;
    expect(draw(s)).toMatch(/calling…/);
    s = run(s, { type: 'testFinished', id: s.test!.id, result: { ok: true, endpoint: 'https://x/dev', source: 'deploy.json', check: { ok: true, url: 'https://x/dev/health', status: 200, latencyMs: 42.4, body: 'ok' } } }).state;
    expect(draw(s)).toMatch(/GET https:\/\/x\/dev\/health -> 200 in 42 ms/);
    expect(draw(run(s, key('escape')).state)).toMatch(/test\s+200 in 42 ms/);
  });

  it('welcome: the form for the prod profile; the secret is masked', () => {
    const s = run(start(null), form({ type: 'next' }), ...[...'acme'].map((c) => form({ type: 'input', text: c }))).state;
    const f = draw(s);
    expect(f).toMatch(/Welcome to benchling-deploy/);
    expect(f).toMatch(/Profile "default" \(prod\)/);
    expect(f).toMatch(/Benchling tenant\s+acme/);
    const secret = run(start(null), ...Array.from({ length: 4 }, () => form({ type: 'next' })), ...[...SECRET].map((c) => form({ type: 'input', text: c }))).state;
    expect(secret.setup?.texts.benchlingClientSecret).toBe(SECRET);
    expect(draw(secret)).not.toContain(SECRET);
  });
});

describe('size', () => {
  const sizes = [
    { columns: 40, rows: 8 },
    { columns: 60, rows: 12 },
    { columns: 80, rows: 24 },
    { columns: 99, rows: 30 },
    { columns: 100, rows: 24 },
    { columns: 160, rows: 50 },
    { columns: 200, rows: 15 },
  ];
  const long = 'x'.repeat(400);
  const states = (size: { columns: number; rows: number }): [string, DashboardState][] => {
    const base = start(BOTH, size);
    const snap = snapshot({ error: long }, [envStatus('dev', { health: 'degraded', reason: long, error: long, endpoint: long }), envStatus('prod', { reason: long })]);
    const main = run(base, { type: 'snapshot', snapshot: snap, nextPollInMs: 1 }, { type: 'error', error: { message: long, hint: long, detail: [long, long, long, long] } }).state;
    const logs = run(base, key('l'), { type: 'logLines', environment: 'dev', lines: Array.from({ length: 300 }, (_, i) => logLine(i, long)) }).state;
    let op = run(base, key('d')).state;
    const id = op.operation!.id;
    op = run(op, { type: 'planReady', id, plan: plan({ rows: Array.from({ length: 12 }, (_, i) => ({ label: `row${i}`, value: long })) }) }, { type: 'diffReady', id, lines: Array.from({ length: 50 }, () => long) }).state;
    let prog = run(op, key('y')).state;
    for (let i = 0; i < 60; i++) {
      prog = reduce(prog, { type: 'deployEvent', id, event: { type: 'resource', event: { stack: 'S', done: i, total: 60, time: 't', status: 'UPDATE_IN_PROGRESS', resourceType: 'AWS::X', logicalId: long } } }).state;
      prog = reduce(prog, { type: 'deployEvent', id, event: { type: 'line', line: long } }).state;
    }
    const finished = run(prog, { type: 'deployFinished', id, outcome: { outcome: 'failed', reasons: Array.from({ length: 10 }, () => long), stackStatus: 'X', logFile: long } }).state;
    return [
      ['main', main],
      ['help', run(main, key('?')).state],
      ['logs', logs],
      ['confirm', op],
      ['progress', prog],
      ['finished', finished],
      ['quit?', run(prog, key('q')).state],
      ['test', run(base, key('t')).state],
      ['welcome', start(null, size)],
    ];
  };

  for (const size of sizes) {
    it(`no frame is taller than rows - 1 or wider than the terminal at ${size.columns}x${size.rows}`, () => {
      for (const [name, state] of states(size)) {
        const m = measure(draw(state));
        expect(m.height, `${name} height`).toBeLessThanOrEqual(size.rows - 1);
        expect(m.width, `${name} width`).toBeLessThanOrEqual(size.columns);
      }
    });
  }
});
