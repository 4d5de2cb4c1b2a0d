import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { BIN, runCliAsync, type CliResult } from '../helpers/cli.js';
import { startFakeAws, type FakeAws } from '../fake-aws/server.js';
import { digestOf, standardScenario, startRollout } from '../fake-aws/scenario.js';
import { CDK_BIN_OVERRIDE_ENV } from '../../src/infra/runner.js';
import { devProfile, prodProfile, QUILT_ARN_DEV, SECRET, tempDir, writeJson } from '../helpers/fixtures.js';

const FAKE_CDK = fileURLToPath(new URL('../fixtures/fake-cdk.mjs', import.meta.url));

let fake: FakeAws;
beforeAll(async () => {
  fake = await startFakeAws(standardScenario());
});
afterAll(async () => fake.close());
afterEach(() => {
  fake.scenario = standardScenario();
  fake.clearFaults();
  fake.calls.reset();
});

interface World {
  dir: string;
  records: string;
  argsFile: string;
  run(args: string[], env?: Record<string, string>): Promise<CliResult>;
  cdkCalls(): { args: string[]; region: string | null; templateParameters: string[] | null }[];
  recordsText(): string;
}

function world(): World {
  const dir = tempDir();
  writeJson(dir, 'default.json', prodProfile());
  writeJson(dir, 'dev.json', devProfile({ benchlingTenant: 'acme' }));
  const records = join(dir, 'deploy.json');
  writeFileSync(
    records,
    `${JSON.stringify({ prod: { endpoint: 'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod', imageTag: '0.7.0', deployedAt: '2026-11-01T00:00:00.000Z', stackName: 'BenchlingWebhookStack', stage: 'prod', history: [{ imageTag: '0.6.9', deployedAt: '2026-10-01T00:00:00.000Z' }] } }, null, 2)}\n`,
  );
  const argsFile = join(dir, 'cdk-args.jsonl');
  return {
    dir,
    records,
    argsFile,
    run: (args, env = {}) =>
      runCliAsync(['--config-dir', dir, ...args], {
        env: { ...fake.env, [CDK_BIN_OVERRIDE_ENV]: FAKE_CDK, FAKE_CDK_ARGS_FILE: argsFile, TMPDIR: dir, ...env },
      }),
    cdkCalls: () => (existsSync(argsFile) ? readFileSync(argsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l)) : []),
    recordsText: () => readFileSync(records, 'utf8'),
  };
}

const outputs = (env: 'Dev' | 'Prod') => JSON.stringify({ [`${env}Endpoint`]: `https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/${env.toLowerCase()}` });

