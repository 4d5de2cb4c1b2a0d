import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertAwsProfileExists } from '../../src/state/aws-profile.js';
import { tempDir } from '../helpers/fixtures.js';

describe('an AWS profile exists where the SDK looks for it', () => {
  const home = tempDir('bd-aws-home-');
  const files = tempDir('bd-aws-files-');
  const config = join(files, 'config');
  const credentials = join(files, 'credentials');
  writeFileSync(config, '[default]\nregion = us-east-1\n[profile  sso-admin ]\nsso_session = corp\n[sso-session corp]\nsso_region = us-east-1\n[ops]\nregion = us-east-1\n');
  writeFileSync(credentials, '[keys-only]\naws_access_key_id = AKIA\naws_secret_access_key = x\n');
  const env = { AWS_CONFIG_FILE: config, AWS_SHARED_CREDENTIALS_FILE: credentials };

  it('found: `[profile NAME]` or `[default]` in config, `[NAME]` in credentials', () => {
    for (const name of ['default', 'sso-admin', 'keys-only']) expect(() => assertAwsProfileExists(name, env, home), name).not.toThrow();
  });

  it('not found: a section the SDK does not read as a profile, or none at all; the files are named', () => {
    // `[ops]` in config (no "profile " prefix) and an sso-session are not profiles.
    for (const name of ['ops', 'corp', 'nosuch']) expect(() => assertAwsProfileExists(name, env, home), name).toThrow(`no AWS profile ${name} in ${config} (nor in ${credentials})`);
  });

  it('the default files are ~/.aws/config and ~/.aws/credentials, shown with ~', () => {
    expect(() => assertAwsProfileExists('nosuch', {}, home)).toThrow('no AWS profile nosuch in ~/.aws/config (nor in ~/.aws/credentials)');
  });
});
