import { ExternalError, UserError, UserErrors } from '../errors.js';
import { AwsReplyError } from './aws-errors.js';
import type { AwsClientOptions } from './aws-clients.js';
import type { EnvironmentName } from '../config/schema.js';

// What the dashboard's main thread and its AWS worker thread say to each other (the main thread's
// side: src/state/worker-status-api.ts; the worker's: src/state/status-worker.ts). Every answer is
// plain data, so it crosses as it is; an error crosses as the fields the product reads of it.

/** The reads and writes the dashboard's status clients serve (StatusApi and ParameterStore): nothing else is called across. */
export const STATUS_WORKER_METHODS = [
  'getCallerIdentity',
  'describeStack',
  'describeServices',
  'describeTargetHealth',
  'getStages',
  'listStoppedTasks',
  'describeTasks',
  'listRunningTasks',
  'lastRollback',
  'getMetricData',
  'getParameter',
  'getParameters',
  'getParameterHistory',
  'putParameter',
  'deleteParameter',
] as const;

export type StatusWorkerMethod = (typeof STATUS_WORKER_METHODS)[number];

/**
 * The stack the dashboard's first poll will read, as its first frame placed it: the worker sends that
 * poll's first reads (the stack, and with the parts the last run kept, the services and target health)
 * as soon as its clients are made, and the poll's same calls take their answers.
 */
export interface ReadAhead {
  readonly stackName: string;
  readonly account: string | null;
  /** In the poller's order (dev, then prod). */
  readonly environments: readonly EnvironmentName[];
}

export type StatusWorkerRequest =
  | { readonly type: 'init'; readonly options: AwsClientOptions; readonly readAhead?: ReadAhead }
  | { readonly type: 'call'; readonly id: number; readonly method: StatusWorkerMethod; readonly args: readonly unknown[] };

export type StatusWorkerReply = { readonly id: number; readonly ok: true; readonly value: unknown } | { readonly id: number; readonly ok: false; readonly error: WireError };

/** An error as it crosses: its kind (which class to make again), its words, and the SDK's fields that say what failed. */
export interface WireError {
  readonly kind: 'user' | 'users' | 'external' | 'reply' | 'other';
  readonly name: string;
  readonly message: string;
  readonly hint?: string;
  readonly problems?: readonly string[];
  readonly stack?: string;
  /** The SDK's (and Node's) fields: `$metadata`, `$fault`, `$retryable`, `code`, `Code`... as JSON gives them. */
  readonly fields: Readonly<Record<string, unknown>>;
}

/** Fields never copied: the SDK's raw response (a stream and headers) and what the class sets itself. */
const SKIPPED = new Set(['$response', 'cause', 'name', 'message', 'stack', 'kind', 'exitCode', 'hint', 'problems']);

/** What a thrown value says, as plain data. */
export function toWireError(error: unknown): WireError {
  if (!(error instanceof Error)) return { kind: 'other', name: 'Error', message: String(error), fields: {} };
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(error)) {
    if (SKIPPED.has(key) || typeof value === 'function') continue;
    try {
      // JSON's copy: plain data only, whatever the SDK put there.
      const copy = JSON.stringify(value);
      if (copy !== undefined && copy.length <= 4_000) fields[key] = JSON.parse(copy);
    } catch {
      // A value JSON cannot copy (a cycle, a BigInt) stays behind.
    }
  }
  const kind = error instanceof UserErrors ? 'users' : error instanceof UserError ? 'user' : error instanceof ExternalError ? 'external' : error instanceof AwsReplyError ? 'reply' : 'other';
  return {
    kind,
    name: error.name,
    message: error.message,
    ...(error instanceof UserError || error instanceof ExternalError ? (error.hint !== undefined ? { hint: error.hint } : {}) : {}),
    ...(error instanceof UserErrors ? { problems: [...error.problems] } : {}),
    ...(error.stack !== undefined ? { stack: error.stack } : {}),
    fields,
  };
}

/** The error again, of the class it was thrown as (the product's own), with the SDK's fields on it. */
export function fromWireError(wire: WireError): Error {
  let error: Error;
  switch (wire.kind) {
    case 'users':
      error = new UserErrors(wire.problems ?? [wire.message], wire.hint);
      break;
    case 'user':
      error = new UserError(wire.message, wire.hint);
      break;
    case 'external':
      error = new ExternalError(wire.message, wire.hint !== undefined ? { hint: wire.hint } : {});
      break;
    case 'reply':
      error = new AwsReplyError(wire.message);
      break;
    default:
      error = new Error(wire.message);
  }
  // A subclass's own name (UntrustedFileError, a UserError) is the name read, as it was thrown.
  error.name = wire.name;
  Object.assign(error, wire.fields);
  if (wire.stack !== undefined) error.stack = wire.stack;
  return error;
}
