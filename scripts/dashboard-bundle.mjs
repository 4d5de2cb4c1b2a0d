// What makes the dashboard a CommonJS bundle (dist/dashboard.cjs, bin/dashboard-front.ts), run
// from a V8 code cache as the front's other bundles are (an ES module cannot be, on Node 20):
// - yoga-layout (Ink's layout engine) awaits its WebAssembly at its top level, which CommonJS
//   cannot: it is dist/yoga.cjs and dist/yoga.wasm, which the front loads first (scripts/yoga-bundle.mjs);
//   here it is what the front left on globalThis (bin/front.ts YOGA_GLOBAL).
// - Ink's reconciler awaits, at its top level, its devtools and its package.json, both only when
//   DEV is set: here they are left out (Ink is pinned: if its source no longer reads as
//   expected, the build fails).
// - execa is an ES module only, and a vm.Script has no loader for import(): the front imports it
//   (src/infra/execa-module.ts becomes a call of the front's importModule).
// - commander and the AWS SDK have no place in it: the dashboard does not parse a command line,
//   and its SDK is dist/sdk.cjs.
import { readFile } from 'node:fs/promises';

const INK_EDITS = [
  ["await import('./devtools.js');", 'void 0;'],
  ['? await loadPackageJson()', "? { name: 'ink', version: undefined }"],
];

export const dashboardBundle = {
  name: 'dashboard-bundle',
  setup(build) {
    build.onResolve({ filter: /^yoga-layout$/ }, () => ({ path: 'yoga-layout', namespace: 'yoga-global' }));
    build.onLoad({ filter: /.*/, namespace: 'yoga-global' }, () => ({
      contents:
        "const yoga = globalThis[Symbol.for('benchling-deploy.yoga')];\n" +
        "if (!yoga) throw new Error('dist/dashboard.cjs needs the layout engine loaded first (bin/front.ts loadDashboard)');\n" +
        'module.exports = yoga;',
      loader: 'js',
    }));
    build.onLoad({ filter: /[/\\]ink[/\\]build[/\\]reconciler\.js$/ }, async (args) => {
      let source = await readFile(args.path, 'utf8');
      for (const [from, to] of INK_EDITS) {
        if (source.split(from).length !== 2) throw new Error(`dashboard-bundle: ${args.path} no longer contains "${from}" exactly once; Ink changed, check its top-level awaits`);
        source = source.replace(from, to);
      }
      return { contents: source, loader: 'js' };
    });
    build.onLoad({ filter: /[/\\]src[/\\]infra[/\\]execa-module\.ts$/ }, () => ({
      contents: "export const importExeca = () => require('./front.cjs').importModule('execa');",
      loader: 'js',
    }));
    build.onResolve({ filter: /^(execa|commander|@aws-sdk\/.*|@smithy\/.*)$/ }, (args) => ({
      errors: [{ text: `dist/dashboard.cjs must not hold ${args.path} (imported by ${args.importer}): execa comes through the front (src/infra/execa-module.ts), the dashboard parses no command line, and its AWS SDK is dist/sdk.cjs` }],
    }));
  },
};
