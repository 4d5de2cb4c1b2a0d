/**
 * CloudWatch Logs (JSON 1.1): FilterLogEvents and StartLiveTail over
 * `scenario.logGroups`.
 *
 * Filter patterns: the term subset only (`ERROR`, `"exact phrase"`, several
 * terms all required, `?a ?b` any of, `-term` none of); a JSON or space-delimited
 * pattern is refused with InvalidParameterException rather than matched wrongly.
 *
 * FilterLogEvents: events of `startTime..endTime` (inclusive), oldest first,
 * pages of `limit` (default 10,000) events and at most about 1 MB, as AWS's,
 * with an opaque `nextToken`. Event ids are
 * stable (a group's events are only ever appended to), and a group kept
 * oldest first (as `scenario.logGroups` documents) is searched by binary search,
 * so a group of hundreds of thousands of events stays cheap to poll (the bench).
 *
 * StartLiveTail: the real AWS event stream (`application/vnd.amazon.eventstream`
 * binary frames, which the SDK decodes): a `sessionStart` event, then every
 * `updateIntervalMs` (AWS: about a second) a `sessionUpdate` with the events
 * appended to the group since the last update, matching the pattern; more than
 * `maxEventsPerUpdate` (AWS: 500) are sampled down and marked `sampled`, as AWS
 * does. The session ends with a `SessionTimeoutException` frame after
 * `sessionTimeoutMs` (AWS: 3 hours), or when the client goes away. Log groups are
 * named by ARN (`arn:aws:logs:REGION:ACCOUNT:log-group:NAME`), as the real API
 * requires; a plain name or a `:*` ARN is an InvalidParameterException. Tune
 * both operations per scenario with {@link setFakeLogs} (JSON-friendly, so the
 * control API's `PUT /__fake/scenario` can carry it too):
 *
 *     setFakeLogs(fake.scenario, { refuseLiveTail: 'AccessDeniedException' });  // the SDK throws AccessDeniedException
 *     setFakeLogs(fake.scenario, { updateIntervalMs: 100, sessionTimeoutMs: 500, pageSize: 3 });
 *
 * {@link liveTailSessionsOpen} says how many sessions are streaming now (a
 * client that stops must end its stream).
 */
import { randomUUID } from 'node:crypto';
import { EventStreamCodec } from '@smithy/core/event-streams';
import { AwsServiceError, optionalString, stringList, StreamingOutput, type ServiceDefinition } from '../protocols.js';
import type { FakeLogEvent, Scenario } from '../scenario.js';

/** How the fake's CloudWatch Logs behaves; every member optional, AWS's values by default. */
export interface FakeLogsOptions {
  /** Time between two `sessionUpdate` frames (AWS: about 1,000 ms). */
  updateIntervalMs?: number;
  /** Events in one update before it is sampled down (AWS: 500). */
  maxEventsPerUpdate?: number;
  /** The session ends with SessionTimeoutException after this long (AWS: 3 hours). */
  sessionTimeoutMs?: number;
  /** Refuse StartLiveTail with this error code, e.g. `AccessDeniedException` (a role without logs:StartLiveTail). */
  refuseLiveTail?: string;
  /** FilterLogEvents' page size when the caller gives no `limit` (AWS: 10,000). */
  pageSize?: number;
}

/** A scenario that may carry these settings (kept here so scenario.ts stays as it is). */
type WithLogs = Scenario & { logsOptions?: FakeLogsOptions };

/** Sets (merges) the CloudWatch Logs settings of a scenario; `{}` leaves AWS's defaults. */
export function setFakeLogs(scenario: Scenario, options: FakeLogsOptions): void {
  const s = scenario as WithLogs;
  s.logsOptions = { ...s.logsOptions, ...options };
}

