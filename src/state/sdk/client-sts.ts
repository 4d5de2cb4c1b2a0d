// Bundled into dist/: what the tool sends with @aws-sdk/client-sts, loaded only through src/state/sdk-modules.ts.
export { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
