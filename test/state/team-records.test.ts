import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createStatusApi } from '../../src/state/aws-clients.js';
import { readDeployRecords } from '../../src/state/deploy-records.js';
import { AccountLockHeldError, accountLocksReleased, createTeam, deployedParameter, lockParameter, type Team } from '../../src/state/team-records.js';
import { tempDir } from '../helpers/fixtures.js';
import { useFakeAws } from '../helpers/fake-aws.js';
import { deployedText } from '../../bin/commands/status.js';

const STACK = 'BenchlingWebhookStack';
const DEV = deployedParameter(STACK, 'dev');
const PROD = deployedParameter(STACK, 'prod');
const LOCK = lockParameter(STACK);

const { fake } = useFakeAws();

function team(dir = tempDir(), extra: { lockTtlMs?: number; now?: () => Date } = {}): { team: Team; notices: string[]; records: string; close(): void } {
  const api = createStatusApi({ region: 'us-east-1' });
  const notices: string[] = [];
  const records = join(dir, 'deploy.json');
  return {
    team: createTeam({ store: api, stackName: STACK, region: 'us-east-1', account: '123456789012', recordsPath: records, who: async () => 'arn:aws:sts::123456789012:assumed-role/Deployer/alice', toolVersion: '1.2.3', notice: (m) => notices.push(m), ...extra }),
    notices,
    records,
    close: () => api.close(),
  };
}

const put = (name: string, value: string) => {
  const p = (fake.scenario.ssm ??= {})[name] ?? { name, type: 'String', lastVersion: 0, versions: [] };
  p.lastVersion += 1;
  p.versions.push({ version: p.lastVersion, value, tier: 'Standard', lastModifiedDate: new Date().toISOString(), lastModifiedUser: 'someone' });
  fake.scenario.ssm![name] = p;
};
const record = (imageTag: string, extra: object = {}) => JSON.stringify({ imageTag, endpoint: 'https://x.execute-api.us-east-1.amazonaws.com/dev', deployedAt: '2026-11-20T10:00:00.000Z', deployedBy: 'arn:aws:sts::123456789012:assumed-role/Deployer/bob', stackName: STACK, ...extra });

