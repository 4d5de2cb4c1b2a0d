import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, runCliAsync, type CliResult } from '../helpers/cli.js';
import { useFakeAws } from '../helpers/fake-aws.js';
import { deployedScenario } from '../helpers/deployed.js';
import { CDK_BIN_OVERRIDE_ENV } from '../../src/infra/runner.js';
import { QUILT_ARN, SECRET, prodProfile, snapshotDir, tempDir, writeJson } from '../helpers/fixtures.js';

/** The config folder and deploy.json are untrusted input: bad input is words and exit 2, and nothing is lost. */

const required = ['--tenant', 'acme', '--app-definition-id', 'appdef_1', '--client-id', 'cid_1', '--quilt-stack-arn', QUILT_ARN, '--image-tag', '0.7.0'];
const noStack = (r: CliResult) => {
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
};

const RECORDS = {
  prod: {
    endpoint: 'https://abc123.execute-api.us-east-1.amazonaws.com/prod',
    imageTag: '0.7.10',
    deployedAt: '2026-11-01T00:00:00.000Z',
    stackName: 'BenchlingWebhookStack',
    stage: 'prod',
    history: [{ imageTag: '0.7.2', deployedAt: '2026-10-01T00:00:00.000Z' }],
  },
};

describe('setup-profile refuses names that are files of the layout', () => {
  it('`setup-profile deploy` is refused (exit 2) and deploy.json keeps its history byte for byte; `deploy-prod` is written', () => {
    const dir = tempDir();
    writeJson(dir, 'deploy.json', RECORDS);
    const before = snapshotDir(dir);
    for (const name of ['deploy', 'Deploy']) {
      const r = runCli(['--config-dir', dir, 'setup-profile', name, ...required, '--client-secret-stdin'], { input: `${SECRET}\n` });
      expect(r.status, name).toBe(2);
      expect(r.stderr).toContain(`setup-profile: "${name}" cannot be a profile name: its file would be deploy.json, the deploy records`);
      expect(r.stdout + r.stderr).not.toContain(SECRET);
      noStack(r);
    }
    expect(snapshotDir(dir)).toEqual(before);
    const ok = runCli(['--config-dir', dir, 'setup-profile', 'deploy-prod', ...required]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(existsSync(join(dir, 'deploy-prod.json'))).toBe(true);
    expect(snapshotDir(dir)['deploy.json']).toEqual(before['deploy.json']);
  });
});

describe('--config-dir naming a file', () => {
  const cases: [string, string[]][] = [
    ['profiles', ['profiles']],
    ['validate', ['validate']],
    ['setup-profile', ['setup-profile', 'default', ...required]],
    ['status', ['status']],
    ['migrate', ['migrate', '--yes']],
    ['rollback', ['rollback', '--yes']],
    ['test', ['test', '--environment', 'prod']],
  ];
  for (const [name, args] of cases) {
    it(`${name}: exit 2, naming the file that is in the way; the file is untouched`, () => {
      const file = join(tempDir(), 'config-file');
      writeFileSync(file, 'not a folder');
      const r = runCli(['--config-dir', file, ...args]);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toContain(`${file} is a file, not a folder (ENOTDIR)`);
      expect(r.stderr).toMatch(/hint: --config-dir \(or \$XDG_CONFIG_HOME\) must name a folder/);
      noStack(r);
    });
  }
});

/** Makes `dir` refuse new files, for real: chmod for a user, `chattr +i` for root (whom chmod does not stop). */
function lockDown(dir: string): () => void {
  chmodSync(dir, 0o555);
  const probe = join(dir, '.probe');
  try {
    writeFileSync(probe, '');
  } catch {
    return () => chmodSync(dir, 0o755);
  }
  spawnSync('rm', ['-f', probe]);
  chmodSync(dir, 0o755);
  const r = spawnSync('chattr', ['+i', dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cannot make ${dir} read-only here (chmod does not stop this user, chattr +i failed: ${r.stderr || r.error})`);
  return () => {
    spawnSync('chattr', ['-i', dir]);
  };
}

describe('what stands where a file of the config folder goes is read without waiting, and within a bound', () => {
  const fifoAt = (path: string) => spawnSync('mkfifo', [path]);
  const quick = { timeoutMs: 15_000 };

  it('a FIFO as a profile: validate and status end at once with exit 2, naming it (reading it would wait forever); profiles lists it as invalid', () => {
    for (const name of ['default.json', 'dev.json']) {
      const dir = tempDir();
      if (name === 'dev.json') writeJson(dir, 'default.json', prodProfile());
      fifoAt(join(dir, name));
      for (const command of ['validate', 'status']) {
        const r = runCli(['--config-dir', dir, command], quick);
        expect(r.status, `${name} ${command}: ${r.stderr}`).toBe(2);
        expect(r.stderr, `${name} ${command}`).toContain(`${join(dir, name)}: a FIFO (named pipe), not a file`);
        noStack(r);
      }
      const listed = runCli(['--config-dir', dir, 'profiles'], quick);
      expect(listed.status, listed.stderr).toBe(0);
      expect(listed.stdout).toMatch(new RegExp(`^${name.replace('.json', '')} .* invalid$`, 'm'));
    }
  });

  it('a profile that is a link to /dev/zero, or a file of 2 MiB: exit 2, naming it, without reading it whole', () => {
    const dir = tempDir();
    writeJson(dir, 'default.json', prodProfile());
    spawnSync('ln', ['-s', '/dev/zero', join(dir, 'dev.json')]);
    const zero = runCli(['--config-dir', dir, 'validate'], quick);
    expect(zero.status).toBe(2);
    expect(zero.stderr).toContain(`${join(dir, 'dev.json')}: more than 1 MiB, too big for this file`);
    const big = tempDir();
    writeFileSync(join(big, 'default.json'), `${JSON.stringify(prodProfile())}${' '.repeat(2 * 1024 * 1024)}`);
    for (const command of ['validate', 'migrate']) {
      const r = runCli(['--config-dir', big, command], quick);
      expect(r.status, command).toBe(2);
      expect(r.stderr, command).toContain(`${join(big, 'default.json')}: more than 1 MiB, too big for this file`);
      noStack(r);
    }
  });

  it('a FIFO as deploy.json: history and migrate end at once with exit 2, naming it, and leave the folder as it was', () => {
    const dir = tempDir();
    writeJson(dir, 'default.json', prodProfile());
    fifoAt(join(dir, 'deploy.json'));
    const before = readdirSync(dir).sort();
    for (const command of ['history', 'migrate']) {
      const r = runCli(['--config-dir', dir, command], quick);
      expect(r.status, command).toBe(2);
      expect(r.stderr, command).toContain(`${join(dir, 'deploy.json')}: a FIFO (named pipe), not a file`);
      expect(statSync(join(dir, 'deploy.json')).isFIFO(), command).toBe(true);
      expect(readdirSync(dir).sort(), command).toEqual(before);
      noStack(r);
    }
  });
});

describe('a read-only or immutable config folder', () => {
  it('setup-profile: exit 2 naming the temporary file and the folder, the old profile unchanged, no temporary file left', () => {
    const dir = tempDir();
    writeJson(dir, 'default.json', prodProfile());
    const before = snapshotDir(dir);
    const release = lockDown(dir);
    let r: CliResult;
    try {
      r = runCli(['--config-dir', dir, 'setup-profile', 'default', '--image-tag', '0.7.1']);
    } finally {
      release();
    }
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`cannot write ${join(dir, 'default.json')} \\(its temporary file ${dir}/\\.default\\.json\\.[^)]+\\.tmp\\): permission denied \\((EACCES|EPERM)\\); the config folder ${dir} is read-only`));
    expect(r.stderr).toMatch(/hint: make it writable/);
    noStack(r);
    expect(snapshotDir(dir)).toEqual(before);
  });

  it('migrate: exit 2, nothing written, the v0.6 files as they were', () => {
    const dir = tempDir();
    writeJson(dir, 'deploy.json', { prod: { webhookEndpoint: 'https://x.execute-api.us-east-1.amazonaws.com/prod', imageTag: '0.6.3', deploymentTimestamp: '2025-06-01T10:00:00.000Z' } }, 0o644);
    const before = snapshotDir(dir);
    const release = lockDown(dir);
    let r: CliResult;
    try {
      r = runCli(['--config-dir', dir, 'migrate', '--yes']);
    } finally {
      release();
    }
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/permission denied \((EACCES|EPERM)\)/);
    noStack(r);
    expect(snapshotDir(dir)).toEqual(before);
    expect(readdirSync(dir).sort()).toEqual(['deploy.json']);
  });
});

describe('numeric flags have bounds and say them', () => {
  for (const bad of ['1e9', '3000000', '601', '0', '0.05', '-1', 'abc', '', '10s', 'Infinity', 'NaN']) {
    it(`test --timeout ${JSON.stringify(bad)}: exit 2 naming the flag and its bounds`, () => {
      const r = runCli(['--config-dir', tempDir(), 'test', '--environment', 'prod', '--timeout', bad]);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`option '--timeout <seconds>' argument '${bad}' is invalid. expected a number of seconds from 0.1 to 600`);
      expect(r.stderr).not.toMatch(/TimeoutOverflowWarning|RangeError/);
    });
  }

  it('test --timeout 600 and 0.1 pass the flag check (the command goes on to the profiles)', () => {
    for (const good of ['600', '0.1', '10']) {
      const r = runCli(['--config-dir', tempDir(), 'test', '--environment', 'prod', '--timeout', good]);
      expect(r.stderr, good).not.toContain('--timeout');
      expect(r.stderr, good).toMatch(/no profile "default"/);
    }
  });

  it('setup-profile --min-capacity / --max-capacity say their bounds', () => {
    const dir = tempDir();
    for (const [flag, bad, bounds] of [['--min-capacity', '1001', '0 to 1000'], ['--min-capacity', '', '0 to 1000'], ['--max-capacity', '0', '1 to 1000'], ['--max-capacity', '1e3', '1 to 1000']]) {
      const r = runCli(['--config-dir', dir, 'setup-profile', 'default', ...required, flag, bad]);
      expect(r.status, `${flag} ${bad}`).toBe(2);
      expect(r.stderr).toContain(`${flag}: expected a whole number from ${bounds}, got "${bad}"`);
    }
    expect(existsSync(join(dir, 'default.json'))).toBe(false);
    const ok = runCli(['--config-dir', dir, 'setup-profile', 'default', ...required, '--min-capacity', '0', '--max-capacity', '1000']);
    expect(ok.status, ok.stderr).toBe(0);
  });

  it('logs --since says its bounds', () => {
    const dir = tempDir();
    writeJson(dir, 'default.json', prodProfile());
    const r = runCli(['--config-dir', dir, 'logs', '--environment', 'prod', '--since', '0m']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--since: "0m" must be more than zero; .*from 1s to 3650d/);
  });
});

describe('an empty or malformed value is refused, naming its flag (an unset variable in a script must not mean the default)', () => {
  it('--config-dir "", --aws-profile "", --region "" or "us east": exit 2 naming the flag, for the front\'s commands and the others, and the default folder is not read', () => {
    const home = tempDir();
    const xdg = join(home, 'xdg');
    mkdirSync(join(xdg, 'benchling-webhook'), { recursive: true });
    // The default folder holds a profile with a bad field: reading it would say so.
    writeJson(join(xdg, 'benchling-webhook'), 'default.json', prodProfile({ benchlingTenant: 'Not A Tenant' }));
    const dir = tempDir();
    writeJson(dir, 'default.json', prodProfile());
    const env = { HOME: home, XDG_CONFIG_HOME: xdg };
    const cases: [string[], string][] = [
      [['--config-dir', '', 'validate'], '--config-dir: empty'],
      [['--config-dir', ' ', 'profiles'], '--config-dir: empty'],
      [['--config-dir', '', 'status'], '--config-dir: empty'],
      [['--config-dir', '', 'setup-profile', 'default', ...required], '--config-dir: empty'],
      [['--config-dir', dir, '--aws-profile', '', 'status'], '--aws-profile: empty'],
      [['--config-dir', dir, '--region', '', 'status'], '--region: empty'],
      [['--config-dir', dir, '--region', 'us east', 'diff', '--environment', 'prod'], '--region: "us east" is not an AWS region'],
      [['--config-dir', dir, '--region', 'evil.example.com/x', 'synth', '--out', join(tempDir(), 'o')], '--region: "evil.example.com/x" is not an AWS region'],
    ];
    for (const [args, words] of cases) {
      const r = runCli(args, { env, timeoutMs: 30_000 });
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr, args.join(' ')).toContain(words);
      expect(r.stderr, args.join(' ')).not.toContain('Not A Tenant');
      noStack(r);
    }
    expect(readdirSync(join(xdg, 'benchling-webhook'))).toEqual(['default.json']);
  });

  it('--profile "" (validate, deploy) and a bad --image-tag for diff as for deploy: exit 2 naming the flag', () => {
    const dir = tempDir();
    writeJson(dir, 'default.json', prodProfile());
    const cases: [string[], string][] = [
      [['validate', '--profile', ''], '--profile: "" is not a profile name'],
      [['deploy', '--profile', '', '--yes'], '--profile: "" is not a profile name'],
      [['diff', '--environment', 'prod', '--image-tag', 'bad tag'], '--image-tag: "bad tag" is not a Docker tag'],
      [['diff', '--environment', 'prod', '--image-tag', ''], '--image-tag: "" is not a Docker tag'],
    ];
    for (const [args, words] of cases) {
      const r = runCli(['--config-dir', dir, ...args], { timeoutMs: 30_000 });
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr, args.join(' ')).toContain(words);
      noStack(r);
    }
  });
});

describe('rollback takes only validated tags from history', () => {
  const { fake } = useFakeAws({ scenario: () => deployedScenario(null), processEnv: false });

  function folder(historyTag: string): { dir: string; marker: string; cdk: string } {
    const dir = tempDir();
    writeJson(dir, 'default.json', prodProfile({ imageTag: '0.7.10', benchlingClientSecret: SECRET }));
    writeJson(dir, 'deploy.json', { prod: { ...RECORDS.prod, history: [{ imageTag: '0.7.10', deployedAt: '2026-10-02T00:00:00.000Z' }, { imageTag: historyTag, deployedAt: '2026-10-01T00:00:00.000Z' }] } });
    const marker = join(dir, 'cdk-ran');
    const cdk = join(dir, 'fake-cdk.mjs');
    writeFileSync(cdk, `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, process.argv.slice(2).join(' '));\nprocess.exit(1);\n`);
    return { dir, marker, cdk };
  }

  it('a history tag carrying cdk flags is refused (exit 2) naming the entry; nothing reaches AWS or cdk', async () => {
    const { dir, marker, cdk } = folder('0.7.2 --no-rollback');
    const before = snapshotDir(dir);
    fake.calls.reset();
    const r = await runCliAsync(['--config-dir', dir, 'rollback', '--yes'], { env: { ...fake.env, [CDK_BIN_OVERRIDE_ENV]: cdk } });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${join(dir, 'deploy.json')}: prod.history[1].imageTag: expected a Docker tag (letters, digits, _ . -, at most 128) or sha256:<64 hex> (got "0.7.2 --no-rollback")`);
    noStack(r);
    expect(fake.calls.all).toHaveLength(0);
    expect(existsSync(marker)).toBe(false);
    expect(snapshotDir(dir)).toEqual(before);
  });

  it('the same history with a valid tag goes past the check to AWS and cdk (the refusal above was the tag)', { timeout: 120_000 }, async () => {
    const { dir, cdk, marker } = folder('0.7.2');
    fake.calls.reset();
    mkdirSync(join(dir, 'tmp'));
    const r = await runCliAsync(['--config-dir', dir, 'rollback', '--yes'], { env: { ...fake.env, [CDK_BIN_OVERRIDE_ENV]: cdk, TMPDIR: join(dir, 'tmp') } });
    expect(r.stderr).not.toContain('deploy.json:');
    expect(fake.calls.all.length).toBeGreaterThan(0);
    // cdk was started, with the tag from history as the prod image.
    expect(readFileSync(marker, 'utf8')).toContain('ProdImageTag=0.7.2');
  });
});
