import { describe, expect, it } from 'vitest';
import { checkProfiles, provisionalStack } from '../../bin/commands/dashboard.js';
import { DEFAULT_STACK_NAME } from '../../src/config/schema.js';
import { QUILT_ARN, devProfile, prodProfile, tempDir, writeJson } from '../helpers/fixtures.js';

describe('the first frame\'s stack, read as plain JSON', () => {
  const cases: [string, Record<string, unknown>, Record<string, unknown> | null, { region?: string }][] = [
    ['prod only, from the Quilt ARN', prodProfile(), null, {}],
    ['dev and prod', prodProfile(), devProfile(), {}],
    ['explicit stack name, region and account', prodProfile({ stackName: 'OtherStack', region: 'eu-west-1', account: '111122223333' }), devProfile(), {}],
    ['--region wins', prodProfile(), devProfile(), { region: 'us-west-2' }],
    ['a dev profile set to prod is not a dev environment', prodProfile(), devProfile({ environment: 'prod', imageTag: '0.7.0' }), {}],
    ['aws profile', prodProfile({ awsProfile: 'acme-admin' }), devProfile(), {}],
  ];
  for (const [name, prod, dev, g] of cases) {
    it(`is what the checked profiles say: ${name}`, async () => {
      const dir = tempDir();
      writeJson(dir, 'default.json', prod);
      if (dev) writeJson(dir, 'dev.json', dev);
      // The cost estimate's inputs come with the checked profiles only (the provisional stack is read without the schema).
      const { cost, ...checked } = (await checkProfiles(dir, g)).stack;
      expect(cost?.environments.map((e) => e.name)).toEqual(checked.environments.map((e) => e.name));
      expect(provisionalStack(dir, g)).toEqual(checked);
    });
  }

  it('uses the schema\'s default stack name', async () => {
    const dir = tempDir();
    writeJson(dir, 'default.json', prodProfile());
    expect(provisionalStack(dir, {})?.stackName).toBe(DEFAULT_STACK_NAME);
  });

  it('cannot tell from a file that is not JSON, or not a current prod profile: null (checked before drawing)', () => {
    const dir = tempDir();
    writeJson(dir, 'default.json', '{ not json');
    expect(provisionalStack(dir, {})).toBeNull();
    writeJson(dir, 'default.json', { quiltStackArn: QUILT_ARN, benchlingTenant: 'acme' });
    expect(provisionalStack(dir, {})).toBeNull();
  });

  it('a bad profile is refused by the check that follows, naming file and field', async () => {
    const dir = tempDir();
    writeJson(dir, 'default.json', prodProfile({ benchlingTenant: 'Not A Tenant' }));
    expect(provisionalStack(dir, {})).not.toBeNull();
    await expect(checkProfiles(dir, {})).rejects.toThrow(/default\.json.*benchlingTenant/);
  });
});
