import { describe, expect, it } from 'vitest';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspectAllProfiles, inspectProfile, listProfileNames, loadProfile, saveProfile } from '../../src/config/store.js';
import { UserError } from '../../src/errors.js';
import { reservedProfileName } from '../../src/config/paths.js';
import { FolderError } from '../../src/config/fs-errors.js';
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

  it('never writes a profile it would then refuse to read (over 1 MiB): refused naming the file, nothing written', () => {
    const dir = tempDir();
    saveProfile(dir, prodProfile() as ProfileFile);
    const before = snapshotDir(dir);
    const huge = prodProfile({ benchlingClientSecret: 'A'.repeat(1024 * 1024) }) as ProfileFile;
    expect(() => saveProfile(dir, huge)).toThrow(UserError);
    expect(() => saveProfile(dir, huge)).toThrow(`${join(dir, 'default.json')}: the profile would be more than 1 MiB; nothing was written`);
    expect(snapshotDir(dir)).toEqual(before);
    // Just under the bound: written, and read back.
    const large = prodProfile({ benchlingClientSecret: 'A'.repeat(1000 * 1024) }) as ProfileFile;
    saveProfile(dir, large);
    expect(loadProfile(dir, 'default').profile.benchlingClientSecret).toHaveLength(1000 * 1024);
  });

  it('refuses to save an invalid profile and writes nothing', () => {
    const dir = tempDir();
    writeJson(dir, 'default.json', prodProfile());
    const before = snapshotDir(dir);
    expect(() => saveProfile(dir, prodProfile({ imageTag: 'latest' }) as ProfileFile)).toThrow(/imageTag: prod must not run "latest"/);
    expect(snapshotDir(dir)).toEqual(before);
  });

  it('refuses a file holding the secret that group or others may read, naming file and field; one they may only write is told', () => {
    const dir = tempDir();
    for (const mode of [0o644, 0o640, 0o604]) {
      const path = writeJson(dir, 'default.json', prodProfile({ benchlingClientSecret: SECRET }), mode);
      const loaded = inspectProfile(dir, 'default');
      expect(loaded.profile, mode.toString(8)).toBeUndefined();
      expect(loaded.problems).toEqual([`${path}: benchlingClientSecret: the file holding it is readable by group or others (mode ${mode.toString(8)}); it must be yours alone: run \`chmod 600 ${path}\``]);
      expect(loaded.problems.join()).not.toContain(SECRET);
      expect(() => loadProfile(dir, 'default')).toThrow(/benchlingClientSecret: the file holding it is readable by group or others/);
    }
    writeJson(dir, 'default.json', prodProfile({ benchlingClientSecret: SECRET }), 0o620);
    const written = inspectProfile(dir, 'default');
    expect(written.profile).toBeDefined();
    expect(written.warnings).toEqual([expect.stringMatching(/default\.json: benchlingClientSecret: the file holding it is writable by group or others \(mode 620\)/)]);
    // Without the secret, the mode is the user's business.
    writeJson(dir, 'default.json', prodProfile(), 0o644);
    expect(inspectProfile(dir, 'default')).toMatchObject({ problems: [], warnings: [] });
    writeJson(dir, 'default.json', prodProfile({ benchlingClientSecret: SECRET }), 0o600);
    expect(inspectProfile(dir, 'default')).toMatchObject({ problems: [], warnings: [] });
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

describe('profile names that are files of the layout', () => {
  it('refuses deploy (any case), the lock, kept originals and temporary names; takes the nearest free names', () => {
    for (const name of ['deploy', 'Deploy', 'DEPLOY', 'deploy.json.lock', 'deploy.json', 'default.v0.6', 'deploy.v0.6', '.default', 'x.tmp', 'deploy.json.lock.ab12.stale']) {
      expect(reservedProfileName(name), name).toBeDefined();
    }
    for (const name of ['deploy-prod', 'deployment', 'deploy_', 'redeploy', 'default', 'dev', 'v06', 'default-v0-6']) {
      expect(reservedProfileName(name), name).toBeUndefined();
    }
  });

  it('never lists deploy.json as a profile, whatever its case', () => {
    const dir = tempDir();
    for (const n of ['Deploy', 'DEPLOY', 'deploy-prod']) writeJson(dir, `${n}.json`, {});
    expect(listProfileNames(dir)).toEqual(['deploy-prod']);
  });

  it('saveProfile refuses a profile named deploy and leaves deploy.json as it was', () => {
    const dir = tempDir();
    writeJson(dir, 'deploy.json', { prod: { endpoint: 'e', imageTag: '0.7.0', deployedAt: 'd', history: [{ imageTag: '0.6.9', deployedAt: 'd' }] } });
    const before = snapshotDir(dir);
    expect(() => saveProfile(dir, prodProfile({ profile: 'deploy', benchlingClientSecret: SECRET }) as ProfileFile)).toThrow(/"deploy" cannot be a profile name: its file would be deploy\.json/);
    expect(() => loadProfile(dir, 'deploy')).toThrow(/cannot be a profile name/);
    expect(snapshotDir(dir)).toEqual(before);
    // The nearest name that must pass.
    saveProfile(dir, prodProfile({ profile: 'deploy-prod' }) as ProfileFile);
    expect(listProfileNames(dir)).toEqual(['deploy-prod']);
  });

  it('a config folder that is a file is said in words (ENOTDIR), naming it', () => {
    const file = join(tempDir(), 'not-a-folder');
    writeFileSync(file, 'x');
    let error: unknown;
    try {
      listProfileNames(file);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FolderError);
    expect((error as FolderError).message).toBe(`cannot list the profiles in ${file}: ${file} is a file, not a folder (ENOTDIR)`);
    expect((error as FolderError).exitCode).toBe(2);
    expect(() => saveProfile(file, prodProfile() as ProfileFile)).toThrow(`${file} is a file, not a folder (ENOTDIR)`);
    expect(readFileSync(file, 'utf8')).toBe('x');
  });
});
