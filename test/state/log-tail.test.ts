/**
 * The log tail through the real CloudWatch Logs SDK client (createLogsApi)
 * against the fake AWS endpoint: live tail as a real event stream, the
 * fallback to FilterLogEvents polling, de-duplication, filters, errors.
 * Intervals are shortened (updates every 100 ms, polls every 100 ms) so the
 * whole file runs in seconds; nothing here asserts how long anything took.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeAws, type FakeAws } from '../fake-aws/server.js';
import { namesOf, standardScenario } from '../fake-aws/scenario.js';
import { liveTailSessionsOpen, setFakeLogs } from '../fake-aws/services/logs.js';
import { createLogsApi, type ClosableLogsApi } from '../../src/state/logs-aws.js';
import { readLogs, startLogTail, type LogGroupRef, type LogTail, type LogTailOptions } from '../../src/state/log-tail.js';
import type { LogLine, LogTailStatus } from '../../src/state/log-types.js';
import type { LogsApi } from '../../src/state/logs-api.js';

let fake: FakeAws;
let api: ClosableLogsApi;
let group: LogGroupRef;
let tails: LogTail[] = [];
const savedEnv = { ...process.env };

beforeEach(async () => {
  fake = await startFakeAws(standardScenario());
  Object.assign(process.env, fake.env);
  delete process.env.AWS_PROFILE;
  setFakeLogs(fake.scenario, { updateIntervalMs: 100 });
  // One attempt per call: the tail's own back-off is what is tested, not the SDK's retries.
  api = createLogsApi({ region: fake.scenario.region, maxAttempts: 1 });
  const logGroupName = namesOf(fake.scenario, 'dev').logGroup;
  group = { environment: 'dev', logGroupName, logGroupArn: `arn:aws:logs:us-east-1:123456789012:log-group:${logGroupName}` };
  tails = [];
});

afterEach(async () => {
  await Promise.all(tails.map((t) => t.stop()));
  api.close();
  await fake.close();
  process.env = { ...savedEnv };
});

function events() {
  return fake.scenario.logGroups[group.logGroupName];
}

function emit(message: string, options: { stream?: string; timestamp?: number; ingestionTime?: number } = {}): void {
  const timestamp = options.timestamp ?? Date.now();
  events().push({ logStreamName: options.stream ?? 'webhook/app/a', timestamp, message, ...(options.ingestionTime !== undefined ? { ingestionTime: options.ingestionTime } : {}) });
}

function follow(overrides: Partial<LogTailOptions> = {}) {
  const lines: LogLine[] = [];
  const statuses: LogTailStatus[] = [];
  const tail = startLogTail({
    api,
    group,
    onLines: (batch) => lines.push(...batch),
    onStatus: (s) => statuses.push(s),
    pollIntervalMs: 100,
    backoff: { baseMs: 50, maxMs: 200 },
    // Generous: a live tail that starts late on a loaded machine must not turn into polling here (the fallback has its own test).
    liveStartTimeoutMs: 10_000,
    ...overrides,
  });
  tails.push(tail);
  return { tail, lines, statuses, messages: () => lines.map((l) => l.message) };
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Live, and the read that closes the gap before the session answered (the
 * fake reads the group as it answers, and sets the call's status then). The
 * tail reports `live` as the session starts, before that read: a line written
 * in between is read by it, not by live tail. From here on a new line can
 * reach the tail only through live tail, since no poll runs while a session
 * does.
 */