describe('deploy (real synth, fake AWS, stand-in cdk)', () => {
  it('deploys dev with dev\'s parameters only and records only dev', async () => {
    const w = world();
    const prodBefore = JSON.parse(w.recordsText()).prod;
    const r = await w.run(['deploy', '--environment', 'dev', '--image-tag', 'abc123', '--yes'], { FAKE_CDK_OUTPUTS: outputs('Dev') });
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/image\s+latest -> abc123/);
    expect(r.stdout).toMatch(/prod keeps its running service/);
    expect(r.stdout).toMatch(/\[~\] AWS::ECS::TaskDefinition DevTaskDefinition/);
    const deploy = w.cdkCalls().find((c) => c.args[0] === 'deploy')!;
    expect(deploy.region).toBe('us-east-1');
    const params = deploy.args.filter((_, i) => deploy.args[i - 1] === '--parameters');
    expect(params).toEqual([
      'BenchlingWebhookStack:DevImageTag=abc123',
      'BenchlingWebhookStack:DevSecretName=quiltdata/benchling-webhook/dev/acme',
      'BenchlingWebhookStack:DevMinCapacity=1',
      'BenchlingWebhookStack:DevMaxCapacity=2',
      'BenchlingWebhookStack:DevLogLevel=INFO',
      `BenchlingWebhookStack:DevQuiltStackArn=${QUILT_ARN_DEV}`,
      'BenchlingWebhookStack:DevImageAccount=712023778557',
      'BenchlingWebhookStack:DevImageRegion=us-east-1',
      'BenchlingWebhookStack:DevImageRepositoryName=quiltdata/benchling',
      'BenchlingWebhookStack:DevWebhookVerification=true',
    ]);
    const file = JSON.parse(w.recordsText());
    expect(file.prod).toEqual(prodBefore);
    expect(file.dev).toMatchObject({ imageTag: 'abc123', stage: 'dev', endpoint: 'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/dev' });
    // The assembly cdk deployed is the real synthesized stack, removed once the deploy is over.
    expect(deploy.templateParameters).toEqual(expect.arrayContaining(['DevImageTag', 'ProdImageTag', 'DevQuiltStackArn']));
    expect(existsSync(deploy.args[deploy.args.indexOf('--app') + 1])).toBe(false);
  });

  it('without --yes and without a terminal, refuses (2) and changes nothing', async () => {
    const w = world();
    const before = w.recordsText();
    const r = await w.run(['deploy', '--environment', 'prod', '--image-tag', '0.8.0']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/not confirmed: there is no terminal to ask on and --yes was not given/);
    expect(w.cdkCalls().some((c) => c.args[0] === 'deploy')).toBe(false);
    expect(w.recordsText()).toBe(before);
    expect(existsSync(`${w.records}.lock`)).toBe(false);
  });

  it('a failing cdk exits 1 with the reasons; deploy.json byte for byte as before', async () => {
    const w = world();
    const before = w.recordsText();
    const r = await w.run(['deploy', '--environment', 'dev', '--yes'], { FAKE_CDK_MODE: 'fail' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/deploy of dev failed; deploy.json unchanged/);
    expect(r.stderr).toMatch(/DevService \(AWS::ECS::Service\): UPDATE_FAILED/);
    expect(r.stderr).toMatch(/the full cdk output is in .*cdk\.log/);
    expect(w.recordsText()).toBe(before);
  });

  it('warns when a profile holding the client secret is readable by others, never showing it', async () => {
    const w = world();
    writeJson(w.dir, 'dev.json', devProfile({ benchlingTenant: 'acme', benchlingClientSecret: SECRET }), 0o644);
    const r = await w.run(['diff', '--environment', 'dev']);
    expect(r.stderr).toMatch(/warning: .*dev\.json: holds benchlingClientSecret but is readable by group or others/);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
  });

  it('refuses a pairing of profile and environment before anything runs', async () => {
    const w = world();
    const r = await w.run(['deploy', '--environment', 'prod', '--profile', 'dev', '--yes']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/profile "dev" is for environment "dev"; it cannot be deployed to "prod"/);
    expect(fake.calls.all.length).toBe(0);
  });

  it('refuses a stack that cannot be updated, saying what to do', async () => {
    const w = world();
    fake.scenario.stacks.BenchlingWebhookStack.status = 'UPDATE_ROLLBACK_IN_PROGRESS';
    const r = await w.run(['deploy', '--environment', 'dev', '--yes']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cannot be updated now: another operation is running on the stack \(UPDATE_ROLLBACK_IN_PROGRESS\)/);
  });

  it('refuses to deploy when the stack holds an environment no profile describes (it would be deleted)', async () => {
    const w = world();
    const { rmSync } = await import('node:fs');
    rmSync(join(w.dir, 'dev.json'));
    const before = w.recordsText();
    for (const args of [['deploy', '--environment', 'prod', '--yes'], ['diff', '--environment', 'prod']]) {
      const r = await w.run(args);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/stack BenchlingWebhookStack holds the dev environment, but there is no dev profile \(.*dev\.json\); this deploy would delete dev's service/);
    }
    expect(w.cdkCalls()).toEqual([]);
    expect(w.recordsText()).toBe(before);
    expect(existsSync(`${w.records}.lock`)).toBe(false);
  });

  it('a prod-only stack\'s plan does not speak of dev', async () => {
    const w = world();
    const { rmSync } = await import('node:fs');
    rmSync(join(w.dir, 'dev.json'));
    fake.scenario = standardScenario({ environments: ['prod'] });
    const r = await w.run(['diff', '--environment', 'prod']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/dev keeps/);
  });

  it('creates a missing secret from the profile, never printing it', async () => {
    const w = world();
    writeJson(w.dir, 'dev.json', devProfile({ benchlingTenant: 'acme', benchlingClientSecret: SECRET }));
    delete fake.scenario.secrets['quiltdata/benchling-webhook/dev/acme'];
    const r = await w.run(['deploy', '--environment', 'dev', '--yes'], { FAKE_CDK_OUTPUTS: outputs('Dev') });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/secret\s+quiltdata\/benchling-webhook\/dev\/acme does not exist: it will be created/);
    expect(JSON.parse(fake.scenario.secrets['quiltdata/benchling-webhook/dev/acme'].secretString!)).toMatchObject({ client_secret: SECRET, user_bucket: 'acme-dev-packages' });
    expect(r.stdout + r.stderr).not.toContain(SECRET);
    expect(readFileSync(join(w.dir, 'cdk-args.jsonl'), 'utf8')).not.toContain(SECRET);
  });

  it('expired credentials: a clear message to log in again, no stack trace, exit 1', async () => {
    const w = world();
    fake.inject({ service: 'sts', kind: 'expired-credentials' });
    const r = await w.run(['deploy', '--environment', 'dev', '--yes']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/credentials have expired/);
    expect(r.stderr).toMatch(/log in again/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('promote and rollback', () => {
  it('promote deploys prod with the digest dev runs', async () => {
    const w = world();
    const r = await w.run(['promote', '--yes'], { FAKE_CDK_OUTPUTS: outputs('Prod') });
    expect(r.status, r.stderr + r.stdout).toBe(0);
    const digest = digestOf('latest');
    expect(r.stdout).toContain(`dev runs  latest = ${digest}`);
    const deploy = w.cdkCalls().find((c) => c.args[0] === 'deploy')!;
    expect(deploy.args).toContain(`BenchlingWebhookStack:ProdImageTag=${digest}`);
    expect(deploy.args.filter((a) => a.includes(':Dev'))).toEqual([]);
    expect(JSON.parse(w.recordsText()).prod.imageTag).toBe(digest);
  });

  it('promote refuses while dev is rolling out, and when prod already runs the image', async () => {
    const w = world();
    startRollout(fake.scenario, 'dev', 'next', 0);
    const rolling = await w.run(['promote', '--yes']);
    expect(rolling.status).toBe(1);
    expect(rolling.stderr).toMatch(/promote refused: dev is not healthy: rollout IN_PROGRESS/);
    fake.scenario = standardScenario({ imageTags: { dev: '0.7.0', prod: '0.7.0' } });
    const same = await w.run(['promote', '--yes']);
    expect(same.status).toBe(1);
    expect(same.stderr).toMatch(/prod already runs that image/);
    expect(w.cdkCalls().some((c) => c.args[0] === 'deploy')).toBe(false);
  });

  it('promote refuses while dev\'s targets fail their health checks', async () => {
    const w = world();
    const tg = fake.scenario.stacks.BenchlingWebhookStack.outputs.DevTargetGroupArn;
    fake.scenario.targetGroups[tg][0].state = 'unhealthy';
    const r = await w.run(['promote', '--yes']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/promote refused: dev is not healthy: 0 of 1 targets healthy, 1 unhealthy/);
  });

  it('promote without confirmation is refused', async () => {
    const w = world();
    const r = await w.run(['promote']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/not confirmed/);
  });

  it('rollback redeploys the previous image from history', async () => {
    const w = world();
    const r = await w.run(['rollback', '--yes'], { FAKE_CDK_OUTPUTS: outputs('Prod') });
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/image\s+0\.7\.0 -> 0\.6\.9/);
    expect(r.stdout).toMatch(/  changes\n(\s+\[~\] .*\n)*\s+\[~\] AWS::ECS::TaskDefinition/);
    expect(w.cdkCalls().find((c) => c.args[0] === 'deploy')!.args).toContain('BenchlingWebhookStack:ProdImageTag=0.6.9');
    const prod = JSON.parse(w.recordsText()).prod;
    expect(prod.imageTag).toBe('0.6.9');
    expect(prod.history[0].imageTag).toBe('0.7.0');
  });

  it('rollback with no earlier image is refused', async () => {
    const w = world();
    const r = await w.run(['rollback', '--environment', 'dev', '--yes']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no earlier dev image/);
  });
});

describe('test', () => {
  let server: Server;
  let base = '';
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/ok/health') res.writeHead(200).end('ok');
      else if (req.url === '/bad/health') res.writeHead(500).end('internal');
      // '/hang/health' never answers
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  const withEndpoint = (w: World, path: string) => {
    const file = JSON.parse(w.recordsText());
    file.prod.endpoint = `${base}/${path}`;
    writeFileSync(w.records, JSON.stringify(file));
  };

  it('exits 0 on 200 with status and latency, 1 on 500 and on no answer', async () => {
    const w = world();
    withEndpoint(w, 'ok');
    const ok = await w.run(['test', '--environment', 'prod']);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/GET .*\/ok\/health -> 200 in \d+ ms/);
    withEndpoint(w, 'bad');
    const bad = await w.run(['test', '--environment', 'prod']);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/-> 500 .*internal/);
    withEndpoint(w, 'hang');
    const hang = await w.run(['test', '--environment', 'prod', '--timeout', '0.5']);
    expect(hang.status).toBe(1);
    expect(hang.stderr).toMatch(/no answer from .* within 0\.5 s/);
  });

  it('falls back to the stack outputs when deploy.json has no endpoint', async () => {
    const w = world();
    fake.scenario.stacks.BenchlingWebhookStack.outputs.DevEndpoint = `${base}/ok`;
    const r = await w.run(['test', '--environment', 'dev']);
    expect(r.status, r.stderr).toBe(0);
  });
});

describe('the real aws-cdk CLI with no credentials', () => {
  const noCredentials = (home: string) => ({
    HOME: home,
    AWS_PROFILE: undefined,
    AWS_ACCESS_KEY_ID: undefined,
    AWS_SECRET_ACCESS_KEY: undefined,
    AWS_SESSION_TOKEN: undefined,
    AWS_ENDPOINT_URL: undefined,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(home, 'none'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'none'),
    [CDK_BIN_OVERRIDE_ENV]: undefined,
  });

  it('deploy stops at the pre-flight with a clear message, exit 1, deploy.json byte-identical', async () => {
    const w = world();
    const before = w.recordsText();
    const r = await runCliAsync(['--config-dir', w.dir, 'deploy', '--environment', 'prod', '--yes'], { env: noCredentials(w.dir) });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no usable AWS credentials/);
    expect(r.stderr).toMatch(/log in again/);
    // It stops at the pre-flight: no synth, no cdk.
    expect(r.stdout).not.toMatch(/cdk output/);
    expect(w.recordsText()).toBe(before);
  });

  it('cdk deploy itself, given the synthesized assembly, fails cleanly without credentials', async () => {
    const w = world();
    const out = join(w.dir, 'assembly');
    const synth = await runCliAsync(['--config-dir', w.dir, 'synth', '--out', out]);
    expect(synth.status, synth.stderr).toBe(0);
    const { runCdk } = await import('../../src/infra/runner.js');
    const env = noCredentials(w.dir);
    const saved = { ...process.env };
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k];
    try {
      const r = await runCdk({ args: ['deploy', '--app', out, '--require-approval', 'never', '--no-notices', '--ci', 'BenchlingWebhookStack'], cwd: w.dir, logFile: join(w.dir, 'cdk.log'), env: { ...env, AWS_REGION: 'us-east-1' } as Record<string, string | undefined> });
      expect(r.outcome).toBe('failed');
      if (r.outcome === 'failed') expect(r.stderrTail).toMatch(/credentials|Unable to resolve AWS account/i);
    } finally {
      process.env = saved;
    }
  }, 90_000);
});

