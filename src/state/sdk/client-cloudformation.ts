// Bundled into dist/: what the tool sends with @aws-sdk/client-cloudformation, loaded only through src/state/sdk-modules.ts.
export { CloudFormationClient, DescribeStacksCommand, GetTemplateCommand } from '@aws-sdk/client-cloudformation';
