import { describe, expect, it } from 'vitest';
import { bannerHeight, bannerLines, footerKeys, historyItems, initialDashboard, logViewHeight, oldestReadAt, reduce, PROGRESS_KEEP, type DashboardState } from '../../src/state/dashboard.js';
import type { DeployRecords } from '../../src/state/deploy-records.js';
import { initialSetupForm } from '../../src/state/setup-form.js';
import { BOTH, NOW, PROD_ONLY, envStatus, form, key, logLine, plan, run, snapshot, start } from './dashboard-fixtures.js';

const outcome = { outcome: 'succeeded' as const, endpoint: 'https://x/dev', imageTag: 'abc123', logFile: '/tmp/cdk.log' };

/** A dev deploy prepared and waiting for its confirmation. */
function confirming(word: string | null = null, environment: 'dev' | 'prod' = 'dev'): DashboardState {
  let s = start();
  if (environment === 'prod') s = run(s, key('2')).state;
  s = run(s, key('d')).state;
  const id = s.operation!.id;
  return run(s, { type: 'planReady', id, plan: plan({ confirmWord: word, environment }) }, { type: 'diffReady', id, lines: ['[~] AWS::ECS::TaskDefinition DevTaskDefinition'] }).state;
}

function running(): DashboardState {
  return run(confirming(), key('y')).state;
}

describe('start', () => {
  it('with profiles: the main screen, first environment selected, polling starts after the first frame', () => {
    const t = initialDashboard({ columns: 100, rows: 30, now: NOW, stack: BOTH });
    expect(t.state.screen).toBe('main');
    expect(t.state.selected).toBe('dev');
    expect(t.state.refreshing).toBe(true);
    expect(t.effects).toEqual([{ type: 'startStatus' }]);
  });

  it('without a profile: the welcome form for `default`, environment prod, and no polling', () => {
    const t = initialDashboard({ columns: 100, rows: 30, now: NOW, stack: null, setup: initialSetupForm('default', { environment: 'prod' }) });
    expect(t.state.screen).toBe('welcome');
    expect(t.state.setup?.profileName).toBe('default');
    expect(t.state.setup?.texts.environment).toBe('prod');
    expect(t.effects).toEqual([]);
  });

  it('with profiles not checked yet: the main screen, no polling until `started`', () => {
    const t = initialDashboard({ columns: 100, rows: 30, now: NOW, stack: BOTH, poll: false });
    expect(t.state.screen).toBe('main');
    expect(t.effects).toEqual([]);
    // A key pressed before the check is kept: `started` keeps the screen and the selection.
    const s = run(t.state, key('2'), key('?'), { type: 'started', stack: BOTH, records: {} });
    expect(s.state.screen).toBe('help');
    expect(s.state.selected).toBe('prod');
    expect(s.effects).toEqual([{ type: 'startStatus' }]);
    // A checked stack without dev (the dev profile is for prod): the selection moves to what exists.
    expect(run(t.state, { type: 'started', stack: PROD_ONLY, records: {} }).state.selected).toBe('prod');
  });

  it('prod only: prod selected', () => {
    expect(start(PROD_ONLY).selected).toBe('prod');
  });
});

describe('status', () => {
  it('a snapshot replaces the last one and ends the refresh; the next poll time is kept', () => {
    const s = run(start(), { type: 'snapshot', snapshot: snapshot(), nextPollInMs: 5000 }).state;
    expect(s.snapshot?.stackStatus).toBe('UPDATE_COMPLETE');
    expect(s.refreshing).toBe(false);
    expect(s.nextPollAt).toBe(NOW + 5000);
  });

  it('a partial snapshot (the poll\'s health, the rest still being read) is shown, and the refresh goes on until the poll\'s own', () => {
    // A refresh under way after a poll that set the next one.
    const first = run(start(), { type: 'snapshot', snapshot: snapshot(), nextPollInMs: 5000 }, key('r')).state;
    expect(first.refreshing).toBe(true);
    expect(first.nextPollAt).toBe(NOW + 5000);
    const partial = run(first, { type: 'snapshot', snapshot: snapshot({ stackStatus: 'UPDATE_IN_PROGRESS' }), nextPollInMs: 9000, partial: true }).state;
    expect(partial.snapshot?.stackStatus).toBe('UPDATE_IN_PROGRESS');
    expect(partial.refreshing).toBe(true);
    expect(partial.nextPollAt).toBe(NOW + 5000);
    const whole = run(partial, { type: 'snapshot', snapshot: snapshot(), nextPollInMs: 7000 }).state;
    expect(whole.refreshing).toBe(false);
    expect(whole.nextPollAt).toBe(NOW + 7000);
  });

  it('`r` refreshes now', () => {
    const r = run(run(start(), { type: 'snapshot', snapshot: snapshot(), nextPollInMs: 5000 }).state, key('r'));
    expect(r.state.refreshing).toBe(true);
    expect(r.effects).toEqual([{ type: 'refresh' }]);
  });

  it('tick moves the clock; resize changes the size (and nothing else)', () => {
    const s = run(start(), { type: 'tick', now: NOW + 1000 }, { type: 'resize', columns: 80, rows: 20 }).state;
    expect(s.now).toBe(NOW + 1000);
    expect(s.size).toEqual({ columns: 80, rows: 20 });
    const same = start();
    expect(reduce(same, { type: 'resize', columns: 120, rows: 30 }).state).toBe(same);
  });

  it('records and refreshStarted are kept', () => {
    const s = run(start(), { type: 'records', records: { dev: { endpoint: 'e', imageTag: 't', deployedAt: 'd', stackName: 's', stage: 'dev', history: [] } } }, { type: 'refreshStarted' }).state;
    expect(s.records.dev?.imageTag).toBe('t');
    expect(s.refreshing).toBe(true);
  });
});

