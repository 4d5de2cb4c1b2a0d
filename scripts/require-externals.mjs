// aws-cdk-lib and constructs are CommonJS. Imported from ESM, Node parses each of their files
// for its export names and builds the whole namespace: aws-cdk-lib's index then loads every
// service module (759 files for `synth`). Loaded with require() (through the banner's
// createRequire), only the modules the stack touches load: its index defines the rest lazily.
// Each `import ... from 'aws-cdk-lib/x'` becomes a tiny CommonJS module `module.exports =
// require('aws-cdk-lib/x')` that esbuild inlines; the require() itself stays external.

// Before the first of them loads, the code cache for node_modules is installed
// (src/infra/compile-cache.ts): V8 compiling aws-cdk-lib's files was a quarter of `synth`.

import { fileURLToPath } from 'node:url';

const COMPILE_CACHE = fileURLToPath(new URL('../src/infra/compile-cache.ts', import.meta.url));

/** Packages loaded with require() rather than import. */
export const REQUIRED_PACKAGES = /^(aws-cdk-lib|constructs)(\/.*)?$/;

export const requireExternals = {
  name: 'require-externals',
  setup(build) {
    build.onResolve({ filter: REQUIRED_PACKAGES }, (args) =>
      args.kind === 'require-call' ? { path: args.path, external: true } : { path: args.path, namespace: 'require-external' },
    );
    build.onLoad({ filter: /.*/, namespace: 'require-external' }, (args) => ({
      contents: `require(${JSON.stringify(COMPILE_CACHE)}).installCompileCache();\nmodule.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
      resolveDir: fileURLToPath(new URL('..', import.meta.url)),
    }));
  },
};
