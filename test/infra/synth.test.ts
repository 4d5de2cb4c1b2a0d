import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, DefaultStackSynthesizer, LegacyStackSynthesizer, Stack } from 'aws-cdk-lib';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { resolveTarget } from '../../src/config/pairing.js';
import { inspectAllProfiles } from '../../src/config/store.js';
import { UserError, UserErrors } from '../../src/errors.js';
import { assemblyAssets, assemblyHasAssets, synthesizeStack, type SynthesisResult } from '../../src/infra/synth.js';
import { INLINE_TEMPLATE_LIMIT } from '../../src/config/names.js';
import { ROOT } from '../helpers/cli.js';
import { SECRET, devProfile, prodProfile, snapshotDir, tempDir, writeJson } from '../helpers/fixtures.js';
import { stackProfiles } from './stack-helpers.js';

/** `cdk deploy` sends a template inline (no bootstrap bucket) only up to this many characters of YAML. */
const CDK_INLINE_TEMPLATE_LIMIT = 50 * 1024;
const CDK = join(ROOT, 'node_modules', '.bin', 'cdk');

let result: SynthesisResult;

beforeAll(() => {
  result = synthesizeStack(stackProfiles({ prod: { benchlingClientSecret: SECRET }, dev: { benchlingClientSecret: SECRET } }), join(tempDir(), 'out'));
});