describe('selection', () => {
  it('arrows, tab and shift-tab cycle; 1 and 2 pick', () => {
    const s = start();
    expect(run(s, key('right')).state.selected).toBe('prod');
    expect(run(s, key('right'), key('right')).state.selected).toBe('dev');
    expect(run(s, key('tab')).state.selected).toBe('prod');
    expect(run(s, key('tab', { shift: true })).state.selected).toBe('prod');
    expect(run(s, key('left')).state.selected).toBe('prod');
    expect(run(s, key('down')).state.selected).toBe('prod');
    expect(run(s, key('up')).state.selected).toBe('prod');
    expect(run(s, key('2')).state.selected).toBe('prod');
    expect(run(s, key('2'), key('1')).state.selected).toBe('dev');
  });

  it('with one environment, 2 does nothing and arrows stay', () => {
    const s = start(PROD_ONLY);
    expect(run(s, key('2')).state).toBe(s);
    expect(run(s, key('right')).state.selected).toBe('prod');
  });

  it('keys arriving in a burst each act on the state the previous one left', () => {
    // right, right, 2, left: dev -> prod -> dev -> prod -> dev
    expect(run(start(), key('right'), key('right'), key('2'), key('left')).state.selected).toBe('dev');
  });
});

describe('help', () => {
  it('`?` opens help; `?` or esc closes it back to where it was opened', () => {
    const h = run(start(), key('?')).state;
    expect(h.screen).toBe('help');
    expect(run(h, key('?')).state.screen).toBe('main');
    expect(run(h, key('escape')).state.screen).toBe('main');
    const fromLogs = run(start(), key('l'), key('?')).state;
    expect(fromLogs.helpFrom).toBe('logs');
    expect(run(fromLogs, key('escape')).state.screen).toBe('logs');
    expect(run(h, key('z')).state).toBe(h);
  });
});

describe('quit', () => {
  it('`q` and ctrl-c quit at once when nothing runs', () => {
    expect(run(start(), key('q')).effects).toEqual([{ type: 'quit', code: 0 }]);
    expect(run(start(), key('c', { ctrl: true })).effects).toEqual([{ type: 'quit', code: 0 }]);
    expect(run(start(), key('?'), key('q')).effects).toEqual([{ type: 'quit', code: 0 }]);
  });

  it('after quitting nothing else happens', () => {
    const s = run(start(), key('q')).state;
    expect(s.quitting).toBe(true);
    expect(reduce(s, key('r'))).toEqual({ state: s, effects: [] });
  });

  it('quitting from logs closes the tail; quitting at a confirmation releases the plan', () => {
    expect(run(start(), key('l'), key('q')).effects.slice(1)).toEqual([{ type: 'closeLogs' }, { type: 'quit', code: 0 }]);
    const c = confirming('prod', 'prod');
    expect(run(c, key('c', { ctrl: true })).effects).toEqual([{ type: 'release', id: c.operation!.id }, { type: 'quit', code: 0 }]);
  });

  it('while a deploy runs, asks first; y cancels the deploy and quits once it has ended', () => {
    const r = running();
    const id = r.operation!.id;
    const asked = run(r, key('q'));
    expect(asked.state.confirmQuit).toBe(true);
    expect(asked.effects).toEqual([]);
    expect(footerKeys(asked.state)[0]).toEqual(['y', 'quit and cancel the deploy']);
    // Any other key: stay.
    expect(run(asked.state, key('n')).state.confirmQuit).toBe(false);
    const yes = run(asked.state, key('y'));
    expect(yes.effects).toEqual([{ type: 'cancel', id }]);
    expect(yes.state.quitWhenIdle).toBe(0);
    expect(yes.state.operation?.cancelling).toBe(true);
    const ended = run(yes.state, { type: 'deployFinished', id, outcome: { outcome: 'cancelled', stackStatus: 'UPDATE_IN_PROGRESS', logFile: 'l' } });
    expect(ended.effects).toEqual([{ type: 'invalidate' }, { type: 'quit', code: 0 }]);
  });

  it('while a deploy is cancelling, q quits once cdk has stopped without asking again, as the footer says', () => {
    const r = running();
    const id = r.operation!.id;
    const cancelling = run(r, key('escape'), key('y'));
    expect(cancelling.effects).toEqual([{ type: 'cancel', id }]);
    expect(footerKeys(cancelling.state)).toContainEqual(['q', 'quit after cdk stops']);
    const q = run(cancelling.state, key('q'));
    expect(q.state.confirmQuit).toBe(false);
    expect(q.effects).toEqual([]); // no second cancel
    expect(q.state.quitWhenIdle).toBe(0);
    const ended = run(q.state, { type: 'deployFinished', id, outcome: { outcome: 'cancelled', stackStatus: 'UPDATE_IN_PROGRESS', logFile: 'l' } });
    expect(ended.effects).toEqual([{ type: 'invalidate' }, { type: 'quit', code: 0 }]);
  });

  it('q after a SIGTERM has started the cancel keeps the SIGTERM\'s exit status', () => {
    const r = running();
    const t = run(r, { type: 'terminate', code: 143 }, key('q'));
    expect(t.state.quitWhenIdle).toBe(143);
    const ended = run(t.state, { type: 'deployFinished', id: r.operation!.id, outcome: { outcome: 'cancelled', stackStatus: 'UPDATE_IN_PROGRESS', logFile: 'l' } });
    expect(ended.effects).toContainEqual({ type: 'quit', code: 143 });
  });

  it('ctrl-c while running asks to cancel, and a SIGTERM cancels and quits with its code', () => {
    const r = running();
    expect(run(r, key('c', { ctrl: true })).state.operation?.askCancel).toBe(true);
    const t = run(r, { type: 'terminate', code: 143 });
    expect(t.effects).toEqual([{ type: 'cancel', id: r.operation!.id }]);
    expect(t.state.quitWhenIdle).toBe(143);
    expect(run(start(), { type: 'terminate', code: 143 }).effects).toEqual([{ type: 'quit', code: 143 }]);
  });
});

