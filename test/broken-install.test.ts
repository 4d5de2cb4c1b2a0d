/**
 * Which errors are a file of dist/ gone (src/broken-install.ts): an import that found no file
 * beside the file that imported it. The built command's answers to such a loss are in
 * test/cli/front.test.ts ("a broken installation").
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { brokenInstallation, missingBundleFile } from '../src/broken-install.js';
import { tempDir } from './helpers/fixtures.js';

/** A folder of a build (it holds front.cjs), and one of a package beside it. */
function folders(name = 'bd') {
  const root = join(tempDir('bd-broken-install-'), name);
  const dist = join(root, 'dist');
  const lib = join(root, 'node_modules', 'execa', 'lib');
  mkdirSync(dist, { recursive: true });
  mkdirSync(lib, { recursive: true });
  writeFileSync(join(dist, 'front.cjs'), '');
  return { dist, lib };
}

const notFound = (message: string, url?: string) => Object.assign(new Error(message), { code: 'ERR_MODULE_NOT_FOUND', ...(url ? { url } : {}) });

describe('missingBundleFile', () => {
  it("names the file an import of its neighbour in the build did not find, from the error's URL or else its message, a quote in the folder's name included", () => {
    const { dist } = folders();
    expect(missingBundleFile(notFound(`Cannot find module '${dist}/chunk-A.js' imported from ${dist}/cli.js`, `file://${dist}/chunk-A.js`))).toBe('chunk-A.js');
    expect(missingBundleFile(notFound(`Cannot find module '${dist}/cli.js' imported from ${dist}/front.cjs`))).toBe('cli.js');
    const quoted = folders("o'neil").dist;
    expect(missingBundleFile(notFound(`Cannot find module '${quoted}/chunk-A.js' imported from ${quoted}/cli.js`))).toBe('chunk-A.js');
  });

  it('is no broken installation of ours otherwise: another folder, a package (a file of execa gone), a folder that is not the build, another error', () => {
    const { dist, lib } = folders();
    expect(missingBundleFile(notFound(`Cannot find module '/elsewhere/x.js' imported from ${dist}/cli.js`, 'file:///elsewhere/x.js'))).toBeUndefined();
    expect(missingBundleFile(notFound(`Cannot find module '${lib}/gone.js' imported from ${lib}/index.js`, `file://${lib}/gone.js`))).toBeUndefined();
    expect(missingBundleFile(notFound("Cannot find module '/opt/bd/dist/chunk-A.js' imported from /opt/bd/dist/cli.js"))).toBeUndefined();
    expect(missingBundleFile(notFound(`Cannot find package 'ink' imported from ${dist}/cli.js`))).toBeUndefined();
    expect(missingBundleFile(Object.assign(new Error(`Cannot find module '${dist}/a.js' imported from ${dist}/b.js`), { code: 'ENOENT' }))).toBeUndefined();
    expect(missingBundleFile(undefined)).toBeUndefined();
    expect(missingBundleFile('text')).toBeUndefined();
  });
});

describe('brokenInstallation', () => {
  it("says the file, the first line of why, and how to mend it", () => {
    expect(brokenInstallation('sdk.cjs', new Error('ENOENT: no such file\n    at x'))).toBe(
      'dist/sdk.cjs could not be loaded (ENOENT: no such file); reinstall benchling-deploy, or in a clone run `npm run build` (npm ci builds it)',
    );
  });
});
