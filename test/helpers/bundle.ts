import { build } from 'esbuild';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Bundles a TypeScript entry into one .mjs file that plain `node` can run,
 * for tests that need the project's code in a separate process.
 */
export async function bundleScript(entry: string): Promise<string> {
  const out = join(mkdtempSync(join(tmpdir(), 'bd-bundle-')), 'script.mjs');
  await build({ entryPoints: [entry], outfile: out, bundle: true, format: 'esm', platform: 'node', target: 'node20', logLevel: 'error' });
  return out;
}
