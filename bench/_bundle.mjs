// Bundles the project's TypeScript modules a bench needs into bench/.out/<name>/ with esbuild
// (a devDependency), so the bench runs with plain node; the AWS SDK stays external unless `likeDist`.
import { build } from 'esbuild';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * Where benches write what they build: under bench/, not in the checkout's top folder, whose change (a folder
 * made there) would change the stamp of every lookup the code cache keeps from dist/ (src/infra/compile-cache.ts)
 * while tests that run benches share the checkout with tests of that cache. Inside the project, so that what is
 * built there finds the project's node_modules.
 */
export const outRoot = join(root, 'bench', '.out');

/**
 * What scripts/build.mjs leaves out of dist/ (loaded from node_modules, and
 * by src/ only on first use): a bench that times those loads bundles with
 * `likeDist` so they happen where they happen in the built CLI. The AWS SDK
 * clients are bundled here from their ES modules (`mainFields`), as chunks; dist/
 * has them in one CommonJS bundle of their own (src/state/sdk-modules.ts), which
 * `./front.cjs` loads there and is never reached from these bundles.
 */
const DIST_EXTERNAL = ['aws-cdk-lib', 'aws-cdk-lib/*', 'constructs', 'cdk-nag', 'execa', 'react-devtools-core', './front.cjs'];

/**
 * The modules of a bench that prepares a deploy against the fake AWS with the project's stack
 * deployed (bench/deploy, bench/plan), for {@link bundleModules}; each bench adds its own.
 */
export const DEPLOYED_STACK_MODULES = [
  "export { startFakeAws } from './test/fake-aws/server.ts';",
  "export { deployedScenario } from './test/helpers/deployed.ts';",
  "export { synthProjectStack } from './test/fake-aws/project-stack.ts';",
  "export { devProfile, prodProfile, writeJson } from './test/helpers/fixtures.ts';",
  "export { createDeployAws } from './src/infra/deploy-aws.ts';",
  "export { resolveTarget } from './src/config/pairing.ts';",
  "export { inspectAllProfiles } from './src/config/store.ts';",
  "export { deployRecordPath } from './src/config/paths.ts';",
];

/** The bundle's path for `name` (what {@link bundleModules} writes). */
export function bundlePath(name) {
  return join(outRoot, name, `${name}-bundle.mjs`);
}

/**
 * Builds one bundle of `exportLines` (e.g. "export { x } from './src/y.ts';"), unless `rebuild`
 * is false, and imports it. `likeDist`: the externals of dist/ and code splitting, so a dynamic
 * `import()` in src/ (aws-cdk-lib in synthesizeStackLazily, execa in the runner) stays lazy.
 */
export async function bundleModules(name, exportLines, { rebuild = true, likeDist = false } = {}) {
  const outfile = bundlePath(name);
  if (rebuild) {
    const outdir = join(outRoot, name);
    // Split chunks carry a content hash in their names: an earlier build's would pile up.
    if (likeDist) rmSync(outdir, { recursive: true, force: true });
    mkdirSync(outdir, { recursive: true });
    await build({
      stdin: { contents: exportLines.join('\n'), resolveDir: root, loader: 'ts' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      ...(likeDist
        ? {
            outdir,
            splitting: true,
            entryNames: `${name}-bundle`,
            outExtension: { '.js': '.mjs' },
            external: DIST_EXTERNAL,
            mainFields: ['module', 'main'],
            banner: { js: "import { createRequire as __bdCreateRequire } from 'node:module'; const require = __bdCreateRequire(import.meta.url);" },
          }
        : { outfile, external: ['@aws-sdk/*', './front.cjs'] }),
      logLevel: 'warning',
    });
  }
  return import(pathToFileURL(outfile).href);
}
