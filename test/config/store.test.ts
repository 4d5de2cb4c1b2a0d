import { describe, expect, it } from 'vitest';
import { chmodSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { inspectAllProfiles, inspectProfile, listProfileNames, loadProfile, saveProfile } from '../../src/config/store.js';
import { UserError } from '../../src/errors.js';
import type { ProfileFile } from '../../src/config/schema.js';
import { prodProfile, SECRET, snapshotDir, tempDir, writeJson } from '../helpers/fixtures.js';

describe('profile store', () => {
  it('lists profiles, default first, skipping deploy.json, backups and temporary files', () => {
    const dir = tempDir();
    for (const n of ['zeta', 'dev', 'default', 'deploy', 'default.v0.6', '.default.json.1.tmp']) writeJson(dir, `${n}.json`, {});
    expect(listProfileNames(dir)).toEqual(['default', 'dev', 'zeta']);
    expect(listProfileNames(join(dir, 'missing'))).toEqual([]);
  });

  it('writes a profile holding the secret with mode 0600 and reads it back', () => {
    const dir = tempDir();
    saveProfile(dir, prodProfile({ benchlingClientSecret: SECRET }) as ProfileFile);
    expect(statSync(join(dir, 'default.json')).mode & 0o777).toBe(0o600);
    expect(loadProfile(dir, 'default').profile.benchlingClientSecret).toBe(SECRET);
  });

  it('refuses to save an invalid profile and writes nothing', () => {
    const dir = tempDir();
    writeJson(dir, 'default.json', prodProfile());
    const before = snapshotDir(dir);
    expect(() => saveProfile(dir, prodProfile({ imageTag: 'latest' }) as ProfileFile)).toThrow(/imageTag: prod must not run "latest"/);
    expect(snapshotDir(dir)).toEqual(before);
  });

  it('warns when a file holding the secret is readable by others', () => {
    const dir = tempDir();
    const path = writeJson(dir, 'default.json', prodProfile({ benchlingClientSecret: SECRET }), 0o644);
    chmodSync(path, 0o644);
    const loaded = inspectProfile(dir, 'default');
    expect(loaded.profile).toBeDefined();
    expect(loaded.warnings[0]).toMatch(/default\.json: holds benchlingClientSecret but is readable by group or others \(mode 644\); run `chmod 600/);
    expect(loaded.warnings.join()).not.toContain(SECRET);
  });

  it('names the file and position of a JSON syntax error', () => {
    const dir = tempDir();
    writeJson(dir, 'default.json', '{ "profile": "default", }');
    const [loaded] = inspectAllProfiles(dir);
    expect(loaded.problems[0]).toMatch(/default\.json: not valid JSON/);
  });

  it('loadProfile throws a UserError for a missing or bad profile', () => {
    const dir = tempDir();
    expect(() => loadProfile(dir, 'default')).toThrow(UserError);
    expect(() => loadProfile(dir, '../etc')).toThrow(/not a profile name/);
    expect(existsSync(join(dir, 'default.json'))).toBe(false);
  });
});