describe('logs', () => {
  it('`l` opens the selected environment\'s logs; esc closes them', () => {
    const o = run(start(), key('2'), key('l'));
    expect(o.state.screen).toBe('logs');
    expect(o.state.logs?.environment).toBe('prod');
    expect(o.effects).toEqual([{ type: 'openLogs', environment: 'prod' }]);
    const c = run(o.state, key('escape'));
    expect(c.state.screen).toBe('main');
    expect(c.state.logs).toBeNull();
    expect(c.effects).toEqual([{ type: 'closeLogs' }]);
  });

  it('lines of the open environment are kept, newest last; others are dropped', () => {
    const s = run(start(), key('l'), { type: 'logLines', environment: 'dev', lines: [logLine(1), logLine(2)] }, { type: 'logLines', environment: 'prod', lines: [logLine(3, 'x', 'prod')] }).state;
    expect(s.logs?.buffer.toArray().map((l) => l.message)).toEqual(['line 1', 'line 2']);
    expect(reduce(s, { type: 'logLines', environment: 'dev', lines: [] }).state).toBe(s);
    expect(reduce(start(), { type: 'logLines', environment: 'dev', lines: [logLine(1)] }).state.logs).toBeNull();
  });

  it('status of the tail is kept for the screen', () => {
    const s = run(start(), key('l'), { type: 'logStatus', environment: 'dev', status: { mode: 'polling', following: true, error: null, notice: 'live tail refused' } }).state;
    expect(s.logs?.status?.mode).toBe('polling');
    expect(run(s, { type: 'logStatus', environment: 'prod', status: { mode: 'live', following: true, error: null, notice: null } }).state.logs?.status?.mode).toBe('polling');
  });

  it('`f` pauses and resumes following; new lines while paused are counted, not shown', () => {
    let s = run(start(), key('l'), { type: 'logLines', environment: 'dev', lines: [logLine(1)] }, key('f')).state;
    expect(s.logs?.buffer.paused).toBe(true);
    s = run(s, { type: 'logLines', environment: 'dev', lines: [logLine(2)] }).state;
    const view = s.logs!.buffer.view(10);
    expect(view.lines.map((l) => l.message)).toEqual(['line 1']);
    expect(view.newWhilePaused).toBe(1);
    s = run(s, key('f')).state;
    expect(s.logs?.buffer.paused).toBe(false);
    expect(s.logs!.buffer.view(10).lines.map((l) => l.message)).toEqual(['line 1', 'line 2']);
  });

  it('`/` types a filter applied as it is typed; enter keeps it, esc clears it', () => {
    const lines = [logLine(1, 'GET /api ok'), logLine(2, 'ERROR boom'), logLine(3, 'error again')];
    let s = run(start(), key('l'), { type: 'logLines', environment: 'dev', lines }, key('/')).state;
    expect(s.logs?.filterDraft).toBe('');
    // While typing, q and f are text, not keys.
    s = run(s, key('e'), key('r'), key('r'), key('q'), key('backspace')).state;
    expect(s.logs?.filterDraft).toBe('err');
    expect(s.quitting).toBe(false);
    expect(s.logs!.buffer.view(10).lines.map((l) => l.id)).toEqual(['e2', 'e3']);
    const kept = run(s, key('return')).state;
    expect(kept.logs?.filterDraft).toBeNull();
    expect(kept.logs?.buffer.filter).toBe('err');
    // esc while editing clears the filter (the footer says "esc clear"): every line shows again.
    const cleared = run(kept, key('/'), key('x'), key('escape')).state;
    expect(cleared.logs?.buffer.filter).toBe('');
    expect(cleared.logs?.filterDraft).toBeNull();
    expect(cleared.logs!.buffer.view(10).lines.map((l) => l.id)).toEqual(['e1', 'e2', 'e3']);
    expect(cleared.screen).toBe('logs');
    expect(run(s, key('escape')).state.logs?.buffer.filter).toBe('');
  });

  it('scrolling up pauses and moves the view; end goes back to the newest and follows', () => {
    const many = Array.from({ length: 100 }, (_, i) => logLine(i));
    let s = run(start(undefined, { columns: 80, rows: 20 }), key('l'), { type: 'logLines', environment: 'dev', lines: many }).state;
    const h = logViewHeight(s);
    expect(h).toBe(20 - 1 - 3);
    s = run(s, key('up')).state;
    expect(s.logs?.offset).toBe(1);
    expect(s.logs?.buffer.paused).toBe(true);
    s = run(s, key('pageUp')).state;
    expect(s.logs?.offset).toBe(1 + h - 1);
    s = run(s, key('home')).state;
    expect(s.logs?.offset).toBe(100 - h);
    s = run(s, key('pageDown'), key('down')).state;
    expect(s.logs?.offset).toBe(100 - h - (h - 1) - 1);
    s = run(s, key('end')).state;
    expect(s.logs?.offset).toBe(0);
    expect(s.logs?.buffer.paused).toBe(false);
    // Never below the newest line.
    expect(run(s, key('down')).state.logs?.offset).toBe(0);
  });
});

