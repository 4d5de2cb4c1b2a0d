// Bundles the CLI into dist/ so the first frame does not wait on hundreds of module loads.
// Heavy dependencies (aws-cdk-lib, execa) stay external and are imported lazily; the AWS SDK clients
// are bundled into dist/sdk.cjs, loaded when a command first calls AWS (src/state/sdk-modules.ts).
import { build } from 'esbuild';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { basename, join } from 'node:path';
import { boundInkCaches } from './ink-caches.mjs';
import { fastInkOutput } from './ink-output.mjs';
import { requireExternals } from './require-externals.mjs';
import { frontOnly, statusOnly, synthOnly } from './front-only.mjs';
import { dashboardBundle } from './dashboard-bundle.mjs';
import { yogaBundle } from './yoga-bundle.mjs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

/** What every bundle of dist/ is built with. */
const common = {
  metafile: true,
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  // Less to parse before the first frame; names are kept, so stack traces still read.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
};

const result = await build({
  ...common,
  entryPoints: { cli: 'bin/cli.ts' },
  splitting: true,
  format: 'esm',
  // React's production build: its development build is twice the size and slower to load and render.
  // BENCHLING_DEPLOY_SDK: the AWS SDK clients come from dist/sdk.cjs (src/state/sdk-modules.ts), not from chunks of this bundle.
  define: { 'process.env.BENCHLING_DEPLOY_VERSION': JSON.stringify(pkg.version), 'process.env.NODE_ENV': '"production"', 'process.env.BENCHLING_DEPLOY_SDK': '"sdk.cjs"' },
  // Loaded from node_modules: each must be a runtime dependency (test/package/pack.test.ts checks), except
  // cdk-nag, kept external so that an import of it (a test-only package) shows there and fails that test.
  // ./front.cjs: the front, which src/state/sdk-modules.ts asks to load dist/sdk.cjs.
  external: ['aws-cdk-lib', 'aws-cdk-lib/*', 'constructs', 'cdk-nag', 'execa', 'react-devtools-core', './front.cjs'],
  // aws-cdk-lib and constructs: loaded with require(), see scripts/require-externals.mjs.
  plugins: [boundInkCaches, fastInkOutput, requireExternals],
  banner: { js: "import { createRequire as __bdCreateRequire } from 'node:module'; const require = __bdCreateRequire(import.meta.url);" },
});

// The CommonJS front (bin/front.ts): the entry requires dist/front.cjs, whose route sends a command
// of the ESM bundle there at once, runs validate and profiles in dist/checks.cjs, and requires
// dist/light.cjs (the parser) for the rest. CommonJS cannot be split: what two bundles hold
// exists twice, so a command runs in one of them only (see scripts/front-only.mjs).
const cjs = {
  ...common,
  outExtension: { '.js': '.cjs' },
  format: 'cjs',
  define: { 'process.env.BENCHLING_DEPLOY_VERSION': JSON.stringify(pkg.version) },
  plugins: [frontOnly],
};
/**
 * What a bundle the front compiles itself (bin/front.ts: compileBundle, BUNDLE_HEAD) is written inside: Node's
 * CommonJS wrapper, so that V8 compiles the text as read. Joined at run time (Module.wrap), the text was copied
 * once more as V8 flattened it: about a megabyte each for dist/sdk.cjs and dist/dashboard.cjs. Not for front.cjs
 * and checks.cjs (required: by the bin, by light.cjs), light.cjs (small, built with checks.cjs), nor the worker
 * threads' files (started as files).
 */
const asFunction = { banner: { js: '(function (exports, require, module, __filename, __dirname) { ' }, footer: { js: '\n});' } };

const parser = await build({ ...cjs, entryPoints: { light: 'bin/light.ts', checks: 'bin/commands/profile-checks.ts' } });
// The route's option table comes from the program just built, so it cannot drift from it.
const routeTable = createRequire(import.meta.url)('../dist/light.cjs').programRouteTable();
const front = await build({ ...cjs, entryPoints: { front: 'bin/front.ts' }, define: { ...cjs.define, ROUTE_TABLE: JSON.stringify(routeTable) } });

// The AWS SDK clients, one CommonJS bundle loaded with its code cache (src/state/sdk-modules.ts), built
// from the packages' ES modules (their `module` builds), which esbuild tree-shakes down to the commands
// the tool sends. The SDK's own import()s (credential providers, node:http) become require()s: the
// bundle runs as a vm.Script, which has no loader for import().
const sdk = await build({ ...common, ...asFunction, outExtension: { '.js': '.cjs' }, format: 'cjs', entryPoints: { sdk: 'src/state/sdk-bundle.ts' }, mainFields: ['module', 'main'], supported: { 'dynamic-import': false } });

// status as the route reads it (bin/route.ts FRONT_BUNDLES): the command in CommonJS, with its code cache,
// the SDK from dist/sdk.cjs. Its import()s are bundled into it (esbuild runs each module when first
// imported); the plugin refuses Ink and commander, which status never loads, and the SDK, which is sdk.cjs's.
const status = await build({
  ...cjs,
  ...asFunction,
  entryPoints: { status: 'bin/commands/status-front.ts' },
  define: { ...cjs.define, 'process.env.BENCHLING_DEPLOY_SDK': '"sdk.cjs"' },
  external: ['./front.cjs'],
  plugins: [statusOnly],
  // It runs as a vm.Script, which has no loader for import(): an import() of a module outside it becomes a require().
  supported: { 'dynamic-import': false },
});

