/**
 * What the dashboard's synth worker loads ahead (src/infra/synth-worker.ts preloadModules), from a
 * list as the build writes it (dist/synth-modules.cjs), against stand-in packages in a folder of
 * their own: the recorded version only, in order, up to a file that is not there or not a plain
 * path in the package; a file that fails to load is an error that names it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { preloadModules } from '../../src/infra/synth-worker.js';
import { tempDir } from '../helpers/fixtures.js';

/** What the stand-in files record as they load, by layout. */
const loads = globalThis as unknown as Record<string, string[] | undefined>;

/**
 * A dist/ beside a node_modules holding stand-ins of aws-cdk-lib (2.276.0) and constructs
 * (10.8.1), the list in dist/synth-modules.cjs; each file records its load under `key`.
 */
function layout(files: Record<string, string>, list: unknown): { modulesFile: string; key: string } {
  const root = tempDir('bd-preload-');
  const key = `bdPreload${Math.random().toString(36).slice(2)}`;
  for (const [name, version] of [['aws-cdk-lib', '2.276.0'], ['constructs', '10.8.1']]) {
    mkdirSync(join(root, 'node_modules', name, 'lib'), { recursive: true });
    writeFileSync(join(root, 'node_modules', name, 'package.json'), JSON.stringify({ name, version }));
  }
  for (const [path, body] of Object.entries(files)) writeFileSync(join(root, 'node_modules', path), `(globalThis.${key} ??= []).push(${JSON.stringify(path)});\n${body}`);
  mkdirSync(join(root, 'dist'));
  writeFileSync(join(root, 'dist', 'synth-modules.cjs'), `module.exports = ${JSON.stringify(list)};\n`);
  return { modulesFile: join(root, 'dist', 'synth-modules.cjs'), key };
}

function run(files: Record<string, string>, list: unknown): { count?: number; error?: Error; loaded: string[] } {
  const { modulesFile, key } = layout(files, list);
  try {
    const count = preloadModules(modulesFile);
    return { count, loaded: loads[key] ?? [] };
  } catch (error) {
    return { error: error as Error, loaded: loads[key] ?? [] };
  }
}

const FILES = { 'aws-cdk-lib/lib/a.js': '', 'aws-cdk-lib/lib/b.js': '', 'constructs/lib/c.js': '' };
const LIST = { 'aws-cdk-lib': { version: '2.276.0', files: ['lib/a.js', 'lib/b.js'] }, constructs: { version: '10.8.1', files: ['lib/c.js'] } };

describe('loading aws-cdk-lib ahead', () => {
  it('loads the listed files of each package, in order, and counts them', () => {
    expect(run(FILES, LIST)).toEqual({ count: 3, loaded: ['aws-cdk-lib/lib/a.js', 'aws-cdk-lib/lib/b.js', 'constructs/lib/c.js'] });
  });

  it('skips a package of another version than the list was recorded with', () => {
    expect(run(FILES, { ...LIST, 'aws-cdk-lib': { ...LIST['aws-cdk-lib'], version: '2.275.0' } })).toEqual({ count: 1, loaded: ['constructs/lib/c.js'] });
  });

  it.each([
    ['a file that is not there', 'lib/gone.js'],
    ['a path out of the package', '../constructs/lib/c.js'],
    ['an absolute path', '/etc/passwd.js'],
    ['a file that is not a module', 'lib/a.node'],
  ])('stops a package at %s; the next package goes on', (_case, bad) => {
    expect(run(FILES, { ...LIST, 'aws-cdk-lib': { ...LIST['aws-cdk-lib'], files: ['lib/a.js', bad, 'lib/b.js'] } })).toEqual({ count: 2, loaded: ['aws-cdk-lib/lib/a.js', 'constructs/lib/c.js'] });
  });

  it('a listed file that fails to load is an error naming it and the list; nothing after it loads', () => {
    const r = run({ ...FILES, 'aws-cdk-lib/lib/a.js': "throw new Error('broken module');" }, LIST);
    expect(r.error?.message).toMatch(/^loading aws-cdk-lib ahead \(.*node_modules\/aws-cdk-lib\/lib\/a\.js, listed in .*synth-modules\.cjs\): broken module$/);
    expect(r.loaded).toEqual(['aws-cdk-lib/lib/a.js']);
  });

  it('a list that is missing or not a list loads nothing', () => {
    expect(run(FILES, null).count).toBe(0);
    expect(run(FILES, { 'aws-cdk-lib': { version: '2.276.0', files: 'lib/a.js' } }).count).toBe(0);
  });
});
