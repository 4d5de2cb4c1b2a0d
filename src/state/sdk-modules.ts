import { ExternalError } from '../errors.js';
import { brokenInstallation } from '../broken-install.js';

/**
 * The AWS SDK clients the tool uses, by package: one line per client. Each is
 * a module of src/state/sdk/ that re-exports the client and only the commands
 * the tool sends. A client module is loaded only through {@link loadSdkModule}.
 *
 * Built (dist/), they all come from one CommonJS bundle, dist/sdk.cjs (entry:
 * src/state/sdk-bundle.ts; the SDK's ES modules, tree-shaken to the commands
 * sent), compiled from the V8 code cache the build wrote beside it
 * (dist/sdk.cjs.cache, made after real calls: scripts/code-cache.mjs), which an
 * ES module cannot have on Node 20. From the sources (the tests), each client
 * module is imported as it is.
 */
export interface SdkModules {
  '@aws-sdk/client-api-gateway': typeof import('./sdk/client-api-gateway.js');
  '@aws-sdk/client-cloudformation': typeof import('./sdk/client-cloudformation.js');
  '@aws-sdk/client-cloudwatch': typeof import('./sdk/client-cloudwatch.js');
  '@aws-sdk/client-cloudwatch-logs': typeof import('./sdk/client-cloudwatch-logs.js');
  '@aws-sdk/client-ecs': typeof import('./sdk/client-ecs.js');
  '@aws-sdk/client-elastic-load-balancing-v2': typeof import('./sdk/client-elastic-load-balancing-v2.js');
  '@aws-sdk/client-secrets-manager': typeof import('./sdk/client-secrets-manager.js');
  '@aws-sdk/client-ssm': typeof import('./sdk/client-ssm.js');
  '@aws-sdk/client-sts': typeof import('./sdk/client-sts.js');
}

/** The client modules from the sources: what loadSdkModule uses when not built: the build (scripts/build.mjs) sets BENCHLING_DEPLOY_SDK to dist/'s bundle, and so drops these. */
const LOADERS: { readonly [K in keyof SdkModules]: () => Promise<SdkModules[K]> } | undefined = process.env.BENCHLING_DEPLOY_SDK === 'sdk.cjs' ? undefined : {
  '@aws-sdk/client-api-gateway': () => import('./sdk/client-api-gateway.js'),
  '@aws-sdk/client-cloudformation': () => import('./sdk/client-cloudformation.js'),
  '@aws-sdk/client-cloudwatch': () => import('./sdk/client-cloudwatch.js'),
  '@aws-sdk/client-cloudwatch-logs': () => import('./sdk/client-cloudwatch-logs.js'),
  '@aws-sdk/client-ecs': () => import('./sdk/client-ecs.js'),
  '@aws-sdk/client-elastic-load-balancing-v2': () => import('./sdk/client-elastic-load-balancing-v2.js'),
  '@aws-sdk/client-secrets-manager': () => import('./sdk/client-secrets-manager.js'),
  '@aws-sdk/client-ssm': () => import('./sdk/client-ssm.js'),
  '@aws-sdk/client-sts': () => import('./sdk/client-sts.js'),
};

const loaded = new Map<keyof SdkModules, Promise<unknown>>();

let bundle: Promise<SdkModules> | undefined;

/**
 * A client module of dist/sdk.cjs: the bundle is run on the first call, by the
 * front's loader (bin/front.ts: loadBundle, with its code cache), and serves
 * every client after. Only when built: from the sources, LOADERS serve.
 */
function fromBundle<K extends keyof SdkModules>(name: K): Promise<SdkModules[K]> {
  bundle ??= Promise.resolve().then(() => {
    // Built, this file is in a bundle of dist/ (an ESM chunk, whose banner defines require, or
    // status.cjs), beside front.cjs, which the bin has loaded: this require() gives that module.
    const front = require('./front.cjs') as { loadBundle<T>(name: string): { exports: T } };
    try {
      return front.loadBundle<{ SDK_MODULES: SdkModules }>('sdk.cjs').exports.SDK_MODULES;
    } catch (error) {
      // A missing or damaged file of the installed package: which file, and how to mend it, in the one line a poll's error gets.
      throw new ExternalError(brokenInstallation('sdk.cjs', error), { cause: error });
    }
  });
  return bundle.then((modules) => modules[name]);
}

/**
 * An AWS SDK client module, loaded on first call and the same one after.
 * Called only when a client is first needed, so commands that make no AWS
 * call never load the SDK. Built, one bundle holds every client, and loads
 * from its code cache in about half the time the ES module chunks of status's
 * seven clients took (35 against 73 ms here), its functions compiled already.
 */
export function loadSdkModule<K extends keyof SdkModules>(name: K): Promise<SdkModules[K]> {
  let module = loaded.get(name);
  if (!module) loaded.set(name, (module = LOADERS ? LOADERS[name]() : fromBundle(name)));
  return module as Promise<SdkModules[K]>;
}

/**
 * Starts loading the named client modules at once, without waiting: a command
 * that knows which clients it is about to call has them load while its first
 * calls are prepared, instead of one by one as each call waits on the answer
 * before it.
 */
export function preloadSdkModules(names: readonly (keyof SdkModules)[]): void {
  for (const name of names) void loadSdkModule(name).catch(() => undefined);
}