async function untilLive(t: { tail: LogTail }): Promise<void> {
  await waitFor('live, and the read that closes the gap answered', () => {
    if (t.tail.status.mode !== 'live') return false;
    const session = fake.calls.matching('StartLiveTail').at(-1);
    return session !== undefined && fake.calls.matching('FilterLogEvents').some((c) => c.seq > session.seq && c.status === 200);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function countsOf(messages: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of messages) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
}

describe('the log tail, live', () => {
  it('starts with the last --since of lines (health checks hidden), then follows with live tail, each line once', async () => {
    emit('INFO ready', { timestamp: Date.now() - 30_000 });
    emit('GET /health 200', { timestamp: Date.now() - 20_000 });
    const t = follow({ sinceMs: 90_000 });
    await untilLive(t);
    // The standard scenario's start line is two minutes old: before --since.
    expect(t.messages()).toEqual(['INFO ready']);
    emit('INFO one', { stream: 'webhook/app/a' });
    emit('"GET /health HTTP/1.1" 200 -', { stream: 'webhook/app/b' });
    emit('INFO two', { stream: 'webhook/app/b' });
    await waitFor('two live lines', () => t.messages().includes('INFO two'));
    await sleep(400);
    expect(t.messages()).toEqual(['INFO ready', 'INFO one', 'INFO two']);
    expect(t.lines.slice(1).every((l) => l.id.startsWith('live-'))).toBe(true);
    expect(new Set(t.lines.map((l) => l.id)).size).toBe(t.lines.length);
    expect(t.lines[2]).toMatchObject({ environment: 'dev', stream: 'webhook/app/b' });
    expect(t.lines[2].receivedAt).toBeGreaterThanOrEqual(t.lines[2].timestamp);
    // One session, and no polling while it runs: the first read and one to close the gap before the session.
    expect(fake.calls.count('StartLiveTail')).toBe(1);
    expect(fake.calls.count('FilterLogEvents')).toBe(2);
    expect(t.tail.status).toMatchObject({ mode: 'live', following: true, error: null, notice: null, logGroup: group.logGroupName });
  });

  it('shows health checks when asked to', async () => {
    emit('GET /health 200', { timestamp: Date.now() - 1000 });
    const t = follow({ includeHealth: true });
    await untilLive(t);
    emit('GET /health 200 (live)');
    await waitFor('health line', () => t.messages().includes('GET /health 200 (live)'));
    expect(t.messages()).toContain('GET /health 200');
  });

  it('passes the filter pattern to both APIs and shows only what matches', async () => {
    emit('ERROR early', { timestamp: Date.now() - 5000 });
    emit('INFO early', { timestamp: Date.now() - 4000 });
    const t = follow({ filterPattern: 'ERROR' });
    await untilLive(t);
    emit('INFO late');
    emit('ERROR late');
    await waitFor('late error', () => t.messages().includes('ERROR late'));
    await sleep(300);
    expect(t.messages()).toEqual(['ERROR early', 'ERROR late']);
    expect(fake.calls.matching('FilterLogEvents').every((c) => (c.input as { filterPattern?: string }).filterPattern === 'ERROR')).toBe(true);
    expect(fake.calls.matching('StartLiveTail').map((c) => (c.input as { logEventFilterPattern?: string }).logEventFilterPattern)).toEqual(['ERROR']);
  });

  it('starts the next session when AWS ends one, losing and repeating nothing in between', async () => {
    setFakeLogs(fake.scenario, { sessionTimeoutMs: 350, updateIntervalMs: 100 });
    const t = follow();
    await waitFor('live', () => t.tail.status.mode === 'live');
    const sent: string[] = [];
    // A line every 30 ms until AWS has ended at least two sessions (a third asked for), however slowly they turn over.
    for (let i = 0; i < 40 || fake.calls.count('StartLiveTail') < 3; i++) {
      if (i >= 500) throw new Error(`timed out waiting for: a third session (${fake.calls.count('StartLiveTail')} so far)`);
      const m = `INFO n${i}`;
      emit(m);
      sent.push(m);
      await sleep(30);
    }
    await waitFor('every line', () => sent.every((m) => t.messages().includes(m)));
    await sleep(300);
    const counts = countsOf(t.messages());
    expect(sent.filter((m) => counts.get(m) !== 1)).toEqual([]);
    expect(t.tail.status.mode).toBe('live');
    expect(t.tail.status.error).toBeNull();
  });

  it('a line that reaches both the new session and the read that closes the gap before it is shown once', async () => {
    // Slow reads: the first one, and the one after the session starts, while the session's updates queue up.
    fake.inject({ kind: 'slow', operation: 'FilterLogEvents', delayMs: 400, times: 2 });
    // The line is written as the tail sends that read: after the session started (its next update carries the line) and before the read (which carries it too).
    let sessionAskedFor = false;
    let written = false;
    const hooked: LogsApi = {
      startLiveTail: (request) => {
        sessionAskedFor = true;
        return api.startLiveTail(request);
      },
      filterLogEvents: (request) => {
        if (sessionAskedFor && !written) {
          written = true;
          emit('INFO in both');
        }
        return api.filterLogEvents(request);
      },
    };
    const t = follow({ api: hooked });
    await waitFor('the line', () => t.messages().includes('INFO in both'));
    // Shown by the read (it has the read's event id)...
    expect(t.lines.find((l) => l.message === 'INFO in both')?.id).not.toMatch(/^live-/);
    // ...and not again by the live update that carried it: a line written later comes in that update or a later one.
    emit('INFO after');
    await waitFor('the later line', () => t.messages().includes('INFO after'));
    expect(t.lines.find((l) => l.message === 'INFO after')?.id).toMatch(/^live-/);
    expect(t.messages().filter((m) => m === 'INFO in both')).toHaveLength(1);
    expect(t.tail.status.mode).toBe('live');
  });

  it('a session that goes quiet (a half-open connection) is dropped and a new one started', async () => {
    setFakeLogs(fake.scenario, { updateIntervalMs: 60_000 });
    const t = follow({ liveQuietTimeoutMs: 300 });
    await waitFor('the quiet session given up', () => /live tail sent nothing for 0 s; starting a new session/.test(t.tail.status.error ?? ''));
    // Sessions asked for from now on send updates; one asked for before is quiet too, and is given up in turn.
    const quiet = fake.calls.count('StartLiveTail');
    setFakeLogs(fake.scenario, { updateIntervalMs: 100 });
    // The tail asks for a session only after giving up the one before (an error): a new one running clears it.
    await waitFor('a session that sends updates, running', () => fake.calls.count('StartLiveTail') > quiet && t.tail.status.error === null);
    emit('INFO after the quiet');
    await waitFor('line', () => t.messages().includes('INFO after the quiet'));
    // Still live tail, not polling; waited for, since a machine that stalls for longer than the 300 ms watch drops a session that is not quiet.
    await waitFor('live, no error, no notice', () => t.tail.status.mode === 'live' && t.tail.status.error === null && t.tail.status.notice === null);
    await waitFor('the quiet sessions closed on the server', () => liveTailSessionsOpen() === 1);
  });

  it('says once that live tail is sampling when more lines arrive than an update carries', async () => {
    setFakeLogs(fake.scenario, { maxEventsPerUpdate: 5 });
    const t = follow();
    await untilLive(t);
    // Each burst is written at once, so one update carries it.
    for (let i = 0; i < 20; i++) emit(`INFO burst ${i}`);
    await waitFor('sampling notice', () => /sampling/.test(t.tail.status.notice ?? ''));
    for (let i = 0; i < 20; i++) emit(`INFO burst again ${i}`);
    await waitFor('the second burst', () => t.messages().some((m) => m.startsWith('INFO burst again ')));
    expect(t.statuses.filter((s) => /sampling/.test(s.notice ?? '')).map((s) => s.notice).filter((n, i, all) => all.indexOf(n) === i)).toHaveLength(1);
    const shown = (prefix: RegExp) => t.messages().filter((m) => prefix.test(m)).length;
    expect(shown(/^INFO burst \d/)).toBeGreaterThan(0);
    expect(shown(/^INFO burst \d/)).toBeLessThan(20);
    expect(shown(/^INFO burst again /)).toBeGreaterThan(0);
    expect(shown(/^INFO burst again /)).toBeLessThan(20);
  });

  it('stop() ends the live-tail stream and nothing is delivered after it', async () => {
    const t = follow();
    await waitFor('live', () => t.tail.status.mode === 'live');
    expect(liveTailSessionsOpen()).toBe(1);
    await t.tail.stop();
    expect(t.tail.status).toMatchObject({ mode: 'stopped', following: false });
    await waitFor('the session closed on the server', () => liveTailSessionsOpen() === 0, 2000);
    const before = t.lines.length;
    emit('INFO after stop');
    await sleep(300);
    expect(t.lines.length).toBe(before);
  });
});

describe('the log tail, polling', () => {
  it('falls back to polling by itself when live tail is refused, says so once, and reads every line once across polls and pages', async () => {
    setFakeLogs(fake.scenario, { refuseLiveTail: 'AccessDeniedException', pageSize: 3 });
    const t = follow();
    await waitFor('polling', () => t.tail.status.mode === 'polling');
    expect(t.tail.status.notice).toMatch(/live tail is unavailable \(AccessDeniedException: .*StartLiveTail.*\); polling every 0\.1 s instead/);
    const sent: string[] = [];
    const now = Date.now();
    for (let round = 0; round < 6; round++) {
      // Several lines in the same millisecond, more than a page: ids tell them apart, pages resume.
      for (let i = 0; i < 5; i++) {
        const m = `INFO r${round} i${i}`;
        emit(m, { timestamp: now + round * 50 });
        sent.push(m);
      }
      await sleep(120);
    }
    await waitFor('every line', () => sent.every((m) => t.messages().includes(m)));
    await sleep(400);
    const counts = countsOf(t.messages());
    expect(sent.filter((m) => counts.get(m) !== 1)).toEqual([]);
    expect(fake.calls.count('FilterLogEvents')).toBeGreaterThan(6);
    expect(fake.calls.count('StartLiveTail')).toBe(1);
    const notices = t.statuses.map((s) => s.notice).filter((n): n is string => n !== null);
    expect(new Set(notices).size).toBe(1);
    expect(t.statuses.filter((s, i) => s.notice !== null && t.statuses[i - 1]?.notice !== s.notice)).toHaveLength(1);
    // Polls resume from the newest line seen, not from --since each time.
    const starts = fake.calls.matching('FilterLogEvents').map((c) => (c.input as { startTime: number }).startTime);
    expect(starts[starts.length - 1]).toBeGreaterThanOrEqual(now + 5 * 50 - 1000);
  });

  it('tries live tail again from time to time: back to live once it is allowed, the notice gone, every line once across the switch', async () => {
    setFakeLogs(fake.scenario, { refuseLiveTail: 'AccessDeniedException' });
    const t = follow({ liveRetryMs: 300 });
    await waitFor('polling', () => t.tail.status.mode === 'polling');
    emit('INFO while polling');
    await waitFor('the polled line', () => t.messages().includes('INFO while polling'));
    // Refused again: said once, still polling.
    await waitFor('two more tries', () => fake.calls.count('StartLiveTail') >= 3);
    expect(t.tail.status.mode).toBe('polling');
    expect(t.statuses.filter((st, i) => st.notice !== null && t.statuses[i - 1]?.notice !== st.notice)).toHaveLength(1);

    setFakeLogs(fake.scenario, { refuseLiveTail: undefined });
    await untilLive(t);
    expect(t.tail.status.notice).toBeNull();
    emit('INFO live again');
    await waitFor('the live line', () => t.messages().includes('INFO live again'));
    expect(t.lines.find((l) => l.message === 'INFO live again')?.id).toMatch(/^live-/);
    await sleep(300);
    const counts = countsOf(t.messages());
    expect([counts.get('INFO while polling'), counts.get('INFO live again')]).toEqual([1, 1]);
  });

  it('keeps reading a stream whose lines reach CloudWatch late (resumes before the newest line by the delay seen)', async () => {
    const t = follow({ live: false });
    await waitFor('first poll', () => fake.calls.count('FilterLogEvents') >= 1);
    const sent: string[] = [];
    for (let round = 0; round < 10; round++) {
      const now = Date.now();
      emit(`INFO fast ${round}`, { stream: 'webhook/app/fast', timestamp: now, ingestionTime: now });
      // The slow stream's lines are 1.5 s old when CloudWatch gets them (a container's log driver batching).
      emit(`INFO slow ${round}`, { stream: 'webhook/app/slow', timestamp: now - 1500, ingestionTime: now });
      sent.push(`INFO fast ${round}`, `INFO slow ${round}`);
      await sleep(150);
    }
    await waitFor('every line', () => sent.every((m) => t.messages().includes(m)));
    const counts = countsOf(t.messages());
    expect(sent.filter((m) => counts.get(m) !== 1)).toEqual([]);
    expect(t.tail.status.mode).toBe('polling');
  });

  it('gives way to polling when live tail does not start in time', async () => {
    fake.inject({ kind: 'slow', operation: 'StartLiveTail', delayMs: 3000 });
    const t = follow({ liveStartTimeoutMs: 300 });
    await waitFor('polling', () => t.tail.status.mode === 'polling');
    expect(t.tail.status.notice).toMatch(/live tail did not start within 0 s|live tail did not start within/);
    emit('INFO polled');
    await waitFor('polled line', () => t.messages().includes('INFO polled'));
  });

  it('stop() waits for the poll in flight and delivers none of it', async () => {
    const t = follow({ live: false });
    await waitFor('first poll', () => fake.calls.count('FilterLogEvents') >= 1);
    const slow = fake.inject({ kind: 'slow', operation: 'FilterLogEvents', delayMs: 500 });
    emit('INFO in the slow poll');
    await waitFor('a slow poll in flight', () => slow.hits >= 1);
    await t.tail.stop();
    // The slow reply was written before stop() resolved, and its line was dropped.
    expect(fake.calls.matching('FilterLogEvents').every((c) => c.status === 200)).toBe(true);
    expect(t.messages()).not.toContain('INFO in the slow poll');
    const calls = fake.calls.count('FilterLogEvents');
    await sleep(300);
    expect(fake.calls.count('FilterLogEvents')).toBe(calls);
  });
});

describe('the log tail, a first read with a limit (the dashboard keeps 5,000 lines)', () => {
  /** Each FilterLogEvents request's time range, in order, without the requests for further pages. */
  const requests = () =>
    fake.calls
      .matching('FilterLogEvents')
      .map((c) => c.input as { startTime?: number; endTime?: number; nextToken?: string })
      .filter((input) => input.nextToken === undefined)
      .map(({ startTime, endTime }) => ({ startTime: startTime!, endTime }));

  it('on a busy group reads newest first and stops once it has the limit: only the newest lines, oldest first, and it says older ones are not loaded', async () => {
    const now = Date.now();
    // Ten minutes of an old burst nobody needs on the screen...
    for (let i = 0; i < 2000; i++) emit(`INFO old ${i}`, { stream: `webhook/app/${i % 3}`, timestamp: now - 590_000 + i * 100 });
    // ...and the last five seconds, with health checks among them (not counted, not shown).
    for (let i = 0; i < 80; i++) {
      emit(`INFO recent ${i}`, { stream: `webhook/app/${i % 3}`, timestamp: now - 5000 + i * 50 });
      emit('GET /health 200', { stream: 'webhook/app/h', timestamp: now - 5000 + i * 50 + 1 });
    }
    setFakeLogs(fake.scenario, { pageSize: 25 });
    const t = follow({ sinceMs: 600_000, backfillLimit: 50, live: false });
    await waitFor('the first lines', () => t.lines.length >= 50);
    // Counted at once: polls every 100 ms follow the first read.
    const callsByNow = fake.calls.count('FilterLogEvents');
    expect(t.messages().slice(0, 50)).toEqual(Array.from({ length: 50 }, (_, i) => `INFO recent ${i + 30}`));
    // The whole range once (its first page had more after it), then one window: the newest 15 s, every page of it.
    const [whole, window] = requests();
    expect(Math.abs(whole.startTime - (now - 600_000))).toBeLessThan(5000);
    expect(window.endTime).toBeUndefined();
    expect(now - window.startTime).toBeGreaterThanOrEqual(14_000);
    expect(now - window.startTime).toBeLessThan(20_000);
    // The old burst's 80 pages were never read: one page of it, the window's 7 (and a poll or two by now).
    expect(callsByNow).toBeLessThan(15);
    expect(t.tail.status.notice).toMatch(/^showing the newest 50 lines \(from \d+ s ago\); older lines of the last 10 min are not loaded: `benchling-deploy logs --since` prints more of them \(the newest 200,000\)$/);

    // Following goes on from there: a new line comes once, and nothing left out turns up later.
    emit('INFO next');
    await waitFor('the next line', () => t.messages().includes('INFO next'));
    await sleep(300);
    expect(t.messages()).toEqual([...Array.from({ length: 50 }, (_, i) => `INFO recent ${i + 30}`), 'INFO next']);
  });

  it('on a quiet group, one request; exactly the limit is not called more', async () => {
    events().length = 0; // without the scenario's start line
    const now = Date.now();
    for (let i = 0; i < 50; i++) emit(`INFO ${i}`, { timestamp: now - 3000 + i * 10 });
    const t = follow({ sinceMs: 600_000, backfillLimit: 50, live: false, pollIntervalMs: 60_000 });
    await waitFor('the first lines', () => t.lines.length >= 50);
    await waitFor('the first poll after it', () => requests().length >= 2);
    const [whole, poll] = requests();
    expect(whole.endTime).toBeUndefined();
    expect(Math.abs(whole.startTime - (now - 600_000))).toBeLessThan(5000);
    // The next request is the polling that follows, from the newest line on.
    expect(poll.startTime).toBeGreaterThan(now - 60_000);
    expect(t.messages()).toEqual(Array.from({ length: 50 }, (_, i) => `INFO ${i}`));
    expect(t.tail.status.notice).toBeNull();
  });

  it('with fewer lines than the limit over many pages, reads back to --since in windows that meet end to end, and shows every line once', async () => {
    events().length = 0;
    const now = Date.now();
    for (const [message, ago] of [
      ['INFO too old', 660_000],
      ['INFO 8 min', 480_000],
      ['INFO 2 min', 120_000],
      ['INFO 30 s', 30_000],
      ['INFO 5 s', 5000],
    ] as const) emit(message, { timestamp: now - ago });
    setFakeLogs(fake.scenario, { pageSize: 2 });
    const t = follow({ sinceMs: 600_000, backfillLimit: 100, live: false, pollIntervalMs: 60_000 });
    await waitFor('the first lines', () => t.lines.length >= 4);
    expect(t.messages()).toEqual(['INFO 8 min', 'INFO 2 min', 'INFO 30 s', 'INFO 5 s']);
    expect(t.tail.status.notice).toBeNull();
    // After the whole range (two pages): newest first, each four times wider, each ending 1 ms before the last one began, the last at --since.
    const windows = requests().slice(1, 5);
    expect(windows[0].endTime).toBeUndefined();
    for (let i = 1; i < windows.length; i++) expect(windows[i].endTime).toBe(windows[i - 1].startTime - 1);
    expect(windows.slice(1, 3).map((w) => w.endTime! + 1 - w.startTime)).toEqual([60_000, 240_000]);
    expect(windows[3].startTime).toBe(requests()[0].startTime);
    await sleep(300);
    expect(t.messages()).toEqual(['INFO 8 min', 'INFO 2 min', 'INFO 30 s', 'INFO 5 s']);
  });

  it('a failure part-way delivers nothing; the read is tried again whole and each line comes once', async () => {
    events().length = 0;
    const now = Date.now();
    for (let i = 0; i < 10; i++) emit(`INFO ${i}`, { timestamp: now - 100_000 + i * 11_000 }); // the last two in the first window
    setFakeLogs(fake.scenario, { pageSize: 3 });
    let calls = 0;
    const failing: LogsApi = {
      startLiveTail: (request) => api.startLiveTail(request),
      filterLogEvents: (request) => {
        calls += 1;
        // The whole range, the first window, then the second window fails.
        if (calls === 3) return Promise.reject(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }));
        return api.filterLogEvents(request);
      },
    };
    const t = follow({ api: failing, sinceMs: 600_000, backfillLimit: 100, live: false });
    await waitFor('the lines', () => t.lines.length >= 10);
    await sleep(300);
    expect(t.messages()).toEqual(Array.from({ length: 10 }, (_, i) => `INFO ${i}`));
    expect(calls).toBeGreaterThan(4);
  });

  it('refuses a limit that is not a positive whole number', () => {
    expect(() => follow({ backfillLimit: 0 })).toThrow(RangeError);
  });
});

