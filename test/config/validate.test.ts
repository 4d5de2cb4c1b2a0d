import { describe, expect, it } from 'vitest';
import { checkProfile } from '../../src/config/validate.js';
import { applyDefaults, ProfileFileSchema } from '../../src/config/schema.js';
import { isFargatePair } from '../../src/config/task-size.js';
import { prodProfile, devProfile, SECRET, QUILT_ARN } from '../helpers/fixtures.js';
import { HOSTILE, RAW_CONTROL } from '../helpers/hostile.js';

const FILE = '/cfg/default.json';

function problemsOf(raw: unknown, name = 'default'): string[] {
  const r = checkProfile(raw, `/cfg/${name}.json`, name);
  if (r.ok) throw new Error('expected problems');
  return r.problems;
}

describe('checkProfile', () => {
  it('an unknown key naming escape sequences and line breaks is shown escaped, one problem on one line', () => {
    const problems = problemsOf(prodProfile({ [`x${HOSTILE}`]: 1, imagTag: '1' }));
    const unknown = problems.filter((p) => /unknown field/.test(p));
    expect(unknown).toHaveLength(2);
    for (const p of unknown) {
      expect(p).not.toMatch(RAW_CONTROL);
      expect(p).not.toContain('\n');
    }
    expect(unknown.join(' ')).toContain('xTask failed \\x1b]0;pwned\\x07\\x1b[2J boom ⏎ FAKE: prod healthy\\x7f\\x9b31m\\x85end \\u202edeliah\\u2066…: unknown field');
    // The nearest case: a plain unknown key, as it is, with its suggestion.
    expect(unknown.join(' ')).toMatch(/imagTag: unknown field \(did you mean "imageTag"\?\)/);
  });

  it('accepts a full prod profile and applies the defaults', () => {
    const r = checkProfile(prodProfile(), FILE, 'default');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.profile).toMatchObject({
      environment: 'prod',
      region: 'us-east-1',
      account: '123456789012',
      benchlingSecret: 'quiltdata/benchling-webhook/default/acme',
      stackName: 'BenchlingWebhookStack',
      minCapacity: 2,
      maxCapacity: 10,
      logLevel: 'INFO',
      pkgKey: 'experiment_id',
      pkgPrefix: 'benchling',
      webhookVerification: true,
      webhookAllowList: [],
    });
  });

  it('gives dev its own defaults: environment, latest, 1..2', () => {
    const r = checkProfile(devProfile(), '/cfg/dev.json', 'dev');
    expect(r.ok && r.profile).toMatchObject({ environment: 'dev', imageTag: 'latest', minCapacity: 1, maxCapacity: 2, benchlingSecret: 'quiltdata/benchling-webhook/dev/acme-dev' });
  });

  it('keeps explicit values and parses the allow list', () => {
    const r = checkProfile(prodProfile({ webhookAllowList: '203.0.113.0/24, 198.51.100.7/32', minCapacity: 3, maxCapacity: 4, logLevel: 'DEBUG', webhookVerification: false, imageTag: `sha256:${'a'.repeat(64)}` }), FILE, 'default');
    expect(r.ok && r.profile).toMatchObject({ webhookAllowList: ['203.0.113.0/24', '198.51.100.7/32'], minCapacity: 3, maxCapacity: 4, logLevel: 'DEBUG', webhookVerification: false });
  });

  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    ['an unknown field (with a suggestion)', prodProfile({ imagTag: '1' }), 'imagTag', /unknown field \(did you mean "imageTag"\?\)/],
    ['a wrong type', prodProfile({ minCapacity: 'two' }), 'minCapacity', /whole number/],
    ['a profile that differs from the file name', prodProfile({ profile: 'other' }), 'profile', /expected "default" \(the file's name\)/],
    ['prod with latest', prodProfile({ imageTag: 'latest' }), 'imageTag', /must not run "latest"/],
    ['prod without an image tag', prodProfile({ imageTag: undefined }), 'imageTag', /required for prod/],
    ['min above max', prodProfile({ minCapacity: 5, maxCapacity: 2 }), 'minCapacity', /minCapacity <= maxCapacity/],
    ['a malformed ARN', prodProfile({ quiltStackArn: 'arn:aws:s3:::bucket' }), 'quiltStackArn', /CloudFormation stack ARN/],
    ['a malformed CIDR', prodProfile({ webhookAllowList: '10.0.0.0/33' }), 'webhookAllowList', /IPv4 CIDRs/],
    ['an octet out of range', prodProfile({ webhookAllowList: '300.0.0.0/8' }), 'webhookAllowList', /IPv4 CIDRs/],
    ['a tenant in capitals', prodProfile({ benchlingTenant: 'Acme' }), 'benchlingTenant', /lower-case letters/],
    ['a missing required field', prodProfile({ benchlingClientId: undefined }), 'benchlingClientId', /required/],
    ['an empty required field', prodProfile({ benchlingAppDefinitionId: '' }), 'benchlingAppDefinitionId', /not an empty string/],
    ['an unknown environment', prodProfile({ environment: 'staging' }), 'environment', /"dev" or "prod"/],
    ['a bad log level', prodProfile({ logLevel: 'TRACE' }), 'logLevel', /DEBUG, INFO, WARNING, ERROR/],
    ['a bad image tag', prodProfile({ imageTag: 'has space' }), 'imageTag', /Docker tag/],
    ['a short digest', prodProfile({ imageTag: 'sha256:abc' }), 'imageTag', /sha256:<64 hex>/],
    ['a bad account', prodProfile({ account: '1234' }), 'account', /12-digit/],
    ['a string boolean', prodProfile({ webhookVerification: 'true' }), 'webhookVerification', /true or false/],
    ['a bad repository', prodProfile({ imageRepository: 'docker.io/x' }), 'imageRepository', /ECR repository URI/],
    ['a CPU Fargate does not have', prodProfile({ cpu: 300 }), 'cpu', /one of 256, 512, 1024, 2048, 4096/],
    ['a memory that does not suit the CPU', prodProfile({ cpu: 256, memory: 4096 }), 'memory', /512, 1024 or 2048 for cpu 256 \(got 4096\)/],
    ["a memory that does not suit the environment's default CPU", prodProfile({ memory: 512 }), 'memory', /1024, 2048, 3072 or 4096 for cpu 512 \(the prod default\)/],
    ['a memory between sizes', prodProfile({ cpu: 1024, memory: 2500 }), 'memory', /multiple of 1024 from 2048 to 8192 for cpu 1024/],
    ['a memory too large for any task', prodProfile({ memory: 65536 }), 'memory', /at most 30720/],
    ['three NAT gateways', prodProfile({ natGateways: 3 }), 'natGateways', /1 or 2/],
  ];
  for (const [what, raw, field, message] of cases) {
    it(`refuses ${what}, naming file and field`, () => {
      const problems = problemsOf(JSON.parse(JSON.stringify(raw)));
      const hit = problems.find((p) => p.startsWith(`/cfg/default.json: ${field}: `));
      expect(hit, problems.join('\n')).toBeDefined();
      expect(hit).toMatch(message);
    });
  }

  it('refuses natGateways on a dev profile, naming the field: the gateways are shared and the prod profile says', () => {
    const r = checkProfile(devProfile({ natGateways: 2 }), '/cfg/dev.json', 'dev');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.problems).toEqual([expect.stringMatching(/^\/cfg\/dev\.json: natGateways: .*set them on the prod profile/)]);
  });

  it('right-sizes by default: dev 0.25 vCPU / 1 GB, prod 0.5 vCPU / 1 GB, one NAT gateway; a profile says otherwise', () => {
    expect(checkProfile(devProfile(), '/cfg/dev.json', 'dev')).toMatchObject({ ok: true, profile: { cpu: 256, memory: 1024 } });
    expect(checkProfile(prodProfile(), FILE, 'default')).toMatchObject({ ok: true, profile: { cpu: 512, memory: 1024, natGateways: 1 } });
    expect(checkProfile(prodProfile({ cpu: 1024, memory: 4096, natGateways: 2 }), FILE, 'default')).toMatchObject({ ok: true, profile: { cpu: 1024, memory: 4096, natGateways: 2 } });
    // A CPU alone gets memory that suits it.
    for (const cpu of [256, 512, 1024, 2048, 4096]) {
      const r = checkProfile(prodProfile({ cpu }), FILE, 'default');
      expect(r.ok && isFargatePair(r.profile.cpu, r.profile.memory), `cpu ${cpu}`).toBe(true);
    }
  });

  it('lists every problem at once', () => {
    const problems = problemsOf({ profile: 'default', benchlingTenant: 'X', quiltStackArn: 'nope', extra: 1, minCapacity: 9, maxCapacity: 1 });
    const fields = problems.map((p) => p.split(': ')[1]);
    expect(fields).toEqual(expect.arrayContaining(['benchlingTenant', 'quiltStackArn', 'extra', 'benchlingAppDefinitionId', 'benchlingClientId', 'imageTag', 'minCapacity']));
  });

  it('never shows the client secret, even when it is the wrong type or has a typo beside it', () => {
    const problems = problemsOf(prodProfile({ benchlingClientSecret: 12345, bogus: SECRET }));
    expect(problems.join('\n')).not.toContain('12345');
    const ok = problemsOf(prodProfile({ benchlingClientSecret: SECRET, imageTag: 'latest' }));
    expect(ok.join('\n')).not.toContain(SECRET);
  });

  it('refuses non-objects at the top level', () => {
    for (const raw of [null, [], 'x', 3]) expect(problemsOf(raw)[0]).toMatch(/^\/cfg\/default\.json: \(top level\): expected a JSON object/);
  });

  it('applyDefaults keeps min <= max when only one bound is set', () => {
    // As the README's field table says: the other bound's default moves with the one set.
    const low = applyDefaults(ProfileFileSchema.parse({ ...prodProfile(), maxCapacity: 1 }));
    expect([low.minCapacity, low.maxCapacity]).toEqual([1, 1]);
    const high = applyDefaults(ProfileFileSchema.parse({ ...prodProfile(), minCapacity: 20 }));
    expect([high.minCapacity, high.maxCapacity]).toEqual([20, 20]);
    const neither = applyDefaults(ProfileFileSchema.parse(prodProfile()));
    expect([neither.minCapacity, neither.maxCapacity]).toEqual([2, 10]);
    expect(QUILT_ARN).toContain('123456789012');
  });
});
