// Bundled into dist/: what the tool sends with @aws-sdk/client-secrets-manager, loaded only through src/state/sdk-modules.ts.
export { CreateSecretCommand, DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
