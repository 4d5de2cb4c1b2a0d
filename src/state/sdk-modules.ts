/**
 * The AWS SDK clients the tool uses, by package: one line per client. Each is
 * a module of src/state/sdk/ that re-exports the client and only the commands
 * the tool sends; the build bundles it (the SDK's ES modules, tree-shaken) into
 * a chunk of dist/ of its own, the SDK's core into a chunk they share. A client
 * module is loaded only through {@link loadSdkModule}.
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

/** Literal import() calls, so the bundler sees each client module and gives it a chunk. */
const LOADERS: { readonly [K in keyof SdkModules]: () => Promise<SdkModules[K]> } = {
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

/**
 * An AWS SDK client module, loaded on first call and the same one after.
 * Bundled: about half the load time of require() of the packages (one
 * parsed chunk instead of a hundred-odd files resolved and read one by one,
 * and only the commands used). Called only when a client is first needed,
 * so commands that make no AWS call never load the SDK.
 */
export function loadSdkModule<K extends keyof SdkModules>(name: K): Promise<SdkModules[K]> {
  let module = loaded.get(name);
  if (!module) loaded.set(name, (module = LOADERS[name]()));
  return module as Promise<SdkModules[K]>;
}

/**
 * Starts loading the named client modules at once, without waiting: a command
 * that knows which clients it is about to call has them load together (their
 * files read in one go, evaluated in one turn) instead of one by one as each
 * call waits on the answer before it.
 */
export function preloadSdkModules(names: readonly (keyof SdkModules)[]): void {
  for (const name of names) void loadSdkModule(name).catch(() => undefined);
}
