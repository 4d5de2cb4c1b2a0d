import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { checkProfile, isV06Profile } from '../../src/config/validate.js';
import { inspectAllProfiles, inspectProfile, loadProfile } from '../../src/config/store.js';
import { resolveStackProfiles, resolveTarget } from '../../src/config/pairing.js';
import { UserErrors } from '../../src/errors.js';
import { devProfile, prodProfile, tempDir, writeJson } from '../helpers/fixtures.js';
import { V06_SECRET, v06DefaultJson } from '../helpers/v06.js';

/** A folder with the older tool's default.json and a current dev profile. */
function folder(): { dir: string; message: string } {
  const dir = tempDir();
  writeJson(dir, 'default.json', v06DefaultJson(), 0o600);
  writeJson(dir, 'dev.json', devProfile(), 0o600);
  const message = `${join(dir, 'default.json')}: this is a profile of the older single-environment tool (v0.6); run \`benchling-deploy migrate\` to convert it (the original is kept)`;
  return { dir, message };
}

function caught(fn: () => unknown): UserErrors {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UserErrors);
    return error as UserErrors;
  }
  throw new Error('expected a refusal');
}

describe('a v0.6 default.json gives one message, never one error per v0.6 key', () => {
  it('is recognised with both string booleans, and with any single v0.6-only key', () => {
    for (const value of ['true', 'false']) expect(isV06Profile(v06DefaultJson({ enableWebhookVerification: value }))).toBe(true);
    expect(isV06Profile({ benchlingTenant: 'acme', cdkRegion: 'us-east-1' })).toBe(true);
    // A current profile with a stray v0.6 key is a current profile with an unknown field.
    expect(isV06Profile(prodProfile({ cdkRegion: 'us-east-1' }))).toBe(false);
    expect(isV06Profile(prodProfile())).toBe(false);
  });

  it('checkProfile', () => {
    const r = checkProfile(v06DefaultJson(), '/cfg/default.json', 'default');
    expect(r).toEqual({ ok: false, v06: true, problems: [expect.stringMatching(/^\/cfg\/default\.json: this is a profile of the older .*benchling-deploy migrate/)] });
  });

  it('inspectProfile, inspectAllProfiles and loadProfile', () => {
    const { dir, message } = folder();
    expect(inspectProfile(dir, 'default')).toMatchObject({ v06: true, problems: [message] });
    expect(inspectAllProfiles(dir).find((p) => p.name === 'default')).toMatchObject({ v06: true, problems: [message] });
    const e = caught(() => loadProfile(dir, 'default'));
    expect(e.problems).toEqual([message]);
    expect(e.hint).toMatch(/benchling-deploy migrate/);
  });

  it('pairing: deploying prod, deploying dev (which needs the prod profile), and the stack as a whole', () => {
    const { dir, message } = folder();
    const profiles = inspectAllProfiles(dir);
    for (const run of [
      () => resolveTarget(profiles, { environment: 'prod' }),
      () => resolveTarget(profiles, { environment: 'dev' }),
      () => resolveStackProfiles(profiles),
    ]) {
      const e = caught(run);
      expect(e.problems).toEqual([message]);
      expect(e.hint).toBe('run `benchling-deploy migrate` (the original is kept)');
      expect(e.message).not.toContain(V06_SECRET);
    }
  });
});
