// Bundles the project's TypeScript modules a bench needs into .bench-out/<name>/ with esbuild
// (a devDependency), so the bench runs with plain node; the AWS SDK stays external.
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));

/** The bundle's path for `name` (what {@link bundleModules} writes). */
export function bundlePath(name) {
  return join(root, '.bench-out', name, `${name}-bundle.mjs`);
}

/** Builds one bundle of `exportLines` (e.g. "export { x } from './src/y.ts';"), unless `build` is false, and imports it. */
export async function bundleModules(name, exportLines, { rebuild = true } = {}) {
  const outfile = bundlePath(name);
  if (rebuild) {
    mkdirSync(join(root, '.bench-out', name), { recursive: true });
    await build({
      stdin: { contents: exportLines.join('\n'), resolveDir: root, loader: 'ts' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile,
      external: ['@aws-sdk/*'],
      logLevel: 'warning',
    });
  }
  return import(pathToFileURL(outfile).href);
}
