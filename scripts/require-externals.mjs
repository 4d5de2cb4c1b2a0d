// aws-cdk-lib and constructs are CommonJS. Imported from ESM, Node parses each of their files
// for its export names and builds the whole namespace: aws-cdk-lib's index then loads every
// service module (759 files for `synth`). Loaded with require() (through the banner's
// createRequire), only the modules the stack touches load: its index defines the rest lazily.
// Each `import ... from 'aws-cdk-lib/x'` becomes a tiny CommonJS module `module.exports =
// require('aws-cdk-lib/x')` that esbuild inlines; the require() itself stays external.

/** Packages loaded with require() rather than import. */
export const REQUIRED_PACKAGES = /^(aws-cdk-lib|constructs)(\/.*)?$/;

export const requireExternals = {
  name: 'require-externals',
  setup(build) {
    build.onResolve({ filter: REQUIRED_PACKAGES }, (args) =>
      args.kind === 'require-call' ? { path: args.path, external: true } : { path: args.path, namespace: 'require-external' },
    );
    build.onLoad({ filter: /.*/, namespace: 'require-external' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};
