/**
 * aws-cdk-lib, as it loads (core/lib/private/perf.js), replaces every function of Node's `fs` and
 * `child_process` modules with a wrapper that times it, for performance counters that only the cdk CLI
 * collects (it names a file in CDK_PERF_COUNTERS_FILE when it runs an app, and the file is written only
 * for a synthesis slower than 10 s a stack). This tool synthesizes in its own process and gives cdk the
 * assembly; the wrappers would only slow every file call of the process that loaded aws-cdk-lib (the code
 * cache, the assembly written) and change Node's functions under it (an earlier release of the wrapper
 * lost `fs.realpathSync.native`). So aws-cdk-lib's own switch is set before it loads, unless the user set
 * it: `synth` 10–15 ms faster (paired: −10 ms, 15 of 21 runs faster; −15 ms, 23 of 31). The processes this
 * one starts inherit it; the cdk CLI does not read it.
 */
export const CDK_BUILTINS_SWITCH = 'CDK_NO_PERF_BUILTINS';

/** Called before the first `require` of aws-cdk-lib (scripts/require-externals.mjs). */
export function keepNodeBuiltins(): void {
  if (process.env[CDK_BUILTINS_SWITCH] === undefined) process.env[CDK_BUILTINS_SWITCH] = '1';
}