describe('synthesizeStack', () => {
  it('writes a cloud assembly holding the stack, and returns its template', () => {
    expect(result.stackName).toBe('BenchlingWebhookStack');
    expect(result.environments).toEqual(['prod', 'dev']);
    expect(result.templatePath).toBe(join(result.assemblyDir, 'BenchlingWebhookStack.template.json'));
    expect(JSON.parse(readFileSync(result.templatePath, 'utf8'))).toEqual(result.template);
    const manifest = JSON.parse(readFileSync(join(result.assemblyDir, 'manifest.json'), 'utf8'));
    expect(manifest.artifacts.BenchlingWebhookStack).toMatchObject({ type: 'aws:cloudformation:stack', environment: 'aws://unknown-account/unknown-region' });
  });

  it('captures no call stack for each construct: the metadata holds logical ids, not stacks with this machine\'s paths', () => {
    const metadata = JSON.parse(readFileSync(join(result.assemblyDir, 'BenchlingWebhookStack.metadata.json'), 'utf8')) as Record<string, { type: string }[]>;
    const types = new Set(Object.values(metadata).flat().map((e) => e.type));
    expect(types).toContain('aws:cdk:logicalId');
    expect(types).not.toContain('aws:cdk:creationStack');
  });

  it('captures no call stack for our acknowledgements: each is in the metadata with its reason, and no frame of this machine', () => {
    const metadata = JSON.parse(readFileSync(join(result.assemblyDir, 'BenchlingWebhookStack.metadata.json'), 'utf8')) as Record<string, { type: string; data: Record<string, string>; trace?: string[] }[]>;
    const acknowledged = Object.values(metadata).flat().filter((e) => e.type === 'aws:cdk:acknowledged-rules');
    const ours = acknowledged.filter((e) => Object.keys(e.data).some((id) => id.startsWith('Annotation::AwsSolutions-') || id.endsWith('::W2509')));
    expect(ours.length).toBeGreaterThan(20);
    for (const entry of ours) expect((entry.trace ?? []).filter((line) => line.includes(' at ') || line.includes('/'))).toEqual([]);
  });

  it('needs no bootstrap role or version: no bootstrap version check, no assets but the template itself, published with the caller\'s credentials', () => {
    expect(result.template.Parameters.BootstrapVersion).toBeUndefined();
    expect(result.template.Rules?.CheckBootstrapVersion).toBeUndefined();
    expect(result.assets).toEqual([]);
    expect(result.hasAssets).toBe(false);
    expect(assemblyHasAssets(result.assemblyDir)).toBe(false);
    const manifest = JSON.parse(readFileSync(join(result.assemblyDir, 'manifest.json'), 'utf8'));
    const stack = manifest.artifacts.BenchlingWebhookStack.properties;
    expect(stack.assumeRoleArn).toBeUndefined();
    expect(stack.requiresBootstrapStackVersion).toBeUndefined();
    // dev and prod together are over the 50 KiB cdk sends inline: the template is the stack's one asset.
    expect(stack.stackTemplateAssetObjectUrl).toMatch(/^s3:\/\/cdk-hnb659fds-assets-\$\{AWS::AccountId\}-\$\{AWS::Region\}\/[0-9a-f]{64}\.json$/);
    const manifests = Object.values(manifest.artifacts).filter((a: any) => a.type === 'cdk:asset-manifest') as { properties: { file: string } }[];
    expect(manifests).toHaveLength(1);
    const assets = JSON.parse(readFileSync(join(result.assemblyDir, manifests[0].properties.file), 'utf8'));
    expect(Object.values(assets.files).map((f: any) => [f.source.path, Object.values(f.destinations).map((d: any) => d.assumeRoleArn)])).toEqual([['BenchlingWebhookStack.template.json', [undefined]]]);
    expect(assets.dockerImages ?? {}).toEqual({});
  });

  it('a template cdk can send inline (prod alone) is emitted without any asset: no bootstrap at all', () => {
    const alone = synthesizeStack(stackProfiles({ dev: false }), join(tempDir(), 'assembly'));
    expect(alone.templateBodySize).toBeLessThanOrEqual(INLINE_TEMPLATE_LIMIT);
    expect(alone.bootstrapRequired).toBe(false);
    const manifest = JSON.parse(readFileSync(join(alone.assemblyDir, 'manifest.json'), 'utf8'));
    expect(manifest.artifacts.BenchlingWebhookStack.properties.stackTemplateAssetObjectUrl).toBeUndefined();
    expect(Object.values(manifest.artifacts).filter((a: any) => a.type === 'cdk:asset-manifest')).toEqual([]);
  });

  it('keeps the template lean: no CDK metadata resource, no path metadata', () => {
    expect(result.template.Resources.CDKMetadata).toBeUndefined();
    for (const [id, r] of Object.entries(result.template.Resources as Record<string, any>)) {
      expect(r.Metadata?.['aws:cdk:path'], id).toBeUndefined();
    }
  });

  it('never writes the client secret anywhere in the assembly', () => {
    for (const f of readdirSync(result.assemblyDir)) expect(readFileSync(join(result.assemblyDir, f), 'utf8'), f).not.toContain(SECRET);
  });

  it("measures the template as the real cdk CLI writes it, and needs the bootstrap bucket: it is over the 50 KiB cdk sends inline", () => {
    const cidrs = (n: number, base: number) => Array.from({ length: n }, (_, i) => `198.${base}.${i}.0/24`).join(',');
    const big = synthesizeStack(
      stackProfiles({ prod: { webhookAllowList: cidrs(10, 51) }, dev: { webhookAllowList: cidrs(10, 18), imageRepository: '123456789012.dkr.ecr.us-west-2.amazonaws.com/acme/benchling-dev' } }),
      join(tempDir(), 'big'),
    );
    const cli = spawnSync(CDK, ['synth', '--app', big.assemblyDir, '--no-notices', '--no-version-reporting', big.stackName], {
      encoding: 'utf8',
      cwd: tempDir(),
      env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true', AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' },
      timeout: 60_000,
    });
    expect(cli.status, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(/^Description: /);
    // cdk synth prints the YAML cdk deploy would send (plus a final newline).
    expect(Math.abs(cli.stdout.length - big.templateBodySize)).toBeLessThanOrEqual(1);
    expect(big.templateBodySize).toBeGreaterThan(CDK_INLINE_TEMPLATE_LIMIT);
    expect(big.bootstrapRequired).toBe(true);
  });

  it('passes aws-cdk-lib\'s CloudFormation schema validation with no unacknowledged finding', () => {
    const checked = synthesizeStack(stackProfiles(), join(tempDir(), 'validated'), { validate: true });
    const report = JSON.parse(readFileSync(join(checked.assemblyDir, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports.map((r: any) => [r.pluginName, r.conclusion, r.violations])).toEqual([['CloudFormation Validate', 'success', []]]);
  });
});

describe('the same template for either environment', () => {
  it('synthesized as if deploying dev and as if deploying prod, the templates are byte for byte the same', () => {
    const dir = tempDir();
    writeJson(dir, 'default.json', prodProfile({ webhookAllowList: '203.0.113.0/24' }));
    writeJson(dir, 'dev.json', devProfile({ logLevel: 'DEBUG' }));
    const profiles = inspectAllProfiles(dir);
    const forDev = resolveTarget(profiles, { environment: 'dev' });
    const forProd = resolveTarget(profiles, { environment: 'prod' });
    expect(forDev.profile.profile).toBe('dev');
    expect(forProd.profile.profile).toBe('default');
    const a = synthesizeStack(forDev, join(tempDir(), 'dev'));
    const b = synthesizeStack(forProd, join(tempDir(), 'prod'));
    expect(readFileSync(a.templatePath, 'utf8')).toBe(readFileSync(b.templatePath, 'utf8'));
    expect(a.environments).toEqual(['prod', 'dev']);
  });
});

describe("one environment's profile reaches the template only as its parameters' defaults", () => {
  /** The template file's text with every parameter's Default taken out: what a deploy keeps whatever it passes. */
  function withoutDefaults(path: string): string {
    const template = JSON.parse(readFileSync(path, 'utf8'));
    for (const p of Object.values(template.Parameters as Record<string, any>)) delete p.Default;
    return JSON.stringify(template, null, 1);
  }
  function defaultsOf(path: string): Record<string, unknown> {
    const template = JSON.parse(readFileSync(path, 'utf8'));
    return Object.fromEntries(Object.entries(template.Parameters as Record<string, any>).map(([k, p]) => [k, p.Default]));
  }
  function changedDefaults(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    return Object.keys(a).filter((k) => a[k] !== b[k]).sort();
  }

  const OTHER_QUILT = 'arn:aws:cloudformation:eu-west-1:333333333333:stack/OtherQuilt/abcdef01-2345-6789-abcd-ef0123456789';
  const OTHER_REPO = '444444444444.dkr.ecr.eu-central-1.amazonaws.com/other/webhook';

  it.each([
    ['dev', 'Dev'],
    ['prod', 'Prod'],
  ] as const)(
    "%s's Quilt stack, verification switch and image repository change no resource, condition, rule or output: only %s defaults",
    (env, T) => {
      const base = synthesizeStack(stackProfiles(), join(tempDir(), 'base'));
      const changed = synthesizeStack(stackProfiles({ [env]: { quiltStackArn: OTHER_QUILT, webhookVerification: false, imageRepository: OTHER_REPO } }), join(tempDir(), 'changed'));
      // The profiles do reach the template ...
      expect(readFileSync(changed.templatePath, 'utf8')).not.toBe(readFileSync(base.templatePath, 'utf8'));
      expect(changedDefaults(defaultsOf(base.templatePath), defaultsOf(changed.templatePath))).toEqual(
        ['ImageAccount', 'ImageRegion', 'ImageRepositoryName', 'QuiltStackArn', 'WebhookVerification'].map((s) => `${T}${s}`).sort(),
      );
      expect(defaultsOf(changed.templatePath)).toMatchObject({
        [`${T}QuiltStackArn`]: OTHER_QUILT,
        [`${T}WebhookVerification`]: 'false',
        [`${T}ImageAccount`]: '444444444444',
        [`${T}ImageRegion`]: 'eu-central-1',
        [`${T}ImageRepositoryName`]: 'other/webhook',
      });
      // ... and only there: everything else is byte for byte the same.
      expect(withoutDefaults(changed.templatePath)).toBe(withoutDefaults(base.templatePath));
    },
  );

  it("every other per-environment value of dev's profile too (tag, secret, capacity, log level)", () => {
    const base = synthesizeStack(stackProfiles(), join(tempDir(), 'base'));
    const changed = synthesizeStack(
      stackProfiles({
        dev: { quiltStackArn: OTHER_QUILT, webhookVerification: false, imageRepository: OTHER_REPO, imageTag: '9.9.9', benchlingSecret: 'other/secret', minCapacity: 3, maxCapacity: 7, logLevel: 'ERROR' },
      }),
      join(tempDir(), 'changed'),
    );
    expect(changedDefaults(defaultsOf(base.templatePath), defaultsOf(changed.templatePath))).toEqual(
      ['ImageAccount', 'ImageRegion', 'ImageRepositoryName', 'ImageTag', 'LogLevel', 'MaxCapacity', 'MinCapacity', 'QuiltStackArn', 'SecretName', 'WebhookVerification'].map((s) => `Dev${s}`).sort(),
    );
    expect(withoutDefaults(changed.templatePath)).toBe(withoutDefaults(base.templatePath));
  });

  it.each([
    ['dev', 'Dev', { cpu: 1024, memory: 3072 }],
    ['prod', 'Prod', { cpu: 2048, memory: 4096 }],
  ] as const)("%s's task size changes only %sCpu and %sMemory's defaults, so resizing one never rolls the other", (env, T, size) => {
    const base = synthesizeStack(stackProfiles(), join(tempDir(), 'base'));
    const changed = synthesizeStack(stackProfiles({ [env]: size }), join(tempDir(), 'changed'));
    expect(changedDefaults(defaultsOf(base.templatePath), defaultsOf(changed.templatePath))).toEqual([`${T}Cpu`, `${T}Memory`]);
    expect(defaultsOf(changed.templatePath)).toMatchObject({ [`${T}Cpu`]: size.cpu, [`${T}Memory`]: size.memory });
    expect(withoutDefaults(changed.templatePath)).toBe(withoutDefaults(base.templatePath));
  });
});

describe('the output folder', () => {
  it('replaces an earlier assembly wholesale', () => {
    const out = join(tempDir(), 'out');
    synthesizeStack(stackProfiles(), out);
    writeFileSync(join(out, 'Stale.template.json'), '{}');
    const again = synthesizeStack(stackProfiles({ dev: false }), out);
    expect(existsSync(join(out, 'Stale.template.json'))).toBe(false);
    expect(again.environments).toEqual(['prod']);
    expect(Object.keys(again.template.Resources).some((id) => id.startsWith('Dev'))).toBe(false);
  });

  it('refuses a folder that holds anything but a cloud assembly, and leaves it alone', () => {
    const out = tempDir();
    writeFileSync(join(out, 'notes.txt'), 'mine');
    const before = snapshotDir(out);
    expect(() => synthesizeStack(stackProfiles(), out)).toThrow(UserError);
    expect(() => synthesizeStack(stackProfiles(), out)).toThrow(/--out: .* is not empty and holds no cloud assembly/);
    expect(snapshotDir(out)).toEqual(before);
    const file = join(out, 'notes.txt');
    expect(() => synthesizeStack(stackProfiles(), file)).toThrow(/--out: .*notes\.txt is a file, not a folder/);
  });

  it('refuses a folder with a manifest.json that is not an earlier assembly, or an assembly beside files a synth does not write, and leaves it alone', () => {
    // A project of the user's that happens to have a manifest.json (a web app's, say).
    const project = tempDir();
    writeFileSync(join(project, 'manifest.json'), '{"name":"my-app","icons":[]}');
    writeFileSync(join(project, 'app.js'), 'code');
    const before = snapshotDir(project);
    expect(() => synthesizeStack(stackProfiles(), project)).toThrow(/--out: .* is not empty and holds no cloud assembly/);
    expect(snapshotDir(project)).toEqual(before);
    // A real assembly, and the user's files put beside it.
    const out = join(tempDir(), 'out');
    synthesizeStack(stackProfiles(), out);
    writeFileSync(join(out, 'notes.txt'), 'mine');
    writeFileSync(join(out, 'README.md'), 'mine too');
    const withFiles = snapshotDir(out);
    expect(() => synthesizeStack(stackProfiles(), out)).toThrow('holds a cloud assembly and 2 files a synth does not write (README.md, notes.txt); replacing the folder would delete them');
    expect(snapshotDir(out)).toEqual(withFiles);
  });

  it("replaces an assembly beside a file manager's .DS_Store and the lock a killed cdk left; refuses one a running cdk is reading", () => {
    const out = join(tempDir(), 'out');
    synthesizeStack(stackProfiles(), out);
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    writeFileSync(join(out, '.DS_Store'), '');
    writeFileSync(join(out, `read.${dead}.1.lock`), '');
    synthesizeStack(stackProfiles(), out);
    expect(existsSync(join(out, `read.${dead}.1.lock`))).toBe(false);
    writeFileSync(join(out, `read.${process.pid}.1.lock`), '');
    const before = snapshotDir(out);
    expect(() => synthesizeStack(stackProfiles(), out)).toThrow(`is being read by cdk (process ${process.pid})`);
    expect(snapshotDir(out)).toEqual(before);
  });

  it("removes the staging folders a synth of the same folder left when it was killed (its process gone), never a running one's or another's", () => {
    const parent = tempDir();
    const out = join(parent, 'out');
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const left = join(parent, `.out.synth-${dead}-deadbeef`);
    const running = join(parent, `.out.synth-${process.pid}-cafebabe`);
    const other = join(parent, `.other.synth-${dead}-deadbeef`);
    const mine = join(parent, '.out.synth-notes');
    const fresh = join(parent, `.out.synth-${dead}-0123abcd`);
    const hourAgo = new Date(Date.now() - 3_600_000);
    for (const dir of [left, running, other, mine, fresh]) {
      mkdirSync(dir);
      writeFileSync(join(dir, 'manifest.json'), '{}');
      // All but `fresh` untouched for an hour: a dead pid's folder changed minutes ago may be another host's synth at work.
      if (dir !== fresh) utimesSync(dir, hourAgo, hourAgo);
    }
    synthesizeStack(stackProfiles(), out);
    expect(existsSync(left)).toBe(false);
    for (const dir of [running, other, mine, fresh]) expect(existsSync(dir), dir).toBe(true);
  });

  it('leaves an earlier assembly as it was when synthesis fails, with no staging folder left behind', () => {
    const parent = tempDir();
    const out = join(parent, 'out');
    synthesizeStack(stackProfiles(), out);
    const before = snapshotDir(out);
    const bad = stackProfiles();
    const broken = { ...bad, prod: { ...bad.prod, minCapacity: 9, maxCapacity: 3 } };
    expect(() => synthesizeStack(broken, out)).toThrow(UserErrors);
    expect(() => synthesizeStack(broken, out)).toThrow(/Prod: minCapacity: expected at most maxCapacity \(3\), got 9/);
    expect(snapshotDir(out)).toEqual(before);
    expect(readdirSync(parent)).toEqual(['out']);
  });
});

describe('assemblyHasAssets', () => {
  function assemblyWithAsset(synthesizer: 'legacy' | 'default'): string {
    const dir = tempDir();
    const file = join(dir, 'payload.txt');
    writeFileSync(file, 'x');
    const out = join(dir, 'assembly');
    mkdirSync(out);
    const app = new App({ outdir: out, builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'WithAsset', { synthesizer: synthesizer === 'legacy' ? new LegacyStackSynthesizer() : new DefaultStackSynthesizer() });
    new Asset(stack, 'Payload', { path: file });
    app.synth();
    return out;
  }

  it('sees an asset recorded by the legacy synthesizer (as the webhook stack would record one)', () => {
    const out = assemblyWithAsset('legacy');
    expect(assemblyHasAssets(out)).toBe(true);
    expect(assemblyAssets(out)).toEqual(['WithAsset:metadata']);
  });

  it('sees assets in an asset manifest (modern synthesizers)', () => {
    const out = assemblyWithAsset('default');
    expect(assemblyHasAssets(out)).toBe(true);
    expect(assemblyAssets(out).length).toBeGreaterThanOrEqual(1);
  });

  it('says what is wrong when the folder is not an assembly', () => {
    expect(() => assemblyHasAssets(tempDir())).toThrow(/manifest\.json: cannot be read \(ENOENT\); is this a cloud assembly/);
  });
});
