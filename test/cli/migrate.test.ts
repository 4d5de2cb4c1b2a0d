import { beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, ROOT, runCli, runCliAsync, type CliResult } from '../helpers/cli.js';
import { devProfile, prodProfile, snapshotDir, tempDir, writeJson } from '../helpers/fixtures.js';
import { V06_SECRET, v06DefaultJson, v06DeployJson, v06Section } from '../helpers/v06.js';

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist', 'cli.js'))) throw new Error('dist/cli.js is missing: run `npm run build` first (npm test does)');
});

function v06Folder(options: { dev?: boolean; profile?: Record<string, unknown> } = {}): string {
  const dir = tempDir('bd-cli-migrate-');
  writeJson(dir, 'default.json', options.profile ?? v06DefaultJson(), 0o644);
  writeJson(dir, 'deploy.json', v06DeployJson({ dev: options.dev }), 0o644);
  return dir;
}

function cli(dir: string, ...args: string[]): CliResult {
  const r = runCli(['--config-dir', dir, ...args]);
  // Whatever the command and its outcome, the client secret never reaches the screen.
  expect(r.stdout).not.toContain(V06_SECRET);
  expect(r.stderr).not.toContain(V06_SECRET);
  return r;
}

const mode = (path: string) => statSync(path).mode & 0o777;
const errorLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('error: '));

describe('migrate --yes', () => {
  for (const dev of [false, true]) {
    it(`converts default.json and deploy.json ${dev ? 'with' : 'without'} a dev section, keeps the originals, never prints the secret`, () => {
      const dir = v06Folder({ dev, profile: v06DefaultJson({ enableWebhookVerification: 'false' }) });
      const original = snapshotDir(dir);
      const r = cli(dir, 'migrate', '--yes');
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/benchlingClientSecret\s+-> benchlingClientSecret\s+\(set, not shown\)/);
      expect(r.stdout).toMatch(/enableWebhookVerification\s+-> webhookVerification\s+false \(was "false"\)/);
      expect(r.stdout).toMatch(/benchlingPkgBucket\s+-> pkgBucket\s+"acme-benchling-packages"/);
      expect(r.stdout).toMatch(/quiltUserBucket\s+differs from benchlingPkgBucket/);
      expect(r.stdout).toMatch(/prod\.webhookEndpoint\s+-> prod\.endpoint/);
      if (dev) expect(r.stdout).toMatch(/dev\.webhookEndpoint\s+-> dev\.endpoint/);
      expect(r.stdout).toContain(`wrote ${join(dir, 'default.json')}`);
      expect(r.stdout).toContain(`kept the originals: ${join(dir, 'default.v0.6.json')}, ${join(dir, 'deploy.v0.6.json')}`);

      expect(readFileSync(join(dir, 'default.v0.6.json'), 'utf8')).toBe(original['default.json'].content);
      expect(readFileSync(join(dir, 'deploy.v0.6.json'), 'utf8')).toBe(original['deploy.json'].content);
      expect(mode(join(dir, 'default.json'))).toBe(0o600);
      const profile = JSON.parse(readFileSync(join(dir, 'default.json'), 'utf8'));
      expect(profile).toMatchObject({ profile: 'default', environment: 'prod', webhookVerification: false, benchlingClientSecret: V06_SECRET });
      const records = JSON.parse(readFileSync(join(dir, 'deploy.json'), 'utf8'));
      expect(Object.keys(records).sort()).toEqual(dev ? ['dev', 'prod'] : ['prod']);
      expect(records.prod).toMatchObject({ endpoint: 'https://abc123.execute-api.us-east-1.amazonaws.com/prod', stage: 'prod', history: [] });

      const validate = cli(dir, 'validate');
      expect(validate.status, validate.stderr).toBe(0);
      expect(validate.stderr).toBe('');
      expect(JSON.parse(cli(dir, 'profiles', '--json').stdout).profiles).toEqual([expect.objectContaining({ name: 'default', status: 'valid', environment: 'prod' })]);
    });
  }

  it('a second run says there is nothing to do and changes nothing', () => {
    const dir = v06Folder({ dev: true });
    expect(cli(dir, 'migrate', '--yes').status).toBe(0);
    const after = snapshotDir(dir);
    for (const args of [['migrate', '--yes'], ['migrate']]) {
      const r = cli(dir, ...args);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^nothing to migrate in .*: default\.json is already in the current layout; deploy\.json is already in the current layout$/m);
      expect(r.stdout).toContain(`the original of the older tool is kept in ${join(dir, 'default.v0.6.json')}`);
      expect(snapshotDir(dir)).toEqual(after);
    }
  });

  it('accepts the global -y before the command', () => {
    const dir = v06Folder();
    expect(runCli(['-y', '--config-dir', dir, 'migrate']).status).toBe(0);
    expect(existsSync(join(dir, 'default.v0.6.json'))).toBe(true);
  });
});

