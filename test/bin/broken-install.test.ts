/**
 * Which errors are a file of dist/ gone (bin/broken-install.ts): an import that found no file
 * beside the file that imported it. The built command's answers to such a loss are in
 * test/cli/front.test.ts ("a broken installation").
 */
import { describe, expect, it } from 'vitest';
import { brokenInstallation, missingBundleFile } from '../../bin/broken-install.js';

const notFound = (message: string, url?: string) => Object.assign(new Error(message), { code: 'ERR_MODULE_NOT_FOUND', ...(url ? { url } : {}) });

describe('missingBundleFile', () => {
  it("names the file an import of its neighbour did not find, from the error's URL or else its message, a quote in the folder's name included", () => {
    expect(missingBundleFile(notFound("Cannot find module '/opt/bd/dist/chunk-A.js' imported from /opt/bd/dist/cli.js", 'file:///opt/bd/dist/chunk-A.js'))).toBe('chunk-A.js');
    expect(missingBundleFile(notFound("Cannot find module '/home/o'neil/bd/dist/chunk-A.js' imported from /home/o'neil/bd/dist/cli.js"))).toBe('chunk-A.js');
    expect(missingBundleFile(notFound("Cannot find module '/opt/bd/dist/cli.js' imported from /opt/bd/dist/front.cjs"))).toBe('cli.js');
  });

  it('is no broken installation otherwise: another folder, a package, another error', () => {
    expect(missingBundleFile(notFound("Cannot find module '/elsewhere/x.js' imported from /opt/bd/dist/cli.js", 'file:///elsewhere/x.js'))).toBeUndefined();
    expect(missingBundleFile(notFound("Cannot find package 'ink' imported from /opt/bd/dist/cli.js"))).toBeUndefined();
    expect(missingBundleFile(Object.assign(new Error("Cannot find module '/opt/bd/dist/a.js' imported from /opt/bd/dist/b.js"), { code: 'ENOENT' }))).toBeUndefined();
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