describe('the log tail, errors in place', () => {
  it('no such log group: says so, keeps trying with back-off, and recovers when the group appears', async () => {
    delete fake.scenario.logGroups[group.logGroupName];
    const t = follow();
    await waitFor('error', () => t.tail.status.error !== null);
    expect(t.tail.status).toMatchObject({ errorKind: 'not-found', mode: 'idle' });
    expect(t.tail.status.error).toMatch(/no such log group \/ecs\/benchling-webhook\/dev: has the dev environment been deployed\?/);
    await waitFor('retries', () => fake.calls.count('FilterLogEvents') >= 3);
    fake.scenario.logGroups[group.logGroupName] = [{ logStreamName: 'webhook/app/a', timestamp: Date.now(), message: 'INFO first deploy' }];
    await waitFor('live after recovery', () => t.tail.status.mode === 'live');
    expect(t.tail.status.error).toBeNull();
    expect(t.messages()).toEqual(['INFO first deploy']);
  });

  it('throttling and expired credentials are shown, with the words to act on, and the tail recovers', async () => {
    setFakeLogs(fake.scenario, { refuseLiveTail: 'AccessDeniedException' });
    const t = follow();
    await waitFor('polling', () => t.tail.status.mode === 'polling');
    fake.inject({ kind: 'throttle', operation: 'FilterLogEvents', times: 2 });
    await waitFor('throttled', () => t.tail.status.errorKind === 'throttled');
    expect(t.tail.status.error).toMatch(/throttling \(ThrottlingException: Rate exceeded\); backing off/);
    await waitFor('recovered', () => t.tail.status.error === null);
    fake.inject({ kind: 'expired-credentials', operation: 'FilterLogEvents', times: 1 });
    await waitFor('credentials', () => t.tail.status.errorKind === 'credentials');
    expect(t.tail.status.error).toMatch(/log in again/);
    expect(t.tail.status.hint).toMatch(/aws sso login/);
    await waitFor('recovered again', () => t.tail.status.error === null);
    emit('INFO still here');
    await waitFor('line after recovery', () => t.messages().includes('INFO still here'));
    expect(t.tail.status.mode).toBe('polling');
  });

  it('a live session that fails is started again, not given up for polling', async () => {
    const t = follow();
    await waitFor('live', () => t.tail.status.mode === 'live');
    fake.inject({ kind: 'server-error', operation: 'StartLiveTail', times: 1 });
    // AWS ends the session; the next start fails once with a server error.
    setFakeLogs(fake.scenario, { sessionTimeoutMs: 1 });
    await waitFor('a new session was asked for', () => fake.calls.count('StartLiveTail') >= 2);
    setFakeLogs(fake.scenario, { sessionTimeoutMs: 3 * 3600_000 });
    await waitFor('a session running again', () => fake.calls.count('StartLiveTail') >= 3 && t.tail.status.mode === 'live');
    emit('INFO after the break');
    await waitFor('line', () => t.messages().includes('INFO after the break'));
    expect(t.tail.status.notice).toBeNull();
  });
});

