import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { cdkLogDir, makeTempDir, MAX_CDK_LOGS, newCdkLogFile, removeTempDir, TEMP_PREFIX } from '../../src/infra/work-files.js';
import { tempDir } from '../helpers/fixtures.js';

describe('cdk logs in the config folder', () => {
  /** A log made as if at `at`: its file's time set to it, as the run would have left it. */
  const logAt = (dir: string, what: string, at: number, keep?: number) => {
    const path = newCdkLogFile(dir, what, new Date(at), keep);
    utimesSync(path, new Date(at), new Date(at));
    return path;
  };
  const DAY = 86_400_000;

  it('a new log per run, private, named by time and purpose; of logs older than a day only the last N are kept', () => {
    const dir = tempDir();
    const start = Date.parse('2026-01-01T00:00:00Z');
    const made = Array.from({ length: 5 }, (_, i) => logAt(dir, i % 2 ? 'diff dev' : 'deploy prod (dashboard)', start + i * 2 * DAY, 3));
    expect(made[0]).toBe(join(cdkLogDir(dir), 'cdk-2026-01-01T00-00-00-000Z-deploy-prod-dashboard.log'));
    expect(readdirSync(cdkLogDir(dir)).sort()).toEqual(made.slice(2).map((p) => p.slice(cdkLogDir(dir).length + 1)));
    expect(statSync(made[4]).mode & 0o777).toBe(0o600);
    expect(statSync(cdkLogDir(dir)).mode & 0o077).toBe(0);
  });

  it("a burst of plans within a day keeps every log of that day: a failed deploy's log is not pushed out", () => {
    const dir = tempDir();
    const start = Date.parse('2026-01-01T00:00:00Z');
    const failed = logAt(dir, 'deploy prod', start, 3);
    const plans = Array.from({ length: 10 }, (_, i) => logAt(dir, 'diff dev', start + (i + 1) * 60_000, 3));
    expect(readdirSync(cdkLogDir(dir))).toHaveLength(11);
    expect(existsSync(failed)).toBe(true);
    // The nearest case: a day and a minute later, the next log makes the old ones go, down to the last N.
    const next = logAt(dir, 'diff dev', start + DAY + 11 * 60_000 + 1, 3);
    expect(readdirSync(cdkLogDir(dir)).sort()).toEqual([...plans.slice(-2), next].map((p) => p.slice(cdkLogDir(dir).length + 1)));
  });

  it(`never more than ${MAX_CDK_LOGS} logs, however young`, () => {
    const dir = tempDir();
    const start = Date.parse('2026-01-01T00:00:00Z');
    for (let i = 0; i < MAX_CDK_LOGS + 3; i++) logAt(dir, 'diff dev', start + i * 1000, 3);
    expect(readdirSync(cdkLogDir(dir))).toHaveLength(MAX_CDK_LOGS);
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
