import { beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { BIN, runCliAsync, type CliResult } from '../helpers/cli.js';
import { advanceStacks } from '../fake-aws/cfn/stacks.js';
import { imageDigestOf } from '../fake-aws/stacks.js';
import { synthProjectStack, type ProjectStack } from '../fake-aws/project-stack.js';
import { deployedScenario, STACK } from '../helpers/deployed.js';
import { devProfile, prodProfile, tempDir, writeJson } from '../helpers/fixtures.js';
import { isRunning, waitFor } from '../helpers/wait.js';
import { useFakeAws } from '../helpers/fake-aws.js';

/**
 * Team mode: two config folders stand for two machines (A, a laptop; B,
 * another laptop), each with its own credentials, against one fake account.
 * Deploys run the real aws-cdk CLI.
 */
const PROD_TAG = '0.7.10';
const ACCOUNT = '123456789012';
const A = { key: 'AKIAMACHINEAAAAAAAAA', arn: `arn:aws:sts::${ACCOUNT}:assumed-role/Deployer/alice`, userId: 'AROAALICE:alice' };
const B = { key: 'AKIAMACHINEBBBBBBBBB', arn: `arn:aws:sts::${ACCOUNT}:assumed-role/Deployer/bob`, userId: 'AROABOB:bob' };
const DEV_PARAM = `/benchling-webhook/${STACK}/dev/deployed`;
const LOCK_PARAM = `/benchling-webhook/${STACK}/lock`;
const POLICY_ARN = `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/benchling-webhook/${STACK}/*`;
const DIGEST_080 = imageDigestOf('712023778557.dkr.ecr.us-east-1.amazonaws.com/quiltdata/benchling:0.8.0');

/** Each test puts its account in the fake (account()); the machines reach it through the environment given to them. */
const { fake } = useFakeAws({ scenario: () => deployedScenario(null), processEnv: false });
let both: ProjectStack;
beforeAll(async () => {
  both = await synthProjectStack({ prod: { imageTag: PROD_TAG }, dev: { benchlingTenant: 'acme' }, quiltValues: false });
});

interface Machine {
  readonly dir: string;
  readonly records: string;
  run(args: string[], env?: Record<string, string>): Promise<CliResult>;
  spawn(args: string[], env?: Record<string, string>): { pid: number; out: { stdout: string; stderr: string }; exited: Promise<number | null>; kill(): void };
  recordsJson(): any;
}

function machine(who: typeof A, deployJson?: unknown): Machine {
  const dir = tempDir();
  writeJson(dir, 'default.json', prodProfile({ imageTag: PROD_TAG }));
  writeJson(dir, 'dev.json', devProfile({ benchlingTenant: 'acme' }));
  const records = join(dir, 'deploy.json');
  if (deployJson) writeFileSync(records, `${JSON.stringify(deployJson, null, 2)}\n`);
  const tmp = join(dir, 'tmp');
  mkdirSync(tmp, { recursive: true });
  const env = (extra: Record<string, string>) => ({ ...fake.env, AWS_ACCESS_KEY_ID: who.key, TMPDIR: tmp, ...extra });
  return {
    dir,
    records,
    run: (args, extra = {}) => runCliAsync(['--config-dir', dir, ...args], { env: env(extra) }),
    spawn(args, extra = {}) {
      const child = spawn(process.execPath, [BIN, '--config-dir', dir, ...args], { env: { ...process.env, CI: 'true', NO_COLOR: '1', ...env(extra) }, stdio: ['ignore', 'pipe', 'pipe'] });
      const out = { stdout: '', stderr: '' };
      child.stdout.on('data', (d) => (out.stdout += d));
      child.stderr.on('data', (d) => (out.stderr += d));
      const exited = new Promise<number | null>((r) => child.on('close', (code, signal) => r(code ?? (signal ? -1 : null))));
      return { pid: child.pid!, out, exited, kill: () => child.kill('SIGKILL') };
    },
    recordsJson: () => JSON.parse(readFileSync(records, 'utf8')),
  };
}

/** The account: the stack deployed from the profiles (dev runs `latest`, prod PROD_TAG), two callers. */
function account(stepMs = 0): void {
  fake.scenario = deployedScenario(both.template, { stepMs });
  fake.scenario.identities = { [A.key]: { account: ACCOUNT, ...A }, [B.key]: { account: ACCOUNT, ...B } };
  fake.calls.reset();
}

const stack = () => fake.scenario.stacks[STACK];
/** A's deploy.json: dev was deployed from this laptop before team mode (`latest`, by an unknown hand). */
const A_RECORDS = {
  dev: { endpoint: 'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/dev', imageTag: 'latest', deployedAt: '2026-11-20T10:00:00.000Z', stackName: STACK, stage: 'dev', history: [] },
};
const versions = (name: string) => fake.scenario.ssm?.[name]?.versions.map((v) => JSON.parse(v.value)) ?? [];

describe('team mode: two machines, one account', { timeout: 180_000 }, () => {
  it("A deploys dev: the account records it (A's identity, the digest, the tool's version) after A's older deploy.json history, copied up once, oldest first", async () => {
    account();
    const a = machine(A, A_RECORDS);
    const r = await a.run(['deploy', '--environment', 'dev', '--image-tag', '0.8.0', '--yes']);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stderr).not.toMatch(/team records off/);
    const recorded = versions(DEV_PARAM);
    expect(recorded.map((v) => [v.imageTag, v.operation])).toEqual([['latest', 'copied'], ['0.8.0', 'deploy']]);
    expect(recorded[1]).toMatchObject({ deployedBy: A.arn, imageDigest: DIGEST_080, stackName: STACK, endpoint: stack().outputs.DevEndpoint });
    expect(recorded[1].toolVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(fake.scenario.ssm![DEV_PARAM].versions.every((v) => v.tier === 'Standard')).toBe(true);
    // The lock was created without overwrite, and is gone at the end.
    const lockPuts = fake.calls.matching('PutParameter').filter((c) => (c.input as { Name: string }).Name === LOCK_PARAM);
    expect((lockPuts[0].input as { Overwrite?: boolean }).Overwrite).toBe(false);
    expect(fake.scenario.ssm?.[LOCK_PARAM]).toBeUndefined();
    expect(a.recordsJson().dev).toMatchObject({ imageTag: '0.8.0', deployedBy: A.arn, history: [{ imageTag: 'latest' }] });

    // B, another laptop with no deploy.json: status, history and the mirror show A's deploy and A.
    const b = machine(B);
    const status = await b.run(['status']);
    expect(status.stdout).toMatch(new RegExp(`^deployed dev: 0\\.8\\.0 at \\S+ \\(\\d+ s ago\\) by ${A.arn.replace(/[/]/g, '\\/')}$`, 'm'));
    const statusJson = JSON.parse((await b.run(['status', '--json'])).stdout);
    expect(statusJson.environments.find((e: { name: string }) => e.name === 'dev').lastDeploy).toMatchObject({ imageTag: '0.8.0', deployedBy: A.arn });
    const history = await b.run(['history', '--environment', 'dev']);
    expect(history.status, history.stderr).toBe(0);
    expect(history.stdout).toContain(`dev (the account: ${DEV_PARAM}), newest first`);
    const rows = history.stdout.split('\n').filter((l) => /^\s+2026|^\s+\d{4}-/.test(l));
    expect(rows[0]).toMatch(new RegExp(`0\\.8\\.0\\s+sha256:[0-9a-f]{12}…\\s+${A.arn.replace(/[/]/g, '\\/')}\\s+deploy`));
    expect(rows[1]).toMatch(/latest\s+-\s+-\s+copied/);
    const json = JSON.parse((await b.run(['history', '--json'])).stdout);
    expect(json.environments.map((e: { name: string; source: string }) => [e.name, e.source])).toEqual([['dev', 'account'], ['prod', 'deploy.json']]);
    expect(json.environments[0].entries[0]).toMatchObject({ imageTag: '0.8.0', imageDigest: DIGEST_080, deployedBy: A.arn, operation: 'deploy', version: 2 });
    // B's deploy.json is now the account's mirror: B's history picker (R) reads it.
    expect(b.recordsJson().dev).toMatchObject({ imageTag: '0.8.0', deployedBy: A.arn, history: [{ imageTag: 'latest' }] });
    // Copied up once: B's reads put nothing.
    expect(versions(DEV_PARAM)).toHaveLength(2);

    // B rolls dev back to the image A replaced, from the account's history.
    const back = await b.run(['rollback', '--environment', 'dev', '--yes']);
    expect(back.status, back.stderr + back.stdout).toBe(0);
    expect(back.stdout).toContain('image     0.8.0 -> latest');
    expect(stack().parameters.DevImageTag).toBe('latest');
    expect(versions(DEV_PARAM).at(-1)).toMatchObject({ imageTag: 'latest', operation: 'rollback', deployedBy: B.arn });
    // A's next read mirrors B's rollback.
    const aStatus = await a.run(['status', '--json']);
    expect(JSON.parse(aStatus.stdout).environments.find((e: { name: string }) => e.name === 'dev').lastDeploy).toMatchObject({ imageTag: 'latest', deployedBy: B.arn });
  });

  it("B's deploy is refused while A's runs, naming A and how long ago it started; B goes ahead once A is done", async () => {
    account(600);
    const a = machine(A);
    const b = machine(B);
    const run = a.spawn(['deploy', '--environment', 'dev', '--image-tag', '0.8.0', '--yes']);
    await waitFor(() => fake.calls.count('ExecuteChangeSet') > 0, 90_000, "A's cdk to execute its change set");
    const refused = await b.run(['deploy', '--environment', 'prod', '--image-tag', '0.8.0', '--yes']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(new RegExp(`another deploy holds the stack's lock in the account \\(${LOCK_PARAM}\\): ${A.arn.replace(/[/]/g, '\\/')} on \\S+ \\(pid ${run.pid}\\): deploy dev, started \\d+ s ago`));
    expect(fake.calls.count('ExecuteChangeSet')).toBe(1);
    // Nor may B destroy the stack under A's deploy: the same lock, nothing deleted.
    const destroyRefused = await b.run(['destroy', '--yes']);
    expect(destroyRefused.status).toBe(1);
    expect(destroyRefused.stderr).toMatch(new RegExp(`holds the stack's lock in the account \\(${LOCK_PARAM}\\): ${A.arn.replace(/[/]/g, '\\/')} `));
    expect(fake.calls.count('DeleteStack')).toBe(0);
    expect(await run.exited).toBe(0);
    expect(fake.scenario.ssm?.[LOCK_PARAM]).toBeUndefined();
  });

  it('A is killed (SIGKILL) mid-deploy: B is refused until the lock expires, then takes it over and says so', async () => {
    account(150);
    const ttl = { BENCHLING_DEPLOY_LOCK_TTL_SECONDS: '6' };
    const a = machine(A);
    const b = machine(B);
    const run = a.spawn(['deploy', '--environment', 'dev', '--image-tag', '0.8.0', '--yes'], ttl);
    await waitFor(() => fake.calls.count('ExecuteChangeSet') > 0, 90_000, "A's cdk to execute its change set");
    // The laptop is gone: A and its cdk die at once; the account's lock stays.
    const cdkPid = (JSON.parse(readFileSync(`${a.records}.lock`, 'utf8')) as { cdkPid?: number }).cdkPid;
    run.kill();
    if (cdkPid && isRunning(cdkPid)) process.kill(-cdkPid, 'SIGKILL');
    await run.exited;
    expect(fake.scenario.ssm?.[LOCK_PARAM]).toBeDefined();
    const refused = await b.run(['deploy', '--environment', 'dev', '--image-tag', '0.8.1', '--yes'], ttl);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(A.arn);
    const expires = Date.parse(JSON.parse(fake.scenario.ssm![LOCK_PARAM].versions.at(-1)!.value).expires);
    await waitFor(() => {
      advanceStacks(fake.scenario, Date.now());
      return Date.now() > expires + 200 && stack().status === 'UPDATE_COMPLETE';
    }, 60_000, 'the lock to expire and the update A started to end');
    const taken = await b.run(['deploy', '--environment', 'dev', '--image-tag', '0.8.1', '--yes'], ttl);
    expect(taken.status, taken.stderr + taken.stdout).toBe(0);
    expect(taken.stderr).toMatch(new RegExp(`took over the stack's lock in the account: ${A.arn.replace(/[/]/g, '\\/')} on \\S+ \\(pid ${run.pid}\\) held it for deploy dev, started \\d+ s ago, and it expired \\d+ s ago without renewal`));
    expect(stack().parameters.DevImageTag).toBe('0.8.1');
    expect(fake.scenario.ssm?.[LOCK_PARAM]).toBeUndefined();
  });

  it('without SSM permission both machines work alone, as before, and each command says so once, naming the actions and the path', async () => {
    account();
    fake.inject({ kind: 'access-denied', service: 'ssm', resourcePrefix: '/benchling-webhook/' });
    const a = machine(A);
    const b = machine(B);
    const r = await a.run(['deploy', '--environment', 'dev', '--image-tag', '0.8.0', '--yes']);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    const said = r.stderr.split('\n').filter((l) => /team records off/.test(l));
    expect(said).toHaveLength(1);
    expect(said[0]).toContain('ssm:GetParameter, ssm:GetParameters, ssm:GetParameterHistory, ssm:PutParameter, ssm:DeleteParameter');
    expect(said[0]).toContain(`on ${POLICY_ARN}`);
    expect(said[0]).toContain('working with the local deploy.json and lock only');
    expect(fake.scenario.ssm ?? {}).toEqual({});
    // A's own records, as today (who deployed is known locally too).
    expect(a.recordsJson().dev).toMatchObject({ imageTag: '0.8.0', deployedBy: A.arn });
    for (const args of [['status'], ['history']]) {
      const out = await b.run(args);
      expect(out.stderr.split('\n').filter((l) => /team records off/.test(l)), args.join(' ')).toHaveLength(1);
      expect(out.stdout).not.toContain(A.arn);
    }
    const history = await b.run(['history', '--environment', 'dev']);
    expect(history.status).toBe(0);
    expect(history.stdout).toContain('dev (deploy.json), newest first\n  no deploys recorded');
  });

  it("history when the account's records cannot be read (a server error, throttling): deploy.json's are shown, the failure said on stderr, exit 1", async () => {
    const b = machine(B, A_RECORDS);
    for (const fault of [{ kind: 'server-error', operation: 'GetParameters' }, { kind: 'throttle', operation: 'GetParameters' }] as const) {
      fake.inject({ ...fault, times: 100 });
      for (const args of [['history'], ['history', '--json']]) {
        const r = await b.run(args, { AWS_MAX_ATTEMPTS: '1' });
        expect(r.status, `${fault.kind} ${args.join(' ')}: ${r.stderr}`).toBe(1);
        const said = r.stderr.split('\n').filter((l) => /the account's records could not be read/.test(l));
        expect(said.map((l) => /^warning: (\w+):/.exec(l)?.[1]), fault.kind).toEqual(['dev', 'prod']);
        if (args.length === 1) expect(r.stdout).toContain('dev (deploy.json), newest first');
        else expect(JSON.parse(r.stdout).environments.map((e: { source: string; accountError?: string }) => [e.source, typeof e.accountError])).toEqual([['deploy.json', 'string'], ['deploy.json', 'string']]);
      }
      fake.clearFaults();
    }
  });
});
