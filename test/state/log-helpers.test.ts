import { describe, expect, it } from 'vitest';
import { ExternalError, UserError, exitCodeOf } from '../../src/errors.js';
import { backoffDelay, describeLogProblem, isHealthCheck, parseSince, type LogGroupRef } from '../../src/state/log-tail.js';
import { logGroupsOf } from '../../src/state/log-groups.js';
import { formatLogLine, logLineJson, printable, statusChangeLines } from '../../src/state/log-format.js';
import type { LogTailStatus } from '../../src/state/log-types.js';

const group: LogGroupRef = { environment: 'dev', logGroupName: '/ecs/benchling-webhook/dev', logGroupArn: 'arn:aws:logs:us-east-1:123456789012:log-group:/ecs/benchling-webhook/dev' };

describe('parseSince', () => {
  it('reads whole numbers with a unit s, m, h or d', () => {
    expect(parseSince('10m')).toBe(600_000);
    expect(parseSince('30s')).toBe(30_000);
    expect(parseSince('2h')).toBe(7_200_000);
    expect(parseSince('7d')).toBe(604_800_000);
    expect(parseSince(' 5M ')).toBe(300_000);
  });

  it.each(['10', 'm', '-5m', '1.5h', '10 minutes', '', '5w', '0m', '99999d'])('refuses %j with an error naming the flag (exit 2)', (text) => {
    let error: unknown;
    try {
      parseSince(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(/^--since: /);
    expect(exitCodeOf(error)).toBe(2);
  });
});

describe('isHealthCheck', () => {
  it('knows the health route in the usual access-log shapes, and nothing else', () => {
    expect(isHealthCheck('INFO GET /health 200')).toBe(true);
    expect(isHealthCheck('10.0.1.5 - - [01/May/2026 12:00:00] "GET /health HTTP/1.1" 200 -')).toBe(true);
    expect(isHealthCheck('GET /health?deep=1 200')).toBe(true);
    expect(isHealthCheck('POST /event 202')).toBe(false);
    expect(isHealthCheck('GET /healthz 200')).toBe(false);
    expect(isHealthCheck('checking health of the queue')).toBe(false);
  });
});

describe('backoffDelay', () => {
  it('doubles from the base, is capped, and is jittered between half and all of it', () => {
    const top = () => 0.999999;
    expect([1, 2, 3, 4, 5, 6, 10].map((n) => backoffDelay(n, 2000, 30_000, top))).toEqual([2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    expect(backoffDelay(3, 2000, 30_000, () => 0)).toBe(4000);
    for (let i = 0; i < 100; i++) {
      const d = backoffDelay(4, 2000, 30_000);
      expect(d).toBeGreaterThanOrEqual(8000);
      expect(d).toBeLessThanOrEqual(16000);
    }
  });
});

describe('describeLogProblem', () => {
  const sdkError = (name: string, message: string, status = 400) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });

  it('says what to do: deploy, log in again, permissions, wait', () => {
    expect(describeLogProblem(sdkError('ResourceNotFoundException', 'The specified log group does not exist.'), group)).toMatchObject({
      kind: 'not-found',
      message: 'no such log group /ecs/benchling-webhook/dev: has the dev environment been deployed?',
    });
    const expired = describeLogProblem(sdkError('ExpiredTokenException', 'The security token included in the request is expired'), group, 'acme-sso');
    expect(expired.message).toMatch(/log in again/);
    expect(expired.hint).toMatch(/aws sso login --profile acme-sso/);
    expect(describeLogProblem(sdkError('AccessDeniedException', 'not authorized to perform: logs:FilterLogEvents'), group).message).toMatch(/access denied reading \/ecs\/benchling-webhook\/dev/);
    expect(describeLogProblem(sdkError('ThrottlingException', 'Rate exceeded'), group)).toMatchObject({ kind: 'throttled', retryable: true });
  });
});

describe('logGroupsOf', () => {
  const stack = {
    stackName: 'BenchlingWebhookStack',
    stackId: 'arn:aws:cloudformation:eu-west-1:210987654321:stack/BenchlingWebhookStack/0f0e-11',
    outputs: { DevLogGroupName: '/ecs/bw/dev', ProdLogGroupName: '/ecs/bw/prod' },
  };

  it("takes each environment's group from its output and its ARN from the stack's account and region", () => {
    expect(logGroupsOf(stack, ['dev', 'prod'])).toEqual([
      { environment: 'dev', logGroupName: '/ecs/bw/dev', logGroupArn: 'arn:aws:logs:eu-west-1:210987654321:log-group:/ecs/bw/dev' },
      { environment: 'prod', logGroupName: '/ecs/bw/prod', logGroupArn: 'arn:aws:logs:eu-west-1:210987654321:log-group:/ecs/bw/prod' },
    ]);
    expect(logGroupsOf({ ...stack, stackId: 'arn:aws-cn:cloudformation:cn-north-1:210987654321:stack/S/1' }, ['prod'])[0].logGroupArn).toBe(
      'arn:aws-cn:logs:cn-north-1:210987654321:log-group:/ecs/bw/prod',
    );
  });

  it('an environment without its output has not been deployed: an AWS-side failure (exit 1)', () => {
    let error: unknown;
    try {
      logGroupsOf({ ...stack, outputs: { ProdLogGroupName: '/ecs/bw/prod' } }, ['dev']);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ExternalError);
    expect((error as Error).message).toMatch(/no output DevLogGroupName: no such log group yet; has the dev environment been deployed\?/);
    expect(exitCodeOf(error)).toBe(1);
  });
});

describe('log line formatting', () => {
  const line = { id: 'e1', environment: 'prod' as const, timestamp: Date.UTC(2026, 4, 1, 12, 0, 0, 5), receivedAt: 0, stream: 'webhook/app/3f', message: 'INFO hello\tworld' };

  it('prints time (ISO), stream and message, with the environment first when several are shown', () => {
    expect(formatLogLine(line)).toBe('2026-05-01T12:00:00.005Z webhook/app/3f INFO hello\tworld');
    expect(formatLogLine(line, { labelEnvironment: true })).toBe('prod 2026-05-01T12:00:00.005Z webhook/app/3f INFO hello\tworld');
    expect(formatLogLine({ ...line, environment: 'dev' }, { labelEnvironment: true }).startsWith('dev  2026')).toBe(true);
    expect(JSON.parse(logLineJson(line))).toEqual({ environment: 'prod', time: '2026-05-01T12:00:00.005Z', stream: 'webhook/app/3f', message: 'INFO hello\tworld', id: 'e1' });
  });

  it('a log line cannot drive the terminal: control characters become visible', () => {
    expect(printable('\u001b[2J\u001b]0;owned\u0007ok\r')).toBe('\\x1b[2J\\x1b]0;owned\\x07ok\\x0d');
    expect(printable('Traceback:\n  line 1')).toBe('Traceback:\n  line 1');
    expect(printable('Traceback:\n  line 1', true)).toBe('Traceback: ⏎   line 1');
  });
});

describe('statusChangeLines (what `logs --follow` says on stderr)', () => {
  const base: LogTailStatus = { mode: 'live', following: true, error: null, notice: null };
  const polling: LogTailStatus = { ...base, mode: 'polling', notice: 'live tail is unavailable (AccessDenied); polling every 2 s instead' };

  it('says a new notice once, and live tail coming back after polling', () => {
    expect(statusChangeLines(base, polling, 'dev: ')).toEqual(['note: dev: live tail is unavailable (AccessDenied); polling every 2 s instead']);
    expect(statusChangeLines(polling, { ...polling })).toEqual([]);
    expect(statusChangeLines(polling, { ...base }, 'dev: ')).toEqual(['note: dev: live tail is available again; polling stopped']);
    expect(statusChangeLines(undefined, base)).toEqual([]);
  });

  it('says an error with its hint, "still trying" unless the credentials were refused, and when it has passed', () => {
    const throttled: LogTailStatus = { ...base, error: 'CloudWatch Logs is throttling', errorKind: 'throttled' };
    expect(statusChangeLines(base, throttled)).toEqual(['error: CloudWatch Logs is throttling (still trying)']);
    const expired: LogTailStatus = { ...base, error: 'the AWS credentials were refused', errorKind: 'credentials', hint: 'aws sso login --profile acme' };
    expect(statusChangeLines(base, expired)).toEqual(['error: the AWS credentials were refused', 'hint: aws sso login --profile acme']);
    expect(statusChangeLines(throttled, base)).toEqual(['note: reading the logs again']);
    expect(statusChangeLines(throttled, { ...base, mode: 'stopped', following: false })).toEqual([]);
  });
});
