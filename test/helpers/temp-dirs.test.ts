import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ROOT } from './cli.js';
import { tempDir } from './fixtures.js';

it('folders made by tempDir() last through their test file and are removed after it', () => {
  const out = join(tempDir('bd-probe-out-'), 'made.txt');
  writeFileSync(out, '');
  // Config read as it is (not bundled into node_modules/.vite-temp) and vite's cache in a folder of the test: the
  // checkout is left as it was (the CLI tests of the code cache count on its folders keeping their stamps).
  const cacheDir = tempDir('bd-probe-cache-');
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--configLoader', 'runner', '--config', join(ROOT, 'test', 'fixtures', 'temp-dirs', 'vitest.config.ts')], {
    cwd: cacheDir,
    env: { ...process.env, BD_PROBE_OUT: out, BD_PROBE_CACHE: cacheDir, NO_COLOR: '1' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(r.status, r.stdout + r.stderr).toBe(0);
  expect(r.stdout).toMatch(/2 passed/);
  // Its results went to the test's folder (vite's cacheDir), not to node_modules/.vite of the fixture or the checkout.
  expect(readdirSync(join(cacheDir, 'vitest'))).not.toEqual([]);
  const made = readFileSync(out, 'utf8').split('\n').filter(Boolean);
  expect(made).toHaveLength(2);
  for (const dir of made) expect(existsSync(dir), dir).toBe(false);
});
