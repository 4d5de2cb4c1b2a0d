import * as apiGateway from './sdk/client-api-gateway.js';
import * as cloudFormation from './sdk/client-cloudformation.js';
import * as cloudWatch from './sdk/client-cloudwatch.js';
import * as cloudWatchLogs from './sdk/client-cloudwatch-logs.js';
import * as ecs from './sdk/client-ecs.js';
import * as elasticLoadBalancingV2 from './sdk/client-elastic-load-balancing-v2.js';
import * as secretsManager from './sdk/client-secrets-manager.js';
import * as ssm from './sdk/client-ssm.js';
import * as sts from './sdk/client-sts.js';
import type { SdkModules } from './sdk-modules.js';

// The entry of dist/sdk.cjs (scripts/build.mjs): every client module, in one CommonJS bundle
// that the built command loads with V8's code cache the build wrote beside it (see
// src/state/sdk-modules.ts). Not imported by anything else.

export const SDK_MODULES: SdkModules = {
  '@aws-sdk/client-api-gateway': apiGateway,
  '@aws-sdk/client-cloudformation': cloudFormation,
  '@aws-sdk/client-cloudwatch': cloudWatch,
  '@aws-sdk/client-cloudwatch-logs': cloudWatchLogs,
  '@aws-sdk/client-ecs': ecs,
  '@aws-sdk/client-elastic-load-balancing-v2': elasticLoadBalancingV2,
  '@aws-sdk/client-secrets-manager': secretsManager,
  '@aws-sdk/client-ssm': ssm,
  '@aws-sdk/client-sts': sts,
};
