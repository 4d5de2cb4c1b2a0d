// Bundled into dist/: what the tool sends with @aws-sdk/client-api-gateway, loaded only through src/state/sdk-modules.ts.
export { APIGatewayClient, GetStagesCommand } from '@aws-sdk/client-api-gateway';
