import type { EnvironmentName } from '../config/schema.js';
import { UserError } from '../errors.js';
import { classifyAwsError, loginHint } from './aws-errors.js';
import type { LogLine, LogTailStatus } from './log-types.js';
import type { FilterLogEventsRequest, LiveTailEvent, LogsApi, RawLogEvent } from './logs-api.js';
import type { AwsErrorKind } from './status-types.js';

/** One environment's log group, by name (FilterLogEvents) and ARN (StartLiveTail takes only ARNs). */
export interface LogGroupRef {
  readonly environment: EnvironmentName;
  readonly logGroupName: string;
  readonly logGroupArn: string;
}

/** `--since` when none is given. */
export const DEFAULT_SINCE_MS = 10 * 60_000;
/** Polling cadence when live tail is not available (PRODUCT: every 2 s). */
export const POLL_INTERVAL_MS = 2000;
/** The longest a late event is waited for when polling (see {@link LogTailOptions}). */
const MAX_LOOKBACK_MS = 30_000;
/** After falling back to polling, how often live tail is tried again. */
const LIVE_RETRY_MS = 5 * 60_000;
/** The first window of a limited first read; each next one is four times wider. */
const BACKFILL_FIRST_WINDOW_MS = 15_000;
/** With no events at all, polls still move their start up to this far behind the clock. */
const IDLE_LAG_MS = 60_000;

const UNITS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `10m` -> 600000. Whole numbers with a unit s, m, h or d; anything else is a UserError naming the flag. */
export function parseSince(text: string, flag = '--since'): number {
  const m = /^\s*(\d+)\s*([smhd])\s*$/i.exec(text);
  const expected = 'expected a whole number and a unit s, m, h or d, from 1s to 3650d, e.g. 30s, 10m, 2h, 7d';
  if (!m) throw new UserError(`${flag}: "${text}" is not a duration; ${expected}`);
  const ms = Number(m[1]) * UNITS[m[2].toLowerCase()];
  if (ms <= 0) throw new UserError(`${flag}: "${text}" must be more than zero; ${expected}`);
  if (!Number.isSafeInteger(ms) || ms > 3650 * UNITS.d) throw new UserError(`${flag}: "${text}" is too far back (at most 3650d)`);
  return ms;
}

/** 600000 -> "10 min", 90000 -> "90 s", 7200000 -> "2 h". */
function formatAgo(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}

/** The load balancer's health checks (`GET /health`): hidden unless asked for, they drown everything else. */
export function isHealthCheck(message: string): boolean {
  return /\bGET \/health\b/.test(message);
}

/** Whether a line is shown: health checks only when asked for. */
function isShown(message: string, includeHealth: boolean | undefined): boolean {
  return includeHealth === true || !isHealthCheck(message);
}

/** A problem reading logs, in the words the screen and the CLI show. */
export interface LogProblem {
  readonly kind: AwsErrorKind;
  readonly message: string;
  readonly hint: string | null;
  /** The tail keeps trying anyway; this says whether it is likely to help by itself. */
  readonly retryable: boolean;
}

export function describeLogProblem(error: unknown, group: LogGroupRef, awsProfile?: string): LogProblem {
  const p = classifyAwsError(error);
  switch (p.kind) {
    case 'not-found':
      return { kind: p.kind, message: `no such log group ${group.logGroupName}: has the ${group.environment} environment been deployed?`, hint: null, retryable: false };
    case 'credentials':
      return { kind: p.kind, message: `the AWS credentials were refused (${p.message}): log in again`, hint: loginHint(awsProfile), retryable: false };
    case 'access-denied':
      return { kind: p.kind, message: `access denied reading ${group.logGroupName} (${p.message})`, hint: 'the credentials need logs:FilterLogEvents and logs:StartLiveTail on the log group', retryable: false };
    case 'throttled':
      return { kind: p.kind, message: `CloudWatch Logs is throttling (${p.message}); backing off`, hint: null, retryable: true };
    default:
      return { kind: p.kind, message: p.message, hint: null, retryable: p.retryable };
  }
}

/**
 * The wait after the `failures`-th failure in a row: doubling from `baseMs`,
 * capped at `maxMs`, then jittered to between half and all of it, so several
 * tails (dev and prod, two operators) do not retry in step.
 */
export function backoffDelay(failures: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, failures - 1));
  return Math.round(exp * (0.5 + random() * 0.5));
}

