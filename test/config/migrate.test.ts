import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { migrateV06Profile, V06_NO_PLACE, type V06Migration } from '../../src/config/migrate.js';
import { checkProfile, isV06Profile } from '../../src/config/validate.js';
import { UserErrors } from '../../src/errors.js';
import { V06_QUILT_ARN, V06_SECRET, v06DefaultJson } from '../helpers/v06.js';
import { LATEST_RELEASE, OLDEST_RELEASE, unservable } from '../../src/infra/container-contract.js';

const FILE = '/cfg/default.json';

function migrate(raw: Record<string, unknown>, imageTag?: string): V06Migration {
  return migrateV06Profile(raw, { fileLabel: FILE, imageTag, images: { unservable, oldest: OLDEST_RELEASE, latest: LATEST_RELEASE } });
}

function problemsOf(raw: Record<string, unknown>, imageTag?: string): string[] {
  try {
    migrate(raw, imageTag);
  } catch (error) {
    expect(error).toBeInstanceOf(UserErrors);
    return [...(error as UserErrors).problems];
  }
  throw new Error('expected the migration to be refused');
}

/** The v0.6 key each plan line starts with. */
function planSources(m: V06Migration): string[] {
  return m.plan.map((line) => line.split(' -> ')[0].trim());
}

function lineFor(m: V06Migration, key: string): string {
  const found = m.plan.filter((l) => l.split(' -> ')[0].trim() === key);
  expect(found, `one plan line for ${key}`).toHaveLength(1);
  return found[0];
}