describe('test', () => {
  it('`t` tests the selected endpoint; the result stays in its panel', () => {
    const o = run(start(), key('t'));
    expect(o.state.screen).toBe('test');
    const id = o.state.test!.id;
    expect(o.effects).toEqual([{ type: 'test', id, environment: 'dev' }]);
    const result = { ok: true as const, endpoint: 'https://x/dev', source: 'deploy.json', check: { ok: true, url: 'https://x/dev/health', status: 200, latencyMs: 12, body: 'ok' } };
    const done = run(o.state, { type: 'testFinished', id, result }).state;
    expect(done.test?.result).toEqual(result);
    expect(done.lastTests.dev?.result).toEqual(result);
    const back = run(done, key('escape'));
    expect(back.state.screen).toBe('main');
    expect(back.effects).toEqual([]);
  });

  it('leaving before the answer abandons the call; a late answer is dropped', () => {
    const o = run(start(), key('t')).state;
    const id = o.test!.id;
    const left = run(o, key('escape'));
    expect(left.effects).toEqual([{ type: 'abandonTest', id }]);
    const late = run(left.state, { type: 'testFinished', id, result: { ok: false, message: 'no' } }).state;
    expect(late.lastTests.dev).toBeUndefined();
  });
});

describe('deploy', () => {
  it('`d` prepares a deploy of the selected environment', () => {
    const o = run(start(), key('2'), key('d'));
    expect(o.state.screen).toBe('operation');
    expect(o.state.operation).toMatchObject({ kind: 'deploy', environment: 'prod', phase: 'preparing' });
    expect(o.effects).toEqual([{ type: 'prepare', id: o.state.operation!.id, kind: 'deploy', environment: 'prod' }]);
  });

  it('the plan arrives: confirmation, and the diff is asked for', () => {
    const s = run(start(), key('d')).state;
    const id = s.operation!.id;
    const r = run(s, { type: 'planReady', id, plan: plan() });
    expect(r.state.operation?.phase).toBe('confirm');
    expect(r.state.operation?.diff).toEqual({ state: 'loading' });
    expect(r.effects).toEqual([{ type: 'diff', id }]);
    expect(run(r.state, { type: 'diffReady', id, lines: ['[~] AWS::ECS::TaskDefinition'] }).state.operation?.diff).toEqual({ state: 'ready', lines: ['[~] AWS::ECS::TaskDefinition'] });
    expect(run(r.state, { type: 'diffFailed', id, message: 'cdk diff failed', detail: ['Need to perform AWS calls'] }).state.operation?.diff).toEqual({ state: 'failed', message: 'cdk diff failed', detail: ['Need to perform AWS calls'] });
  });

  it('a plan nobody waits for (esc while preparing) is released', () => {
    const s = run(start(), key('d')).state;
    const id = s.operation!.id;
    const gone = run(s, key('escape'));
    expect(gone.state.operation).toBeNull();
    expect(gone.state.screen).toBe('main');
    expect(run(gone.state, { type: 'planReady', id, plan: plan() }).effects).toEqual([{ type: 'release', id }]);
  });

  it('dev: y runs it; n, enter or esc cancel and release the lock', () => {
    const c = confirming();
    const id = c.operation!.id;
    const yes = run(c, key('y'));
    expect(yes.state.operation?.phase).toBe('running');
    expect(yes.state.operation?.progress.startedAt).toBe(NOW);
    expect(yes.effects).toEqual([{ type: 'execute', id }]);
    for (const k of ['n', 'return', 'escape']) {
      const no = run(c, key(k));
      expect(no.state.operation).toBeNull();
      expect(no.effects).toEqual([{ type: 'release', id }]);
    }
    expect(run(c, key('z')).state).toBe(c);
  });

  it('prod: only the typed word confirms; a wrong word says so', () => {
    const c = confirming('prod', 'prod');
    const id = c.operation!.id;
    let s = run(c, key('y'), key('return')).state;
    expect(s.operation?.phase).toBe('confirm');
    expect(s.operation?.mistyped).toBe(true);
    s = run(s, key('backspace'), key('p'), key('r'), key('o'), key('x'), key('backspace'), key('d')).state;
    expect(s.operation?.typed).toBe('prod');
    expect(s.operation?.mistyped).toBe(false);
    // q typed here is text: it does not quit.
    expect(run(s, key('q')).state.quitting).toBe(false);
    const go = run(s, key('return'));
    expect(go.effects).toEqual([{ type: 'execute', id }]);
  });

  it('progress: phases, resources done of total, rollout, output tail (bounded)', () => {
    const r = running();
    const id = r.operation!.id;
    const ev = (done: number) => ({ stack: 'S', done, total: 3, time: '12:00:0' + done, status: 'UPDATE_COMPLETE', resourceType: 'AWS::ECS::Service', logicalId: 'DevService' });
    let s = run(
      r,
      { type: 'deployEvent', id, event: { type: 'phase', phase: 'deploying' } },
      { type: 'deployEvent', id, event: { type: 'resource', event: ev(2) } },
      { type: 'deployEvent', id, event: { type: 'resource', event: ev(1) } },
      { type: 'deployEvent', id, event: { type: 'rollout', rollout: { rolloutState: 'IN_PROGRESS', running: 1, desired: 2, pending: 1 } } },
    ).state;
    const p = s.operation!.progress;
    expect(p.step).toBe('deploying');
    expect([p.done, p.total]).toEqual([2, 3]);
    expect(p.events).toHaveLength(2);
    expect(p.rollout?.pending).toBe(1);
    for (let i = 0; i < PROGRESS_KEEP + 50; i++) s = run(s, { type: 'deployEvent', id, event: { type: 'line', line: `l${i}` } }).state;
    expect(s.operation!.progress.tail).toHaveLength(PROGRESS_KEEP);
    expect(s.operation!.progress.tail.at(-1)).toBe(`l${PROGRESS_KEEP + 49}`);
    // Events of another operation are ignored.
    expect(run(s, { type: 'deployEvent', id: id + 99, event: { type: 'line', line: 'x' } }).state).toBe(s);
  });

  it('esc while running asks before cancelling; y cancels, anything else keeps going', () => {
    const r = running();
    const id = r.operation!.id;
    const asked = run(r, key('escape')).state;
    expect(asked.operation?.askCancel).toBe(true);
    expect(run(asked, key('n')).state.operation?.askCancel).toBe(false);
    const cancel = run(asked, key('y'));
    expect(cancel.effects).toEqual([{ type: 'cancel', id }]);
    expect(cancel.state.operation?.cancelling).toBe(true);
    // While cancelling, esc asks nothing more.
    expect(run(cancel.state, key('escape')).state).toBe(cancel.state);
  });

  it('finished: the outcome is shown, the status re-read; esc goes back', () => {
    const r = running();
    const id = r.operation!.id;
    const f = run(r, { type: 'deployFinished', id, outcome });
    expect(f.state.operation?.phase).toBe('finished');
    expect(f.state.operation?.outcome).toEqual(outcome);
    expect(f.effects).toEqual([{ type: 'invalidate' }]);
    expect(run(f.state, key('escape')).state.screen).toBe('main');
    expect(run(f.state, key('return')).state.operation).toBeNull();
  });

  it('a failure to prepare goes to the banner; x dismisses it', () => {
    const s = run(start(), key('d')).state;
    const id = s.operation!.id;
    const failed = run(s, { type: 'operationFailed', id, error: { message: 'no usable AWS credentials', hint: 'log in again: aws sso login --profile acme-admin' } }).state;
    expect(failed.operation).toBeNull();
    expect(failed.banner?.hint).toMatch(/aws sso login --profile acme-admin/);
    expect(bannerHeight(failed)).toBe(2);
    expect(run(failed, key('x')).state.banner).toBeNull();
    expect(run(failed, key('escape')).state.banner).toBeNull();
    expect(run(failed, { type: 'dismissError' }).state.banner).toBeNull();
  });
});

