// Bundled into dist/: what the tool sends with @aws-sdk/client-ssm, loaded only through src/state/sdk-modules.ts.
export { DeleteParameterCommand, GetParameterCommand, GetParameterHistoryCommand, GetParametersCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