function optionsOf(scenario: Scenario): Required<Omit<FakeLogsOptions, 'refuseLiveTail'>> & { refuseLiveTail?: string } {
  const o = (scenario as WithLogs).logsOptions ?? {};
  return {
    updateIntervalMs: o.updateIntervalMs ?? 1000,
    maxEventsPerUpdate: o.maxEventsPerUpdate ?? 500,
    sessionTimeoutMs: o.sessionTimeoutMs ?? 3 * 3600_000,
    refuseLiveTail: o.refuseLiveTail,
    pageSize: o.pageSize ?? 10_000,
  };
}

let openSessions = 0;

/** Live-tail sessions streaming right now, across every fake in this process. */
export function liveTailSessionsOpen(): number {
  return openSessions;
}

const REFUSALS: Record<string, { status: number; message: string }> = {
  AccessDeniedException: { status: 400, message: 'User: arn:aws:sts::123456789012:assumed-role/ReadOnly/operator is not authorized to perform: logs:StartLiveTail' },
  LimitExceededException: { status: 400, message: 'Maximum number of concurrent live tail sessions reached' },
  InvalidOperationException: { status: 400, message: 'Live Tail is not supported for this account' },
  ServiceUnavailableException: { status: 503, message: 'The service cannot complete the request.' },
};

