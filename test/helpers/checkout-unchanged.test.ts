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
  expect(done).toThrow(/^the checkout changed during the test run .*: \.: \.bench-out made; dist: cli\.js removed$/);
  expect(process.exitCode).toBe(1);
});

it('a folder made and removed again in node_modules, or package.json written, fails it too; nothing changed passes', () => {
  const root = checkout();
  expect(watchCheckout(root)).not.toThrow();
  expect(process.exitCode).toBe(status);
  const done = watchCheckout(root);
  mkdirSync(join(root, 'node_modules', '.cache'));
  rmSync(join(root, 'node_modules', '.cache'), { recursive: true });
  writeFileSync(join(root, 'package.json'), '{"name":"x"}');
  expect(done).toThrow(/: package\.json: changed \(written, .*\); node_modules: changed \(written, an entry made and removed/);
});

it('is the first global set-up of the test run, so that its check runs after every other teardown', () => {
  expect(config.test?.globalSetup?.[0]).toBe('test/helpers/checkout-unchanged.ts');
});