describe('promote and rollback', () => {
  it('`P` prepares a promote to prod whichever environment is selected', () => {
    const o = run(start(), key('P'));
    expect(o.state.operation).toMatchObject({ kind: 'promote', environment: 'prod', phase: 'preparing' });
    expect(o.effects).toEqual([{ type: 'prepare', id: o.state.operation!.id, kind: 'promote', environment: 'prod' }]);
  });

  it('`P` without a dev environment is refused in words, with no AWS call', () => {
    const o = run(start(PROD_ONLY), key('P'));
    expect(o.state.operation?.phase).toBe('refused');
    expect(o.state.operation?.refusal).toMatch(/no dev environment/);
    expect(o.effects).toEqual([]);
    expect(run(o.state, key('escape')).state.operation).toBeNull();
  });

  it('a refusal from the checks is shown, and any of esc, enter, space goes back', () => {
    const s = run(start(), key('P')).state;
    const id = s.operation!.id;
    const r = run(s, { type: 'operationRefused', id, reason: 'dev is not healthy: rollout IN_PROGRESS' }).state;
    expect(r.operation?.phase).toBe('refused');
    expect(r.operation?.refusal).toMatch(/IN_PROGRESS/);
    expect(run(r, key(' ')).state.screen).toBe('main');
  });

});

