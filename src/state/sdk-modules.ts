import { createRequire } from 'node:module';

/**
 * The AWS SDK client packages the tool loads, by name: one line per client.
 * A client module is loaded only through {@link loadSdkModule}.
 */
export interface SdkModules {
  '@aws-sdk/client-api-gateway': typeof import('@aws-sdk/client-api-gateway');
  '@aws-sdk/client-cloudformation': typeof import('@aws-sdk/client-cloudformation');
  '@aws-sdk/client-cloudwatch': typeof import('@aws-sdk/client-cloudwatch');
  '@aws-sdk/client-cloudwatch-logs': typeof import('@aws-sdk/client-cloudwatch-logs');
  '@aws-sdk/client-ecs': typeof import('@aws-sdk/client-ecs');
  '@aws-sdk/client-elastic-load-balancing-v2': typeof import('@aws-sdk/client-elastic-load-balancing-v2');
  '@aws-sdk/client-secrets-manager': typeof import('@aws-sdk/client-secrets-manager');
  '@aws-sdk/client-ssm': typeof import('@aws-sdk/client-ssm');
  '@aws-sdk/client-sts': typeof import('@aws-sdk/client-sts');
}

const requireHere = createRequire(import.meta.url);

/**
 * An AWS SDK client package, loaded with require(): its CommonJS build, which
 * Node loads with about 40% less CPU than the same package through import()
 * (no format check, no scan of CommonJS exports for an ESM namespace, for
 * each of its hundred-odd files). Synchronous and cached by Node: the first
 * call pays the load, later ones are a lookup. Called only when a client is
 * first needed, so commands that make no AWS call never load the SDK.
 */
export function loadSdkModule<K extends keyof SdkModules>(name: K): SdkModules[K] {
  return requireHere(name) as SdkModules[K];
}
