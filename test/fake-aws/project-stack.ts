/**
 * The project's own stack for the fake's tests: synthesized by the built
 * `benchling-deploy synth` (as an operator would), from the fixture profiles
 * of test/helpers/fixtures.ts. dist/ must be built (`npm run build`).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN } from '../helpers/cli.js';
import { QUILT_OUTPUTS } from '../helpers/deployed.js';
import { devProfile, prodProfile, QUILT_ARN, QUILT_ARN_DEV, tempDir, writeJson } from '../helpers/fixtures.js';

/**
 * A Quilt stack's outputs as the profile fields an operator would write when
 * the stack cannot be read: the template then has them as the `<Env>Quilt…`
 * parameters' defaults, so a bare `cdk deploy` of it needs no `--parameters`.
 */
export function quiltProfileFields(arn: string): Record<string, string> {
  const outputs = QUILT_OUTPUTS[arn] ?? {};
  const fields: Record<string, string | undefined> = {
    quiltWebHost: outputs.QuiltWebHost,
    packagerQueueUrl: outputs.PackagerQueueUrl,
    athenaUserDatabase: outputs.UserAthenaDatabaseName,
    athenaUserWorkgroup: outputs.UserAthenaWorkgroupName,
  };
  return Object.fromEntries(Object.entries(fields).filter((e): e is [string, string] => e[1] !== undefined));
}

export interface ProjectStack {
  /** The cloud assembly: what `cdk deploy --app` takes. */
  readonly assemblyDir: string;
  readonly template: Record<string, any>;
}

/**
 * Synthesizes the stack for a prod profile and, unless `dev: false`, a dev
 * profile (fixture profiles, overrides applied). With `quiltValues` (the
 * default) the profiles hold their Quilt stack's values, so the template needs
 * no parameter on a bare `cdk deploy`; a test whose CLI deploys from the
 * fixture profiles as they are passes `quiltValues: false`, so the seeded
 * template is the one the CLI synthesizes.
 */
export async function synthProjectStack(options: { prod?: Record<string, unknown>; dev?: Record<string, unknown> | false; quiltValues?: boolean } = {}): Promise<ProjectStack> {
  const quilt = (arn: string) => (options.quiltValues === false ? {} : quiltProfileFields(arn));
  const configDir = tempDir('bd-fake-cfn-config-');
  writeJson(configDir, 'default.json', prodProfile({ ...quilt(QUILT_ARN), ...options.prod }));
  if (options.dev !== false) writeJson(configDir, 'dev.json', devProfile({ ...quilt(QUILT_ARN_DEV), ...options.dev }));
  const assemblyDir = join(tempDir('bd-fake-cfn-'), 'assembly');
  const env = { PATH: process.env.PATH, HOME: tempDir('bd-home-'), CI: 'true', NO_COLOR: '1', AWS_EC2_METADATA_DISABLED: 'true' };
  const { status, stdout, stderr } = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [BIN, '--config-dir', configDir, 'synth', '--out', assemblyDir], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => resolve({ status: code, stdout: out, stderr: err }));
  });
  if (status !== 0) throw new Error(`benchling-deploy synth failed (${status}):\n${stderr}`);
  return { assemblyDir, template: JSON.parse(readFileSync(stdout.trim(), 'utf8')) as Record<string, any> };
}