const codec = new EventStreamCodec(
  (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8'),
  (text: string) => new Uint8Array(Buffer.from(text, 'utf8')),
);

function frame(kind: 'event' | 'exception', type: string, payload: unknown): Uint8Array {
  const typeHeader = kind === 'event' ? ':event-type' : ':exception-type';
  return codec.encode({
    headers: {
      ':message-type': { type: 'string', value: kind },
      [typeHeader]: { type: 'string', value: type },
      ':content-type': { type: 'string', value: 'application/json' },
    },
    body: new Uint8Array(Buffer.from(JSON.stringify(payload), 'utf8')),
  });
}

const LOG_GROUP_ARN = /^arn:aws[a-z-]*:logs:[a-z0-9-]+:\d{12}:log-group:([^*]+)$/;

export const logs: ServiceDefinition<Scenario> = {
  signingName: 'logs',
  protocol: 'json',
  targetPrefix: 'Logs_20140328',
  throttle: { code: 'ThrottlingException', status: 400, message: 'Rate exceeded' },
  expired: { code: 'ExpiredTokenException', status: 400 },
  operations: {
    FilterLogEvents(input, scenario) {
      const group = optionalString(input, 'logGroupName') ?? optionalString(input, 'logGroupIdentifier')?.replace(/^arn:.*:log-group:/, '').replace(/:\*$/, '');
      if (!group) throw new AwsServiceError('InvalidParameterException', 'logGroupName or logGroupIdentifier is required');
      const events = scenario.logGroups[group];
      if (!events) throw new AwsServiceError('ResourceNotFoundException', 'The specified log group does not exist.');
      const streams = stringList(input, 'logStreamNames');
      const prefix = optionalString(input, 'logStreamNamePrefix');
      const startTime = typeof input.startTime === 'number' ? input.startTime : -Infinity;
      const endTime = typeof input.endTime === 'number' ? input.endTime : Infinity;
      const matches = compileFilter(optionalString(input, 'filterPattern') ?? '');
      const limit = typeof input.limit === 'number' ? input.limit : optionsOf(scenario).pageSize;
      const token = optionalString(input, 'nextToken');
      const keep = (e: FakeLogEvent) =>
        e.timestamp >= startTime &&
        e.timestamp <= endTime &&
        (streams.length === 0 || streams.includes(e.logStreamName)) &&
        (!prefix || e.logStreamName.startsWith(prefix)) &&
        matches(e.message);
      // AWS stopped filling this in 2020: always an empty list.
      const searchedLogStreams: never[] = [];
      // A page holds at most `limit` events and, as AWS's, about 1 MB of them.
      let bytes = 0;
      const fits = (e: FakeLogEvent, count: number) => {
        bytes += eventBytes(e);
        return count === 0 || bytes <= PAGE_BYTES;
      };
      if (isSorted(events)) {
        // Oldest first: start at the first event of the window; the token is the index to resume at.
        let i = token !== undefined ? Number(token.slice(2)) : lowerBound(events, startTime);
        const page: { e: FakeLogEvent; index: number }[] = [];
        let full = false;
        for (; i < events.length; i++) {
          const e = events[i];
          if (e.timestamp > endTime) break;
          if (!keep(e)) continue;
          if (page.length >= limit || !fits(e, page.length)) {
            full = true;
            break;
          }
          page.push({ e, index: i });
        }
        const more = full;
        return {
          events: page.map(({ e, index }) => toEvent(e, group, index)),
          searchedLogStreams,
          nextToken: more ? `i:${i}` : undefined,
        };
      }
      const start = token !== undefined ? Number(token.slice(2)) : 0;
      const selected = events
        .map((e, index) => ({ e, index }))
        .filter(({ e }) => keep(e))
        .sort((a, b) => a.e.timestamp - b.e.timestamp || a.index - b.index);
      let end = start;
      while (end < selected.length && end - start < limit && fits(selected[end].e, end - start)) end++;
      const page = selected.slice(start, end);
      return {
        events: page.map(({ e, index }) => toEvent(e, group, index)),
        searchedLogStreams,
        nextToken: end < selected.length ? `o:${end}` : undefined,
      };
    },

    StartLiveTail(input, scenario) {
      const settings = optionsOf(scenario);
      if (settings.refuseLiveTail) {
        const known = REFUSALS[settings.refuseLiveTail];
        throw new AwsServiceError(settings.refuseLiveTail, known?.message ?? 'live tail refused', known?.status ?? 400);
      }
      const identifiers = stringList(input, 'logGroupIdentifiers');
      if (identifiers.length === 0 || identifiers.length > 10) throw new AwsServiceError('InvalidParameterException', 'logGroupIdentifiers must name 1 to 10 log groups');
      const groups = identifiers.map((id) => {
        const m = LOG_GROUP_ARN.exec(id);
        if (!m) throw new AwsServiceError('InvalidParameterException', `logGroupIdentifiers: "${id}" is not a log group ARN (arn:aws:logs:REGION:ACCOUNT:log-group:NAME, no trailing *)`);
        if (!scenario.logGroups[m[1]]) throw new AwsServiceError('ResourceNotFoundException', `The specified log group does not exist: ${id}`);
        return { id, name: m[1] };
      });
      const streams = stringList(input, 'logStreamNames');
      const prefixes = stringList(input, 'logStreamNamePrefixes');
      const pattern = optionalString(input, 'logEventFilterPattern');
      const matches = compileFilter(pattern ?? '');
      return new StreamingOutput('application/vnd.amazon.eventstream', (sink) => {
        openSessions += 1;
        const startedAt = Date.now();
        // Each group's newest event at the last update: the next update sends what follows it.
        const marks = groups.map((g) => ({ ...g, last: lastOf(scenario.logGroups[g.name]) }));
        let timer: NodeJS.Timeout | undefined;
        let closed = false;
        sink.onClose(() => {
          if (closed) return;
          closed = true;
          openSessions -= 1;
          clearTimeout(timer);
        });
        sink.write(
          frame('event', 'sessionStart', {
            requestId: randomUUID(),
            sessionId: randomUUID(),
            logGroupIdentifiers: identifiers,
            ...(streams.length > 0 ? { logStreamNames: streams } : {}),
            ...(prefixes.length > 0 ? { logStreamNamePrefixes: prefixes } : {}),
            ...(pattern !== undefined ? { logEventFilterPattern: pattern } : {}),
          }),
        );
        const tick = () => {
          if (closed) return;
          const current = optionsOf(scenario);
          if (Date.now() - startedAt >= current.sessionTimeoutMs) {
            sink.write(frame('exception', 'SessionTimeoutException', { message: 'Session timed out after the maximum session duration' }));
            sink.end();
            return;
          }
          const results: Record<string, unknown>[] = [];
          for (const m of marks) {
            const events = scenario.logGroups[m.name] ?? [];
            const from = m.last === undefined ? 0 : events.lastIndexOf(m.last) + 1;
            // A group replaced whole (the mark is gone) restarts from its end: only what comes next is new.
            const fresh = from === 0 && m.last !== undefined ? [] : events.slice(from);
            if (events.length > 0) m.last = events[events.length - 1];
            for (const e of fresh) {
              if (streams.length > 0 && !streams.includes(e.logStreamName)) continue;
              if (prefixes.length > 0 && !prefixes.some((p) => e.logStreamName.startsWith(p))) continue;
              if (!matches(e.message)) continue;
              results.push({ logStreamName: e.logStreamName, logGroupIdentifier: m.id, message: e.message, timestamp: e.timestamp, ingestionTime: e.ingestionTime ?? e.timestamp + 200 });
            }
          }
          const sampled = results.length > current.maxEventsPerUpdate;
          sink.write(frame('event', 'sessionUpdate', { sessionMetadata: { sampled }, sessionResults: sampled ? sample(results, current.maxEventsPerUpdate) : results }));
          timer = setTimeout(tick, current.updateIntervalMs);
        };
        timer = setTimeout(tick, settings.updateIntervalMs);
      });
    },
  },
};

/** What FilterLogEvents answers at most per page (AWS: 1 MB). */
const PAGE_BYTES = 1024 * 1024;

/** About what one event weighs in a FilterLogEvents reply. */
function eventBytes(e: FakeLogEvent): number {
  return e.message.length + e.logStreamName.length + 110;
}

function lastOf(events: FakeLogEvent[] | undefined): FakeLogEvent | undefined {
  return events && events.length > 0 ? events[events.length - 1] : undefined;
}

/** Evenly spaced `n` of `items`, order kept. */
function sample<T>(items: T[], n: number): T[] {
  const step = items.length / n;
  return Array.from({ length: n }, (_, i) => items[Math.floor(i * step)]);
}

/**
 * How much of each group array is known to be sorted by timestamp, so a poll
 * checks only what was appended since the last one. (An event edited in place
 * to an earlier time is not noticed; tests append or assign a new array.)
 */
const sortedLength = new WeakMap<FakeLogEvent[], number>();

function isSorted(events: FakeLogEvent[]): boolean {
  const known = sortedLength.get(events) ?? 0;
  const from = known > 0 && known <= events.length ? known : 1;
  for (let i = Math.max(1, from); i < events.length; i++) {
    if (events[i].timestamp < events[i - 1].timestamp) {
      sortedLength.delete(events);
      return false;
    }
  }
  sortedLength.set(events, events.length);
  return true;
}

function lowerBound(events: FakeLogEvent[], startTime: number): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (events[mid].timestamp < startTime) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function toEvent(e: FakeLogEvent, group: string, index: number) {
  return {
    logStreamName: e.logStreamName,
    timestamp: e.timestamp,
    message: e.message,
    ingestionTime: e.ingestionTime ?? e.timestamp + 200,
    eventId: `${group.length}${String(index).padStart(20, '0')}${e.timestamp}`,
  };
}

function compileFilter(pattern: string): (message: string) => boolean {
  const trimmed = pattern.trim();
  if (trimmed === '') return () => true;
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    throw new AwsServiceError('InvalidParameterException', `the fake endpoint supports term filter patterns only, not: ${trimmed}`);
  }
  const terms = [...trimmed.matchAll(/([?-]?)(?:"([^"]*)"|(\S+))/g)].map((m) => ({ op: m[1], text: m[2] ?? m[3] }));
  const any = terms.filter((t) => t.op === '?');
  const all = terms.filter((t) => t.op === '');
  const none = terms.filter((t) => t.op === '-');
  return (message) =>
    all.every((t) => message.includes(t.text)) &&
    none.every((t) => !message.includes(t.text)) &&
    (any.length === 0 || any.some((t) => message.includes(t.text)));
}