describe('migrate refuses', () => {
  it('without a terminal and without --yes: prints the plan, writes nothing, exit 2', () => {
    const dir = v06Folder({ dev: true });
    const before = snapshotDir(dir);
    for (const env of [{ CI: 'true' }, { CI: undefined }]) {
      const r = runCli(['--config-dir', dir, 'migrate'], { env });
      expect(r.status).toBe(2);
      expect(r.stdout).toMatch(/benchlingClientSecret\s+-> benchlingClientSecret\s+\(set, not shown\)/);
      expect(r.stderr).toContain(`error: migrate: nothing was written: there is no terminal to confirm on\nhint: run \`benchling-deploy --config-dir ${dir} migrate --yes\``);
      expect(r.stdout + r.stderr).not.toContain(V06_SECRET);
      expect(snapshotDir(dir)).toEqual(before);
    }
  });

  it('a v0.6 key holding escape sequences and line breaks is listed escaped, on one line; its value is never shown', () => {
    const hostile = 'evil\u001b]0;pwned\u0007\u001b[2J\r\nFAKE: migrated\u009b31m';
    const dir = v06Folder({ profile: { ...v06DefaultJson(), [hostile]: 'value-never-shown\u001b[2J' } });
    const r = runCli(['--config-dir', dir, 'migrate'], { env: { CI: 'true' } });
    expect(r.status).toBe(2);
    const out = r.stdout + r.stderr;
    expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(out).toContain('evil\\x1b]0;pwned\\x07\\x1b[2J ⏎ FAKE: migrated\\x9b31m');
    expect(out).not.toMatch(/^FAKE: migrated/m);
    expect(out).not.toContain('value-never-shown');
  });

  it('a v0.6 file whose image is "latest": names the field, asks for --image-tag, writes nothing; --image-tag then works', () => {
    const dir = v06Folder({ profile: v06DefaultJson({ imageTag: 'latest' }) });
    const before = snapshotDir(dir);
    const r = cli(dir, 'migrate', '--yes');
    expect(r.status).toBe(2);
    expect(errorLines(r.stderr)).toEqual([expect.stringMatching(/^error: .*default\.json: imageTag: "latest" cannot run in prod; .*`benchling-deploy migrate --image-tag T`/)]);
    expect(snapshotDir(dir)).toEqual(before);

    const ok = cli(dir, 'migrate', '--yes', '--image-tag', '0.7.1');
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/imageTag\s+-> imageTag\s+"0\.7\.1" \(from --image-tag; the v0\.6 file has "latest"\)/);
    expect(JSON.parse(readFileSync(join(dir, 'default.json'), 'utf8')).imageTag).toBe('0.7.1');
  });

  it('a v0.6 file whose image this stack cannot serve (0.6.3): names the field, asks for --image-tag, writes nothing; --image-tag then works and validate passes', () => {
    const dir = v06Folder({ profile: v06DefaultJson({ imageTag: '0.6.3' }) });
    const before = snapshotDir(dir);
    const r = cli(dir, 'migrate', '--yes');
    expect(r.status).toBe(2);
    expect(errorLines(r.stderr)).toEqual([expect.stringMatching(/^error: .*default\.json: imageTag: image 0\.6\.3 cannot be served by this stack: images before 0\.7\.0 are not supported.*`benchling-deploy migrate --image-tag T`/)]);
    expect(snapshotDir(dir)).toEqual(before);
    const old = cli(dir, 'migrate', '--yes', '--image-tag', '0.6.2');
    expect(old.status).toBe(2);
    expect(errorLines(old.stderr)).toEqual([expect.stringMatching(/^error: --image-tag: image 0\.6\.2 cannot be served: images before 0\.7\.0/)]);
    expect(snapshotDir(dir)).toEqual(before);

    const ok = cli(dir, 'migrate', '--yes', '--image-tag', '0.7.1');
    expect(ok.status, ok.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'default.json'), 'utf8')).imageTag).toBe('0.7.1');
    const validated = cli(dir, 'validate');
    expect(validated.status, validated.stderr).toBe(0);
  });

  it('the hints are commands that work as printed: the refusal\'s carries --image-tag and the config folder, and so does the closing one', () => {
    const dir = v06Folder({ profile: v06DefaultJson({ imageTag: 'latest' }) });
    // `benchling-deploy` on PATH is the built entry, so a hint runs as a user would paste it.
    const path = tempDir('bd-cli-migrate-path-');
    symlinkSync(BIN, join(path, 'benchling-deploy'));
    const paste = (hint: string) => spawnSync('sh', ['-c', hint], { env: { ...process.env, PATH: `${path}:${process.env.PATH}`, CI: 'true', NO_COLOR: '1' }, encoding: 'utf8', input: '' });
    const refused = runCli(['--config-dir', dir, 'migrate', '--image-tag', '0.7.1'], { env: { CI: 'true' } });
    expect(refused.status).toBe(2);
    const again = /hint: run `([^`]+)`/.exec(refused.stderr)?.[1];
    expect(again).toBe(`benchling-deploy --config-dir ${dir} migrate --image-tag 0.7.1 --yes`);
    const applied = paste(again!);
    expect(applied.status, applied.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'default.json'), 'utf8')).imageTag).toBe('0.7.1');
    const next = /^next: `([^`]+)`/m.exec(applied.stdout)?.[1];
    expect(next).toBe(`benchling-deploy --config-dir ${dir} validate`);
    const validated = paste(next!);
    expect(validated.status, validated.stdout + validated.stderr).toBe(0);
  });

  it('a kept original that differs: never replaced, nothing written', () => {
    const dir = v06Folder();
    writeJson(dir, 'deploy.v0.6.json', { prod: v06Section('https://x.example/prod', '0.5.0', '2024-01-01T00:00:00.000Z') }, 0o644);
    const before = snapshotDir(dir);
    const r = cli(dir, 'migrate', '--yes');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/deploy\.v0\.6\.json: already exists and differs/);
    expect(snapshotDir(dir)).toEqual(before);
  });
});

