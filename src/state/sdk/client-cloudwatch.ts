// Bundled into dist/: what the tool sends with @aws-sdk/client-cloudwatch, loaded only through src/state/sdk-modules.ts.
export { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
