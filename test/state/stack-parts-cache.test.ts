import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStackPartsCache, stackPartsDir, type StackPartsPlace } from '../../src/state/stack-parts-cache.js';
import type { StackParts } from '../../src/state/status-poller.js';
import { tempDir } from '../helpers/fixtures.js';

const PLACE: StackPartsPlace = { stackName: 'BenchlingWebhookStack', region: 'us-east-1', account: '123456789012' };
const PARTS: StackParts = {
  cluster: 'BenchlingWebhookStack-Cluster-1',
  apiId: 'a1b2c3d4e5',
  environments: {
    dev: { service: 'BenchlingWebhookStack-DevService-1', targetGroup: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/bw-dev/1' },
    prod: { service: 'BenchlingWebhookStack-ProdService-1', targetGroup: null },
  },
};

/** A cache folder of its own, and the environment that places it there. */
function cacheEnv(extra: Record<string, string> = {}) {
  const env = { XDG_CACHE_HOME: tempDir('bd-stack-parts-'), AWS_ENDPOINT_URL: 'http://127.0.0.1:1', ...extra };
  return { env, dir: stackPartsDir(env) };
}

/** The one file the folder holds. */
function onlyFile(dir: string): string {
  const files = readdirSync(dir);
  expect(files).toHaveLength(1);
  return join(dir, files[0]!);
}

describe('the stack parts cache', () => {
  it('keeps the parts for the next run: mode 0600 in a 0700 folder, written once while they stay the same', () => {
    const { env, dir } = cacheEnv();
    expect(openStackPartsCache(PLACE, env).parts).toBeUndefined();
    openStackPartsCache(PLACE, env).save(PARTS);
    const file = onlyFile(dir);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const next = openStackPartsCache(PLACE, env);
    expect(next.parts).toEqual(PARTS);
    // The same parts again (another key order): not written again.
    utimesSync(file, new Date(2020, 0, 1), new Date(2020, 0, 1));
    next.save({ environments: { prod: PARTS.environments.prod, dev: PARTS.environments.dev }, apiId: PARTS.apiId, cluster: PARTS.cluster });
    expect(statSync(file).mtime.getFullYear()).toBe(2020);
    // Other parts: written.
    next.save({ ...PARTS, cluster: 'BenchlingWebhookStack-Cluster-2' });
    expect(statSync(file).mtime.getFullYear()).toBeGreaterThan(2020);
    expect(openStackPartsCache(PLACE, env).parts?.cluster).toBe('BenchlingWebhookStack-Cluster-2');
    expect(readdirSync(dir)).toHaveLength(1);
  });

  it('a write removes the files of the folder not written for 30 days, and keeps the others', () => {
    const { env, dir } = cacheEnv();
    /** Saves the parts of `place`; the name of the file that made. */
    const save = (place: StackPartsPlace) => {
      const before = new Set(readdirSync(dir));
      openStackPartsCache(place, env).save(PARTS);
      return readdirSync(dir).find((f) => !before.has(f))!;
    };
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const month = new Date(Date.now() - 31 * 24 * 3600 * 1000);
    const old = save({ ...PLACE, stackName: 'Old' });
    const recent = save({ ...PLACE, stackName: 'Recent' });
    for (const name of [old, 'left.json.123.tmp', 'notes.txt']) {
      if (name !== old) writeFileSync(join(dir, name), '');
      utimesSync(join(dir, name), month, month);
    }
    const current = save(PLACE);
    expect(readdirSync(dir).sort()).toEqual([recent, current, 'notes.txt'].sort());
  });

  it('is kept apart by stack, region, account, AWS profile and endpoint', () => {
    const { env } = cacheEnv();
    openStackPartsCache(PLACE, env).save(PARTS);
    expect(openStackPartsCache(PLACE, env).parts).toEqual(PARTS);
    for (const other of [{ ...PLACE, stackName: 'Other' }, { ...PLACE, region: 'eu-west-1' }, { ...PLACE, account: '999999999999' }, { ...PLACE, awsProfile: 'ops' }]) {
      expect(openStackPartsCache(other, env).parts).toBeUndefined();
    }
    expect(openStackPartsCache(PLACE, { ...env, AWS_ENDPOINT_URL: 'http://127.0.0.1:2' }).parts).toBeUndefined();
    expect(openStackPartsCache(PLACE, { ...env, AWS_ENDPOINT_URL_ECS: 'http://127.0.0.1:3' }).parts).toBeUndefined();
  });

  it('ignores a file that is not exactly what it writes, and replaces it with the next parts', () => {
    const { env, dir } = cacheEnv();
    openStackPartsCache(PLACE, env).save(PARTS);
    const file = onlyFile(dir);
    const written = JSON.parse(readFileSync(file, 'utf8'));
    const long = 'x'.repeat(2049);
    const bad: unknown[] = [
      'not json',
      'null',
      '[]',
      { ...written, version: 2 },
      { ...written, key: 'another' },
      { ...written, extra: true },
      { ...written, parts: { ...written.parts, cluster: 7 } },
      { ...written, parts: { ...written.parts, cluster: '' } },
      { ...written, parts: { ...written.parts, cluster: long } },
      { ...written, parts: { ...written.parts, apiId: 'a\u001b[2Jb' } },
      { ...written, parts: { ...written.parts, environments: { ...written.parts.environments, staging: { service: null, targetGroup: null } } } },
      { ...written, parts: { ...written.parts, environments: { dev: { service: 'S' } } } },
      { ...written, parts: { ...written.parts, environments: { dev: { service: 'S', targetGroup: null, more: 1 } } } },
      { ...written, parts: { ...written.parts, environments: [] } },
    ];
    for (const content of bad) {
      const text = typeof content === 'string' ? content : JSON.stringify(content);
      writeFileSync(file, text);
      expect(openStackPartsCache(PLACE, env).parts, text.slice(0, 160)).toBeUndefined();
    }
    // Larger than 16 KiB, otherwise what it writes.
    writeFileSync(file, `${JSON.stringify(written)}${' '.repeat(16 * 1024)}`);
    expect(openStackPartsCache(PLACE, env).parts).toBeUndefined();
    // What is read next replaces it.
    openStackPartsCache(PLACE, env).save(PARTS);
    expect(openStackPartsCache(PLACE, env).parts).toEqual(PARTS);
  });

  it('ignores a file that group or others may write, or in a folder they may write', () => {
    const { env, dir } = cacheEnv();
    openStackPartsCache(PLACE, env).save(PARTS);
    const file = onlyFile(dir);
    chmodSync(file, 0o620);
    expect(openStackPartsCache(PLACE, env).parts).toBeUndefined();
    chmodSync(file, 0o600);
    expect(openStackPartsCache(PLACE, env).parts).toEqual(PARTS);
    chmodSync(dir, 0o777);
    expect(openStackPartsCache(PLACE, env).parts).toBeUndefined();
  });

  it('a folder or file it cannot write only means no file: no error, no temporary file left', () => {
    const base = tempDir('bd-stack-parts-');
    // XDG_CACHE_HOME is a file: no folder can be made under it.
    writeFileSync(join(base, 'cache'), '');
    const env = { XDG_CACHE_HOME: join(base, 'cache') };
    expect(() => openStackPartsCache(PLACE, env).save(PARTS)).not.toThrow();
    expect(openStackPartsCache(PLACE, env).parts).toBeUndefined();
    // The file's name is taken by a folder that is not empty: the rename fails, and the temporary file goes.
    const { env: other, dir } = cacheEnv();
    openStackPartsCache(PLACE, other).save(PARTS);
    const file = onlyFile(dir);
    rmSync(file);
    mkdirSync(join(file, 'in-the-way'), { recursive: true });
    expect(() => openStackPartsCache(PLACE, other).save({ ...PARTS, cluster: 'Another' })).not.toThrow();
    expect(readdirSync(dir)).toEqual([basename(file)]);
    expect(openStackPartsCache(PLACE, other).parts).toBeUndefined();
  });
});
