import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStackPartsCache, stackPartsDir, type StackPartsPlace } from '../../src/state/stack-parts-cache.js';
import type { StackParts } from '../../src/state/status-poller.js';
import { bundleScript } from '../helpers/bundle.js';
import { ROOT } from '../helpers/cli.js';
import { linkInPlace, tempDir } from '../helpers/fixtures.js';

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
    // Old: a file of the cache, a temporary file a crash left, and two files of names the cache never gives.
    for (const name of [old, 'deadbeef.json.123-0badf00d.tmp', 'notes.txt', 'mine.json']) {
      if (name !== old) writeFileSync(join(dir, name), '');
      utimesSync(join(dir, name), month, month);
    }
    const current = save(PLACE);
    expect(readdirSync(dir).sort()).toEqual([recent, current, 'notes.txt', 'mine.json'].sort());
  });

  it('is kept apart by stack, region, account, AWS profile and endpoint', () => {
    const { env } = cacheEnv();
    openStackPartsCache(PLACE, env).save(PARTS);
    expect(openStackPartsCache(PLACE, env).parts).toEqual(PARTS);
    for (const other of [{ ...PLACE, stackName: 'Other' }, { ...PLACE, region: 'eu-west-1' }, { ...PLACE, account: '999999999999' }, { ...PLACE, awsProfile: 'ops' }]) {
      expect(openStackPartsCache(other, env).parts).toBeUndefined();
    }
    expect(openStackPartsCache(PLACE, { ...env, AWS_ENDPOINT_URL: 'http://127.0.0.1:2' }).parts).toBeUndefined();
    // With no AWS profile of the place's, the one the SDK signs with: AWS_PROFILE.
    expect(openStackPartsCache(PLACE, { ...env, AWS_PROFILE: 'other-account' }).parts).toBeUndefined();
    openStackPartsCache(PLACE, { ...env, AWS_PROFILE: 'ops' }).save({ ...PARTS, apiId: 'opsapi0000' });
    expect(openStackPartsCache({ ...PLACE, awsProfile: 'ops' }, env).parts?.apiId).toBe('opsapi0000');
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
    // The folder above it as other caches of the tool make it under a umask of 002: the cache still serves.
    chmodSync(dir, 0o700);
    chmodSync(dirname(dir), 0o775);
    expect(openStackPartsCache(PLACE, env).parts).toEqual(PARTS);
  });

  it('writes nothing into a folder that group or others may write; into one under a folder as a umask of 002 makes it, it does', () => {
    const { env, dir } = cacheEnv();
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o777);
    openStackPartsCache(PLACE, env).save(PARTS);
    expect(readdirSync(dir)).toEqual([]);
    chmodSync(dir, 0o700);
    chmodSync(dirname(dir), 0o775);
    openStackPartsCache(PLACE, env).save(PARTS);
    expect(openStackPartsCache(PLACE, env).parts).toEqual(PARTS);
    // Its temporary file is of a name of its own, new each write: a file left at an old one is not in its way.
    const file = onlyFile(dir);
    writeFileSync(`${file}.${process.pid}.tmp`, 'left by a crash');
    openStackPartsCache(PLACE, env).save({ ...PARTS, cluster: 'Another' });
    expect(openStackPartsCache(PLACE, env).parts?.cluster).toBe('Another');
  });

  it('a FIFO where the file goes is not waited on: no parts, at once (in a process of its own, which would hang)', async () => {
    const { env, dir } = cacheEnv();
    openStackPartsCache(PLACE, env).save(PARTS);
    const file = onlyFile(dir);
    rmSync(file);
    execFileSync('mkfifo', [file]);
    const script = join(tempDir('bd-stack-parts-fifo-'), 'read.ts');
    writeFileSync(script, `import { openStackPartsCache } from ${JSON.stringify(join(ROOT, 'src', 'state', 'stack-parts-cache.ts'))};\nconsole.log(JSON.stringify(openStackPartsCache(${JSON.stringify(PLACE)}, ${JSON.stringify(env)}).parts ?? null));\n`);
    const r = spawnSync(process.execPath, [await bundleScript(script)], { encoding: 'utf8', timeout: 10_000 });
    expect(r.error, 'the read did not end within 10 s').toBeUndefined();
    expect(r.stdout.trim()).toBe('null');
  });

  it('a linked folder is not the cache: nothing read from it, written into it or removed from it', () => {
    const { env, dir } = cacheEnv();
    openStackPartsCache(PLACE, env).save(PARTS);
    const file = onlyFile(dir);
    // The folder moved elsewhere (a folder of the user's, 0700), and a link left in its place.
    const elsewhere = linkInPlace(dir);
    const old = join(elsewhere, 'deadbeef.json');
    writeFileSync(old, '{}');
    const month = new Date(Date.now() - 31 * 24 * 3600 * 1000);
    utimesSync(old, month, month);
    expect(openStackPartsCache(PLACE, env).parts).toBeUndefined();
    openStackPartsCache({ ...PLACE, stackName: 'Other' }, env).save(PARTS);
    expect(readdirSync(elsewhere).sort()).toEqual([basename(file), 'deadbeef.json'].sort());
  });

  it('a file in use is written again once a week old, so that the clean-up never takes it; parts it could not read back are not written', () => {
    const { env, dir } = cacheEnv();
    openStackPartsCache(PLACE, env).save(PARTS);
    const file = onlyFile(dir);
    const week = new Date(Date.now() - 8 * 24 * 3600 * 1000);
    utimesSync(file, week, week);
    openStackPartsCache(PLACE, env).save(PARTS);
    expect(Date.now() - statSync(file).mtimeMs).toBeLessThan(60_000);
    for (const cluster of ['', 'a\u0007b', 'x'.repeat(2049)]) {
      const { env: other, dir: otherDir } = cacheEnv();
      openStackPartsCache(PLACE, other).save({ ...PARTS, cluster });
      expect(existsSync(otherDir) ? readdirSync(otherDir) : []).toEqual([]);
    }
    // And the file's older parts go: they no longer name the stack.
    openStackPartsCache(PLACE, env).save({ ...PARTS, cluster: '' });
    expect(readdirSync(dir)).toEqual([]);
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
