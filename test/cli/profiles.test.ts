import { describe, expect, it } from 'vitest';
import { chmodSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, ROOT, runCli } from '../helpers/cli.js';
import { SETUP_FLAGS } from '../../bin/commands/setup-flags.js';
import { QUILT_ARN, SECRET, devProfile, prodProfile, snapshotDir, tempDir, writeJson } from '../helpers/fixtures.js';

const required = ['--tenant', 'acme', '--app-definition-id', 'appdef_1', '--client-id', 'cid_1', '--quilt-stack-arn', QUILT_ARN];

describe('CLI: global behaviour', () => {
  it('prints help and version with status 0', () => {
    expect(runCli(['--help']).stdout).toMatch(/Usage: benchling-deploy/);
    const help = runCli(['help', 'deploy']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/Usage: benchling-deploy deploy/);
    expect(runCli(['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('refuses an unknown command or flag with status 2 and a usage hint', () => {
    const cmd = runCli(['deplyo']);
    expect(cmd.status).toBe(2);
    expect(cmd.stderr).toMatch(/unknown command 'deplyo'[\s\S]*--help/);
    const flag = runCli(['profiles', '--bogus']);
    expect(flag.status).toBe(2);
    expect(flag.stderr).toMatch(/unknown option '--bogus'[\s\S]*--help/);
    // After global options, with and without values: the same words, not "too many arguments".
    for (const args of [['--config-dir', tempDir(), 'stauts'], ['--json', 'stats'], ['--region', 'us-east-1', '-y', 'deplyo']]) {
      const r = runCli(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(new RegExp(`unknown command '${args.at(-1)}'[\\s\\S]*--help`));
    }
  });

  it('reads the config folder from XDG_CONFIG_HOME', () => {
    const xdg = tempDir();
    const r = runCli(['setup-profile', 'default', ...required, '--image-tag', '0.7.0'], { env: { XDG_CONFIG_HOME: xdg } });
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(xdg, 'benchling-webhook', 'default.json'))).toBe(true);
  });
});

describe('setup-profile from flags', () => {
  it('writes a valid profile with mode 0600', () => {
    const dir = tempDir();
    const r = runCli(['--config-dir', dir, 'setup-profile', 'default', ...required, '--image-tag', '0.7.0', '--pkg-bucket', 'acme-pkgs', '--min-capacity', '3']);
    expect(r.status, r.stderr).toBe(0);
    const file = JSON.parse(readFileSync(join(dir, 'default.json'), 'utf8'));
    expect(file).toEqual({ profile: 'default', benchlingTenant: 'acme', benchlingAppDefinitionId: 'appdef_1', benchlingClientId: 'cid_1', quiltStackArn: QUILT_ARN, imageTag: '0.7.0', pkgBucket: 'acme-pkgs', minCapacity: 3 });
    expect(statSync(join(dir, 'default.json')).mode & 0o777).toBe(0o600);
  });

  it('reads the client secret from stdin and never prints it', () => {
    const dir = tempDir();
    const r = runCli(['--config-dir', dir, 'setup-profile', 'default', ...required, '--image-tag', '0.7.0', '--client-secret-stdin'], { input: `${SECRET}\n` });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'default.json'), 'utf8')).benchlingClientSecret).toBe(SECRET);
    const listed = runCli(['--config-dir', dir, 'profiles', '--json']);
    const validated = runCli(['--config-dir', dir, 'validate']);
    for (const out of [r, listed, validated]) expect(out.stdout + out.stderr).not.toContain(SECRET);
  });

  it('more than 64 KiB on standard input for the client secret is refused (exit 2), an endless stream too, and nothing is written: never a profile the tool could not read back', async () => {
    const dir = tempDir();
    writeJson(dir, 'default.json', prodProfile());
    const before = snapshotDir(dir);
    const r = runCli(['--config-dir', dir, 'setup-profile', 'default', ...required, '--image-tag', '0.7.0', '--client-secret-stdin'], { input: 'A'.repeat(2 * 1024 * 1024) });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain('--client-secret-stdin: more than 64 KiB on standard input; nothing was written');
    expect(snapshotDir(dir)).toEqual(before);
    // `yes | …`: standard input that never ends.
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [BIN, '--config-dir', dir, 'setup-profile', 'default', ...required, '--image-tag', '0.7.0', '--client-secret-stdin'], { env: { ...process.env, CI: 'true' }, stdio: ['pipe', 'pipe', 'pipe'] });
    const line = Buffer.from('y\n'.repeat(8192));
    const feed = () => {
      if (!child.stdin.destroyed && child.stdin.write(line)) setImmediate(feed);
    };
    child.stdin.on('drain', feed).on('error', () => undefined);
    feed();
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(status).toBe(2);
    expect(snapshotDir(dir)).toEqual(before);
  });

  it('refuses bad flags naming the field and the flag, and writes nothing', () => {
    const dir = tempDir();
    writeJson(dir, 'default.json', prodProfile());
    const before = snapshotDir(dir);
    const r = runCli(['--config-dir', dir, 'setup-profile', 'default', '--image-tag', 'latest', '--tenant', 'Bad Tenant']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/default\.json: imageTag: prod must not run "latest".*\(flag --image-tag\)/);
    expect(r.stderr).toMatch(/default\.json: benchlingTenant: .*\(flag --tenant\)/);
    expect(snapshotDir(dir)).toEqual(before);
  });

  it("sets the Quilt values a deploy would otherwise read from the Quilt stack; a malformed one names its flag", () => {
    const dir = tempDir();
    const quilt = ['--quilt-web-host', 'quilt.acme.example.com', '--packager-queue-url', 'https://sqs.us-east-1.amazonaws.com/123456789012/packager', '--athena-database', 'quilt_db', '--athena-workgroup', 'quilt-wg'];
    const r = runCli(['--config-dir', dir, 'setup-profile', 'default', ...required, '--image-tag', '0.8.0', ...quilt]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'default.json'), 'utf8'))).toMatchObject({
      quiltWebHost: 'quilt.acme.example.com',
      packagerQueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/packager',
      athenaUserDatabase: 'quilt_db',
      athenaUserWorkgroup: 'quilt-wg',
    });
    const before = snapshotDir(dir);
    const bad = runCli(['--config-dir', dir, 'setup-profile', 'default', '--packager-queue-url', 'https://sqs.us-east-1.amazonaws.com/123456789012/*', '--quilt-web-host', 'https://quilt.acme.example.com']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/default\.json: packagerQueueUrl: expected an SQS queue URL.*\(flag --packager-queue-url\)/);
    expect(bad.stderr).toMatch(/default\.json: quiltWebHost: expected a host name.*\(flag --quilt-web-host\)/);
    expect(snapshotDir(dir)).toEqual(before);
  });

  it('refuses a non-number capacity naming the flag', () => {
    const r = runCli(['--config-dir', tempDir(), 'setup-profile', 'default', ...required, '--min-capacity', 'two']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--min-capacity: expected a whole number/);
  });

  it('sets the task size per environment and prod\'s NAT gateways', () => {
    const dir = tempDir();
    const prod = runCli(['--config-dir', dir, 'setup-profile', 'default', ...required, '--image-tag', '0.7.0', '--cpu', '1024', '--memory', '3072', '--nat-gateways', '2']);
    expect(prod.status, prod.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'default.json'), 'utf8'))).toMatchObject({ cpu: 1024, memory: 3072, natGateways: 2 });
    const dev = runCli(['--config-dir', dir, 'setup-profile', 'dev', ...required, '--cpu', '256', '--memory', '512']);
    expect(dev.status, dev.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'dev.json'), 'utf8'))).toMatchObject({ cpu: 256, memory: 512 });
    // The nearest valid pair of a 0.25 vCPU task is 2048 MiB: the edges pass.
    expect(runCli(['--config-dir', dir, 'setup-profile', 'dev', '--memory', '2048']).status).toBe(0);
  });

  it.each([
    [['--cpu', '300'], /--cpu: expected one of 256, 512, 1024, 2048, 4096 \(Fargate CPU units, 1024 = 1 vCPU\), got "300"/],
    [['--cpu', 'big'], /--cpu: expected one of 256, 512/],
    [['--memory', '100'], /--memory: expected a whole number from 512 to 30720, got "100"/],
    [['--nat-gateways', '3'], /--nat-gateways: expected a whole number from 1 to 2, got "3"/],
    [['--nat-gateways', '0'], /--nat-gateways: expected a whole number from 1 to 2, got "0"/],
    // Not a Fargate pair: 0.25 vCPU takes at most 2048 MiB.
    [['--cpu', '256', '--memory', '3072'], /memory: expected 512, 1024 or 2048 for cpu 256 \(got 3072\) \(flag --memory\)/],
    [['--cpu', '4096', '--memory', '4096'], /memory: expected a multiple of 1024 from 8192 to 30720 for cpu 4096 \(got 4096\) \(flag --memory\)/],
  ])('refuses %j naming the flag, status 2, nothing written', (flags, message) => {
    const dir = tempDir();
    const r = runCli(['--config-dir', dir, 'setup-profile', 'default', ...required, '--image-tag', '0.7.0', ...flags]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(existsSync(join(dir, 'default.json'))).toBe(false);
  });

  it('refuses NAT gateways on a dev profile, naming the flag; the file stays as it was', () => {
    const dir = tempDir();
    writeJson(dir, 'dev.json', devProfile());
    const before = readFileSync(join(dir, 'dev.json'), 'utf8');
    const r = runCli(['--config-dir', dir, 'setup-profile', 'dev', '--nat-gateways', '2']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/natGateways: the NAT gateways are shared by every environment: set them on the prod profile, not on a dev profile \(flag --nat-gateways\)/);
    expect(readFileSync(join(dir, 'dev.json'), 'utf8')).toBe(before);
  });

  it('edits an existing profile, keeping the other fields', () => {
    const dir = tempDir();
    writeJson(dir, 'default.json', prodProfile({ logLevel: 'DEBUG' }));
    expect(runCli(['--config-dir', dir, 'setup-profile', 'default', '--image-tag', '0.8.0']).status).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'default.json'), 'utf8'))).toEqual(prodProfile({ logLevel: 'DEBUG', imageTag: '0.8.0' }));
  });

  it('copies another profile with --from, for another environment', () => {
    const dir = tempDir();
    writeJson(dir, 'default.json', prodProfile());
    const r = runCli(['--config-dir', dir, 'setup-profile', 'dev', '--from', 'default', '--environment', 'dev', '--image-tag', 'latest']);
    expect(r.status, r.stderr).toBe(0);
    const dev = JSON.parse(readFileSync(join(dir, 'dev.json'), 'utf8'));
    expect(dev).toMatchObject({ profile: 'dev', environment: 'dev', benchlingTenant: 'acme', imageTag: 'latest' });
    expect(dev.benchlingSecret).toBeUndefined();
  });

  it("the README's dev profile from a default that sets the NAT gateways: they stay the prod profile's, not copied; given as a flag, refused naming it", () => {
    const dir = tempDir();
    writeJson(dir, 'default.json', prodProfile({ natGateways: 2 }));
    const r = runCli(['--config-dir', dir, 'setup-profile', 'dev', '--from', 'default', '--environment', 'dev', '--image-tag', 'latest']);
    expect(r.status, r.stderr).toBe(0);
    const dev = JSON.parse(readFileSync(join(dir, 'dev.json'), 'utf8'));
    expect(dev).toMatchObject({ profile: 'dev', environment: 'dev', imageTag: 'latest' });
    expect(dev.natGateways).toBeUndefined();
    // A copy for another prod-like profile keeps them.
    const staging = runCli(['--config-dir', dir, 'setup-profile', 'staging', '--from', 'default', '--image-tag', '0.7.0']);
    expect(staging.status, staging.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'staging.json'), 'utf8')).natGateways).toBe(2);
    // Given for a dev profile by the flag: refused, naming the flag the user gave.
    const flagged = runCli(['--config-dir', dir, 'setup-profile', 'dev2', '--from', 'default', '--environment', 'dev', '--nat-gateways', '2']);
    expect(flagged.status).toBe(2);
    expect(flagged.stderr).toMatch(/natGateways: the NAT gateways are shared .* \(flag --nat-gateways\)/);
    // A problem with a copied value names no flag the user never gave: dev's `latest`, copied into a prod profile.
    const copied = runCli(['--config-dir', dir, 'setup-profile', 'prod2', '--from', 'dev', '--environment', 'prod']);
    expect(copied.status).toBe(2);
    expect(copied.stderr).toContain('imageTag: prod must not run "latest"');
    expect(copied.stderr).not.toContain('(flag --image-tag)');
  });

  it('without flags and without a terminal, says to give flags (status 2)', () => {
    const r = runCli(['--config-dir', tempDir(), 'setup-profile', 'default']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no terminal to ask on; give the fields as flags/);
    // The global --region and --aws-profile set no field: the refusal names the flags that do.
    const region = runCli(['--config-dir', tempDir(), 'setup-profile', 'default', '--region', 'us-west-2', '--aws-profile', 'ops']);
    expect(region.status).toBe(2);
    expect(region.stderr).toContain("give the fields as flags; --region (the profile's is --stack-region) and --aws-profile (the profile's is --profile-aws) are the command's own AWS setting, not a field");
  });

  it("the README's setup-profile section names every field's flag", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### `setup-profile NAME`'), readme.indexOf('### `status [--json]`'));
    for (const f of SETUP_FLAGS) expect(section, f.flag).toContain(`\`--${f.flag}\``);
  });

  it('refuses a bad profile name', () => {
    const r = runCli(['--config-dir', tempDir(), 'setup-profile', '../x', ...required]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/"\.\.\/x" is not a profile name/);
  });
});

