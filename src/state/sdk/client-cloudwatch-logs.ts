// Bundled into dist/: what the tool sends with @aws-sdk/client-cloudwatch-logs, loaded only through src/state/sdk-modules.ts.
export { CloudWatchLogsClient, FilterLogEventsCommand, StartLiveTailCommand } from '@aws-sdk/client-cloudwatch-logs';
