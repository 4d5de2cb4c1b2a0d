// Bundles the CLI into dist/ so the first frame does not wait on hundreds of module loads.
// Heavy dependencies (aws-cdk-lib, execa) stay external and are imported lazily; the AWS SDK clients
// are bundled, each a chunk loaded when a command first calls that service (src/state/sdk-modules.ts).
import { build } from 'esbuild';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { basename, join } from 'node:path';
import { boundInkCaches } from './ink-caches.mjs';
import { requireExternals } from './require-externals.mjs';
import { frontOnly } from './front-only.mjs';

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
  // The dashboard synthesizes in a worker thread (src/infra/operations.ts: synthesizeStackInWorker), beside cli.js.
  entryPoints: { cli: 'bin/cli.ts', 'synth-worker': 'src/infra/synth-worker.ts' },
  splitting: true,
  format: 'esm',
  // React's production build: its development build is twice the size and slower to load and render.
  define: { 'process.env.BENCHLING_DEPLOY_VERSION': JSON.stringify(pkg.version), 'process.env.NODE_ENV': '"production"' },
  // The AWS SDK clients are bundled (src/state/sdk-modules.ts), from their ES modules: the packages'
  // `module` builds, which esbuild tree-shakes down to the commands the tool sends.
  mainFields: ['module', 'main'],
  // Loaded from node_modules: each must be a runtime dependency (test/package/pack.test.ts checks), except
  // cdk-nag, kept external so that an import of it (a test-only package) shows there and fails that test.
  external: ['aws-cdk-lib', 'aws-cdk-lib/*', 'constructs', 'cdk-nag', 'execa', 'react-devtools-core'],
  // aws-cdk-lib and constructs: loaded with require(), see scripts/require-externals.mjs.
  plugins: [boundInkCaches, requireExternals],
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
const parser = await build({ ...cjs, entryPoints: { light: 'bin/light.ts', checks: 'bin/commands/profile-checks.ts' } });
// The route's option table comes from the program just built, so it cannot drift from it.
const routeTable = createRequire(import.meta.url)('../dist/light.cjs').programRouteTable();
const front = await build({ ...cjs, entryPoints: { front: 'bin/front.ts' }, define: { ...cjs.define, ROUTE_TABLE: JSON.stringify(routeTable) } });

// V8's code cache of light.cjs and checks.cjs, beside them (see scripts/code-cache.mjs).
const caches = spawnSync(process.execPath, [fileURLToPath(new URL('./code-cache.mjs', import.meta.url))], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
if (caches.status !== 0) throw new Error(`scripts/code-cache.mjs failed (${caches.status}): ${caches.stderr}`);

// Chunks of earlier builds (their names carry a content hash) are removed, so dist/ holds this build only.
const current = new Set([...Object.keys(result.metafile.outputs), ...Object.keys(parser.metafile.outputs), ...Object.keys(front.metafile.outputs), 'light.cjs.cache', 'checks.cjs.cache'].map((p) => basename(p)));
for (const file of readdirSync('dist')) if (!current.has(file)) rmSync(join('dist', file), { force: true });