export interface ReadLogsOptions {
  readonly api: LogsApi;
  readonly group: LogGroupRef;
  /** Epoch ms, inclusive. */
  readonly startTime: number;
  readonly endTime?: number;
  readonly filterPattern?: string;
  readonly includeHealth?: boolean;
  readonly now?: () => number;
  /** At most this many lines are held (default {@link LOG_READ_MAX_LINES}). */
  readonly maxLines?: number;
  /** At most this many characters of messages are held (default {@link LOG_READ_MAX_CHARS}). */
  readonly maxChars?: number;
}

/** Lines one read holds at most: a busy group over a day holds millions, each event up to 256 KB. */
export const LOG_READ_MAX_LINES = 200_000;
/** Characters of messages one read holds at most (about 64 MB). */
export const LOG_READ_MAX_CHARS = 32 * 1024 * 1024;

export interface LogsRead {
  /** Oldest first. */
  readonly lines: LogLine[];
  /**
   * When the window held more than the bounds, or filled them with older lines not read: the time of the oldest line
   * kept (older lines, and some of that same millisecond, were not shown); else null.
   */
  readonly shownFrom: number | null;
}

/**
 * The newest events of a time window, up to the bounds (health checks hidden unless asked for), oldest first: read
 * newest first as the log tail's first read is ({@link readNewest}), so a window of more than the bounds shows its
 * newest lines and `shownFrom` says from when, instead of holding the whole window in memory. Throws what the API
 * throws.
 */
export async function readLogs(options: ReadLogsOptions): Promise<LogsRead> {
  const now = options.now ?? Date.now;
  const shows = (e: RawLogEvent) => isShown(e.message, options.includeHealth);
  const request = { logGroupName: options.group.logGroupName, filterPattern: options.filterPattern };
  const read = await readNewest(options.api, request, { since: options.startTime, until: options.endTime, readAt: now() }, { maxLines: options.maxLines ?? LOG_READ_MAX_LINES, maxChars: options.maxChars ?? LOG_READ_MAX_CHARS }, shows, { hidden: false });
  if (!read) throw new Error('readLogs: a read that nothing stops came back stopped');
  const receivedAt = now();
  let n = 0;
  // Read with hidden: false, every event kept is one shown.
  const lines = read.events.map((e) => toLine(e, e.eventId ?? `read-${n++}`, options.group.environment, receivedAt));
  return { lines, shownFrom: read.droppedUpTo > -Infinity ? (lines[0]?.timestamp ?? read.droppedUpTo + 1) : null };
}

/** What {@link readNewest} read. */
interface NewestRead {
  /** Oldest first, within the bounds (health checks kept among them, uncounted). */
  readonly events: RawLogEvent[];
  /**
   * The newest time of what was left out (all of it older than what is kept, or of the same millisecond), or
   * -Infinity when nothing was. When the bounds filled before the range's start was read, the time just before the
   * last window read: what is older was not read, and may hold lines.
   */
  readonly droppedUpTo: number;
}

/**
 * The newest `maxLines` shown events of a range, with at most `maxChars` characters of their messages. One request
 * for the whole range first: when it needs no second page (a quiet group), that is all. When it does, the range is
 * read again newest first, in windows (the newest {@link BACKFILL_FIRST_WINDOW_MS}, then each four times wider),
 * every page of each, until the bounds are met; what is older than the bounds allow goes as its pages come (oldest
 * first), so a window holds about what it may keep, not all it has. `keep.seen` is called with every event read, kept
 * or not. Events not shown (health checks) are kept, uncounted, only with `keep.hidden` (the tail notes them as
 * seen); otherwise they go as they come, so a quiet group's week of health checks is not held. Null when
 * `keep.stopped()` says so between requests.
 */
