import { build } from 'esbuild';
import { join } from 'node:path';
import { tempDir } from './fixtures.js';

/**
 * Bundles a TypeScript entry into one .mjs file that plain `node` can run,
 * for tests that need the project's code in a separate process.
 */
export async function bundleScript(entry: string): Promise<string> {
  const out = join(tempDir('bd-bundle-'), 'script.mjs');
  await build({ entryPoints: [entry], outfile: out, bundle: true, format: 'esm', platform: 'node', target: 'node20', logLevel: 'error' });
  return out;
}
