/**
 * The dashboard's AWS clients in their worker thread (src/state/worker-status-api.ts, run from the
 * built dist/status-worker.cjs as the dashboard runs it) against the fake AWS: the same answers as
 * the clients on this thread, errors of the same class with what the poller reads of them, the first
 * poll's reads sent ahead and taken by its same calls, and a worker that stops or is closed.
 */
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { ExternalError, UserError, UserErrors } from '../../src/errors.js';
import { UntrustedFileError } from '../../src/config/untrusted-file.js';
import { createStatusApi, type AwsClientOptions } from '../../src/state/aws-clients.js';
import { AwsReplyError, classifyAwsError } from '../../src/state/aws-errors.js';
import { openStackPartsCache } from '../../src/state/stack-parts-cache.js';
import { createStatusPoller, type PollUpdate, type StackParts } from '../../src/state/status-poller.js';
import { startStatusWorker } from '../../src/state/status-worker-start.js';
import { fromWireError, toWireError, type ReadAhead } from '../../src/state/status-worker-protocol.js';
import { statusClientsInWorker, type StatusClients } from '../../src/state/worker-status-api.js';
import { ROOT, copyOfBuild } from '../helpers/cli.js';
import { BOTH_ENVIRONMENTS, firstUpdateOf, stackPartsNow, timeless, useFakeAws } from '../helpers/fake-aws.js';
import { tempDir } from '../helpers/fixtures.js';
import { waitFor } from '../helpers/wait.js';

const WORKER = join(ROOT, 'dist', 'status-worker.cjs');
const { fake, onCleanup } = useFakeAws();
const OPTIONS: AwsClientOptions = { region: 'us-east-1', maxAttempts: 1 };
const PLACE = { stackName: 'BenchlingWebhookStack', account: '123456789012', environments: ['dev', 'prod'] } as const satisfies ReadAhead;

function newest(dir: string): number {
  return Math.max(...readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs)));
}

// The built worker is what the dashboard runs: an old build would test old code.
if (!existsSync(WORKER) || statSync(WORKER).mtimeMs < Math.max(newest(join(ROOT, 'src')), newest(join(ROOT, 'bin')))) {
  throw new Error('dist/status-worker.cjs is missing or older than src/ and bin/: run `npm run build` first (npm test does)');
}

/** This thread's clients, closed after the test. */
function local(options: AwsClientOptions = OPTIONS): StatusClients {
  const api = createStatusApi(options);
  onCleanup(() => api.close());
  return api;
}

/** Clients in a worker started on `file`, closed after the test; `fallbacks` counts the clients made here after it stopped. */
function inWorker(options: AwsClientOptions = OPTIONS, readAhead?: ReadAhead, file = WORKER) {
  const worker = startStatusWorker(file, Worker);
  let fallbacks = 0;
  const api = statusClientsInWorker(worker, options, async () => (fallbacks++, local(options)), readAhead);
  onCleanup(() => api.close());
  return { api, worker, fallbacks: () => fallbacks };
}

const partsNow = () => stackPartsNow(fake);

/** The first (health first) update of a poller on `api`, with the parts the last run kept, as the dashboard starts it. */
function firstUpdate(api: StatusClients, lastParts: StackParts | undefined): Promise<PollUpdate> {
  return firstUpdateOf(createStatusPoller({ api, stackName: PLACE.stackName, region: 'us-east-1', account: PLACE.account, environments: BOTH_ENVIRONMENTS, intervalMs: 60_000, healthFirst: true, ...(lastParts ? { lastParts } : {}) }));
}

