import { displayLine } from '../display-text.js';
import type { AwsErrorKind } from './status-types.js';
import { ExternalError } from '../errors.js';

/**
 * AWS failures sorted by what the operator or the poller should do about them.
 * Duck-typed on the SDK's error shape (`name`, `$fault`, `$metadata`,
 * `$retryable`, Node's `code`) so nothing here imports the SDK.
 */
export interface AwsProblem {
  readonly kind: AwsErrorKind;
  /** One line, no stack: `ThrottlingException: Rate exceeded`. */
  readonly message: string;
  /** Passing failures: the poller backs off and tries again. */
  readonly retryable: boolean;
}

const CREDENTIAL_NAMES = new Set([
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
  'InvalidSignatureException',
  'IncompleteSignature',
  'MissingAuthenticationToken',
  'MissingAuthenticationTokenException',
  'AuthFailure',
  'CredentialsProviderError',
  'TokenProviderError',
  'InvalidGrantException',
  'UnauthorizedException',
]);
const ACCESS_NAMES = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'AuthorizationError', 'AuthorizationErrorException']);
const THROTTLING_NAMES = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'SlowDown',
  'PriorRequestNotComplete',
  'BandwidthLimitExceeded',
  'ProvisionedThroughputExceededException',
  'EC2ThrottledException',
]);
const TIMEOUT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED']);
const NOT_FOUND_NAMES = new Set([
  'ClusterNotFoundException',
  'ServiceNotFoundException',
  'TargetGroupNotFound',
  'TargetGroupNotFoundException',
  'NotFoundException',
  'NotFound',
  'ResourceNotFoundException',
]);

/**
 * A reply the SDK could parse but that does not say what was asked (a
 * DescribeStacks answer with no stack in it): the reply is unreadable, which
 * is not the same as "not found".
 */
export class AwsReplyError extends Error {
  override readonly name = 'AwsReplyError';
}

interface SdkErrorShape {
  name?: string;
  message?: string;
  code?: string;
  $fault?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

export function classifyAwsError(error: unknown): AwsProblem {
  const e = (error && typeof error === 'object' ? error : { message: String(error) }) as SdkErrorShape;
  // The reply's words (a service's message, an error code off the wire) become display text here.
  const name = displayLine(e.name ?? 'Error', 100);
  const raw = displayLine(String(e.message ?? '').split('\n')[0].trim(), 1000);
  const status = e.$metadata?.httpStatusCode;
  const line = (text: string) => (name === 'Error' || text.startsWith(name) ? text : `${name}: ${text}`);
  if (CREDENTIAL_NAMES.has(name) || /SSO session|sso login|token has expired|security token included in the request is (expired|invalid)/i.test(raw)) {
    return { kind: 'credentials', message: line(raw || 'the AWS credentials were refused'), retryable: false };
  }
  if (ACCESS_NAMES.has(name)) return { kind: 'access-denied', message: line(raw), retryable: false };
  if (THROTTLING_NAMES.has(name) || status === 429 || e.$retryable?.throttling === true) return { kind: 'throttled', message: line(raw || 'Rate exceeded'), retryable: true };
  if (TIMEOUT_NAMES.has(name)) return { kind: 'timeout', message: line(raw || 'the request timed out'), retryable: true };
  if (e.code && NETWORK_CODES.has(e.code)) return { kind: 'network', message: `${e.code}: ${raw}`, retryable: true };
  if (name === 'AwsReplyError' || /Deserialization error|XML parse error|Unexpected end of JSON|is not valid JSON/i.test(e.message ?? '')) {
    return { kind: 'bad-response', message: `the AWS reply could not be read (${raw})`, retryable: true };
  }
  if (e.$fault === 'server' || (status !== undefined && status >= 500)) return { kind: 'server', message: line(raw || `HTTP ${status}`), retryable: true };
  if (NOT_FOUND_NAMES.has(name) || (name === 'ValidationError' && /does not exist/.test(raw))) return { kind: 'not-found', message: line(raw), retryable: false };
  return { kind: 'other', message: line(raw || String(error)), retryable: false };
}

/** What to tell the operator whose credentials expired or are missing. */
export function loginHint(awsProfile?: string): string {
  if (awsProfile) return `log in again: \`aws sso login --profile ${awsProfile}\` (or refresh the credentials of AWS profile "${awsProfile}")`;
  return 'log in again (e.g. `aws sso login --profile NAME`, then pass --aws-profile NAME), or set fresh AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN';
}

/** True for what the AWS SDK throws (service errors, credential and network failures). */
export function looksLikeAwsError(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const e = error as SdkErrorShape;
  return '$metadata' in e || '$fault' in e || CREDENTIAL_NAMES.has(e.name ?? '') || (e.code !== undefined && NETWORK_CODES.has(e.code)) || (e.name === 'TimeoutError' && '$metadata' in e);
}

/**
 * An AWS failure as the product's external error (exit 1): one line saying
 * what AWS answered, and what the operator can do about it; no stack trace.
 */
export function awsFailure(error: unknown, context: { readonly awsProfile?: string; readonly doing?: string } = {}): ExternalError {
  const problem = classifyAwsError(error);
  const doing = context.doing ? `${context.doing}: ` : '';
  const hints: Record<AwsErrorKind, string> = {
    credentials: loginHint(context.awsProfile),
    'access-denied': 'the credentials lack a permission this needs; use --aws-profile with a role that has it',
    throttled: 'AWS is throttling these calls; wait a little and try again',
    server: 'AWS answered with a server error; try again',
    timeout: 'AWS did not answer in time; check the network and --region, then try again',
    network: 'AWS could not be reached; check the network, a proxy, or --region',
    'bad-response': 'the reply could not be read; try again',
    'not-found': 'check --region and the stack name in the prod profile',
    other: 'see the message above',
  };
  const what = problem.kind === 'credentials' ? `the AWS credentials were refused or have expired (${problem.message})` : problem.message;
  return new ExternalError(`${doing}${what}`, { hint: hints[problem.kind], cause: error });
}
