/**
 * The temporary names of atomic writes and the tokens of locks are random hex from the system's
 * secure generator, which loads Node's crypto module at the first write or lock: the modules that
 * read the profiles and deploy.json, and team mode's (the dashboard's, as it starts), load none.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { randomHex } from '../../src/random-hex.js';
import { bundleScript } from '../helpers/bundle.js';
import { prodProfile, tempDir, writeJson } from '../helpers/fixtures.js';

describe('randomHex', () => {
  it('gives that many random bytes in hex, another each call', () => {
    const seen = new Set(Array.from({ length: 1000 }, () => randomHex(8)));
    expect(seen.size).toBe(1000);
    for (const hex of seen) expect(hex).toMatch(/^[0-9a-f]{16}$/);
    expect(randomHex(4)).toMatch(/^[0-9a-f]{8}$/);
  });
});

describe("Node's crypto module", () => {
  let script: string;
  beforeAll(async () => {
    script = await bundleScript(join(fileURLToPath(new URL('.', import.meta.url)), 'workers', 'crypto-loads.ts'));
  });
  const run = (how: 'write' | 'lock') => {
    const dir = tempDir();
    writeJson(dir, 'default.json', prodProfile());
    return JSON.parse(execFileSync(process.execPath, [script, dir, how], { encoding: 'utf8' })) as Record<string, boolean>;
  };

  it('is not loaded by reading the profiles and deploy.json; a write loads it', () => {
    expect(run('write')).toEqual({ loaded: false, read: false, written: true });
  });

  it('is loaded by taking a lock, as by a write', () => {
    expect(run('lock')).toEqual({ loaded: false, read: false, written: true });
  });
});
