/**
 * The build's cache step (scripts/code-cache.mjs, which `npm ci` runs through the build): its runs of the
 * tool keep whatever they cache in the build's own folder, not in the user's ~/.cache.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { copyOfBuild, ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/fixtures.js';

it("writes the build's caches beside the bundles and nothing under HOME: its status and dashboard runs keep the stack's parts in the build's folder", () => {
  const { dist } = copyOfBuild();
  const copy = join(dist, '..');
  mkdirSync(join(copy, 'scripts'));
  cpSync(join(ROOT, 'scripts', 'code-cache.mjs'), join(copy, 'scripts', 'code-cache.mjs'));
  // What it imports from the project: the fake AWS of test/, aws-cdk-lib and the rest from node_modules.
  symlinkSync(join(ROOT, 'test'), join(copy, 'test'));
  symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
  const home = tempDir('bd-build-home-');
  writeFileSync(join(dist, 'dashboard.cjs.cache'), '');
  const r = spawnSync(process.execPath, [join(copy, 'scripts', 'code-cache.mjs')], { env: { PATH: process.env.PATH, HOME: home }, encoding: 'utf8', timeout: 120_000 });
  expect(r.status, r.stderr).toBe(0);
  // It ran what it caches: the dashboard's cache written again (it was emptied above).
  expect(statSync(join(dist, 'dashboard.cjs.cache')).size).toBeGreaterThan(100_000);
  expect(existsSync(join(home, '.cache')), readdirSync(home, { recursive: true }).join('\n')).toBe(false);
});
