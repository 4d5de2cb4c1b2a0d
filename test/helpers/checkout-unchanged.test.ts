import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import config from '../../vitest.config.js';
import { watchCheckout } from './checkout-unchanged.js';
import { tempDir } from './fixtures.js';

function checkout(): string {
  const root = tempDir('bd-checkout-');
  writeFileSync(join(root, 'package.json'), '{}');
  mkdirSync(join(root, 'node_modules'));
  mkdirSync(join(root, 'dist'));
  writeFileSync(join(root, 'dist', 'cli.js'), '');
  return root;
}

const status = process.exitCode;
afterEach(() => {
  process.exitCode = status;
});

it('a name made in the top folder or removed from dist/ fails the run, naming each', () => {
  const root = checkout();
  const done = watchCheckout(root);
  mkdirSync(join(root, '.bench-out'));
  rmSync(join(root, 'dist', 'cli.js'));
  expect(done).toThrow(/the tests changed the checkout .*: \.: \.bench-out made; dist: cli\.js removed$/);
  expect(process.exitCode).toBe(1);
});

it("vitest's own folders in node_modules, and nothing changed, pass", () => {
  const root = checkout();
  const done = watchCheckout(root);
  mkdirSync(join(root, 'node_modules', '.vite-temp'));
  mkdirSync(join(root, 'node_modules', '.vite'));
  expect(done).not.toThrow();
  expect(watchCheckout(root)).not.toThrow();
  expect(process.exitCode).toBe(status);
  mkdirSync(join(root, 'node_modules', '.cache'));
  expect(done).toThrow(/node_modules: \.cache made$/);
});

it('is a global set-up of the test run', () => {
  expect(config.test?.globalSetup).toContain('test/helpers/checkout-unchanged.ts');
});
