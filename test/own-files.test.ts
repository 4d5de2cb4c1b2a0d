import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanUpFolder, readOwnFile, writeOwnFile } from '../src/own-files.js';
import { tempDir } from './helpers/fixtures.js';

/** The rules for files the tool keeps in a cache folder (src/own-files.ts), on their own; the front's and the stack parts' suites test them through their callers. */
describe('files of a cache folder', () => {
  /** A folder of the user's, 0700, for the cache. */
  const folder = () => {
    const dir = join(tempDir('bd-own-files-'), 'cache');
    mkdirSync(dir, { mode: 0o700 });
    return dir;
  };

  it('writes by a temporary file and a rename, mode 0600, and reads back; a missing folder is made 0700', () => {
    const dir = join(tempDir('bd-own-files-'), 'made', 'cache');
    const file = join(dir, 'a.json');
    expect(writeOwnFile(file, () => 'one')).toBe(true);
    expect(readdirSync(dir)).toEqual(['a.json']);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(readOwnFile(file)?.data.toString()).toBe('one');
    expect(readOwnFile(join(dir, 'missing.json'))).toBeUndefined();
    expect(readOwnFile(join(dir, 'no-folder', 'a.json'))).toBeUndefined();
  });

  it('a file that is a link is not followed; a FIFO, a folder or a file over the size given is not read', () => {
    const dir = folder();
    const target = join(tempDir('bd-own-files-target-'), 'mine');
    writeFileSync(target, 'the user\'s own');
    symlinkSync(target, join(dir, 'link'));
    expect(readOwnFile(join(dir, 'link'))).toBeUndefined();
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    expect(readOwnFile(join(dir, 'fifo'))).toBeUndefined();
    mkdirSync(join(dir, 'sub'));
    expect(readOwnFile(join(dir, 'sub'))).toBeUndefined();
    writeFileSync(join(dir, 'big'), 'x'.repeat(11));
    expect(readOwnFile(join(dir, 'big'), 10)).toBeUndefined();
    expect(readOwnFile(join(dir, 'big'), 11)?.data.length).toBe(11);
  });

  it('nothing is made when the bytes cannot be made or the rename fails, and no temporary file is left', () => {
    const dir = folder();
    expect(
      writeOwnFile(join(dir, 'a.json'), () => {
        throw new Error('no data');
      }),
    ).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
    // The file's name is taken by a folder that is not empty: the rename fails.
    mkdirSync(join(dir, 'b.json', 'in-the-way'), { recursive: true });
    expect(writeOwnFile(join(dir, 'b.json'), () => 'two')).toBe(false);
    expect(readdirSync(dir)).toEqual(['b.json']);
  });

  it('not into a folder others may write, nor one that is a link', () => {
    const dir = folder();
    chmodSync(dir, 0o777);
    expect(writeOwnFile(join(dir, 'a.json'), () => 'one')).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
    const link = join(tempDir('bd-own-files-'), 'link');
    chmodSync(dir, 0o700);
    symlinkSync(dir, link);
    expect(writeOwnFile(join(link, 'a.json'), () => 'one')).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('the clean-up removes only old plain files of its names, never `kept`, a link or a folder, and goes on past them', () => {
    const dir = folder();
    const old = new Date(Date.now() - 2 * 86_400_000);
    const make = (name: string, kind: 'file' | 'folder' | 'link' = 'file') => {
      const path = join(dir, name);
      if (kind === 'file') writeFileSync(path, '');
      if (kind === 'folder') mkdirSync(path);
      if (kind === 'link') symlinkSync(join(tempDir('bd-own-files-target-'), 'gone'), path);
      if (kind !== 'link') utimesSync(path, old, old);
      return path;
    };
    make('a-folder.cache', 'folder');
    make('a-link.cache', 'link');
    make('old.cache');
    const kept = make('kept.cache');
    make('other.txt');
    writeFileSync(join(dir, 'new.cache'), '');
    cleanUpFolder(dir, kept, /\.cache$/, 86_400_000);
    expect(readdirSync(dir).sort()).toEqual(['a-folder.cache', 'a-link.cache', 'kept.cache', 'new.cache', 'other.txt']);
    expect(existsSync(join(dir, 'old.cache'))).toBe(false);
    expect(readFileSync(kept, 'utf8')).toBe('');
    // A folder that is gone: nothing to do, no error.
    expect(() => cleanUpFolder(join(dir, 'gone'), kept, /\.cache$/, 0)).not.toThrow();
  });
});