async function readNewest(
  api: LogsApi,
  request: { readonly logGroupName: string; readonly filterPattern?: string },
  range: { readonly since: number; readonly until?: number; readonly readAt: number },
  bounds: { readonly maxLines: number; readonly maxChars: number },
  shows: (e: RawLogEvent) => boolean,
  keep: { readonly hidden: boolean; readonly stopped?: () => boolean; readonly seen?: (e: RawLogEvent) => void },
): Promise<NewestRead | null> {
  const stopped = keep.stopped ?? (() => false);
  const seen = keep.seen ?? (() => {});
  /** Notes `e` as read, and counts it (its message's length) when shown; whether it is kept: shown, or with `keep.hidden`. */
  const admit = (e: RawLogEvent, count: (chars: number) => void): boolean => {
    seen(e);
    if (!shows(e)) return keep.hidden;
    count(e.message.length);
    return true;
  };
  const windows: RawLogEvent[][] = []; // newest window first
  let visible = 0;
  let chars = 0;
  let droppedUpTo = -Infinity;
  const untilEnd = range.until !== undefined ? { endTime: range.until } : {};
  const whole = await api.filterLogEvents({ ...request, startTime: range.since, ...untilEnd });
  if (stopped()) return null;
  if (!whole.nextToken) {
    const count = (n: number) => {
      visible += 1;
      chars += n;
    };
    windows.push(whole.events.filter((e) => admit(e, count)));
  } else {
    let upper = range.until ?? range.readAt;
    let endTime = range.until; // without one, the first window has no end: lines stamped a little ahead of this clock count too
    let width = BACKFILL_FIRST_WINDOW_MS;
    let startReached = false;
    while (visible < bounds.maxLines && droppedUpTo === -Infinity && !startReached && !stopped()) {
      const startTime = Math.max(range.since, upper - width);
      startReached = startTime === range.since;
      // Only this window's newest lines within what the bounds still allow can be kept (every later window is older).
      const needLines = bounds.maxLines - visible;
      const needChars = bounds.maxChars - chars;
      // A slot let go of is emptied at once, so an event up to 256 KB is not held until the slots are spliced.
      const events: (RawLogEvent | undefined)[] = [];
      let first = 0;
      let shown = 0;
      let shownChars = 0;
      const count = (n: number) => {
        shown += 1;
        shownChars += n;
      };
      for await (const page of pages(api, { ...request, startTime, ...(endTime !== undefined ? { endTime } : {}) }, stopped)) {
        // One by one: a spread of a whole page is one call argument each, and a big one overflows the stack.
        for (const e of page) if (admit(e, count)) events.push(e);
        while (shown > needLines || shownChars > needChars) {
          const gone = events[first]!;
          events[first++] = undefined;
          if (shows(gone)) {
            shown -= 1;
            shownChars -= gone.message.length;
          }
          droppedUpTo = Math.max(droppedUpTo, gone.timestamp);
        }
        // What went is let go of now and then, not at every line.
        if (first > 4096 && first * 2 > events.length) {
          events.splice(0, first);
          first = 0;
        }
      }
      windows.push((first > 0 ? events.slice(first) : events) as RawLogEvent[]);
      visible += shown;
      chars += shownChars;
      // Both ends of FilterLogEvents' range are inclusive: the next window ends just before this one starts.
      endTime = startTime - 1;
      upper = startTime;
      width *= 4;
    }
    if (stopped()) return null;
    // The lines filled the bound exactly, and what is older was not read: it may hold more.
    if (visible >= bounds.maxLines && !startReached) droppedUpTo = Math.max(droppedUpTo, upper - 1);
  }
  const all = windows.reverse().flat().sort((a, b) => a.timestamp - b.timestamp);
  // Beyond the bounds, the oldest shown lines go (with any health checks among them).
  let cut = 0;
  while (visible > bounds.maxLines || chars > bounds.maxChars) {
    const gone = all[cut++]!;
    if (shows(gone)) {
      visible -= 1;
      chars -= gone.message.length;
    }
  }
  if (cut > 0) droppedUpTo = Math.max(droppedUpTo, all[cut - 1]!.timestamp);
  return { events: all.slice(cut), droppedUpTo };
}

/** Every page of a request; a token that comes back as it was sent ends it (it would be asked for again forever). */
async function* pages(api: LogsApi, request: FilterLogEventsRequest, stopped: () => boolean = () => false): AsyncGenerator<readonly RawLogEvent[]> {
  let nextToken: string | undefined;
  do {
    const page = await api.filterLogEvents({ ...request, ...(nextToken ? { nextToken } : {}) });
    yield page.events;
    if (page.nextToken !== undefined && page.nextToken === nextToken) return;
    nextToken = page.nextToken;
  } while (nextToken && !stopped());
}

