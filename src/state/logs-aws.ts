import { retryConfig, type AwsClientOptions } from './aws-clients.js';
import type { LiveTailEvent, LogsApi, RawLogEvent } from './logs-api.js';
import { assertAwsProfileExists, sdkLogger } from './aws-profile.js';
import { loadSdkModule } from './sdk-modules.js';
import { collectBody } from './sdk-body.js';

export interface ClosableLogsApi extends LogsApi {
  /** Closes the client's sockets. */
  close(): void;
}

interface LogsClient {
  send(command: unknown, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
  destroy(): void;
}

/**
 * The real {@link LogsApi}: one CloudWatch Logs client, loaded ({@link loadSdkModule})
 * and created on first use so the CLI starts without loading the SDK. Region and
 * credentials as for every other client (aws-clients.ts); the endpoint only
 * from the environment. `disableHostPrefix`: StartLiveTail is sent to a
 * `stream-` host prefix, which would break `AWS_ENDPOINT_URL` (a local
 * endpoint, a VPC endpoint); AWS itself answers on the plain host too.
 */
export function createLogsApi(options: AwsClientOptions): ClosableLogsApi {
  let client: Promise<LogsClient> | undefined;
  let created: LogsClient | undefined;
  const logs = () =>
    (client ??= Promise.resolve().then(async () => {
      const { CloudWatchLogsClient } = await loadSdkModule('@aws-sdk/client-cloudwatch-logs');
      if (options.awsProfile) assertAwsProfileExists(options.awsProfile);
      created = new CloudWatchLogsClient({
        region: options.region,
        ...(options.awsProfile ? { profile: options.awsProfile } : {}),
        logger: sdkLogger(options.awsProfile),
        // The same retries as the other clients: a short burst of throttling is absorbed.
        ...retryConfig(options),
        disableHostPrefix: true,
        // Until the reply's headers: a live-tail stream then stays open for hours.
        requestHandler: { requestTimeout: options.requestTimeoutMs ?? 15_000, connectionTimeout: 5_000, throwOnRequestTimeout: true },
        // Answers read without loading Node's web streams first (src/state/sdk-body.ts).
        streamCollector: collectBody,
      }) as unknown as LogsClient;
      return created;
    }));

  return {
    async filterLogEvents(request) {
      const { FilterLogEventsCommand } = await loadSdkModule('@aws-sdk/client-cloudwatch-logs');
      const out = (await (await logs()).send(
        new FilterLogEventsCommand({
          logGroupName: request.logGroupName,
          ...(request.startTime !== undefined ? { startTime: Math.max(0, Math.floor(request.startTime)) } : {}),
          ...(request.endTime !== undefined ? { endTime: Math.floor(request.endTime) } : {}),
          ...(request.filterPattern ? { filterPattern: request.filterPattern } : {}),
          ...(request.nextToken ? { nextToken: request.nextToken } : {}),
        }),
      )) as { events?: SdkEvent[]; nextToken?: string };
      return { events: (out.events ?? []).map(toRaw), ...(out.nextToken ? { nextToken: out.nextToken } : {}) };
    },

    async startLiveTail(request) {
      const { StartLiveTailCommand } = await loadSdkModule('@aws-sdk/client-cloudwatch-logs');
      const out = (await (await logs()).send(
        new StartLiveTailCommand({
          logGroupIdentifiers: [request.logGroupArn],
          ...(request.filterPattern ? { logEventFilterPattern: request.filterPattern } : {}),
        }),
        { abortSignal: request.signal },
      )) as { responseStream?: AsyncIterable<SdkStreamEvent> };
      const stream = out.responseStream;
      if (!stream) throw new Error('StartLiveTail answered without a response stream');
      return mapStream(stream);
    },

    close() {
      created?.destroy();
    },
  };
}

interface SdkEvent {
  eventId?: string;
  logStreamName?: string;
  timestamp?: number;
  ingestionTime?: number;
  message?: string;
}

interface SdkStreamEvent {
  sessionStart?: unknown;
  sessionUpdate?: { sessionMetadata?: { sampled?: boolean }; sessionResults?: SdkEvent[] };
  SessionTimeoutException?: { message?: string };
  SessionStreamingException?: { message?: string };
}

function toRaw(e: SdkEvent): RawLogEvent {
  return {
    ...(e.eventId ? { eventId: e.eventId } : {}),
    logStreamName: e.logStreamName ?? '',
    timestamp: e.timestamp ?? 0,
    ...(e.ingestionTime !== undefined ? { ingestionTime: e.ingestionTime } : {}),
    message: e.message ?? '',
  };
}

async function* mapStream(stream: AsyncIterable<SdkStreamEvent>): AsyncGenerator<LiveTailEvent> {
  for await (const event of stream) {
    if (event.sessionStart) yield { type: 'start' };
    else if (event.sessionUpdate) yield { type: 'update', events: (event.sessionUpdate.sessionResults ?? []).map(toRaw), sampled: event.sessionUpdate.sessionMetadata?.sampled === true };
    else if (event.SessionTimeoutException) throw Object.assign(new Error(event.SessionTimeoutException.message ?? 'live tail session timed out'), { name: 'SessionTimeoutException' });
    else if (event.SessionStreamingException) throw Object.assign(new Error(event.SessionStreamingException.message ?? 'live tail session failed'), { name: 'SessionStreamingException' });
  }
}