/** deploy.json with prod at 0.7.0, deployed before at 0.6.9, 0.7.0 (again) and 0.6.8. */
const RECORDS: DeployRecords = {
  prod: {
    endpoint: 'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod',
    imageTag: '0.7.0',
    deployedAt: '2026-11-20T00:00:00.000Z',
    stackName: 'BenchlingWebhookStack',
    stage: 'prod',
    history: [
      { imageTag: '0.6.9', deployedAt: '2026-11-10T00:00:00.000Z' },
      { imageTag: '0.7.0', deployedAt: '2026-11-05T00:00:00.000Z' },
      { imageTag: '0.6.8', deployedAt: '2026-11-01T00:00:00.000Z' },
    ],
  },
};

const withRecords = (records: DeployRecords = RECORDS) => run(start(), { type: 'records', records }, key('2')).state;

describe('history and rollback', () => {
  it('`R` lists the history, newest first, the running image marked, the newest other image highlighted; nothing is prepared yet', () => {
    const o = run(withRecords(), key('R'));
    expect(o.effects).toEqual([]);
    expect(o.state.operation).toMatchObject({ kind: 'rollback', environment: 'prod', phase: 'choose' });
    const pick = o.state.operation!.history!;
    expect(pick.items.map((i) => [i.imageTag, i.running])).toEqual([['0.7.0', true], ['0.6.9', false], ['0.7.0', true], ['0.6.8', false]]);
    expect(pick.selected).toBe(1);
    expect(pick.viewOnly).toBe(false);
  });

  it('the running image is the stack\'s when a snapshot says it, else deploy.json\'s', () => {
    const s = run(withRecords(), { type: 'snapshot', snapshot: snapshot({}, [envStatus('dev'), envStatus('prod', { imageTag: '0.6.9' })]), nextPollInMs: null }).state;
    expect(historyItems(s, 'prod').map((i) => i.running)).toEqual([false, true, false, false]);
  });

  it('arrows move the highlight within the list; enter on an earlier image prepares the rollback to that image', () => {
    let s = run(withRecords(), key('R')).state;
    s = run(s, key('down'), key('down'), key('down'), key('down')).state;
    expect(s.operation!.history!.selected).toBe(3);
    s = run(s, key('up'), key('up')).state;
    expect(s.operation!.history!.selected).toBe(1);
    s = run(s, key('up'), key('up'), key('down'), key('down'), key('down')).state;
    const o = run(s, key('return'));
    expect(o.state.operation?.phase).toBe('preparing');
    expect(o.effects).toEqual([{ type: 'prepare', id: o.state.operation!.id, kind: 'rollback', environment: 'prod', imageTag: '0.6.8' }]);
  });

  it('enter on the running image (or an entry with its tag) prepares nothing and says why', () => {
    let s = run(withRecords(), key('R'), key('up')).state;
    expect(s.operation!.history!.selected).toBe(0);
    let o = run(s, key('return'));
    expect(o.effects).toEqual([]);
    expect(o.state.operation?.phase).toBe('choose');
    expect(o.state.operation?.history?.note).toMatch(/0\.7\.0 is the image prod runs now/);
    s = run(s, key('down'), key('down')).state;
    o = run(s, key('return'));
    expect(o.effects).toEqual([]);
    // The nearest case that must go on: the entry just below.
    expect(run(s, key('down'), key('return')).effects).toHaveLength(1);
  });

  it('`h` shows the history only: enter rolls nothing back; esc goes back', () => {
    const s = run(withRecords(), key('h')).state;
    expect(s.operation).toMatchObject({ phase: 'choose', history: { viewOnly: true, selected: 0 } });
    const o = run(s, key('down'), key('return'));
    expect(o.effects).toEqual([]);
    expect(o.state.operation?.phase).toBe('choose');
    expect(footerKeys(s).map(([k]) => k)).not.toContain('enter');
    expect(footerKeys(run(withRecords(), key('R')).state).map(([k]) => k)).toContain('enter');
    expect(run(s, key('escape')).state).toMatchObject({ screen: 'main', operation: null });
  });

  it('`h` then R, as the history says ("R rolls back to one of them"): the same list becomes the picker, the entry under the cursor kept; enter prepares that rollback', () => {
    const s = run(withRecords(), key('h'), key('down'), key('down'), key('down')).state;
    expect(footerKeys(s)).toContainEqual(['R', 'roll back']);
    const picker = run(s, key('R')).state;
    expect(picker.operation).toMatchObject({ phase: 'choose', history: { viewOnly: false, selected: 3 } });
    expect(footerKeys(picker).map(([k]) => k)).toContain('enter');
    expect(run(picker, key('return')).effects).toEqual([expect.objectContaining({ type: 'prepare', kind: 'rollback', environment: 'prod', imageTag: '0.6.8' })]);
  });

  it('no record of the environment: an empty list, and enter does nothing', () => {
    const s = run(start(), key('R')).state;
    expect(s.operation!.history!.items).toEqual([]);
    expect(run(s, key('return')).effects).toEqual([]);
  });
});