export interface LogTailOptions {
  readonly api: LogsApi;
  readonly group: LogGroupRef;
  /** New lines, each batch oldest first; never called after stop(). */
  readonly onLines: (lines: LogLine[]) => void;
  /** Every change of the tail's status. */
  readonly onStatus?: (status: LogTailStatus) => void;
  /**
   * Once, when the first read (the past `sinceMs`) has delivered all its
   * lines: several tails' first reads can then be shown merged by time.
   */
  readonly onFirstRead?: () => void;
  /** How far back the first lines go (default 10 minutes). */
  readonly sinceMs?: number;
  /**
   * At most this many lines from the first read (the newest of `sinceMs`),
   * for a screen that keeps no more: the past is read newest first, in
   * widening windows, and the read stops once it has them, instead of
   * reading every page of a busy log group. Unset: every line of `sinceMs`.
   */
  readonly backfillLimit?: number;
  /** A CloudWatch filter pattern, given to both APIs. */
  readonly filterPattern?: string;
  readonly includeHealth?: boolean;
  /** Try StartLiveTail first (default true); false polls from the start. */
  readonly live?: boolean;
  /** Named in the hint when the credentials are refused. */
  readonly awsProfile?: string;
  /** Default 2000. */
  readonly pollIntervalMs?: number;
  /** Back-off after a failure: doubles from `baseMs` up to `maxMs`, with jitter (default 2 s .. 30 s). */
  readonly backoff?: { readonly baseMs?: number; readonly maxMs?: number };
  /** Live tail that has not started after this long counts as unavailable (default 10 s). */
  readonly liveStartTimeoutMs?: number;
  /** After falling back to polling, live tail is tried again this often (default 5 min): a refusal may pass (a session quota, a permission granted). */
  readonly liveRetryMs?: number;
  /** A live session that sends nothing for this long is dropped and a new one started (default 15 s; AWS sends every second). */
  readonly liveQuietTimeoutMs?: number;
  readonly now?: () => number;
  /** [0, 1): the jitter's source. */
  readonly random?: () => number;
}

export interface LogTail {
  readonly status: LogTailStatus;
  /** Ends the live-tail stream, waits for a poll in flight, and reports `stopped`. */
  stop(): Promise<void>;
}

/**
 * Follows one environment's log group: the last `sinceMs` first, then live
 * tail (StartLiveTail, pushed about every second), falling back by itself to
 * FilterLogEvents polling every 2 s when live tail is refused or does not
 * start, and saying so once. Polls read all pages and resume from the newest
 * timestamp seen, less the longest ingestion delay seen lately (events from
 * several streams reach CloudWatch out of order), de-duplicated by event id;
 * lines that reach both live tail and a poll (a session starting, a new
 * session after AWS ends one at three hours) are de-duplicated by content.
 * A failure becomes `status.error` and the tail tries again with back-off;
 * it never throws.
 */
export function startLogTail(options: LogTailOptions): LogTail {
  const tail = new Tail(options);
  tail.start();
  return tail;
}

class Tail implements LogTail {
  status: LogTailStatus = { mode: 'idle', following: true, error: null, notice: null };
  private readonly api: LogsApi;
  private readonly group: LogGroupRef;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly interval: number;
  private readonly backoffBase: number;
  private readonly backoffMax: number;
  private stopped = false;
  private running: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private liveAbort: AbortController | undefined;
  private failures = 0;
  private liveSeq = 0;
  private readonly seen = new SeenEvents();
  /** Polls start here: moves only forward. */
  private resumeFrom: number;
  /** Newest event timestamp seen. */
  private watermark = -Infinity;
  /** Largest ingestion delay of each recent batch. */
  private readonly delays: number[] = [];
  private sampledSaid = false;
  /** A live-tail session has started at least once. */
  private liveWorked = false;

  constructor(private readonly options: LogTailOptions) {
    this.api = options.api;
    this.group = options.group;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.interval = options.pollIntervalMs ?? POLL_INTERVAL_MS;
    this.backoffBase = options.backoff?.baseMs ?? POLL_INTERVAL_MS;
    this.backoffMax = options.backoff?.maxMs ?? 30_000;
    this.resumeFrom = this.now() - (options.sinceMs ?? DEFAULT_SINCE_MS);
    const limit = options.backfillLimit;
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new RangeError(`backfillLimit must be a positive integer, not ${limit}`);
  }