describe('a v0.6 default.json: one message on every path that loads profiles, exit 2', () => {
  const dir = v06Folder();
  writeJson(dir, 'dev.json', devProfile(), 0o600);
  const message = `${join(dir, 'default.json')}: this is a profile of the older single-environment tool (v0.6); run \`benchling-deploy migrate\` to convert it (the original is kept)`;

  const paths: [string, string[]][] = [
    ['validate', ['validate']],
    ['validate --profile default', ['validate', '--profile', 'default']],
    ['setup-profile --from default', ['setup-profile', 'staging', '--from', 'default']],
    ['setup-profile default with flags (editing the v0.6 file)', ['setup-profile', 'default', '--tenant', 'acme']],
    ['synth (pairing: the prod profile)', ['synth', '--out', join(tempDir(), 'out')]],
    ['deploy --environment dev (pairing: dev needs the prod profile)', ['deploy', '--environment', 'dev', '--yes']],
    ['deploy --environment prod', ['deploy', '--environment', 'prod', '--yes']],
  ];
  for (const [name, args] of paths) {
    it(name, () => {
      const before = snapshotDir(dir);
      const r = cli(dir, ...args);
      expect(r.status).toBe(2);
      expect(errorLines(r.stderr)).toEqual([`error: ${message}`]);
      expect(r.stderr).not.toMatch(/unknown field/);
      expect(r.stderr).toMatch(/migrate/);
      expect(snapshotDir(dir)).toEqual(before);
    });
  }

  it('profiles: the table says v0.6 and the one message goes to stderr; --json holds it as the only problem', () => {
    const r = cli(dir, 'profiles');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^default\s.*\sv0\.6$/m);
    // The older tool wrote default.json readable by all; that is told too, apart.
    expect(r.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/default\.json: benchlingClientSecret: the file holding it is readable by group or others \(mode 644\)/), `warning: ${message}`]);
    const json = JSON.parse(cli(dir, 'profiles', '--json').stdout);
    expect(json.profiles.find((p: { name: string }) => p.name === 'default')).toMatchObject({ status: 'v0.6', problems: [message] });
  });
});

describe('a v0.6 deploy.json is read as it is', () => {
  it('`test` calls the endpoint from webhookEndpoint and leaves the file byte for byte', async () => {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/prod`;
      const dir = tempDir();
      writeJson(dir, 'default.json', prodProfile());
      writeJson(dir, 'deploy.json', { prod: v06Section(endpoint, '0.6.3', '2025-06-01T10:00:00.000Z') }, 0o644);
      const before = snapshotDir(dir);
      const r = await runCliAsync(['--config-dir', dir, 'test', '--environment', 'prod']);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain(`${endpoint}/health -> 200`);
      expect(seen).toEqual(['/prod/health']);
      expect(snapshotDir(dir)).toEqual(before);
    } finally {
      server.close();
    }
  });
});

/** Runs the binary on a real pseudo-terminal (util-linux `script`), answering the question once it is asked. */
function onTerminal(dir: string, answer: string): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, NO_COLOR: '1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } as NodeJS.ProcessEnv;
    delete env.CI;
    const command = `'${process.execPath}' '${BIN}' --config-dir '${dir}' migrate`;
    const child = spawn('script', ['-qec', command, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let asked = false;
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`no answer in time; output so far:\n${output}`));
    }, 20_000);
    child.stdout.on('data', (d) => {
      output += d;
      if (!asked && output.includes('[y/N]')) {
        asked = true;
        child.stdin.write(answer);
      }
    });
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, output });
    });
  });
}

describe('migrate on a terminal asks y/N', () => {
  it('"y" writes the files', async () => {
    const dir = v06Folder();
    const r = await onTerminal(dir, 'y\r');
    expect(r.status, r.output).toBe(0);
    expect(r.output).toContain('Write these files? [y/N]');
    expect(r.output).not.toContain(V06_SECRET);
    expect(existsSync(join(dir, 'default.v0.6.json'))).toBe(true);
    expect(mode(join(dir, 'default.json'))).toBe(0o600);
  });

  it('"n" (or just enter) writes nothing, exit 1', async () => {
    for (const answer of ['n\r', '\r']) {
      const dir = v06Folder();
      const before = snapshotDir(dir);
      const r = await onTerminal(dir, answer);
      expect(r.status, r.output).toBe(1);
      expect(r.output).toContain('cancelled; nothing was written');
      expect(snapshotDir(dir)).toEqual(before);
    }
  });
});