describe('a deploy is confirmed only once its changes are known', () => {
  const planned = (word: string | null = null) => {
    let s = start();
    if (word) s = run(s, key('2')).state;
    s = run(s, key('d')).state;
    const id = s.operation!.id;
    return { id, s: run(s, { type: 'planReady', id, plan: plan({ confirmWord: word, environment: word ? 'prod' : 'dev' }) }).state };
  };

  it('while cdk diff runs, y does nothing; once the diff is in, y runs it', () => {
    const { id, s } = planned();
    const early = run(s, key('y'));
    expect(early.effects).toEqual([]);
    expect(early.state.operation?.phase).toBe('confirm');
    expect(footerKeys(s)).toEqual([['esc', 'cancel']]);
    const ready = run(s, { type: 'diffReady', id, lines: [] }, key('y'));
    expect(ready.effects).toEqual([{ type: 'execute', id }]);
  });

  it('prod: the typed word and enter do nothing while the diff runs', () => {
    const { id, s } = planned('prod');
    const early = run(s, key('p'), key('r'), key('o'), key('d'), key('return'));
    expect(early.effects).toEqual([]);
    expect(early.state.operation?.phase).toBe('confirm');
    expect(run(s, { type: 'diffReady', id, lines: [] }, key('p'), key('r'), key('o'), key('d'), key('return')).effects).toEqual([{ type: 'execute', id }]);
  });

  it('esc still cancels while the diff runs, releasing the plan', () => {
    const { id, s } = planned();
    expect(run(s, key('escape')).effects).toEqual([{ type: 'release', id }]);
  });

  it('a failed diff keeps its reason and cdk\'s last lines; then y goes on, n cancels', () => {
    const { id, s } = planned();
    const failed = run(s, { type: 'diffFailed', id, message: 'cdk diff failed (exit 1)', detail: ['❌ Need to perform AWS calls for account 123456789012'] }).state;
    expect(failed.operation?.diff).toEqual({ state: 'failed', message: 'cdk diff failed (exit 1)', detail: ['❌ Need to perform AWS calls for account 123456789012'] });
    expect(run(failed, key('y')).effects).toEqual([{ type: 'execute', id }]);
    expect(run(failed, key('n')).effects).toEqual([{ type: 'release', id }]);
  });
});

describe('one error, shown once, with the age of the last good data', () => {
  it('a reason that only repeats one of the read errors is dropped; another reason stays', () => {
    const error = 'ECS DescribeServices: AccessDenied; ELB DescribeTargetHealth: AccessDenied';
    const same = run(start(), { type: 'snapshot', snapshot: snapshot({}, [envStatus('dev', { health: 'unknown', error, reason: 'ECS DescribeServices: AccessDenied' }), envStatus('prod')]), nextPollInMs: null }).state;
    expect(same.snapshot!.environments[0].reason).toBeNull();
    expect(same.snapshot!.environments[0].error).toBe(error);
    const other = run(start(), { type: 'snapshot', snapshot: snapshot({}, [envStatus('dev', { health: 'degraded', error, reason: '1 of 2 targets unhealthy' }), envStatus('prod')]), nextPollInMs: null }).state;
    expect(other.snapshot!.environments[0].reason).toBe('1 of 2 targets unhealthy');
  });

  it('the data age is that of the oldest part on screen, not of the poll', () => {
    const at = (ago: number) => new Date(NOW - ago).toISOString();
    expect(oldestReadAt(snapshot({ fetchedAt: at(1000), stackReadAt: at(3000) }, [envStatus('dev', { readAt: { service: at(11_000) } }), envStatus('prod', { readAt: { service: at(1000), targets: at(6000) } })]))).toBe(NOW - 11_000);
    // A credentials failure now: no part was read by it, the stack 40 s ago.
    expect(oldestReadAt(snapshot({ fetchedAt: at(0), stackReadAt: at(40_000), error: 'AWS credentials expired', errorKind: 'credentials' }, [envStatus('dev', { readAt: undefined }), envStatus('prod', { readAt: undefined })]))).toBe(NOW - 40_000);
    expect(oldestReadAt(snapshot({ fetchedAt: at(0), stackReadAt: null }, [envStatus('dev', { readAt: undefined }), envStatus('prod', { readAt: undefined })]))).toBeNull();
    expect(oldestReadAt(null)).toBeNull();
  });

  it('the banner wraps a long message to the width, and the layout counts its lines', () => {
    const message = `stack BenchlingWebhookStack could not be read: ${'ThrottlingException rate exceeded '.repeat(3)}END`;
    const s = run(start(BOTH, { columns: 40, rows: 24 }), { type: 'error', error: { message, hint: 'wait a minute' } }).state;
    const lines = bannerLines(s.banner!, 40);
    expect(lines.filter((l) => l.part === 'message').length).toBe(3);
    expect(lines.every((l) => [...l.text].length <= 40)).toBe(true);
    expect(bannerHeight(s)).toBe(4);
    expect(bannerHeight(run(start(BOTH, { columns: 400, rows: 24 }), { type: 'error', error: { message, hint: 'wait a minute' } }).state)).toBe(2);
  });
});