// synth as the route reads it (bin/route.ts FRONT_BUNDLES): the command in CommonJS, with its code cache, so that
// it skips the ESM bundle's loader and parser; aws-cdk-lib and constructs from node_modules with require(), through
// the code cache of src/infra/compile-cache.ts (scripts/require-externals.mjs). Its import()s are bundled into it.
const synth = await build({
  ...cjs,
  ...asFunction,
  entryPoints: { synth: 'bin/commands/synth-front.ts' },
  // The synth helper's entry is found beside the command's module (bin/commands/synth.ts), from here as from the ESM bundle's chunks.
  define: { ...cjs.define, 'import.meta.url': '__bdImportMetaUrl' },
  // "use strict" first in the function: a banner before esbuild's own directive would leave the bundle's top level sloppy.
  banner: { js: `${asFunction.banner.js}"use strict";\nconst __bdImportMetaUrl = require('node:url').pathToFileURL(__filename).href;` },
  external: ['aws-cdk-lib', 'aws-cdk-lib/*', 'constructs', './front.cjs'],
  plugins: [synthOnly, requireExternals],
  supported: { 'dynamic-import': false },
});
// The synth helper's process (src/infra/synth-helper.ts), started by a synth: it runs dist/synth.cjs through the front (bin/front.ts: runSynthHelper).
const synthHelper = await build({ ...common, outExtension: { '.js': '.cjs' }, format: 'cjs', entryPoints: { 'synth-helper': 'bin/synth-helper.ts' }, external: ['./front.cjs'] });

// The file the dashboard's synth worker thread starts with (src/infra/operations.ts: startSynthWorker): it runs
// the synthesis in dist/synth.cjs, with its code cache, through the front (bin/front.ts: runSynthWorker).
const synthWorker = await build({ ...common, outExtension: { '.js': '.cjs' }, format: 'cjs', entryPoints: { 'synth-worker': 'bin/synth-worker.ts' }, external: ['./front.cjs'] });
// The dashboard's AWS worker thread (src/state/status-worker-start.ts), which the front starts: the clients alone,
// loaded by the thread as a file (no code cache: about 25 KB, most of it compiled only as called), the SDK from dist/sdk.cjs.
const statusWorker = await build({
  ...cjs,
  entryPoints: { 'status-worker': 'bin/status-worker.ts' },
  define: { ...cjs.define, 'process.env.BENCHLING_DEPLOY_SDK': '"sdk.cjs"' },
  external: ['./front.cjs'],
  plugins: [statusOnly],
});

// The dashboard as the front opens it (a bare line on a terminal): the dashboard in CommonJS, with its code cache,
// Ink's layout engine apart in dist/yoga.cjs (with its code cache) and dist/yoga.wasm (see scripts/yoga-bundle.mjs),
// the SDK from dist/sdk.cjs (see scripts/dashboard-bundle.mjs).
// Its import()s are bundled into it, as status.cjs's are. A line the front's parser reads (one the route leaves to it) runs the ESM bundle's copy.
const yoga = await build({ ...common, ...asFunction, outExtension: { '.js': '.cjs' }, format: 'cjs', entryPoints: { yoga: 'bin/yoga.ts' }, plugins: [yogaBundle(join('dist', 'yoga.wasm'))] });
const dashboard = await build({
  ...common,
  ...asFunction,
  outExtension: { '.js': '.cjs' },
  format: 'cjs',
  entryPoints: { dashboard: 'bin/dashboard-front.ts' },
  define: {
    'process.env.BENCHLING_DEPLOY_VERSION': JSON.stringify(pkg.version),
    'process.env.NODE_ENV': '"production"',
    'process.env.BENCHLING_DEPLOY_SDK': '"sdk.cjs"',
    // The synth worker and the cdk runner find their files from here: dist/, as from the ESM bundle's chunks.
    'import.meta.url': '__bdImportMetaUrl',
  },
  // "use strict" first in the function: a banner before esbuild's own directive would leave the bundle's top level sloppy.
  banner: { js: `${asFunction.banner.js}"use strict";\nconst __bdImportMetaUrl = require('node:url').pathToFileURL(__filename).href;` },
  external: ['aws-cdk-lib', 'aws-cdk-lib/*', 'constructs', 'cdk-nag', './front.cjs'],
  plugins: [dashboardBundle, boundInkCaches, fastInkOutput, requireExternals],
  supported: { 'dynamic-import': false },
});

// V8's code cache of light.cjs, checks.cjs, status.cjs, synth.cjs, sdk.cjs, yoga.cjs and dashboard.cjs, beside them (see scripts/code-cache.mjs).
const caches = spawnSync(process.execPath, [fileURLToPath(new URL('./code-cache.mjs', import.meta.url))], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 120_000 });
if (caches.status !== 0) throw new Error(`scripts/code-cache.mjs failed (${caches.error?.message ?? caches.status}): ${caches.stderr}`);
// What it could not cache, said (each such bundle compiles from source on every run); not the
// terminal controls the dashboard's run leaves at its exit (Ink shows the cursor again on stderr).
const said = caches.stderr.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');
if (said.trim() !== '') process.stderr.write(said);

// Chunks of earlier builds (their names carry a content hash) are removed, so dist/ holds this build only.
const outputs = [result, parser, front, sdk, status, synth, synthWorker, synthHelper, statusWorker, yoga, dashboard].flatMap((r) => Object.keys(r.metafile.outputs));
// synth-modules.cjs: what a synthesis loads, recorded by the same script for the dashboard's synth worker; yoga.wasm: the layout engine's binary, written by the yoga bundle's plugin.
const current = new Set([...outputs, 'light.cjs.cache', 'checks.cjs.cache', 'status.cjs.cache', 'synth.cjs.cache', 'sdk.cjs.cache', 'yoga.cjs.cache', 'dashboard.cjs.cache', 'synth-modules.cjs', 'yoga.wasm'].map((p) => basename(p)));
for (const file of readdirSync('dist')) if (!current.has(file)) rmSync(join('dist', file), { force: true });
