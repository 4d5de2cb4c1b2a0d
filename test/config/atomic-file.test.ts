import { afterEach, describe, expect, it, vi } from 'vitest';
import * as fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { writeFileAtomic } from '../../src/config/atomic-file.js';
import { recordDeploy } from '../../src/state/deploy-records.js';
import { FolderError, FolderFullError } from '../../src/config/fs-errors.js';
import { exitCodeOf, formatError } from '../../src/errors.js';
import { snapshotDir, tempDir } from '../helpers/fixtures.js';

/** The system call to fail, and how: what a read-only mount or a full disk does, which a test cannot make for real. */
const injected = vi.hoisted(() => ({ fail: undefined as undefined | { call: 'openSync' | 'writeSync' | 'renameSync'; code: string } }));

vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const failing = <K extends 'openSync' | 'writeSync' | 'renameSync'>(call: K) =>
    ((...args: unknown[]) => {
      const f = injected.fail;
      // Only the temporary file's system calls: the folder fsync and reads go through.
      if (f && f.call === call && (call !== 'openSync' || String(args[0]).endsWith('.tmp'))) {
        throw Object.assign(new Error(`${f.code}: injected, ${call} '${String(args[0])}'`), { code: f.code, syscall: call.replace('Sync', ''), path: typeof args[0] === 'string' ? args[0] : undefined });
      }
      return (real[call] as (...a: unknown[]) => unknown)(...args);
    }) as (typeof real)[K];
  const mocked = { ...real, openSync: failing('openSync'), writeSync: failing('writeSync'), renameSync: failing('renameSync') };
  return { ...mocked, default: mocked };
});

afterEach(() => {
  injected.fail = undefined;
});

function folderWithFile(): { dir: string; path: string } {
  const dir = tempDir();
  const path = join(dir, 'deploy.json');
  fs.writeFileSync(path, '{"old": true}\n', { mode: 0o600 });
  return { dir, path };
}

function thrownBy(fn: () => void): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('writeFileAtomic: a failing folder is words, and the old file stays', () => {
  for (const code of ['EROFS', 'EACCES', 'EPERM']) {
    it(`${code} on the temporary file: exit 2, naming the file, its temporary file and the folder`, () => {
      const { dir, path } = folderWithFile();
      const before = snapshotDir(dir);
      injected.fail = { call: 'openSync', code };
      const error = thrownBy(() => writeFileAtomic(path, '{"new": true}\n'));
      expect(error).toBeInstanceOf(FolderError);
      expect(exitCodeOf(error)).toBe(2);
      const text = formatError(error);
      expect(text).toMatch(new RegExp(`^error: cannot write ${path} \\(its temporary file ${dir}/\\.deploy\\.json\\.\\d+\\.[0-9a-f]+\\.tmp\\): `));
      expect(text).toContain(code === 'EROFS' ? `the config folder ${dir} is on a read-only file system (EROFS)` : `permission denied (${code}); the config folder ${dir} is read-only`);
      expect(text).toMatch(/\nhint: .*--config-dir/);
      expect(text).not.toMatch(/internal error|\n\s+at /);
      expect(snapshotDir(dir)).toEqual(before);
    });
  }

  it('ENOSPC while writing: exit 1 (a full disk is not wrong input), old content kept, no temporary file left', () => {
    const { dir, path } = folderWithFile();
    const before = snapshotDir(dir);
    injected.fail = { call: 'writeSync', code: 'ENOSPC' };
    const error = thrownBy(() => writeFileAtomic(path, '{"new": true}\n'));
    expect(error).toBeInstanceOf(FolderFullError);
    expect(exitCodeOf(error)).toBe(1);
    expect(formatError(error)).toMatch(/no space left on the device \(ENOSPC\)\nhint: free some space where .* lives/);
    expect(snapshotDir(dir)).toEqual(before);
    expect(fs.readdirSync(dir)).toEqual(['deploy.json']);
  });

  it('the nearest case that must pass: nothing injected, the new content replaces the old, mode 0600', () => {
    const { path } = folderWithFile();
    writeFileAtomic(path, '{"new": true}\n');
    expect(fs.readFileSync(path, 'utf8')).toBe('{"new": true}\n');
    expect(fs.statSync(path).mode & 0o777).toBe(0o600);
  });
});

/** chmod for a user; root ignores it, so `chattr +i` (a real immutable folder) for root. */
function immutable(dir: string): () => void {
  if (process.getuid?.() !== 0) {
    fs.chmodSync(dir, 0o555);
    return () => fs.chmodSync(dir, 0o755);
  }
  const r = spawnSync('chattr', ['+i', dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`chattr +i ${dir} failed: ${r.stderr || r.error}`);
  return () => void spawnSync('chattr', ['-i', dir]);
}

describe('a real read-only or immutable folder', () => {
  it('writeFileAtomic: a FolderError naming the temporary file; the file unchanged', () => {
    const { dir, path } = folderWithFile();
    const before = snapshotDir(dir);
    const release = immutable(dir);
    let error: unknown;
    try {
      error = thrownBy(() => writeFileAtomic(path, '{"new": true}\n'));
    } finally {
      release();
    }
    expect(error).toBeInstanceOf(FolderError);
    expect((error as FolderError).message).toMatch(/\(its temporary file .*\.tmp\): permission denied \((EACCES|EPERM)\)/);
    expect(snapshotDir(dir)).toEqual(before);
  });

  it('recordDeploy: refused in words (the lock cannot be taken), deploy.json byte for byte', async () => {
    const { dir, path } = folderWithFile();
    fs.writeFileSync(path, JSON.stringify({ prod: { endpoint: 'e', imageTag: '0.7.0', deployedAt: 'd', stackName: 'S', stage: 'prod', history: [] } }));
    const before = snapshotDir(dir);
    const release = immutable(dir);
    let error: unknown;
    try {
      await recordDeploy(path, 'prod', { endpoint: 'e2', imageTag: '0.7.1', deployedAt: 'd2', stackName: 'S' }).catch((e: unknown) => (error = e));
    } finally {
      release();
    }
    expect(error).toBeInstanceOf(FolderError);
    expect((error as FolderError).message).toMatch(new RegExp(`^cannot take the lock ${path}\\.lock .*permission denied`));
    expect(snapshotDir(dir)).toEqual(before);
  });
});