describe('welcome', () => {
  it('the form takes its own actions; keys other than ctrl-c are not the dashboard\'s', () => {
    const s = start(null);
    expect(run(s, key('q')).state).toBe(s);
    expect(run(s, key('c', { ctrl: true })).effects).toEqual([{ type: 'quit', code: 0 }]);
    const typed = run(s, form({ type: 'next' })).state;
    expect(typed.setup?.focus).toBe(1);
  });

  it('cancel quits without writing; save asks for the profile to be written', () => {
    expect(run(start(null), form({ type: 'cancel' })).effects).toEqual([{ type: 'quit', code: 0 }]);
    const saved = run(start(null), { type: 'setupSave' });
    expect(saved.effects).toEqual([{ type: 'saveProfile', profileName: 'default', texts: expect.objectContaining({ environment: 'prod' }) }]);
    expect(saved.state.setup?.status).toBe('saving');
    // A second enter while saving does not save twice.
    expect(run(saved.state, { type: 'setupSave' }).effects).toEqual([]);
  });

  it('a refused save shows the problems; a saved one starts the main screen and polling', () => {
    const saved = run(start(null), { type: 'setupSave' }).state;
    const failed = run(saved, { type: 'setupSaveFailed', problems: ['default.json: benchlingTenant: required'] }).state;
    expect(failed.setup?.status).toBe('editing');
    expect(failed.setup?.saveProblems).toEqual(['default.json: benchlingTenant: required']);
    const started = run(saved, { type: 'started', stack: PROD_ONLY, records: {} });
    expect(started.state.screen).toBe('main');
    expect(started.state.setup).toBeNull();
    expect(started.state.selected).toBe('prod');
    expect(started.effects).toEqual([{ type: 'startStatus' }]);
  });
});

describe('footer', () => {
  it('lists only keys that do something on each screen', () => {
    const names = (s: DashboardState) => footerKeys(s).map(([k]) => k);
    expect(names(start())).toEqual(['tab', 'l', 'd', 'P', 'R', 'h', 'c', 't', 'r', '?', 'q']);
    expect(names(start(PROD_ONLY))).not.toContain('P');
    expect(names(start(PROD_ONLY))).not.toContain('tab');
    expect(names(run(start(), key('l')).state)).toContain('/');
    expect(names(confirming())).toEqual(['y', 'n/esc']);
    expect(names(confirming('prod', 'prod'))).toEqual(['enter', 'esc']);
    expect(names(running())).toEqual(['esc/ctrl-c', 'q']);
    expect(names(run(start(), { type: 'error', error: { message: 'x' } }).state)).toContain('x');
  });

  it('every single-letter key the main footer lists changes the state or asks for an effect', () => {
    const s = start();
    for (const [k] of footerKeys(s)) {
      if (k.length !== 1) continue;
      const t = reduce(s, key(k));
      expect(t.state !== s || t.effects.length > 0, `key ${k}`).toBe(true);
    }
  });
});

describe('splitKeys', () => {
  it('splits printable bursts into keys, with the editing keys among them, and leaves escapes whole', async () => {
    const { splitKeys } = await import('../../src/state/dashboard.js');
    expect(splitKeys({ input: 'l/e' }).map((k) => k.input)).toEqual(['l', '/', 'e']);
    expect(splitKeys({ input: 'P' })).toEqual([{ input: 'P' }]);
    expect(splitKeys({ input: 'pr\u007fod\r' })).toEqual([
      { input: 'p', shift: false },
      { input: 'r', shift: false },
      { input: '', backspace: true },
      { input: 'o', shift: false },
      { input: 'd', shift: false },
      { input: '\r', return: true },
    ]);
    expect(splitKeys({ input: 'xy', ctrl: true })).toHaveLength(1);
    expect(splitKeys({ input: '', rightArrow: true })).toHaveLength(1);
  });
});
