import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BIN, copyOfBuild, runCliAsync } from '../helpers/cli.js';
import { devProfile, prodProfile, tempDir, writeJson } from '../helpers/fixtures.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/synth/dev-and-prod', import.meta.url));

/** The size the README gives after `words` (`… about 44 KiB`), in KiB. */
function readmeKib(words: string): number {
  const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8').replace(/\s+/g, ' ');
  const m = new RegExp(`${words} (\\d+) KiB`).exec(readme);
  if (!m) throw new Error(`README.md: no "${words} N KiB"`);
  return Number(m[1]);
}
const TRACE_IMPORTS = fileURLToPath(new URL('../fixtures/synth/trace-imports.mjs', import.meta.url));
const TRACE_LOADED = fileURLToPath(new URL('../fixtures/trace-loaded-files.mjs', import.meta.url));

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * A local endpoint every AWS route of the SDK would reach (API endpoint,
 * proxy, instance and container credentials): it answers 500 and counts
 * connections, so "no AWS access" is measured, not assumed.
 */
let trap: Server;
let connections = 0;
let trapUrl = '';

beforeAll(async () => {
  trap = createServer((_req, res) => {
    res.writeHead(500).end();
  });
  trap.on('connection', () => connections++);
  await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
  trapUrl = `http://127.0.0.1:${(trap.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => trap.close(() => resolve()));
});

/** The built binary, with no credentials anywhere and every AWS route pointed at the trap. */
function run(args: string[], options: { cwd?: string; nodeArgs?: string[] } = {}): Promise<Run> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, CI: 'true', NO_COLOR: '1', HOME: tempDir('bd-home-') };
  Object.assign(env, {
    AWS_ENDPOINT_URL: trapUrl,
    HTTPS_PROXY: trapUrl,
    HTTP_PROXY: trapUrl,
    AWS_EC2_METADATA_SERVICE_ENDPOINT: trapUrl,
    AWS_CONTAINER_CREDENTIALS_FULL_URI: `${trapUrl}/credentials`,
    AWS_CONFIG_FILE: join(env.HOME!, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(env.HOME!, 'no-aws-credentials'),
    AWS_REGION: 'us-east-1',
  });
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), BIN, ...args], { env, cwd: options.cwd ?? tempDir(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('benchling-deploy synth', () => {
  it('writes the template offline, with no credentials, touching no AWS endpoint, and prints its path', async () => {
    const before = connections;
    const out = join(tempDir(), 'assembly');
    const r = await run(['--config-dir', FIXTURE, 'synth', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${join(out, 'BenchlingWebhookStack.template.json')}\n`);
    const template = JSON.parse(readFileSync(r.stdout.trim(), 'utf8'));
    expect(Object.keys(template.Outputs)).toEqual(expect.arrayContaining(['ApiId', 'ClusterName', 'DevEndpoint', 'ProdEndpoint']));
    expect(template.Parameters.ProdImageTag.Default).toBe('0.7.0');
    expect(template.Parameters.DevLogLevel.Default).toBe('DEBUG');
    expect(connections - before).toBe(0);
  });

  it('writes to ./cdk.out/benchling-deploy by default', async () => {
    const cwd = tempDir();
    const r = await run(['--config-dir', FIXTURE, 'synth'], { cwd });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(join(cwd, 'cdk.out', 'benchling-deploy', 'BenchlingWebhookStack.template.json'));
    expect(existsSync(join(cwd, 'cdk.out', 'benchling-deploy', 'manifest.json'))).toBe(true);
  });

  it('an empty --out (an unset variable in a script) is refused, exit 2: it would name the working folder, left as it is', async () => {
    const cwd = tempDir();
    // The working folder even holds an earlier assembly: still refused, as its name was not given.
    const earlier = await run(['--config-dir', FIXTURE, 'synth', '--out', cwd]);
    expect(earlier.status, earlier.stderr).toBe(0);
    const before = readdirSync(cwd).sort();
    for (const out of ['', '  ']) {
      const r = await run(['--config-dir', FIXTURE, 'synth', '--out', out], { cwd });
      expect(r.status, JSON.stringify(out)).toBe(2);
      expect(r.stderr).toContain('--out: empty; it would name the working folder');
      expect(readdirSync(cwd).sort()).toEqual(before);
    }
  });

  it('a relative --out, the default one, a relative --config-dir or XDG_CONFIG_HOME in a working folder deleted under the shell: exit 2 naming the flag or variable; an absolute --out still synthesizes', async () => {
    const home = tempDir('bd-home-');
    const env = { PATH: process.env.PATH, CI: 'true', NO_COLOR: '1', HOME: home, AWS_REGION: 'us-east-1' };
    // The shell enters the folder and removes it; node starts there, as after `rm -rf` of the folder a terminal sits in.
    const inDeletedFolder = (args: string[], extra: Record<string, string> = {}) => {
      const gone = join(tempDir(), 'gone');
      mkdirSync(gone);
      const r = spawnSync('sh', ['-c', 'cd "$1" && rmdir "$1" && shift && exec "$@"', 'sh', gone, process.execPath, BIN, ...args], { env: { ...env, ...extra }, encoding: 'utf8' });
      return { ...r, gone };
    };
    const out = join(tempDir(), 'assembly');
    const refusals: [string[], string][] = [
      [['--config-dir', FIXTURE, 'synth'], `--out (left out: cdk.out/benchling-deploy): "cdk.out/benchling-deploy" is relative, and the working folder no longer exists`],
      [['--config-dir', FIXTURE, 'synth', '--out', 'here'], '--out: "here" is relative, and the working folder no longer exists'],
      [['--config-dir', 'config', 'synth', '--out', out], '--config-dir: "config" is relative, and the working folder no longer exists'],
    ];
    // The config folder from a relative XDG_CONFIG_HOME, the same.
    const fromVariable = inDeletedFolder(['synth', '--out', out], { XDG_CONFIG_HOME: 'config' });
    expect(fromVariable.status, fromVariable.stderr).toBe(2);
    expect(fromVariable.stderr).toContain('XDG_CONFIG_HOME: "config" is relative, and the working folder no longer exists');
    for (const [args, message] of refusals) {
      const r = inDeletedFolder(args);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toContain(message);
      expect(r.stderr).toContain('hint: cd to a folder that exists, or give an absolute path');
      expect(r.stderr).not.toContain('internal error');
      expect(existsSync(out)).toBe(false);
    }
    const r = inDeletedFolder(['--config-dir', FIXTURE, 'synth', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(join(out, 'BenchlingWebhookStack.template.json'));
    expect(existsSync(r.gone)).toBe(false);
  });

  it('prints the result as JSON with --json', async () => {
    const out = join(tempDir(), 'assembly');
    const r = await run(['--config-dir', FIXTURE, 'synth', '--out', out, '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      templatePath: join(out, 'BenchlingWebhookStack.template.json'),
      assemblyDir: out,
      stackName: 'BenchlingWebhookStack',
      environments: ['prod', 'dev'],
      // dev and prod together are over the 50 KiB cdk sends inline.
      bootstrapRequired: true,
      templateBodySize: expect.any(Number),
    });
    expect(JSON.parse(r.stdout).templateBodySize).toBeGreaterThan(51_200);
    expect(r.stderr).toMatch(/^warning: the template is \d+ KiB, over the 50 KiB cdk sends inline; deploying it needs `cdk bootstrap` in the target account and region/);
    // The README's figure for dev and prod together is this one, to the nearest 2 KiB.
    expect(Math.abs(readmeKib('Dev and prod together are about') - JSON.parse(r.stdout).templateBodySize / 1024)).toBeLessThanOrEqual(2);
  });

  it('prod alone needs bootstrap once the template cdk would send inline passes 50 KiB (a long allow-list), and says so', async () => {
    // The allow-list sits in the API's resource policy: each CIDR adds to the template. prod alone is under the line.
    const sized = async (cidrs: number) => {
      const dir = tempDir();
      const list = Array.from({ length: cidrs }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`).join(',');
      writeJson(dir, 'default.json', prodProfile(cidrs > 0 ? { webhookAllowList: list } : {}));
      const r = await run(['--config-dir', dir, 'synth', '--out', join(dir, 'out'), '--json']);
      expect(r.status, r.stderr).toBe(0);
      return { ...(JSON.parse(r.stdout) as { bootstrapRequired: boolean; templateBodySize: number }), stderr: r.stderr };
    };
    // The README's figure for prod alone (no allow-list) is this one, to the nearest 2 KiB.
    expect(Math.abs(readmeKib('prod alone is about') - (await sized(0)).templateBodySize / 1024)).toBeLessThanOrEqual(2);
    const under = await sized(50);
    expect(under).toMatchObject({ bootstrapRequired: false, stderr: '' });
    expect(under.templateBodySize).toBeLessThanOrEqual(51_200);
    const over = await sized(700);
    expect(over.bootstrapRequired).toBe(true);
    expect(over.templateBodySize).toBeGreaterThan(51_200);
    expect(over.stderr).toMatch(/over the 50 KiB cdk sends inline; deploying it needs `cdk bootstrap`/);
  });

  it('synthesizes prod alone when there is no dev profile', async () => {
    const dir = tempDir();
    writeJson(dir, 'default.json', prodProfile());
    const r = await run(['--config-dir', dir, 'synth', '--out', join(tempDir(), 'a'), '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).environments).toEqual(['prod']);
  });

  it('refuses a bad profile with status 2, naming the file and the field, and writes nothing', async () => {
    const dir = tempDir();
    writeJson(dir, 'default.json', prodProfile({ imageTag: 'not a tag', minCapacity: -1 }));
    const parent = tempDir();
    const r = await run(['--config-dir', dir, 'synth', '--out', join(parent, 'out')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`${join(dir, 'default.json').replace(/[.\\/]/g, '\\$&')}: imageTag: `));
    expect(r.stderr).toMatch(/default\.json: minCapacity: /);
    expect(r.stdout).toBe('');
    expect(readdirSync(parent)).toEqual([]);
  });

  it('refuses a dev profile without a prod profile: prod is required', async () => {
    const dir = tempDir();
    writeJson(dir, 'dev.json', devProfile());
    const r = await run(['--config-dir', dir, 'synth', '--out', join(tempDir(), 'out')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no prod profile: default\.json is missing; prod is required/);
  });

  it('refuses a dev profile that places the stack elsewhere than prod', async () => {
    const dir = tempDir();
    writeJson(dir, 'default.json', prodProfile());
    writeJson(dir, 'dev.json', devProfile({ region: 'eu-west-1' }));
    const r = await run(['--config-dir', dir, 'synth', '--out', join(tempDir(), 'out')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/\/dev\.json: region: "eu-west-1" differs from the prod profile "default"/);
  });

  it('refuses an empty config folder with status 2', async () => {
    const r = await run(['--config-dir', tempDir(), 'synth']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no profiles in .*\nhint: create the prod profile with `benchling-deploy setup-profile default`/);
  });

  it.each([
    ['missing', null, /ENOENT[^)]*/],
    ['cut short', 'exports.runFrontCommand = async function (', /Unexpected [^)]*/],
  ])('with dist/synth.cjs %s, the front says the installation is broken: exit 1, one line, nothing written', async (_what, content, why) => {
    const { bin, dist } = copyOfBuild();
    if (content === null) rmSync(join(dist, 'synth.cjs'));
    else writeFileSync(join(dist, 'synth.cjs'), content);
    const dir = tempDir('bd-synth-broken-');
    writeJson(dir, 'default.json', prodProfile());
    const r = await runCliAsync(['--config-dir', dir, 'synth', '--out', join(dir, 'out')], { bin });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^benchling-deploy: dist/synth\\.cjs could not be loaded \\(${why.source}\\); reinstall benchling-deploy, or in a clone run \`npm run build\` \\(npm ci builds it\\)\\.\n$`));
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('loads aws-cdk-lib only for synth, not for other commands', async () => {
    const trace = ['--import', TRACE_IMPORTS];
    const profiles = await run(['--config-dir', FIXTURE, 'profiles'], { nodeArgs: trace });
    expect(profiles.status, profiles.stderr).toBe(0);
    expect(profiles.stderr).not.toContain('TRACE-IMPORT');
    const synth = await run(['--config-dir', FIXTURE, 'synth', '--out', join(tempDir(), 'out')], { nodeArgs: trace });
    expect(synth.status, synth.stderr).toBe(0);
    expect(synth.stderr).toContain('TRACE-IMPORT aws-cdk-lib');
  });

  it("--help loads no chunk of the bundle that holds the YAML parser (only synth and the deploy pre-flight need it)", async () => {
    const help = await run(['--help'], { nodeArgs: ['--import', TRACE_LOADED] });
    expect(help.status, help.stderr).toBe(0);
    const loaded = [...help.stderr.matchAll(/^LOADED (\S+)$/gm)].map((m) => fileURLToPath(m[1]));
    expect(loaded.length).toBeGreaterThan(1);
    const heavy = loaded.filter((file) => /node_modules\/yaml\//.test(readFileSync(file, 'utf8')));
    expect(heavy).toEqual([]);
  });
});
