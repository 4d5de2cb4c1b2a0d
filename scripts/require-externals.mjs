// aws-cdk-lib and constructs are CommonJS. Imported from ESM, Node parses each of their files
// for its export names and builds the whole namespace: aws-cdk-lib's index then loads every
// service module (759 files for `synth`). Loaded with require() (through the banner's
// createRequire), only the modules the stack touches load: its index defines the rest lazily.
// Each `import ... from 'aws-cdk-lib/x'` becomes a tiny module that esbuild inlines; the
// require() itself stays external.
//
// In the ESM bundle that module is CommonJS, `module.exports = require('aws-cdk-lib/x')`, and
// esbuild copies its exports into a namespace object in every module that imports it (its
// __toESM helper). In a CommonJS bundle it is an ES module, `export * from 'aws-cdk-lib/x'`,
// which esbuild makes one `require` and one copy for the whole bundle: `synth` made seven
// copies of aws-cdk-lib's 527 exports, and more of the service modules'. (`export *` in the ESM
// bundle would stay an `import` of the package, with its whole namespace.)

// Before the first of them loads, the code cache for node_modules is installed
// (src/infra/compile-cache.ts): V8 compiling aws-cdk-lib's files was a quarter of `synth`.

import { fileURLToPath } from 'node:url';

const COMPILE_CACHE = fileURLToPath(new URL('../src/infra/compile-cache.ts', import.meta.url));
// And aws-cdk-lib's timers of Node's fs and child_process switched off (src/infra/cdk-builtins.ts).
const CDK_BUILTINS = fileURLToPath(new URL('../src/infra/cdk-builtins.ts', import.meta.url));

/** Packages loaded with require() rather than import. */
export const REQUIRED_PACKAGES = /^(aws-cdk-lib|constructs)(\/.*)?$/;

/** The module that installs the code cache, imported first by each ES module of the CommonJS bundles. */
const INSTALL = 'install-compile-cache';

export const requireExternals = {
  name: 'require-externals',
  setup(build) {
    const commonJs = build.initialOptions.format === 'cjs';
    const resolveDir = fileURLToPath(new URL('..', import.meta.url));
    build.onResolve({ filter: REQUIRED_PACKAGES }, (args) =>
      args.kind === 'require-call' || args.namespace === 'require-external' ? { path: args.path, external: true } : { path: args.path, namespace: 'require-external' },
    );
    build.onResolve({ filter: new RegExp(`^${INSTALL}$`), namespace: 'require-external' }, (args) => ({ path: args.path, namespace: 'require-external-install' }));
    build.onLoad({ filter: /.*/, namespace: 'require-external-install' }, () => ({
      contents: `import { installCompileCache } from ${JSON.stringify(COMPILE_CACHE)};\nimport { keepNodeBuiltins } from ${JSON.stringify(CDK_BUILTINS)};\nkeepNodeBuiltins();\ninstallCompileCache();`,
      loader: 'ts',
      resolveDir,
    }));
    build.onLoad({ filter: /.*/, namespace: 'require-external' }, (args) => ({
      contents: commonJs
        ? // The cache first: an ES module's imports run in order, before its own statements.
          `import ${JSON.stringify(INSTALL)};\nexport * from ${JSON.stringify(args.path)};`
        : `require(${JSON.stringify(CDK_BUILTINS)}).keepNodeBuiltins();\nrequire(${JSON.stringify(COMPILE_CACHE)}).installCompileCache();\nmodule.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
      resolveDir,
    }));
  },
};