  start(): void {
    this.emit({});
    this.running = this.run().catch((error: unknown) => {
      // A bug, not an AWS failure: show it rather than lose it.
      this.emit({ mode: 'stopped', following: false, error: `log tail stopped: ${error instanceof Error ? error.message : String(error)}` });
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.wake?.();
    this.liveAbort?.abort();
    await this.running;
    this.emit({ mode: 'stopped', following: false });
  }

  private async run(): Promise<void> {
    // The recent past first, so the screen is not empty while live tail starts.
    const limit = this.options.backfillLimit;
    while (!this.stopped) {
      try {
        await (limit !== undefined ? this.backfill(limit) : this.poll());
        this.succeeded();
        if (!this.stopped) this.options.onFirstRead?.();
        break;
      } catch (error) {
        if (this.stopped) return;
        await this.failedThenWait(error);
      }
    }
    const live = this.options.live !== false;
    if (live && !this.stopped) await this.follow();
    else this.emit({ mode: 'polling' });
    const retryMs = this.options.liveRetryMs ?? LIVE_RETRY_MS;
    let retryAt = this.now() + retryMs;
    while (!this.stopped) {
      if (live && this.now() >= retryAt) {
        // Live tail again; back here only if it is still unavailable.
        await this.follow();
        retryAt = this.now() + retryMs;
        continue;
      }
      const started = this.now();
      try {
        await this.poll();
        this.succeeded();
        await this.sleep(Math.max(0, this.interval - (this.now() - started)));
      } catch (error) {
        if (this.stopped) return;
        await this.failedThenWait(error);
      }
    }
  }

  /** Live tail until stopped; returns early when it is unavailable and polling must take over. */
  private async follow(): Promise<void> {
    const timeoutMs = this.options.liveStartTimeoutMs ?? 10_000;
    const quietMs = this.options.liveQuietTimeoutMs ?? 15_000;
    while (!this.stopped) {
      const controller = new AbortController();
      this.liveAbort = controller;
      let timedOut = false;
      let started = false;
      let quiet = false;
      const startTimer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, timeoutMs);
      // AWS sends an update every second, empty or not: a session silent for much longer is dead (a half-open connection).
      let watchdog: NodeJS.Timeout | undefined;
      const watch = () => {
        clearTimeout(watchdog);
        watchdog = setTimeout(() => {
          quiet = true;
          controller.abort();
        }, quietMs);
      };
      try {
        const stream = await this.api.startLiveTail({ logGroupArn: this.group.logGroupArn, filterPattern: this.options.filterPattern, signal: controller.signal });
        let gapPendingSince: number | undefined;
        for await (const event of stream) {
          if (this.stopped) break;
          watch();
          if (!started) {
            started = true;
            this.liveWorked = true;
            clearTimeout(startTimer);
            this.failures = 0;
            // Back from polling (only a fall-back polls while live tail is wanted): the notice that said so no longer holds.
            this.emit({ mode: 'live', error: null, errorKind: null, hint: null, ...(this.status.mode === 'polling' ? { notice: null } : {}) });
            gapPendingSince = -Infinity;
          }
          // What reached CloudWatch between the last poll (or session) and this session's start.
          if (gapPendingSince !== undefined && this.now() >= gapPendingSince) {
            gapPendingSince = (await this.fillGap()) ? undefined : this.now() + this.backoffDelay();
            if (this.stopped) break;
            watch();
          }
          if (event.type === 'update') this.deliverLive(event);
        }
        if (this.stopped) return;
        // The session ended (AWS ends each after three hours): start the next one at once.
        if (!started) await this.failedThenWait(new Error('the live tail session ended before it started'));
      } catch (error) {
        if (this.stopped) return;
        if (timedOut && !started) return this.fallBack(`live tail did not start within ${Math.round(timeoutMs / 1000)} s`);
        if (quiet) {
          await this.failedThenWait(new Error(`live tail sent nothing for ${Math.round(quietMs / 1000)} s; starting a new session`));
          continue;
        }
        if (nameOf(error) === 'SessionTimeoutException') continue;
        if (!started && this.refusesLiveTail(error)) return this.fallBack(`live tail is unavailable (${classifyAwsError(error).message})`);
        await this.failedThenWait(error);
      } finally {
        clearTimeout(startTimer);
        clearTimeout(watchdog);
        this.liveAbort = undefined;
      }
    }
  }

  /**
   * Whether polling should take over from a live tail that would not start.
   * A missing log group or refused credentials fail polling too: wait and try
   * again. Before any session has run, anything else counts as unavailable
   * (no permission, no quota, an endpoint that does not serve it); once one
   * has, only a refusal does, and a passing failure is retried.
   */
  private refusesLiveTail(error: unknown): boolean {
    const kind = classifyAwsError(error).kind;
    if (kind === 'not-found' || kind === 'credentials') return false;
    if (!this.liveWorked) return true;
    return kind === 'access-denied' || kind === 'other';
  }

  private fallBack(reason: string): void {
    const notice = `${reason}; polling every ${Math.round(this.interval / 100) / 10} s instead`;
    // Said once: a retry refused the same way changes nothing on the screen.
    this.emit(notice === this.status.notice ? { mode: 'polling' } : { mode: 'polling', notice });
  }

  /** One poll of every page from {@link resumeFrom}; lines are delivered page by page. */
  private async poll(): Promise<void> {
    const polledAt = this.now();
    const request = { logGroupName: this.group.logGroupName, startTime: this.resumeFrom, filterPattern: this.options.filterPattern };
    let delay = 0;
    for await (const page of pages(this.api, request, () => this.stopped)) {
      if (this.stopped) return;
      delay = Math.max(delay, this.deliver(page, 'polled'));
    }
    // Only now, with every page read: a later page may repeat lines from before a start moved mid-poll.
    this.moveOn(delay);
    // Nothing new for a long time: stop searching from further back than needed.
    this.advance(polledAt - IDLE_LAG_MS);
  }

  /**
   * The first read with a limit. One request for the whole of `--since`
   * first: when it needs no second page (a quiet group), that is all. When it
   * does, the range is read again newest first, in windows (the newest
   * {@link BACKFILL_FIRST_WINDOW_MS}, then each four times wider), every page
   * of each, until `limit` visible lines are in hand. Only the newest `limit`
   * are delivered, once, at the end: a failure part-way delivers nothing and
   * the whole read is tried again.
   */
  private async backfill(limit: number): Promise<void> {
    const readAt = this.now();
    const since = this.resumeFrom;
    let delay = 0;
    const read = await readNewest(
      this.api,
      { logGroupName: this.group.logGroupName, filterPattern: this.options.filterPattern },
      { since, readAt },
      { maxLines: limit, maxChars: Infinity },
      (e) => isShown(e.message, this.options.includeHealth),
      {
        hidden: true,
        stopped: () => this.stopped,
        seen: (e) => {
          if (e.ingestionTime !== undefined) delay = Math.max(delay, e.ingestionTime - e.timestamp);
        },
      },
    );
    if (!read) return;
    const kept = read.events;
    this.deliver(kept, 'polled');
    this.moveOn(delay);
    // Later reads start after what was left out, so it never arrives afterwards, out of place.
    if (read.droppedUpTo > -Infinity) this.advance(read.droppedUpTo + 1);
    this.advance(readAt - IDLE_LAG_MS);
    if (read.droppedUpTo > -Infinity && kept.length > 0) {
      this.emit({
        notice: `showing the newest ${limit.toLocaleString('en-US')} lines (from ${formatAgo(readAt - kept[0].timestamp)} ago); older lines of the last ${formatAgo(readAt - since)} are not loaded: ${limit < LOG_READ_MAX_LINES ? `\`benchling-deploy logs --since\` prints more of them (the newest ${LOG_READ_MAX_LINES.toLocaleString('en-US')})` : 'a filter narrows them'}`,
      });
    }
  }

  private async fillGap(): Promise<boolean> {
    try {
      await this.poll();
      this.succeeded();
      return true;
    } catch (error) {
      if (this.stopped) return true;
      const problem = describeLogProblem(error, this.group, this.options.awsProfile);
      this.emit({ error: problem.message, errorKind: problem.kind, hint: problem.hint });
      return false;
    }
  }

  private deliverLive(event: Extract<LiveTailEvent, { type: 'update' }>): void {
    if (event.sampled && !this.sampledSaid) {
      this.sampledSaid = true;
      this.emit({ notice: 'live tail is sampling: more lines arrive than it carries (500 an update), so some are not shown; narrow them with a filter' });
    }
    const delay = this.deliver(event.events, 'live');
    if (event.events.length > 0) this.moveOn(delay);
  }

  /** Delivers what was not seen yet; returns the largest ingestion delay among the events. */
  private deliver(events: readonly RawLogEvent[], source: 'polled' | 'live'): number {
    const receivedAt = this.now();
    const lines: LogLine[] = [];
    let delay = 0;
    for (const e of events) {
      if (e.ingestionTime !== undefined) delay = Math.max(delay, e.ingestionTime - e.timestamp);
      if (!(source === 'live' ? this.seen.acceptLive(e) : this.seen.acceptPolled(e))) continue;
      if (e.timestamp > this.watermark) this.watermark = e.timestamp;
      if (!isShown(e.message, this.options.includeHealth)) continue;
      lines.push(toLine(e, source === 'live' || e.eventId === undefined ? `live-${this.liveSeq++}` : e.eventId, this.group.environment, receivedAt));
    }
    if (lines.length > 0 && !this.stopped) this.options.onLines(sortByTime(lines));
    return delay;
  }

  /**
   * After a whole poll or live update: the next poll starts at the newest
   * line seen less the longest ingestion delay of the last 30 polls or
   * updates (about a minute), so a stream whose lines reach CloudWatch late
   * is still read, and nothing older is remembered.
   */
  private moveOn(delay: number): void {
    this.delays.push(Math.min(MAX_LOOKBACK_MS, Math.max(0, delay)));
    if (this.delays.length > 30) this.delays.shift();
    if (this.watermark > -Infinity) this.advance(this.watermark - Math.max(...this.delays));
  }

  /** Moves the next poll's start forward (never back) and forgets events before it. */
  private advance(to: number): void {
    if (to <= this.resumeFrom) return;
    this.resumeFrom = to;
    this.seen.forgetBefore(to);
  }

  private succeeded(): void {
    this.failures = 0;
    if (this.status.error !== null) this.emit({ error: null, errorKind: null, hint: null });
  }

  private async failedThenWait(error: unknown): Promise<void> {
    this.failures += 1;
    const problem = describeLogProblem(error, this.group, this.options.awsProfile);
    this.emit({ error: problem.message, errorKind: problem.kind, hint: problem.hint });
    await this.sleep(this.backoffDelay());
  }

  private backoffDelay(): number {
    return backoffDelay(this.failures, this.backoffBase, this.backoffMax, this.random);
  }

  /** A chained timer that stop() cuts short. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.stopped) return resolve();
      this.wake = resolve;
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.wake = undefined;
        resolve();
      }, ms);
    });
  }

  private emit(patch: Partial<LogTailStatus>): void {
    const next: LogTailStatus = { ...this.status, ...patch, logGroup: this.group.logGroupName };
    const changed = (Object.keys(next) as (keyof LogTailStatus)[]).some((k) => next[k] !== this.status[k]);
    this.status = next;
    if (changed || patch.notice !== undefined) this.options.onStatus?.(next);
  }
}

/**
 * Events already delivered, for as long as a poll may return them again:
 * polled ones by event id, and by content (time, stream, message) across
 * live tail and polls, since live tail gives no ids.
 */
class SeenEvents {
  private readonly ids = new Map<string, number>();
  private readonly polled = new Map<string, number>();
  private readonly live = new Map<string, number>();

  acceptPolled(e: RawLogEvent): boolean {
    const key = contentKey(e);
    if (e.eventId !== undefined) {
      if (this.ids.has(e.eventId)) return false;
      this.ids.set(e.eventId, e.timestamp);
    }
    if (this.live.has(key)) return false;
    this.polled.set(key, e.timestamp);
    return true;
  }

  acceptLive(e: RawLogEvent): boolean {
    const key = contentKey(e);
    if (this.polled.has(key)) return false;
    this.live.set(key, e.timestamp);
    return true;
  }

  forgetBefore(timestamp: number): void {
    for (const map of [this.ids, this.polled, this.live]) for (const [k, t] of map) if (t < timestamp) map.delete(k);
  }
}

function contentKey(e: RawLogEvent): string {
  return `${e.timestamp}\u0000${e.logStreamName}\u0000${e.message}`;
}

function toLine(e: RawLogEvent, id: string, environment: EnvironmentName, receivedAt: number): LogLine {
  return { id, environment, timestamp: e.timestamp, receivedAt, stream: e.logStreamName, message: e.message.replace(/\r?\n$/, '') };
}

function sortByTime(lines: LogLine[]): LogLine[] {
  for (let i = 1; i < lines.length; i++) if (lines[i].timestamp < lines[i - 1].timestamp) return lines.map((l, j) => [l, j] as const).sort((a, b) => a[0].timestamp - b[0].timestamp || a[1] - b[1]).map(([l]) => l);
  return lines;
}

function nameOf(error: unknown): string | undefined {
  return error && typeof error === 'object' && 'name' in error ? String((error as { name: unknown }).name) : undefined;
}