describe('readLogs', () => {
  it('reads every page of a window, oldest first, health checks hidden unless asked for', async () => {
    setFakeLogs(fake.scenario, { pageSize: 3 });
    const now = Date.now();
    fake.scenario.logGroups[group.logGroupName] = [];
    for (let i = 0; i < 10; i++) emit(i === 4 ? 'GET /health 200' : `INFO ${i}`, { timestamp: now - 10_000 + i * 100, stream: `webhook/app/${i % 2}` });
    emit('INFO too old', { timestamp: now - 60_000 });
    fake.scenario.logGroups[group.logGroupName].sort((a, b) => a.timestamp - b.timestamp);
    const { lines, shownFrom } = await readLogs({ api, group, startTime: now - 30_000 });
    expect(lines.map((l) => l.message)).toEqual(['INFO 0', 'INFO 1', 'INFO 2', 'INFO 3', 'INFO 5', 'INFO 6', 'INFO 7', 'INFO 8', 'INFO 9']);
    expect(shownFrom).toBeNull();
    // One request for the whole window (a second page is due), then newest first: the last 15 s (four pages of
    // three) and the rest of the window (nothing in it).
    expect(fake.calls.count('FilterLogEvents')).toBe(6);
    const withHealth = (await readLogs({ api, group, startTime: now - 30_000, includeHealth: true })).lines;
    expect(withHealth).toHaveLength(10);
    expect(new Set(withHealth.map((l) => l.id)).size).toBe(10);
  });

  it('holds the newest lines within its bounds of lines and characters: older windows are not read, and it says from when it shows', async () => {
    setFakeLogs(fake.scenario, { pageSize: 3 });
    const now = Date.now();
    fake.scenario.logGroups[group.logGroupName] = [];
    // Thirty lines two seconds apart, the newest a second ago: the last 15 s hold eight of them.
    for (let i = 0; i < 30; i++) emit(`INFO ${String(i).padStart(2, '0')} ${'x'.repeat(90)}`, { timestamp: now - 59_000 + i * 2_000 });
    const byLines = await readLogs({ api, group, startTime: now - 120_000, maxLines: 7, now: () => now });
    expect(byLines.lines.map((l) => l.message.slice(0, 7))).toEqual(['INFO 23', 'INFO 24', 'INFO 25', 'INFO 26', 'INFO 27', 'INFO 28', 'INFO 29']);
    expect(byLines.shownFrom).toBe(byLines.lines[0]!.timestamp);
    // The whole window's first page, then the newest 15 s (three pages of three): not the ten pages of the window.
    expect(fake.calls.count('FilterLogEvents')).toBe(4);
    fake.calls.reset();
    const byChars = await readLogs({ api, group, startTime: now - 120_000, maxChars: 5 * 98 + 10, now: () => now });
    expect(byChars.lines.map((l) => l.message.slice(0, 7))).toEqual(['INFO 25', 'INFO 26', 'INFO 27', 'INFO 28', 'INFO 29']);
    expect(byChars.shownFrom).toBe(byChars.lines[0]!.timestamp);
    expect(fake.calls.count('FilterLogEvents')).toBe(4);
    // Within the bounds, the whole window read: everything, and no shownFrom.
    const all = await readLogs({ api, group, startTime: now - 120_000, maxLines: 31, now: () => now });
    expect(all.lines).toHaveLength(30);
    expect(all.shownFrom).toBeNull();
    // Exactly the bound, with the window's start not read: what is older may hold more, and it says so.
    const exact = await readLogs({ api, group, startTime: now - 120_000, maxLines: 30, now: () => now });
    expect(exact.lines).toHaveLength(30);
    expect(exact.shownFrom).toBe(exact.lines[0]!.timestamp);
  });

  it('the bound filled exactly by the newest windows, with older lines unread: it says from when it shows (a second review)', async () => {
    setFakeLogs(fake.scenario, { pageSize: 2 });
    const now = Date.now();
    fake.scenario.logGroups[group.logGroupName] = [];
    for (let i = 0; i < 3; i++) emit(`INFO old ${i}`, { timestamp: now - 100_000 + i });
    for (let i = 0; i < 4; i++) emit(`INFO new ${i}`, { timestamp: now - 5_000 + i });
    const read = await readLogs({ api, group, startTime: now - 120_000, maxLines: 4, now: () => now });
    expect(read.lines.map((l) => l.message)).toEqual(['INFO new 0', 'INFO new 1', 'INFO new 2', 'INFO new 3']);
    expect(read.shownFrom).toBe(now - 5_000);
  });

  it('keeps the newest lines that fit the characters, and no older line after one that did not fit, though it would', async () => {
    setFakeLogs(fake.scenario, { pageSize: 1 });
    const now = Date.now();
    fake.scenario.logGroups[group.logGroupName] = [];
    emit(`INFO short`, { timestamp: now - 90_000 });
    emit(`INFO long ${'x'.repeat(190)}`, { timestamp: now - 50_000 });
    emit(`INFO newest ${'y'.repeat(88)}`, { timestamp: now - 1_000 });
    const read = await readLogs({ api, group, startTime: now - 120_000, maxChars: 250, now: () => now });
    expect(read.lines.map((l) => l.message.slice(0, 11))).toEqual(['INFO newest']);
    expect(read.shownFrom).toBe(now - 1_000);
  });

  it('a one-millisecond window of several pages; health checks neither counted nor shown across pages and windows', async () => {
    setFakeLogs(fake.scenario, { pageSize: 2 });
    const now = Date.now();
    fake.scenario.logGroups[group.logGroupName] = [];
    for (let i = 0; i < 5; i++) emit(`INFO same ${i}`, { timestamp: now - 10_000 });
    const instant = await readLogs({ api, group, startTime: now - 10_000, endTime: now - 10_000, now: () => now });
    expect(instant.lines.map((l) => l.message)).toEqual(['INFO same 0', 'INFO same 1', 'INFO same 2', 'INFO same 3', 'INFO same 4']);
    expect(instant.shownFrom).toBeNull();
    fake.scenario.logGroups[group.logGroupName] = [];
    for (let i = 0; i < 12; i++) emit(i % 3 === 0 ? `INFO ${i}` : 'GET /health 200', { timestamp: now - 40_000 + i * 3_000 });
    const hidden = await readLogs({ api, group, startTime: now - 120_000, maxLines: 3, now: () => now });
    expect(hidden.lines.map((l) => l.message)).toEqual(['INFO 3', 'INFO 6', 'INFO 9']);
    expect(hidden.shownFrom).not.toBeNull();
  });

  it('stops when the service gives back the token it was sent, instead of asking for the same page forever', async () => {
    let calls = 0;
    const looping = { filterLogEvents: async () => ({ events: [{ eventId: `e${calls}`, timestamp: 1, logStreamName: 's', message: `INFO ${calls++}` }], nextToken: 'same' }) } as unknown as Parameters<typeof readLogs>[0]['api'];
    const read = await readLogs({ api: looping, group, startTime: 1, now: () => 10_000 });
    // The whole range's first page, then the one window that covers it: its first page and the page asked for again.
    expect(calls).toBe(3);
    expect(read.lines.map((l) => l.message)).toEqual(['INFO 1', 'INFO 2']);
  });
});
