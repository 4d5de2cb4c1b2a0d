// The CommonJS front's bundles: dist/front.cjs (the route), dist/light.cjs (the parser: option
// table, help, version, argument errors) and dist/checks.cjs (validate and profiles, with the
// profile schema). Every command of the ESM bundle is bound in the front to a hand-off
// (bin/light.ts), so what the option table imports lazily for them (each command's module, the
// dashboard) is never loaded there: each such import() becomes a module that throws, rather than
// a copy of the whole ESM world inside the front. The import() of profile-checks becomes a
// require() of dist/checks.cjs, so --help does not parse the schema; validate runs there whole
// (its action wrapper and error classes are checks.cjs's own, never compared with light.cjs's).

/** Each bundle of the front that another one requires, by the import that reaches it. */
const FRONT_FILES = [
  [/^\.\/light\.cjs$/, './light.cjs'],
  [/(^|\/)profile-checks\.js$/, './checks.cjs'],
];

export const frontOnly = {
  name: 'front-only',
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'require-call' && FRONT_FILES.some(([, file]) => file === args.path)) return { path: args.path, external: true };
      const file = FRONT_FILES.find(([re]) => re.test(args.path))?.[1];
      if (file) return { path: file, namespace: 'front-file' };
      if (args.kind === 'dynamic-import') return { path: args.path, namespace: 'esm-only' };
      return undefined;
    });
    // Commander loads node:child_process (and with it net and the streams) for subcommands that are
    // executables of their own, which this program has none of: loaded when first used instead.
    build.onResolve({ filter: /^(node:)?child_process$/ }, (args) => (/[/\\]commander[/\\]/.test(args.importer) ? { path: 'child_process', namespace: 'lazy-child-process' } : undefined));
    build.onLoad({ filter: /.*/, namespace: 'lazy-child-process' }, () => ({
      contents: "module.exports = { get spawn() { return require('node:child_process').spawn; } };",
      loader: 'js',
    }));
    build.onLoad({ filter: /.*/, namespace: 'front-file' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
    build.onLoad({ filter: /.*/, namespace: 'esm-only' }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`${args.path} runs in the ESM bundle, not in the CommonJS front: bin/route.ts sent a line to the wrong bundle`)});`,
      loader: 'js',
    }));
  },
};

/**
 * dist/status.cjs (bin/commands/status-front.ts): the status command alone. Ink, React and
 * commander have no place in it, nor the AWS SDK (dist/sdk.cjs holds it): an import of one (a
 * module status reaches that draws or parses, a client module not loaded through sdk.cjs) fails
 * the build rather than bringing them in.
 */
export const statusOnly = {
  name: 'status-only',
  setup(build) {
    build.onResolve({ filter: /^(ink|ink-[a-z-]+|react|react\/.*|commander|@aws-sdk\/.*|@smithy\/.*)$/ }, (args) => ({
      errors: [{ text: `dist/status.cjs must not hold ${args.path} (imported by ${args.importer}): status neither draws nor parses, and its AWS SDK is dist/sdk.cjs` }],
    }));
  },
};

/**
 * dist/synth.cjs (bin/commands/synth-front.ts): the synth command alone. It is offline and prints a
 * line: Ink, React, commander, the AWS SDK and execa have no place in it, and an import of one fails
 * the build rather than bringing it in. aws-cdk-lib and constructs stay in node_modules
 * (scripts/require-externals.mjs).
 */
export const synthOnly = {
  name: 'synth-only',
  setup(build) {
    build.onResolve({ filter: /^(ink|ink-[a-z-]+|react|react\/.*|commander|execa|@aws-sdk\/.*|@smithy\/.*)$/ }, (args) => ({
      errors: [{ text: `dist/synth.cjs must not hold ${args.path} (imported by ${args.importer}): synth neither draws, parses, runs cdk nor calls AWS` }],
    }));
  },
};
