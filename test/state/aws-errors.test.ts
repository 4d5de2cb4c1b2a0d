import { describe, expect, it } from 'vitest';
import { classifyAwsError, loginHint } from '../../src/state/aws-errors.js';

/** An error shaped as the AWS SDK v3 throws it. */
const sdk = (name: string, message: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 }, ...extra });

describe('classifyAwsError', () => {
  it.each([
    ['ExpiredTokenException (JSON protocols)', sdk('ExpiredTokenException', 'The security token included in the request is expired'), 'credentials', false],
    ['ExpiredToken (Query protocols)', sdk('ExpiredToken', 'The security token included in the request is expired', { $metadata: { httpStatusCode: 403 } }), 'credentials', false],
    ['no credentials at all', Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }), 'credentials', false],
    ['an expired SSO session', Object.assign(new Error('The SSO session associated with this profile has expired or is otherwise invalid. To refresh this SSO session run aws sso login'), { name: 'Error' }), 'credentials', false],
    ['access denied', sdk('AccessDeniedException', 'User is not authorized to perform: ecs:DescribeServices'), 'access-denied', false],
    ['ThrottlingException', sdk('ThrottlingException', 'Rate exceeded'), 'throttled', true],
    ['Throttling', sdk('Throttling', 'Rate exceeded'), 'throttled', true],
    ['429 TooManyRequestsException', sdk('TooManyRequestsException', 'Too Many Requests', { $metadata: { httpStatusCode: 429 } }), 'throttled', true],
    ['a throttling trait on an unknown name', sdk('SomethingNew', 'slow down', { $retryable: { throttling: true } }), 'throttled', true],
    ['500 InternalFailure', sdk('InternalFailure', 'internal', { $fault: 'server', $metadata: { httpStatusCode: 500 } }), 'server', true],
    ['503 with no known name', sdk('Unknown', 'Service Unavailable', { $metadata: { httpStatusCode: 503 } }), 'server', true],
    ['a request timeout', Object.assign(new Error('a request has exceeded the configured 10000 ms requestTimeout'), { name: 'TimeoutError' }), 'timeout', true],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }), 'network', true],
    ['a reply that does not parse', Object.assign(new SyntaxError('Unexpected end of JSON input\n  Deserialization error: to see the raw response...'), { $metadata: { httpStatusCode: 200 } }), 'bad-response', true],
    ['a missing stack', sdk('ValidationError', 'Stack with id X does not exist'), 'not-found', false],
    ['a missing target group', sdk('TargetGroupNotFoundException', "Target groups 'arn' not found"), 'not-found', false],
    ['any other service error', sdk('InvalidParameterException', 'bad'), 'other', false],
    ['a thrown string', 'boom', 'other', false],
  ])('%s', (_name, error, kind, retryable) => {
    const p = classifyAwsError(error);
    expect(p.kind).toBe(kind);
    expect(p.retryable).toBe(retryable);
    expect(p.message).not.toMatch(/\n/);
  });

  it('words a service error as name: message, one line', () => {
    expect(classifyAwsError(sdk('ThrottlingException', 'Rate exceeded')).message).toBe('ThrottlingException: Rate exceeded');
    expect(classifyAwsError(Object.assign(new SyntaxError('Unexpected end of JSON input\n  Deserialization error: x'), {})).message).toBe('the AWS reply could not be read (Unexpected end of JSON input)');
  });
});

describe('loginHint', () => {
  it('names the AWS profile when there is one', () => {
    expect(loginHint('ops')).toMatch(/^log in again: `aws sso login --profile ops`/);
    expect(loginHint()).toMatch(/aws sso login --profile NAME.*AWS_ACCESS_KEY_ID/);
  });
});