/** `deploy --environment dev --yes` as a child whose signals the test sends; the stand-in cdk writes its pid. */
function spawnDeploy(w: World, mode: string): { child: ChildProcessWithoutNullStreams; pidFile: string } {
  const pidFile = join(w.dir, 'cdk.pid');
  const child = spawn(process.execPath, [BIN, '--config-dir', w.dir, 'deploy', '--environment', 'dev', '--yes'], {
    env: { ...process.env, ...fake.env, CI: 'true', NO_COLOR: '1', [CDK_BIN_OVERRIDE_ENV]: FAKE_CDK, FAKE_CDK_MODE: mode, FAKE_CDK_PID_FILE: pidFile, TMPDIR: w.dir },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return { child, pidFile };
}

describe('cancel and destroy', () => {
  it('ctrl-c during a deploy stops cdk, says the stack state, deploy.json unchanged', async () => {
    const w = world();
    const before = w.recordsText();
    const { child, pidFile } = spawnDeploy(w, 'hang');
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.on('close', r));
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d) => {
        stdout += d;
        if (stdout.includes('deploying dev') && existsSync(pidFile)) resolve();
      });
    });
    const cdkPid = Number(readFileSync(pidFile, 'utf8'));
    child.kill('SIGINT');
    expect(await exited).toBe(1);
    expect(stdout).toMatch(/cancelled; deploy.json unchanged; stack BenchlingWebhookStack is UPDATE_COMPLETE/);
    expect(stderr).toMatch(/cancelling: stopping cdk/);
    expect(() => process.kill(cdkPid, 0)).toThrow();
    expect(w.recordsText()).toBe(before);
    expect(existsSync(`${w.records}.lock`)).toBe(false);
  });

  it('ctrl-c while the plan\'s cdk diff runs: cdk stopped, lock released, nothing changed', async () => {
    const w = world();
    const before = w.recordsText();
    const { child, pidFile } = spawnDeploy(w, 'hang-diff');
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.on('close', r));
    const { waitFor } = await import('../helpers/wait.js');
    await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8') !== '', 30_000);
    const cdkPid = Number(readFileSync(pidFile, 'utf8'));
    child.kill('SIGHUP');
    expect(await exited).toBe(1);
    expect(stderr).toMatch(/cancelled; nothing was changed/);
    await waitFor(() => {
      try {
        process.kill(cdkPid, 0);
        return false;
      } catch {
        return true;
      }
    }, 10_000);
    expect(w.cdkCalls().some((c) => c.args[0] === 'deploy')).toBe(false);
    expect(w.recordsText()).toBe(before);
    expect(existsSync(`${w.records}.lock`)).toBe(false);
  });

  it('destroy asks for the stack name; with --yes it deletes and keeps the history', async () => {
    const w = world();
    const refused = await w.run(['destroy']);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/not confirmed/);
    const r = await w.run(['destroy', '--yes']);
    expect(r.status, r.stderr).toBe(0);
    const call = w.cdkCalls().find((c) => c.args[0] === 'destroy')!;
    expect(call.args).toEqual(expect.arrayContaining(['--force', 'BenchlingWebhookStack']));
    const prod = JSON.parse(w.recordsText()).prod;
    expect(prod.destroyedAt).toMatch(/^\d{4}-/);
    expect(prod.history).toHaveLength(1);
    expect(prod.imageTag).toBe('0.7.0');
  });
});

describe('AWS failures are external errors in words', () => {
  it('a server error on Secrets Manager during deploy: exit 1, what failed and what to do, no stack trace', async () => {
    const w = world();
    fake.inject({ service: 'secretsmanager', kind: 'server-error' });
    const r = await w.run(['deploy', '--environment', 'dev', '--yes'], { AWS_MAX_ATTEMPTS: '1' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error: .*InternalFailure/m);
    expect(r.stderr).toMatch(/hint: AWS answered with a server error; try again/);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(existsSync(`${w.records}.lock`)).toBe(false);
  });

  it('throttling on CloudFormation during test and promote: exit 1 with the throttling hint', async () => {
    const w = world();
    const file = JSON.parse(w.recordsText());
    delete file.prod;
    writeFileSync(w.records, JSON.stringify(file));
    fake.inject({ service: 'cloudformation', kind: 'throttle' });
    for (const args of [['test', '--environment', 'prod'], ['promote', '--yes']]) {
      const r = await w.run(args, { AWS_MAX_ATTEMPTS: '1' });
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/hint: AWS is throttling these calls/);
      expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    }
  });
});
