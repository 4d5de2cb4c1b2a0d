import { describe, expect, it, vi } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/fixtures.js';

/** A full disk while the lock is written: writes of the lock's temporary files fail as the kernel says (ENOSPC). */
const full = vi.hoisted(() => ({ on: false }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  return {
    ...fs,
    writeSync: (...args: Parameters<typeof fs.writeSync>) => {
      if (full.on) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      return (fs.writeSync as (...a: unknown[]) => number)(...args);
    },
  };
});

const { acquireLock } = await import('../../src/config/lock.js');

describe('the lock on a full disk', () => {
  it('taking it fails and leaves no temporary file in the folder', () => {
    const dir = tempDir();
    full.on = true;
    try {
      expect(() => acquireLock(join(dir, 'deploy.json.lock'), 'deploy dev')).toThrow();
    } finally {
      full.on = false;
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it("noting cdk's pid fails quietly: the lock stays held as it was, no temporary file is left", () => {
    const dir = tempDir();
    const path = join(dir, 'deploy.json.lock');
    const held = acquireLock(path, 'deploy dev');
    const before = readFileSync(path, 'utf8');
    full.on = true;
    try {
      expect(() => held.noteCdk(4242)).not.toThrow();
    } finally {
      full.on = false;
    }
    expect(readdirSync(dir)).toEqual(['deploy.json.lock']);
    expect(readFileSync(path, 'utf8')).toBe(before);
    expect(held.info.cdkPid).toBeUndefined();
    // The nearest case: with room, the note is written.
    held.noteCdk(4242);
    expect(JSON.parse(readFileSync(path, 'utf8')).cdkPid).toBe(4242);
    held.release();
    expect(readdirSync(dir)).toEqual([]);
  });
});
