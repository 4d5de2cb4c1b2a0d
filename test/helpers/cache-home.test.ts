import { realpathSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { expect, it } from 'vitest';
import { compileCacheDir } from '../../src/infra/compile-cache.js';
import { assemblyCacheDir } from '../../src/infra/assembly-cache.js';

it("the tool's caches in a test run are in a folder of that run, not the caller's ~/.cache", () => {
  const xdg = process.env.XDG_CACHE_HOME;
  expect(xdg).toBeDefined();
  expect(realpathSync(xdg!).startsWith(realpathSync(tmpdir()))).toBe(true);
  expect(xdg).toMatch(/bd-test-cache-/);
  for (const dir of [compileCacheDir(), assemblyCacheDir()]) {
    expect(dir.startsWith(xdg!)).toBe(true);
    expect(dir.startsWith(homedir())).toBe(false);
  }
});