describe('team records (SSM, through the real client)', () => {
  it("versions that are not records (bad JSON, a bad tag, unknown shapes) are skipped and counted; the mirror stays a valid deploy.json; who is escaped when shown", async () => {
    put(DEV, record('0.7.0'));
    put(DEV, '{ not json');
    put(DEV, record('bad tag with spaces'));
    put(DEV, record('0.8.0', { deployedBy: 'arn:aws:sts::123456789012:assumed-role/X/\u001b[31mred\u0007', extra: 'a newer tool' }));
    const t = team();
    const read = await t.team.refresh(['dev']);
    t.close();
    expect(read.dev).toMatchObject({ source: 'account', skipped: 2 });
    expect(read.dev?.source === 'account' && read.dev.entries.map((e) => [e.imageTag, e.version])).toEqual([['0.8.0', 4], ['0.7.0', 1]]);
    const local = readDeployRecords(t.records);
    expect(local.state).toBe('ok');
    const dev = local.state === 'ok' ? local.records.dev! : undefined;
    expect(dev).toMatchObject({ imageTag: '0.8.0', history: [{ imageTag: '0.7.0' }] });
    const shown = deployedText({ imageTag: dev!.imageTag, deployedAt: dev!.deployedAt, deployedBy: dev!.deployedBy }, Date.parse('2026-11-20T10:05:00.000Z'));
    expect(shown).toBe('0.8.0 at 2026-11-20T10:00:00.000Z (5 min ago) by arn:aws:sts::123456789012:assumed-role/X/\\x1b[31mred\\x07');
  });

  it("an endpoint that is not a stage endpoint (another host, plain http, a look-alike) is dropped from the record, which stands: deploy.json, where `test` and `t` find the endpoint, never holds it", async () => {
    for (const endpoint of ['http://127.0.0.1:45123/anything?x=', 'https://evil.example.com/prod', 'https://x.execute-api.us-east-1.amazonaws.com.evil.example/dev', 'https://x.execute-api.us-east-1.amazonaws.com/dev/../../admin']) {
      fake.scenario.ssm = {};
      put(DEV, record('0.9.0', { endpoint }));
      const t = team();
      const read = await t.team.refresh(['dev']);
      t.close();
      expect(read.dev, endpoint).toMatchObject({ source: 'account', skipped: 0 });
      const local = readDeployRecords(t.records);
      expect(local.state === 'ok' && local.records.dev, endpoint).toMatchObject({ imageTag: '0.9.0' });
      expect(readFileSync(t.records, 'utf8'), endpoint).not.toContain(endpoint);
    }
    // The stack's own form, in China too, stands.
    for (const endpoint of ['https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/dev', 'https://a1b2c3d4e5.execute-api.cn-north-1.amazonaws.com.cn/prod']) {
      fake.scenario.ssm = {};
      put(DEV, record('0.9.0', { endpoint }));
      const t = team();
      await t.team.refresh(['dev']);
      t.close();
      const local = readDeployRecords(t.records);
      expect(local.state === 'ok' && local.records.dev?.endpoint, endpoint).toBe(endpoint);
    }
  });

  it('a version naming another stack, or a name CloudFormation would refuse, is skipped: deploy.json stays valid', async () => {
    put(DEV, record('0.7.0'));
    put(DEV, record('0.9.0', { stackName: 'not a stack name' }));
    put(DEV, record('0.9.1', { stackName: 'SomeOtherStack' }));
    const t = team();
    const read = await t.team.refresh(['dev']);
    t.close();
    expect(read.dev).toMatchObject({ source: 'account', skipped: 2 });
    const local = readDeployRecords(t.records);
    expect(local.state).toBe('ok');
    expect(local.state === 'ok' && local.records.dev).toMatchObject({ imageTag: '0.7.0', stackName: STACK });
  });

  it('a deploy recorded here that the account lacks (its write failed) stays on top of the mirror, not erased by the next read', async () => {
    put(DEV, record('0.8.0'));
    const dir = tempDir();
    writeFileSync(join(dir, 'deploy.json'), JSON.stringify({ dev: { endpoint: 'https://e/dev', imageTag: '0.9.0', deployedAt: '2026-11-21T09:00:00.000Z', stackName: STACK, stage: 'dev', history: [{ imageTag: '0.8.0', deployedAt: '2026-11-20T10:00:00.000Z' }] } }));
    const t = team(dir);
    await t.team.refresh(['dev']);
    t.close();
    const local = readDeployRecords(t.records);
    expect(local.state === 'ok' && local.records.dev).toMatchObject({ imageTag: '0.9.0', deployedAt: '2026-11-21T09:00:00.000Z', history: [{ imageTag: '0.8.0', deployedBy: 'arn:aws:sts::123456789012:assumed-role/Deployer/bob' }] });
  });

  it("deploy.json's history is copied up once, oldest first: a second machine's read finds it and copies nothing", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'deploy.json'), JSON.stringify({ dev: { endpoint: 'https://e/dev', imageTag: '0.7.2', deployedAt: '2026-11-02T00:00:00.000Z', stackName: STACK, stage: 'dev', history: [{ imageTag: '0.7.1', deployedAt: '2026-11-01T00:00:00.000Z' }, { imageTag: '', deployedAt: '2026-10-01T00:00:00.000Z' }] } }));
    const a = team(dir);
    await a.team.refresh(['dev']);
    a.close();
    expect(fake.scenario.ssm![DEV].versions.map((v) => [JSON.parse(v.value).imageTag, JSON.parse(v.value).operation])).toEqual([['0.7.1', 'copied'], ['0.7.2', 'copied']]);
    const otherDir = tempDir();
    writeFileSync(join(otherDir, 'deploy.json'), JSON.stringify({ dev: { endpoint: 'https://e/dev', imageTag: '0.6.0', deployedAt: '2026-09-01T00:00:00.000Z', stackName: STACK, stage: 'dev', history: [] } }));
    const b = team(otherDir);
    await b.team.refresh(['dev']);
    b.close();
    expect(fake.scenario.ssm![DEV].versions).toHaveLength(2);
    expect(JSON.parse(readFileSync(join(otherDir, 'deploy.json'), 'utf8')).dev).toMatchObject({ imageTag: '0.7.2', history: [{ imageTag: '0.7.1' }] });
  });

  it("steady refreshes cost one GetParameters and no history; another machine's deploy reads that environment's history only", async () => {
    put(DEV, record('0.7.0'));
    put(PROD, record('0.6.0'));
    const t = team();
    const ssmCalls = () => fake.calls.all.filter((c) => c.service === 'ssm').map((c) => {
      const input = c.input as { Name?: string; Names?: string[] };
      return `${c.operation} ${input.Name ?? input.Names!.join(',')}`;
    });
    fake.calls.reset();
    await t.team.refresh(['dev', 'prod']);
    // The two histories are asked together: either may reach the endpoint first.
    expect(ssmCalls()[0]).toBe(`GetParameters ${DEV},${PROD}`);
    expect(ssmCalls().slice(1).sort()).toEqual([`GetParameterHistory ${DEV}`, `GetParameterHistory ${PROD}`].sort());
    fake.calls.reset();
    await t.team.refresh(['dev', 'prod']);
    const steady = await t.team.refresh(['dev', 'prod']);
    expect(ssmCalls()).toEqual([`GetParameters ${DEV},${PROD}`, `GetParameters ${DEV},${PROD}`]);
    expect(steady.dev?.source === 'account' && steady.dev.entries.map((e) => e.imageTag)).toEqual(['0.7.0']);
    expect(steady.prod?.source === 'account' && steady.prod.entries.map((e) => e.imageTag)).toEqual(['0.6.0']);
    // Another machine records a deploy of dev.
    put(DEV, record('0.8.0', { deployedAt: '2026-11-21T10:00:00.000Z' }));
    fake.calls.reset();
    const after = await t.team.refresh(['dev', 'prod']);
    t.close();
    expect(ssmCalls()).toEqual([`GetParameters ${DEV},${PROD}`, `GetParameterHistory ${DEV}`]);
    expect(after.dev?.source === 'account' && after.dev.entries.map((e) => e.imageTag)).toEqual(['0.8.0', '0.7.0']);
    const local = readDeployRecords(t.records);
    expect(local.state === 'ok' && [local.records.dev?.imageTag, local.records.prod?.imageTag]).toEqual(['0.8.0', '0.6.0']);
  });

  it("dev's and prod's histories are asked together, and taken in turn: a refusal of the first is said once and turns the second local", async () => {
    put(DEV, record('0.7.0'));
    put(PROD, record('0.6.0'));
    const api = createStatusApi({ region: 'us-east-1' });
    const events: string[] = [];
    const store = {
      ...api,
      async getParameterHistory(name: string) {
        events.push(`start ${name}`);
        try {
          return await api.getParameterHistory(name);
        } finally {
          events.push(`end ${name}`);
        }
      },
    };
    const notices: string[] = [];
    const make = () => createTeam({ store, stackName: STACK, region: 'us-east-1', account: '123456789012', recordsPath: join(tempDir(), 'deploy.json'), who: async () => 'arn:aws:sts::123456789012:assumed-role/Deployer/alice', toolVersion: '1.2.3', notice: (m) => notices.push(m) });
    const read = await make().refresh(['dev', 'prod']);
    expect(events.slice(0, 2).sort()).toEqual([`start ${DEV}`, `start ${PROD}`].sort());
    expect(read.dev?.source === 'account' && read.dev.entries.map((e) => e.imageTag)).toEqual(['0.7.0']);
    expect(read.prod?.source === 'account' && read.prod.entries.map((e) => e.imageTag)).toEqual(['0.6.0']);
    fake.inject({ kind: 'access-denied', service: 'ssm', operation: 'GetParameterHistory' });
    const refused = await make().refresh(['dev', 'prod']);
    // prod's history was asked too, and refused: its answer, never taken, must not be an unhandled rejection.
    await new Promise((r) => setTimeout(r, 100));
    expect(events.filter((e) => e.startsWith('end '))).toHaveLength(4);
    api.close();
    expect(refused).toMatchObject({ dev: { source: 'local', failed: false }, prod: { source: 'local', reason: 'team records are off (no SSM permission)' } });
    expect(notices).toHaveLength(1);
  });

  it('a refused GetParameters is said once like any SSM refusal: local from then on, no more calls', async () => {
    put(DEV, record('0.7.0'));
    fake.inject({ kind: 'access-denied', service: 'ssm', operation: 'GetParameters' });
    const t = team();
    fake.calls.reset();
    expect(await t.team.refresh(['dev', 'prod'])).toMatchObject({ dev: { source: 'local' }, prod: { source: 'local' } });
    expect(await t.team.refresh(['dev'])).toMatchObject({ dev: { source: 'local', reason: 'team records are off (no SSM permission)' } });
    t.close();
    expect(t.team.enabled).toBe(false);
    expect(fake.calls.all.filter((c) => c.service === 'ssm').map((c) => c.operation)).toEqual(['GetParameters']);
    expect(t.notices).toHaveLength(1);
    expect(t.notices[0]).toMatch(/^team records off: these credentials need ssm:GetParameter, ssm:GetParameters, .*not authorized to perform: ssm:GetParameters/);
  });

  it('a lock whose value is not a lock still expires, from when it was written; before that it refuses', async () => {
    put(LOCK, 'garbage');
    const t = team(tempDir(), { lockTtlMs: 60_000 });
    await expect(t.team.acquireLock('deploy dev', 'dev')).rejects.toBeInstanceOf(AccountLockHeldError);
    fake.scenario.ssm![LOCK].versions[0].lastModifiedDate = new Date(Date.now() - 61_000).toISOString();
    const held = await t.team.acquireLock('deploy dev', 'dev');
    expect(held).not.toBeNull();
    expect(t.notices.join('\n')).toMatch(/took over the stack's lock in the account \(\/benchling-webhook\/BenchlingWebhookStack\/lock\): it had expired/);
    expect(JSON.parse(fake.scenario.ssm![LOCK].versions.at(-1)!.value)).toMatchObject({ operation: 'deploy dev', environment: 'dev', pid: process.pid });
    await held!.release();
    expect(fake.scenario.ssm![LOCK]).toBeUndefined();
    t.close();
  });

  it('the lock is renewed while held (its expiry moves on) and released only if still its own', async () => {
    const t = team(tempDir(), { lockTtlMs: 3_000 });
    const held = await t.team.acquireLock('deploy prod', 'prod');
    const first = JSON.parse(fake.scenario.ssm![LOCK].versions.at(-1)!.value).expires;
    await new Promise((r) => setTimeout(r, 1_500));
    const renewed = JSON.parse(fake.scenario.ssm![LOCK].versions.at(-1)!.value).expires;
    expect(Date.parse(renewed)).toBeGreaterThan(Date.parse(first));
    // Someone took it over meanwhile: releasing leaves theirs alone.
    put(LOCK, JSON.stringify({ token: 'theirs', who: 'x', host: 'h', pid: 1, operation: 'deploy dev', environment: 'dev', started: new Date().toISOString(), expires: new Date(Date.now() + 60_000).toISOString() }));
    await held!.release();
    expect(fake.scenario.ssm![LOCK]).toBeDefined();
    t.close();
  });

  it('a release under way when the process is about to exit is waited for (accountLocksReleased), at most the cap', async () => {
    const t = team(tempDir());
    const held = await t.team.acquireLock('deploy prod', 'prod');
    expect(fake.scenario.ssm![LOCK]).toBeDefined();
    // A slow network: the DeleteParameter answers after 600 ms.
    fake.inject({ kind: 'slow', service: 'ssm', operation: 'DeleteParameter', delayMs: 600, times: 1 });
    void held!.release();
    await accountLocksReleased(0);
    // A cap of 0 returns at once: the delete is still in flight, the lock still there.
    expect(fake.scenario.ssm![LOCK]).toBeDefined();
    await accountLocksReleased(10_000);
    expect(fake.scenario.ssm![LOCK]).toBeUndefined();
    // Nothing under way: resolves at once.
    await accountLocksReleased(10_000);
    t.close();
  });

  it('AccessDenied: said once, naming the actions and the path; reads fall back to local, the lock is not taken, nothing is written', async () => {
    fake.inject({ kind: 'access-denied', service: 'ssm' });
    const t = team();
    expect((await t.team.refresh(['dev', 'prod'])).dev).toMatchObject({ source: 'local' });
    expect(await t.team.acquireLock('deploy dev', 'dev')).toBeNull();
    expect(await t.team.record('dev', { imageTag: '0.8.0', endpoint: 'e', deployedAt: new Date().toISOString() })).toBe(false);
    t.close();
    expect(t.notices).toHaveLength(1);
    expect(t.notices[0]).toContain('ssm:GetParameter, ssm:GetParameters, ssm:GetParameterHistory, ssm:PutParameter, ssm:DeleteParameter on arn:aws:ssm:us-east-1:123456789012:parameter/benchling-webhook/BenchlingWebhookStack/*');
    expect(fake.scenario.ssm ?? {}).toEqual({});
    expect(existsSync(t.records)).toBe(false);
  });

  it('another failure taking the lock (throttled past the retries) refuses the deploy rather than run unlocked', async () => {
    fake.inject({ kind: 'throttle', service: 'ssm', operation: 'PutParameter' });
    process.env.AWS_MAX_ATTEMPTS = '2';
    const t = team();
    try {
      await expect(t.team.acquireLock('deploy dev', 'dev')).rejects.toThrow(/the stack's lock in the account \(\/benchling-webhook\/BenchlingWebhookStack\/lock\) could not be taken/);
    } finally {
      delete process.env.AWS_MAX_ATTEMPTS;
      t.close();
    }
    expect(fake.scenario.ssm?.[LOCK]).toBeUndefined();
  }, 60_000);
});
