import { describe, expect, it } from 'vitest';
import { pairingProblems, resolveTarget, resolveStackProfiles } from '../../src/config/pairing.js';
import { inspectAllProfiles } from '../../src/config/store.js';
import { UserError } from '../../src/errors.js';
import { devProfile, prodProfile, tempDir, writeJson } from '../helpers/fixtures.js';

function folder(files: Record<string, unknown>): string {
  const dir = tempDir();
  for (const [name, value] of Object.entries(files)) writeJson(dir, `${name}.json`, value);
  return dir;
}

function refusal(fn: () => unknown): UserError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return error as UserError;
  }
  throw new Error('expected a refusal');
}

describe('resolveTarget', () => {
  const both = () => inspectAllProfiles(folder({ default: prodProfile(), dev: devProfile() }));

  it('maps --environment dev to profile dev and prod to default', () => {
    expect(resolveTarget(both(), { environment: 'dev' }).profile.profile).toBe('dev');
    expect(resolveTarget(both(), { environment: 'prod' }).profile.profile).toBe('default');
  });

  it('takes the environment from a profile named alone', () => {
    expect(resolveTarget(both(), { profile: 'dev' }).environment).toBe('dev');
  });

  it('refuses a profile paired with the other environment, naming both', () => {
    const e = refusal(() => resolveTarget(both(), { environment: 'prod', profile: 'dev' }));
    expect(e.message).toMatch(/\/dev\.json: environment: profile "dev" is for environment "dev"; it cannot be deployed to "prod"/);
    const e2 = refusal(() => resolveTarget(both(), { environment: 'dev', profile: 'default' }));
    expect(e2.message).toMatch(/profile "default" is for environment "prod"; it cannot be deployed to "dev"/);
  });

  it('places the dev environment where prod is: the dev profile inherits name, account and region', () => {
    const t = resolveTarget(both(), { environment: 'dev' });
    expect(t.place).toEqual({ stackName: 'BenchlingWebhookStack', region: 'us-east-1', account: '123456789012' });
    expect(t.profile).toMatchObject({ region: 'us-east-1', account: '123456789012', quiltRegion: 'us-west-2', quiltAccount: '210987654321' });
  });

  it('refuses a dev profile that sets a different stack place', () => {
    const profiles = inspectAllProfiles(folder({ default: prodProfile(), dev: devProfile({ region: 'eu-west-1', stackName: 'Other' }) }));
    const e = refusal(() => resolveTarget(profiles, { environment: 'dev' }));
    expect(e.message).toMatch(/\/dev\.json: stackName: "Other" differs from the prod profile "default" \("BenchlingWebhookStack" in \S+\/default\.json\)/);
    expect(e.message).toMatch(/region: "eu-west-1" differs/);
  });

  it('accepts a dev profile that repeats the same place', () => {
    const profiles = inspectAllProfiles(folder({ default: prodProfile(), dev: devProfile({ region: 'us-east-1', account: '123456789012' }) }));
    expect(resolveTarget(profiles, { environment: 'dev' }).place.region).toBe('us-east-1');
  });

  it('refuses when there is no prod profile: prod is required', () => {
    const profiles = inspectAllProfiles(folder({ dev: devProfile() }));
    expect(refusal(() => resolveTarget(profiles, { environment: 'dev' })).message).toMatch(/no prod profile: default\.json is missing/);
  });

  it('refuses a missing profile with the command that creates it', () => {
    const e = refusal(() => resolveTarget(inspectAllProfiles(folder({ default: prodProfile() })), { environment: 'dev' }));
    expect(e.message).toMatch(/no profile "dev"/);
    expect(e.hint).toMatch(/setup-profile dev/);
  });

  it('refuses an invalid profile with its problems', () => {
    const profiles = inspectAllProfiles(folder({ default: prodProfile({ imageTag: 'latest' }) }));
    expect(refusal(() => resolveTarget(profiles, { environment: 'prod' })).message).toMatch(/default\.json: imageTag: prod must not run "latest"/);
  });

  it('honours --region for the stack', () => {
    expect(resolveTarget(both(), { environment: 'prod', region: 'eu-central-1' }).place.region).toBe('eu-central-1');
  });

  it('stacks without a dev profile hold prod only', () => {
    const s = resolveStackProfiles(inspectAllProfiles(folder({ default: prodProfile() })));
    expect(s.dev).toBeUndefined();
    expect(s.prod.profile).toBe('default');
  });

  it('uses another dev-environment profile when named', () => {
    const profiles = inspectAllProfiles(folder({ default: prodProfile(), dev: devProfile(), qa: devProfile({ profile: 'qa', environment: 'dev' }) }));
    const t = resolveTarget(profiles, { environment: 'dev', profile: 'qa' });
    expect(t.dev?.profile).toBe('qa');
  });
});

describe('pairingProblems', () => {
  it('names each dev profile that places the stack elsewhere, any whose environment is dev, by its own file', () => {
    const dir = folder({ default: prodProfile(), dev: devProfile(), staging: devProfile({ profile: 'staging', environment: 'dev', account: '999999999999' }) });
    const found = pairingProblems(inspectAllProfiles(dir));
    expect([...found.keys()]).toEqual(['staging']);
    expect(found.get('staging')).toEqual([
      `${dir}/staging.json: account: "999999999999" differs from the prod profile "default" ("123456789012" in ${dir}/default.json); one stack lives in one place, set by the prod profile`,
    ]);
  });

  it('a prod profile set to dev is its own problem, not its broken dev profile\'s', () => {
    const dir = folder({ default: prodProfile({ environment: 'dev' }), dev: devProfile({ benchlingTenant: 'UPPER' }) });
    const found = pairingProblems(inspectAllProfiles(dir));
    expect([...found.keys()]).toEqual(['default']);
    expect(found.get('default')![0]).toMatch(/default\.json: environment: profile "default" is for environment "dev"; the prod profile must have environment "prod"$/);
  });

  it('nothing without a valid prod profile: its own check says why', () => {
    expect(pairingProblems(inspectAllProfiles(folder({ dev: devProfile({ region: 'eu-west-1' }) }))).size).toBe(0);
    expect(pairingProblems(inspectAllProfiles(folder({ default: prodProfile({ imageTag: 'latest' }), dev: devProfile({ region: 'eu-west-1' }) }))).size).toBe(0);
  });
});
