import { describe, expect, it } from 'vitest';
import { buildSecretValue, SECRET_KEYS } from '../../src/config/secret-value.js';
import { checkProfile } from '../../src/config/validate.js';
import { prodProfile, SECRET } from '../helpers/fixtures.js';

function profile(overrides: Record<string, unknown> = {}) {
  const r = checkProfile(prodProfile(overrides), '/cfg/default.json', 'default');
  if (!r.ok) throw new Error(r.problems.join('\n'));
  return r.profile;
}

describe('buildSecretValue', () => {
  it('builds the ten string keys the container requires from the profile', () => {
    const r = buildSecretValue(profile({ benchlingClientSecret: SECRET, webhookAllowList: '203.0.113.0/24,198.51.100.0/24', webhookVerification: false }));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(Object.keys(r.value).sort()).toEqual([...SECRET_KEYS].sort());
    expect(Object.values(r.value).every((v) => typeof v === 'string')).toBe(true);
    expect(r.value).toEqual({
      tenant: 'acme',
      client_id: 'client_prod',
      client_secret: SECRET,
      app_definition_id: 'appdef_prod',
      pkg_prefix: 'benchling',
      pkg_key: 'experiment_id',
      user_bucket: 'acme-packages',
      log_level: 'INFO',
      enable_webhook_verification: 'false',
      webhook_allow_list: '203.0.113.0/24,198.51.100.0/24',
    });
  });

  it('names the profile fields that are missing', () => {
    expect(buildSecretValue(profile({ pkgBucket: undefined }))).toEqual({ ok: false, missing: ['benchlingClientSecret', 'pkgBucket'] });
    expect(buildSecretValue(profile({ benchlingClientSecret: SECRET, pkgBucket: undefined }))).toEqual({ ok: false, missing: ['pkgBucket'] });
  });

  it('an empty allow list is an empty string', () => {
    const r = buildSecretValue(profile({ benchlingClientSecret: SECRET }));
    expect(r.ok && r.value.webhook_allow_list).toBe('');
  });
});
