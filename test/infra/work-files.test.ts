import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cdkLogDir, makeTempDir, newCdkLogFile, removeTempDir, TEMP_PREFIX } from '../../src/infra/work-files.js';
import { tempDir } from '../helpers/fixtures.js';

describe('cdk logs in the config folder', () => {
  it('a new log per run, private, named by time and purpose; only the last N are kept', () => {
    const dir = tempDir();
    const start = Date.parse('2026-01-01T00:00:00Z');
    const made = Array.from({ length: 5 }, (_, i) => newCdkLogFile(dir, i % 2 ? 'diff dev' : 'deploy prod (dashboard)', new Date(start + i * 1000), 3));
    expect(made[0]).toBe(join(cdkLogDir(dir), 'cdk-2026-01-01T00-00-00-000Z-deploy-prod-dashboard.log'));
    expect(readdirSync(cdkLogDir(dir)).sort()).toEqual(made.slice(2).map((p) => p.slice(cdkLogDir(dir).length + 1)));
    expect(statSync(made[4]).mode & 0o777).toBe(0o600);
    expect(statSync(cdkLogDir(dir)).mode & 0o077).toBe(0);
  });

  it('two runs in the same millisecond get two files', () => {
    const dir = tempDir();
    const now = new Date();
    const a = newCdkLogFile(dir, 'diff dev', now);
    const b = newCdkLogFile(dir, 'diff dev', now);
    expect(a).not.toBe(b);
    expect(readdirSync(cdkLogDir(dir))).toHaveLength(2);
  });
});

describe('temporary folders', () => {
  it('are made with the product prefix and removed', () => {
    const dir = makeTempDir();
    expect(dir.split('/').at(-1)!.startsWith(TEMP_PREFIX)).toBe(true);
    expect(existsSync(dir)).toBe(true);
    removeTempDir(dir);
    expect(existsSync(dir)).toBe(false);
  });
});