describe('profiles and validate', () => {
  function both() {
    const dir = tempDir();
    writeJson(dir, 'default.json', prodProfile());
    writeJson(dir, 'dev.json', devProfile());
    return dir;
  }

  it('profiles lists name, environment, tenant, image tag, stack and status', () => {
    const dir = both();
    writeJson(dir, 'broken.json', { profile: 'broken' });
    const table = runCli(['--config-dir', dir, 'profiles']);
    expect(table.status).toBe(0);
    expect(table.stdout).toMatch(/default\s+prod\s+acme\s+0\.7\.0\s+BenchlingWebhookStack\s+valid/);
    expect(table.stdout).toMatch(/dev\s+dev\s+acme-dev\s+latest\s+BenchlingWebhookStack\s+valid/);
    expect(table.stdout).toMatch(/broken\s+-\s+-\s+-\s+-\s+invalid/);
    const json = JSON.parse(runCli(['--config-dir', dir, 'profiles', '--json']).stdout);
    expect(json.profiles.map((p: { name: string; status: string }) => [p.name, p.status])).toEqual([['default', 'valid'], ['dev', 'valid'], ['broken', 'invalid']]);
  });

  it('validate passes valid profiles with status 0', () => {
    const r = runCli(['--config-dir', both(), 'validate']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/default\.json: valid \(prod\)/);
  });

  it('validate lists every error of every profile at once, status 2, files unchanged', () => {
    const dir = both();
    writeJson(dir, 'dev.json', devProfile({ benchlingTenant: 'UPPER', extra: true }));
    writeJson(dir, 'default.json', prodProfile({ imageTag: 'latest' }));
    const before = snapshotDir(dir);
    const r = runCli(['--config-dir', dir, 'validate']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/default\.json: imageTag: prod must not run "latest"/);
    expect(r.stderr).toMatch(/dev\.json: benchlingTenant: expected lower-case/);
    expect(r.stderr).toMatch(/dev\.json: extra: unknown field/);
    expect(snapshotDir(dir)).toEqual(before);
  });

  it('validate --profile checks one; a missing one names the flag', () => {
    const dir = both();
    writeJson(dir, 'dev.json', devProfile({ minCapacity: 5, maxCapacity: 1 }));
    expect(runCli(['--config-dir', dir, 'validate', '--profile', 'default']).status).toBe(0);
    const bad = runCli(['--config-dir', dir, 'validate', '--profile', 'dev']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/dev\.json: minCapacity: expected minCapacity <= maxCapacity/);
    const missing = runCli(['--config-dir', dir, 'validate', '--profile', 'nope']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/--profile: no profile "nope"/);
  });

  it('validate refuses what a deploy would, naming file and field: a dev profile placing the stack elsewhere than prod, a prod profile set to dev, an image the stack cannot serve', () => {
    const dir = both();
    writeJson(dir, 'dev.json', devProfile({ region: 'us-west-2', stackName: 'Other' }));
    const before = snapshotDir(dir);
    const all = runCli(['--config-dir', dir, 'validate']);
    expect(all.status).toBe(2);
    const dev = join(dir, 'dev.json');
    expect(all.stderr).toContain(`${dev}: region: "us-west-2" differs from the prod profile "default" ("us-east-1" in ${join(dir, 'default.json')})`);
    expect(all.stderr).toContain(`${dev}: stackName: "Other" differs`);
    // One profile is judged with the others: dev's place is prod's; prod alone is fine.
    const one = runCli(['--config-dir', dir, 'validate', '--profile', 'dev']);
    expect(one.status).toBe(2);
    expect(one.stderr).toContain(`${dev}: region: "us-west-2" differs`);
    expect(runCli(['--config-dir', dir, 'validate', '--profile', 'default']).status).toBe(0);
    // The deploy after it refuses the same, in the same words.
    const synth = runCli(['--config-dir', dir, 'synth', '--out', join(tempDir(), 'out')]);
    expect(synth.status).toBe(2);
    expect(synth.stderr).toContain(`${dev}: region: "us-west-2" differs`);
    const listed = JSON.parse(runCli(['--config-dir', dir, 'profiles', '--json']).stdout);
    expect(listed.profiles.map((p: { name: string; status: string }) => [p.name, p.status])).toEqual([['default', 'valid'], ['dev', 'invalid']]);
    expect(snapshotDir(dir)).toEqual(before);

    const prodAsDev = both();
    writeJson(prodAsDev, 'default.json', prodProfile({ environment: 'dev' }));
    const env = runCli(['--config-dir', prodAsDev, 'validate']);
    expect(env.status).toBe(2);
    expect(env.stderr).toContain(`${join(prodAsDev, 'default.json')}: environment: profile "default" is for environment "dev"; the prod profile must have environment "prod"`);

    const old = both();
    writeJson(old, 'default.json', prodProfile({ imageTag: '0.6.3' }));
    const image = runCli(['--config-dir', old, 'validate', '--json']);
    expect(image.status).toBe(2);
    const out = JSON.parse(image.stdout);
    expect(out.profiles.map((p: { name: string; valid: boolean }) => [p.name, p.valid])).toEqual([['default', false], ['dev', true]]);
    expect(out.profiles[0].problems).toEqual([`${join(old, 'default.json')}: imageTag: image 0.6.3 cannot be served: images before 0.7.0 are not supported (they predate the multi-environment contract)`]);
  });

  it('validate refuses a folder without the prod profile, naming default.json, with the command that makes it; one profile too', () => {
    const dir = tempDir();
    writeJson(dir, 'dev.json', devProfile());
    const missing = `${join(dir, 'default.json')}: missing: no prod profile; prod is required`;
    for (const args of [['validate'], ['validate', '--profile', 'dev']]) {
      const r = runCli(['--config-dir', dir, ...args]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(`error: ${missing}`);
      expect(r.stderr).toContain('hint: create it with `benchling-deploy setup-profile default`');
    }
    const json = runCli(['--config-dir', dir, 'validate', '--json']);
    expect(json.status).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ valid: false, problems: [expect.stringContaining(missing)], profiles: [{ name: 'dev', valid: true }] });
    writeJson(dir, 'default.json', prodProfile());
    expect(runCli(['--config-dir', dir, 'validate']).status).toBe(0);
  });

  it('validate --json never prints the client secret, of a valid profile, an invalid one, or a readable file', () => {
    const dir = tempDir();
    writeJson(dir, 'default.json', prodProfile({ benchlingClientSecret: SECRET }));
    writeJson(dir, 'dev.json', devProfile({ benchlingClientSecret: SECRET }), 0o644);
    writeJson(dir, 'broken.json', { profile: 'broken', benchlingClientSecret: SECRET, benchlingTenant: 'Bad Tenant' });
    const r = runCli(['--config-dir', dir, 'validate', '--json']);
    expect(r.status).toBe(2);
    const out = JSON.parse(r.stdout);
    expect(out.valid).toBe(false);
    expect(out.profiles.map((p: { name: string; valid: boolean }) => [p.name, p.valid])).toEqual([
      ['default', true],
      ['dev', false],
      ['broken', false],
    ]);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
    const valid = runCli(['--config-dir', dir, 'validate', '--json', '--profile', 'default']);
    expect(valid.status).toBe(0);
    expect(JSON.parse(valid.stdout).valid).toBe(true);
    expect(valid.stdout + valid.stderr).not.toContain(SECRET);
  });

  it('validate refuses a file holding the secret that others may read (exit 2, naming file and field), and passes once it is chmod 600', () => {
    const dir = tempDir();
    const path = writeJson(dir, 'default.json', prodProfile({ benchlingClientSecret: SECRET }), 0o644);
    const r = runCli(['--config-dir', dir, 'validate']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`error: ${path}: benchlingClientSecret: the file holding it is readable by group or others (mode 644); it must be yours alone: run \`chmod 600 ${path}\``);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
    expect(runCli(['--config-dir', dir, 'profiles']).stdout).toMatch(/default\s.*\sinvalid$/m);
    chmodSync(path, 0o600);
    expect(runCli(['--config-dir', dir, 'validate']).status).toBe(0);
  });
});
