// Bundled into dist/: what the tool sends with @aws-sdk/client-elastic-load-balancing-v2, loaded only through src/state/sdk-modules.ts.
export { ElasticLoadBalancingV2Client, DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
