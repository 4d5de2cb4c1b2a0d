import type { EnvironmentName } from '../config/schema.js';
import type { AwsErrorKind } from './status-types.js';

/** One log event of an environment, as the tail delivers it. */
export interface LogLine {
  /** CloudWatch's event id: what de-duplicates lines across polls. */
  readonly id: string;
  readonly environment: EnvironmentName;
  /** When the event happened (epoch ms). */
  readonly timestamp: number;
  /** When the tail received it (epoch ms): the lag an operator feels is the difference. */
  readonly receivedAt: number;
  readonly stream: string;
  readonly message: string;
}

/** How the tail is getting its lines now, and what went wrong, for the screen. */
export interface LogTailStatus {
  readonly mode: 'live' | 'polling' | 'idle' | 'stopped';
  readonly following: boolean;
  /** Null, or the current problem (no such log group yet, access denied, throttled), shown in place. */
  readonly error: string | null;
  /** Something said once, e.g. that live tail was refused and polling took over. */
  readonly notice: string | null;
  /** The log group followed. */
  readonly logGroup?: string;
  /** What kind of problem {@link error} is (credentials: log in again; not-found: not deployed yet). */
  readonly errorKind?: AwsErrorKind | null;
  /** What to do about {@link error}, e.g. the login command. */
  readonly hint?: string | null;
}