describe('migrateV06Profile: a v0.6 default.json shaped as PRODUCT.md describes', () => {
  const raw = v06DefaultJson();
  const m = migrate(raw);

  it('is recognised as v0.6 by the profile checks', () => {
    expect(isV06Profile(raw)).toBe(true);
  });

  it('maps every key to its new field', () => {
    expect(m.profile).toEqual({
      profile: 'default',
      environment: 'prod',
      benchlingTenant: 'acme',
      benchlingAppDefinitionId: 'appdef_wqFfVOhbYe',
      benchlingClientId: 'wqFfVOhbYe',
      benchlingClientSecret: V06_SECRET,
      quiltStackArn: V06_QUILT_ARN,
      region: 'us-east-1',
      account: '123456789012',
      benchlingSecret: 'benchling-webhook/acme',
      imageTag: '0.7.0',
      imageRepository: '123456789012.dkr.ecr.us-east-1.amazonaws.com/quiltdata/benchling',
      awsProfile: 'acme-admin',
      webhookAllowList: '203.0.113.0/24,198.51.100.7/32',
      logLevel: 'INFO',
      pkgBucket: 'acme-benchling-packages',
      pkgKey: 'experiment_id',
      pkgPrefix: 'benchling',
      webhookVerification: true,
    });
  });

  it('passes the profile checks as the prod profile', () => {
    const check = checkProfile(m.profile, FILE, 'default');
    expect(check.ok).toBe(true);
    expect(check.ok && check.profile.environment).toBe('prod');
  });

  it('accounts for every key exactly once: in the plan or in the dropped list, never silently', () => {
    const accounted = [...planSources(m).filter((k) => k !== '(new)'), ...m.dropped.map((d) => d.key)];
    expect(accounted.sort()).toEqual(Object.keys(raw).sort());
  });

  it('shows where each key goes, with its value', () => {
    expect(lineFor(m, 'benchlingPkgBucket')).toMatch(/-> pkgBucket\s+"acme-benchling-packages"$/);
    expect(lineFor(m, 'cdkAccount')).toMatch(/-> account\s+"123456789012"$/);
    expect(lineFor(m, 'cdkRegion')).toMatch(/-> region\s+"us-east-1"$/);
    expect(lineFor(m, 'benchlingSecretArn')).toMatch(/-> benchlingSecret\s+"benchling-webhook\/acme" .*suffix "-AbC12z"/);
    expect(lineFor(m, 'enableWebhookVerification')).toMatch(/-> webhookVerification\s+true \(was "true"\)$/);
    expect(lineFor(m, 'ecrRepositoryName')).toMatch(/-> imageRepository\s+"123456789012\.dkr\.ecr\.us-east-1\.amazonaws\.com\/quiltdata\/benchling" \(account and region from cdkAccount, cdkRegion\)$/);
    expect(lineFor(m, 'awsProfile')).toMatch(/-> awsProfile\s+"acme-admin"$/);
    expect(m.plan.filter((l) => l.startsWith('(new)'))).toEqual([expect.stringMatching(/-> profile\s+"default"$/), expect.stringMatching(/-> environment\s+"prod"$/)]);
  });

  it('never shows the client secret: the plan says "(set, not shown)"', () => {
    expect(lineFor(m, 'benchlingClientSecret')).toMatch(/-> benchlingClientSecret\s+\(set, not shown\)$/);
    expect(JSON.stringify([m.plan, m.dropped, m.notes])).not.toContain(V06_SECRET);
  });

  it('lists the keys with no place, by name, with the reason', () => {
    const reasons = Object.fromEntries(m.dropped.map((d) => [d.key, d.reason]));
    expect(Object.keys(reasons).sort()).toEqual(['benchlingTestEntry', 'createEcrRepository', 'queueUrl', 'quiltCatalog', 'quiltDatabase', 'quiltRegion', 'quiltUserBucket']);
    expect(reasons.quiltCatalog).toMatch(/resolved at run time from the Quilt stack's outputs/);
    expect(reasons.quiltDatabase).toMatch(/resolved at run time from the Quilt stack's outputs/);
    expect(reasons.queueUrl).toMatch(/resolved at run time from the Quilt stack's outputs/);
    expect(reasons.quiltRegion).toMatch(/quiltStackArn/);
    expect(reasons.createEcrRepository).toMatch(/never creates an ECR repository/);
    expect(reasons.benchlingTestEntry).toMatch(/health/);
    expect(reasons.quiltUserBucket).toBe('differs from benchlingPkgBucket ("acme-benchling-packages"), which wins: pkgBucket is "acme-benchling-packages", not "acme-quilt-user"');
  });
});

describe('migrateV06Profile: each rule', () => {
  it('reads both string booleans, and JSON booleans too', () => {
    for (const [value, expected] of [['true', true], ['false', false], [true, true], [false, false]] as const) {
      const m = migrate(v06DefaultJson({ enableWebhookVerification: value }));
      expect(m.profile.webhookVerification).toBe(expected);
      expect(lineFor(m, 'enableWebhookVerification')).toMatch(new RegExp(`-> webhookVerification\\s+${expected}`));
    }
  });

  it('refuses a verification flag that is neither true nor false, naming the key', () => {
    expect(problemsOf(v06DefaultJson({ enableWebhookVerification: 'yes' }))).toEqual([`${FILE}: enableWebhookVerification: expected "true" or "false" (got "yes")`]);
  });

  it('takes quiltUserBucket when there is no benchlingPkgBucket, and says nothing extra when both agree', () => {
    const only = migrate(v06DefaultJson({ benchlingPkgBucket: undefined }));
    expect(only.profile.pkgBucket).toBe('acme-quilt-user');
    expect(lineFor(only, 'quiltUserBucket')).toMatch(/-> pkgBucket\s+"acme-quilt-user"$/);
    const same = migrate(v06DefaultJson({ quiltUserBucket: 'acme-benchling-packages' }));
    expect(same.profile.pkgBucket).toBe('acme-benchling-packages');
    expect(lineFor(same, 'quiltUserBucket')).toMatch(/\(same as benchlingPkgBucket\)$/);
    expect(same.dropped.map((d) => d.key)).not.toContain('quiltUserBucket');
  });

  it('takes quiltUserBucket when benchlingPkgBucket is empty, and says so', () => {
    const m = migrate(v06DefaultJson({ benchlingPkgBucket: '' }));
    expect(m.profile.pkgBucket).toBe('acme-quilt-user');
    expect(m.dropped).toContainEqual({ key: 'benchlingPkgBucket', reason: 'empty; pkgBucket comes from quiltUserBucket' });
  });

  it('takes the secret name from the ARN without the random suffix; a plain name stays', () => {
    expect(migrate(v06DefaultJson({ benchlingSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:quiltdata/benchling-webhook/prod-x1Y2z3' })).profile.benchlingSecret).toBe(
      'quiltdata/benchling-webhook/prod',
    );
    expect(migrate(v06DefaultJson({ benchlingSecretArn: 'my-webhook-secret' })).profile.benchlingSecret).toBe('my-webhook-secret');
    expect(problemsOf(v06DefaultJson({ benchlingSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret' }))).toEqual([
      `${FILE}: benchlingSecretArn: expected a Secrets Manager secret ARN arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-XXXXXX (got "arn:aws:secretsmanager:us-east-1:123456789012:secret")`,
    ]);
  });

  it('notes a secret that lives in another region than the stack', () => {
    const m = migrate(v06DefaultJson({ benchlingSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:s-x1Y2z3' }));
    expect(m.notes).toEqual([expect.stringMatching(/secret in eu-west-1 .*own region us-east-1/)]);
  });

  it('builds the ECR URI from the Quilt stack when cdkAccount/cdkRegion are absent, and keeps a full URI', () => {
    const arn = 'arn:aws:cloudformation:us-west-2:210987654321:stack/quilt/abc';
    const fromArn = migrate(v06DefaultJson({ cdkAccount: undefined, cdkRegion: undefined, quiltStackArn: arn }));
    expect(fromArn.profile.imageRepository).toBe('210987654321.dkr.ecr.us-west-2.amazonaws.com/quiltdata/benchling');
    expect(fromArn.profile.account).toBeUndefined();
    expect(lineFor(fromArn, 'ecrRepositoryName')).toMatch(/from quiltStackArn\)$/);
    const mixed = migrate(v06DefaultJson({ cdkAccount: undefined, cdkRegion: 'eu-central-1', quiltStackArn: arn }));
    expect(mixed.profile.imageRepository).toBe('210987654321.dkr.ecr.eu-central-1.amazonaws.com/quiltdata/benchling');
    const full = '712023778557.dkr.ecr.us-east-1.amazonaws.com/quiltdata/benchling';
    expect(migrate(v06DefaultJson({ ecrRepositoryName: full })).profile.imageRepository).toBe(full);
  });

  it('refuses an ECR name that makes no valid URI, naming the v0.6 key', () => {
    expect(problemsOf(v06DefaultJson({ ecrRepositoryName: 'Bad Name' }))).toEqual([
      expect.stringMatching(new RegExp(`^${FILE}: ecrRepositoryName \\(imageRepository in the new layout\\): expected an ECR repository URI`)),
    ]);
  });

  it('stops when prod would run "latest" or no tag, naming the field and asking for --image-tag', () => {
    for (const imageTag of ['latest', undefined]) {
      const problems = problemsOf(v06DefaultJson({ imageTag }));
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(new RegExp(`^${FILE}: imageTag: `));
      expect(problems[0]).toContain('benchling-deploy migrate --image-tag T');
    }
  });

  it('takes --image-tag, and says what it replaces', () => {
    const m = migrate(v06DefaultJson({ imageTag: 'latest' }), '0.7.0');
    expect(m.profile.imageTag).toBe('0.7.0');
    expect(lineFor(m, 'imageTag')).toMatch(/-> imageTag\s+"0\.7\.0" \(from --image-tag; the v0\.6 file has "latest"\)$/);
    const noTag = migrate(v06DefaultJson({ imageTag: undefined }), `sha256:${'a'.repeat(64)}`);
    expect(lineFor(noTag, '--image-tag')).toMatch(/-> imageTag/);
    for (const empty of [null, '', '  ']) {
      const m2 = migrate(v06DefaultJson({ imageTag: empty }), '0.7.0');
      expect(m2.profile.imageTag).toBe('0.7.0');
      expect(m2.dropped).toContainEqual({ key: 'imageTag', reason: `${empty === null ? 'null' : 'empty'}; --image-tag gives it` });
    }
  });

  it('stops when the v0.6 image is one this stack cannot serve (every v0.6 release), naming the field and asking for --image-tag; such a --image-tag is refused naming the flag', () => {
    const problems = problemsOf(v06DefaultJson({ imageTag: '0.6.3' }));
    expect(problems).toEqual([
      `${FILE}: imageTag: image 0.6.3 cannot be served by this stack: images before 0.7.0 are not supported (they predate the multi-environment contract); give the image prod is to run with \`benchling-deploy migrate --image-tag T\`, a release from 0.7.0 on (0.18.0 is the latest this tool knows), or sha256:<64 hex>`,
    ]);
    expect(migrate(v06DefaultJson({ imageTag: '0.6.3' }), '0.7.1').profile.imageTag).toBe('0.7.1');
    for (const tag of ['0.6.0', '0.9.6']) {
      expect(problemsOf(v06DefaultJson({ imageTag: '0.6.3' }), tag)).toEqual([expect.stringMatching(new RegExp(`^--image-tag: image ${tag.replace(/\./g, '\\.')} cannot be served: .*; give a release from 0\\.7\\.0 on`))]);
    }
  });

  it('refuses a bad --image-tag, naming the flag', () => {
    expect(problemsOf(v06DefaultJson({ imageTag: 'latest' }), 'latest')).toEqual([expect.stringMatching(/^--image-tag: prod must not run "latest"/)]);
    expect(problemsOf(v06DefaultJson(), 'has space')).toEqual([expect.stringMatching(/^--image-tag: expected a Docker tag/)]);
  });

  it('names the v0.6 key when a value breaks a rule of the new layout, listing every problem at once', () => {
    const problems = problemsOf(v06DefaultJson({ benchlingPkgBucket: 'Bad_Bucket', cdkAccount: '123', benchlingTenant: 'Acme', logLevel: 'TRACE' }));
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^${FILE}: benchlingPkgBucket \\(pkgBucket in the new layout\\): expected an S3 bucket name`)),
        expect.stringMatching(new RegExp(`^${FILE}: cdkAccount \\(account in the new layout\\): expected a 12-digit AWS account id`)),
        expect.stringMatching(new RegExp(`^${FILE}: benchlingTenant: expected lower-case letters`)),
        expect.stringMatching(new RegExp(`^${FILE}: logLevel: expected one of DEBUG`)),
      ]),
    );
    expect(problems).toHaveLength(4);
  });

  it('reports missing required keys', () => {
    expect(problemsOf(v06DefaultJson({ benchlingClientId: undefined }))).toEqual([expect.stringMatching(new RegExp(`^${FILE}: benchlingClientId: required`))]);
  });

  it('upper-cases a lower-case log level and reads WARN as WARNING', () => {
    expect(migrate(v06DefaultJson({ logLevel: 'debug' })).profile.logLevel).toBe('DEBUG');
    expect(migrate(v06DefaultJson({ logLevel: 'warn' })).profile.logLevel).toBe('WARNING');
  });

  it('drops empty optional values with the default that applies', () => {
    const m = migrate(v06DefaultJson({ awsProfile: '', webhookAllowList: '', benchlingSecretArn: '' }));
    expect(m.profile).not.toHaveProperty('awsProfile');
    expect(m.profile).not.toHaveProperty('benchlingSecret');
    expect(m.dropped).toContainEqual({ key: 'awsProfile', reason: 'empty; the default applies (the default AWS credentials)' });
    expect(m.dropped).toContainEqual({ key: 'benchlingSecretArn', reason: 'empty; the default applies (quiltdata/benchling-webhook/default/<tenant>)' });
  });

  it('lists an unknown key by name without its value', () => {
    const m = migrate(v06DefaultJson({ oldClientSecretBackup: 'do-not-show-me' }));
    expect(m.dropped).toContainEqual({ key: 'oldClientSecretBackup', reason: 'not a key of the v0.6 tool or of this layout (value not shown)' });
    expect(JSON.stringify(m.plan)).not.toContain('do-not-show-me');
  });

  it('keeps a field of the new layout added by hand, and refuses one that clashes with its v0.6 key', () => {
    expect(migrate(v06DefaultJson({ stackName: 'MyWebhook', maxCapacity: 4 })).profile).toMatchObject({ stackName: 'MyWebhook', maxCapacity: 4 });
    expect(problemsOf(v06DefaultJson({ region: 'us-west-2' }))).toEqual([`${FILE}: region: both cdkRegion and region set region; expected only one of them`]);
  });

  it('never puts the secret in a message about it', () => {
    const problems = problemsOf(v06DefaultJson({ benchlingClientSecret: 42 }));
    expect(problems).toEqual([`${FILE}: benchlingClientSecret: expected a string (got a number)`]);
  });

  it('keeps the secret byte for byte', () => {
    expect(migrate(v06DefaultJson({ benchlingClientSecret: ` ${V06_SECRET} ` })).profile.benchlingClientSecret).toBe(` ${V06_SECRET} `);
  });

  it('has a reason for every v0.6 key with no place', () => {
    for (const reason of Object.values(V06_NO_PLACE)) expect(reason.length).toBeGreaterThan(10);
  });
});

describe('migrateV06Profile on arbitrary v0.6-like objects', () => {
  const keys = Object.keys(v06DefaultJson());
  const value = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('true', 'false', 'latest', '', 'INFO', '0.7.0'), fc.boolean(), fc.integer(), fc.constant(null));
  const arbitrary = fc
    .tuple(fc.subarray(keys), fc.dictionary(fc.constantFrom(...keys, 'extra', 'profileName'), value), fc.option(fc.constantFrom('0.7.0', 'latest', 'x y'), { nil: undefined }))
    .map(([kept, overrides, tag]) => {
      const base = v06DefaultJson();
      const raw: Record<string, unknown> = Object.fromEntries(kept.map((k) => [k, base[k]]));
      for (const [k, v] of Object.entries(overrides)) if (k !== 'benchlingClientSecret') raw[k] = v;
      raw.benchlingClientSecret = V06_SECRET;
      return { raw, tag };
    });

  it('either gives a valid prod profile accounting for every key, or problems naming the file or flag; the secret is never shown', () => {
    fc.assert(
      fc.property(arbitrary, ({ raw, tag }) => {
        let m: V06Migration;
        try {
          m = migrate(raw, tag);
        } catch (error) {
          if (!(error instanceof UserErrors)) throw error;
          expect(error.problems.length).toBeGreaterThan(0);
          for (const p of error.problems) expect(p.startsWith(`${FILE}: `) || p.startsWith('--image-tag: ')).toBe(true);
          expect(error.message).not.toContain(V06_SECRET);
          return;
        }
        expect(checkProfile(m.profile, FILE, 'default').ok).toBe(true);
        const accounted = [...planSources(m).filter((k) => k !== '(new)' && k !== '--image-tag'), ...m.dropped.map((d) => d.key)];
        expect(accounted.sort()).toEqual(Object.keys(raw).sort());
        expect(JSON.stringify([m.plan, m.dropped, m.notes])).not.toContain(V06_SECRET);
      }),
      { numRuns: 300 },
    );
  });
});

describe('v0.6 keys named like what every object inherits', () => {
  it('lists `constructor`, `__proto__` and `toString` as unknown keys by name, like any other unknown key', () => {
    // JSON.parse makes each an own key, as reading the file does.
    const raw = JSON.parse(JSON.stringify(v06DefaultJson()).replace(/^\{/, '{"constructor":"c","__proto__":{"x":1},"toString":"t","hasOwnProperty":"h",')) as Record<string, unknown>;
    const m = migrate(raw);
    const unknown = 'not a key of the v0.6 tool or of this layout (value not shown)';
    for (const key of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) expect(m.dropped, key).toContainEqual({ key, reason: unknown });
    const text = [...m.plan, ...m.dropped.map((d) => `${d.key} ${d.reason}`)].join('\n');
    expect(text).not.toMatch(/native code|\[object Object\]/);
    // The nearest key that is in the tables still goes where it belongs.
    expect(m.dropped).toContainEqual({ key: 'quiltCatalog', reason: V06_NO_PLACE.quiltCatalog });
    expect(m.profile).not.toHaveProperty('constructor', 'c');
    expect(Object.keys(m.profile)).not.toContain('__proto__');
  });
});
