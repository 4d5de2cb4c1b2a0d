/**
 * CloudWatch Logs (JSON 1.1): FilterLogEvents over `scenario.logGroups`.
 * Filter patterns: the term subset only (`ERROR`, `"exact phrase"`, several
 * terms all required, `?a ?b` any of, `-term` none of); a JSON or space-delimited
 * pattern is refused with InvalidParameterException rather than matched wrongly.
 */
import { AwsServiceError, optionalString, stringList, type ServiceDefinition } from '../protocols.js';
import type { FakeLogEvent, Scenario } from '../scenario.js';

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
      const limit = typeof input.limit === 'number' ? input.limit : 10_000;
      const start = Number(optionalString(input, 'nextToken') ?? '0');
      const selected = events
        .map((e, index) => ({ e, index }))
        .filter(({ e }) => e.timestamp >= startTime && e.timestamp <= endTime)
        .filter(({ e }) => (streams.length === 0 || streams.includes(e.logStreamName)) && (!prefix || e.logStreamName.startsWith(prefix)))
        .filter(({ e }) => matches(e.message))
        .sort((a, b) => a.e.timestamp - b.e.timestamp || a.index - b.index);
      const page = selected.slice(start, start + limit);
      return {
        events: page.map(({ e, index }) => toEvent(e, group, index)),
        searchedLogStreams: [...new Set(events.map((e) => e.logStreamName))].map((logStreamName) => ({ logStreamName, searchedCompletely: true })),
        nextToken: start + limit < selected.length ? String(start + limit) : undefined,
      };
    },
  },
};

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
