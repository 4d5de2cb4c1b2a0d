// Bundled into dist/: what the tool sends with @aws-sdk/client-ecs, loaded only through src/state/sdk-modules.ts.
export { ECSClient, DescribeServiceDeploymentsCommand, DescribeServicesCommand, DescribeTasksCommand, ListServiceDeploymentsCommand, ListTasksCommand } from '@aws-sdk/client-ecs';
