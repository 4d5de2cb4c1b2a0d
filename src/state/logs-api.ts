/**
 * The two CloudWatch Logs calls the log tail needs, as plain data. The tail
 * takes an object of this shape (tests hand it anything that fits); the real
 * one, backed by the AWS SDK, is `createLogsApi` in logs-aws.ts.
 */

/** One log event as CloudWatch returns it. Live tail gives no event id. */
export interface RawLogEvent {
  readonly eventId?: string;
  readonly logStreamName: string;
  /** Epoch ms: when the event happened. */
  readonly timestamp: number;
  /** Epoch ms: when CloudWatch received it. */
  readonly ingestionTime?: number;
  readonly message: string;
}

export interface FilterLogEventsRequest {
  readonly logGroupName: string;
  /** Epoch ms, inclusive. */
  readonly startTime?: number;
  /** Epoch ms, inclusive. */
  readonly endTime?: number;
  /** A CloudWatch filter pattern, passed as it is. */
  readonly filterPattern?: string;
  readonly nextToken?: string;
}

export interface FilterLogEventsPage {
  readonly events: readonly RawLogEvent[];
  /** More events match: ask again with this token. */
  readonly nextToken?: string;
}

export interface LiveTailRequest {
  /** The log group's ARN: StartLiveTail takes no plain names. */
  readonly logGroupArn: string;
  readonly filterPattern?: string;
  /** Aborting ends the session and its stream. */
  readonly signal: AbortSignal;
}

/** What a live-tail session pushes. */
export type LiveTailEvent =
  | { readonly type: 'start' }
  /** About every second; `sampled`: more events matched than one update carries (500), some were skipped. */
  | { readonly type: 'update'; readonly events: readonly RawLogEvent[]; readonly sampled: boolean };

export interface LogsApi {
  filterLogEvents(request: FilterLogEventsRequest): Promise<FilterLogEventsPage>;
  /**
   * Resolves when AWS accepts the session (rejects when it refuses it). The
   * iterable ends when the session ends (AWS ends one after three hours) and
   * throws if the session fails.
   */
  startLiveTail(request: LiveTailRequest): Promise<AsyncIterable<LiveTailEvent>>;
}