describe('the status clients in their worker thread', () => {
  it('answer each call as the clients on this thread do', async () => {
    const here = local();
    const { api: there } = inWorker();
    const parts = partsNow();
    const dev = parts.environments.dev!;
    const calls: [string, (api: StatusClients) => Promise<unknown>][] = [
      ['identity', (a) => a.getCallerIdentity()],
      ['stack', (a) => a.describeStack(PLACE.stackName)],
      ['no stack', (a) => a.describeStack('NoSuchStack')],
      ['services', (a) => a.describeServices(parts.cluster!, [dev.service!, parts.environments.prod!.service!, 'gone'])],
      ['targets', (a) => a.describeTargetHealth(dev.targetGroup!)],
      ['stages', (a) => a.getStages(parts.apiId!)],
      ['running', (a) => a.listRunningTasks!(parts.cluster!, dev.service!)],
      ['metrics', (a) => a.getMetricData!([{ id: 'm0', namespace: 'AWS/ECS', metricName: 'CPUUtilization', dimensions: [{ name: 'ClusterName', value: parts.cluster! }, { name: 'ServiceName', value: dev.service! }], stat: 'Average', periodSeconds: 60 }], new Date(Date.now() - 3_600_000), new Date())],
      ['parameters', (a) => a.getParameters(['/benchling-webhook/none'])],
    ];
    for (const [what, call] of calls) expect(await call(there), what).toEqual(await call(here));
    // Every call reached AWS from each side: twice each.
    expect(fake.calls.count('DescribeStacks')).toBe(4);
    expect(fake.calls.count('GetParameters')).toBe(2);
  });

  it("an error crosses with its class and the SDK's fields: the poller reads it as it would here", async () => {
    const here = local();
    const { api: there } = inWorker();
    const failure = async (api: StatusClients) => api.describeServices('c', ['s']).then(() => 'answered', (e: unknown) => e);
    for (const kind of ['throttle', 'server-error', 'expired-credentials', 'access-denied', 'malformed'] as const) {
      fake.clearFaults();
      fake.inject({ kind, operation: 'DescribeServices' });
      const mine = (await failure(here)) as Error;
      const theirs = (await failure(there)) as Error & { $metadata?: unknown };
      expect(theirs, kind).toBeInstanceOf(Error);
      expect(theirs.name, kind).toBe(mine.name);
      expect(theirs.message, kind).toBe(mine.message);
      // The same but for the request's id, which AWS gives each call.
      const metadata = (e: Error) => ({ ...(e as Error & { $metadata?: object }).$metadata, requestId: undefined });
      expect(metadata(theirs), kind).toEqual(metadata(mine));
      expect(metadata(theirs), kind).toHaveProperty('httpStatusCode');
      expect(classifyAwsError(theirs), kind).toEqual(classifyAwsError(mine));
    }
  });

  it('an AWS profile that is not there is the same UserError, with its hint', async () => {
    const home = tempDir('bd-status-worker-home-');
    writeFileSync(join(home, 'config'), '[profile other]\nregion = us-east-1\n');
    process.env.AWS_CONFIG_FILE = join(home, 'config');
    process.env.AWS_SHARED_CREDENTIALS_FILE = join(home, 'credentials');
    const options = { ...OPTIONS, awsProfile: 'missing' };
    const mine = await local(options).describeStack(PLACE.stackName).catch((e: unknown) => e);
    const theirs = await inWorker(options).api.describeStack(PLACE.stackName).catch((e: unknown) => e);
    expect(mine).toBeInstanceOf(UserError);
    expect(theirs).toBeInstanceOf(UserError);
    expect(theirs).toMatchObject({ message: (mine as UserError).message, hint: (mine as UserError).hint });
  });

  it("read ahead: the first poll's reads go out before it asks, and its same calls take their answers", async () => {
    // The kept parts of this test alone (the worker copies the environment when it starts).
    process.env.XDG_CACHE_HOME = tempDir('bd-status-worker-cache-');
    openStackPartsCache({ stackName: PLACE.stackName, region: 'us-east-1', account: PLACE.account }).save(partsNow());
    const { api } = inWorker(OPTIONS, PLACE);
    // Sent with nothing asked: the stack, both services in one call, each target group.
    await waitFor(() => fake.calls.count('DescribeStacks') === 1 && fake.calls.count('DescribeServices') === 1 && fake.calls.count('DescribeTargetHealth') === 2, 20_000, 'the reads sent ahead');
    const update = await firstUpdate(api, partsNow());
    // The poll's own reads of them were answered by those: none went out again.
    expect(fake.calls.byOperation()).toMatchObject({ 'cloudformation:DescribeStacks': 1, 'ecs:DescribeServices': 1, 'elasticloadbalancing:DescribeTargetHealth': 2 });
    fake.calls.reset();
    const again = await firstUpdate(local(), partsNow());
    expect(timeless(update.snapshot)).toEqual(timeless(again.snapshot));
    expect(update.snapshot.environments.map((e) => [e.name, e.health])).toEqual([
      ['dev', 'healthy'],
      ['prod', 'healthy'],
    ]);
  });

  it('read ahead: without kept parts only the stack; a read the poll asks otherwise is read again', async () => {
    process.env.XDG_CACHE_HOME = tempDir('bd-status-worker-cache-');
    const { api } = inWorker(OPTIONS, PLACE);
    await waitFor(() => fake.calls.count('DescribeStacks') === 1, 20_000, 'the stack read ahead');
    await new Promise((r) => setTimeout(r, 300));
    expect(fake.calls.count()).toBe(1);
    // Kept parts that name another service: the services read ahead are not the poll's.
    const kept = partsNow();
    openStackPartsCache({ stackName: PLACE.stackName, region: 'us-east-1', account: PLACE.account }).save({ ...kept, environments: { ...kept.environments, dev: { ...kept.environments.dev!, service: 'renamed-service' } } });
    fake.calls.reset();
    const { api: other } = inWorker(OPTIONS, PLACE);
    await waitFor(() => fake.calls.count('DescribeServices') === 1, 20_000, 'the services read ahead');
    const update = await firstUpdate(other, partsNow());
    expect(fake.calls.count('DescribeServices')).toBe(2);
    expect(fake.calls.matching('DescribeServices').map((c) => (c.input as { services?: string[] }).services)).toEqual([
      ['renamed-service', kept.environments.prod!.service],
      [kept.environments.dev!.service, kept.environments.prod!.service],
    ]);
    expect(update.snapshot.environments.map((e) => e.health)).toEqual(['healthy', 'healthy']);
    expect(await api.describeStack(PLACE.stackName)).not.toBeNull();
  });

  it("a worker that stops fails the calls it held; the calls after are made on this thread", async () => {
    fake.inject({ kind: 'slow', operation: 'DescribeStacks', delayMs: 5_000, times: 1 });
    const { api, worker, fallbacks } = inWorker();
    const held = api.describeStack(PLACE.stackName).then(() => 'answered', (e: Error) => e.message);
    await waitFor(() => fake.calls.count('DescribeStacks') === 1, 20_000, 'the call to reach AWS');
    await worker.worker.terminate();
    expect(await held).toMatch(/^the AWS clients' worker thread stopped \(exit code 1\)/);
    expect(fallbacks()).toBe(0);
    expect((await api.describeStack(PLACE.stackName))?.stackName).toBe(PLACE.stackName);
    expect(await api.getStages(partsNow().apiId!)).toHaveLength(2);
    expect(fallbacks()).toBe(1);
  });

  it('a worker file that fails as it starts: the call says so; the calls after are made on this thread', async () => {
    const { dist } = copyOfBuild((name) => !name.endsWith('.map'));
    writeFileSync(join(dist, 'status-worker.cjs'), "'use strict';\nthrow new Error('damaged');\n");
    const { api, fallbacks } = inWorker(OPTIONS, undefined, join(dist, 'status-worker.cjs'));
    const first = await api.describeStack(PLACE.stackName).then(() => 'answered', (e: Error) => e.message);
    expect(first).toBe("the AWS clients' worker thread failed: damaged");
    expect((await api.describeStack(PLACE.stackName))?.stackName).toBe(PLACE.stackName);
    expect(fallbacks()).toBe(1);
  });

  it('an sdk.cjs missing from the installation: each call says which file, as the clients here would', async () => {
    const { dist } = copyOfBuild((name) => name !== 'sdk.cjs' && !name.endsWith('.map'));
    const { api, fallbacks } = inWorker(OPTIONS, undefined, join(dist, 'status-worker.cjs'));
    const error = await api.describeStack(PLACE.stackName).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(ExternalError);
    expect((error as Error).message).toMatch(/sdk\.cjs/);
    expect(fallbacks()).toBe(0);
  });

  it("without the build's code cache of sdk.cjs, this user's is written after the first answer (the thread is ended, never exits)", async () => {
    process.env.XDG_CACHE_HOME = tempDir('bd-status-worker-cache-');
    const front = join(process.env.XDG_CACHE_HOME, 'benchling-deploy', 'front');
    const { dist } = copyOfBuild((name) => name !== 'sdk.cjs.cache' && !name.endsWith('.map'));
    const { api } = inWorker(OPTIONS, undefined, join(dist, 'status-worker.cjs'));
    expect((await api.describeStack(PLACE.stackName))?.stackName).toBe(PLACE.stackName);
    await waitFor(() => existsSync(front) && readdirSync(front).some((f) => f.endsWith('-sdk.cjs.cache')), 20_000, "this user's cache of sdk.cjs");
  });

  it('close() ends the worker: a call still crossing, and any after, fail as closed clients do', async () => {
    fake.inject({ kind: 'slow', operation: 'DescribeStacks', delayMs: 5_000, times: 1 });
    const { api, worker } = inWorker();
    const exited = new Promise<void>((resolve) => worker.onStop(() => resolve()));
    const held = api.describeStack(PLACE.stackName).then(() => 'answered', (e: Error) => e.message);
    api.close();
    expect(await held).toBe('the AWS clients were closed');
    await exited;
    await expect(api.getCallerIdentity()).rejects.toThrow('the AWS clients were closed');
  });
});

describe('errors as they cross', () => {
  it('keep their class, hint, problems and plain fields; what JSON cannot copy, and the raw response, stay behind', () => {
    const round = (e: unknown) => fromWireError(structuredClone(toWireError(e)));
    const users = round(new UserErrors(['a: bad', 'b: bad'], 'fix them')) as UserErrors;
    expect(users).toBeInstanceOf(UserErrors);
    expect([users.problems, users.hint, users.message]).toEqual([['a: bad', 'b: bad'], 'fix them', 'a: bad\nb: bad']);
    const external = round(new ExternalError('cdk failed', { hint: 'see the log', command: 'cdk deploy', exitCode: 3 })) as ExternalError;
    expect(external).toBeInstanceOf(ExternalError);
    expect([external.hint, external.command, external.commandExitCode]).toEqual(['see the log', 'cdk deploy', 3]);
    expect(round(new AwsReplyError('no stack'))).toBeInstanceOf(AwsReplyError);
    // A subclass comes back as its base class, under its own name: what the banner reads.
    const big = new UntrustedFileError('~/.aws/config: too big', 'move it aside', 'too big');
    expect(round(big)).toMatchObject({ name: 'UntrustedFileError', message: big.message, hint: 'move it aside' });
    expect(classifyAwsError(round(big))).toEqual(classifyAwsError(big));
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    const sdk = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400, requestId: 'r1' }, $retryable: { throttling: true }, $response: { body: 'raw' }, cycle, code: undefined });
    const back = round(sdk) as Error & Record<string, unknown>;
    expect(back.name).toBe('ThrottlingException');
    expect(back).toMatchObject({ $fault: 'client', $metadata: { httpStatusCode: 400, requestId: 'r1' }, $retryable: { throttling: true } });
    expect('$response' in back || 'cycle' in back).toBe(false);
    expect(classifyAwsError(back)).toEqual(classifyAwsError(sdk));
    expect(round('a string')).toMatchObject({ name: 'Error', message: 'a string' });
  });
});
