import React from 'react';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createStatusApi, type AwsClientOptions } from '../../src/state/aws-clients.js';
import type { AwsErrorKind, StatusSnapshot } from '../../src/state/status-types.js';
import { formatStatus } from '../../bin/commands/status.js';
import { Dashboard } from '../../src/ui/Dashboard.js';
import { run, start } from './dashboard-fixtures.js';
import { renderTerminal, type Terminal } from '../helpers/terminal.js';
import type { Fault } from '../fake-aws/server.js';
import { useFakeAws } from '../helpers/fake-aws.js';

/**
 * Only CloudFormation's "Stack with id X does not exist" means the stack is
 * not found. Every other answer to DescribeStacks that is not the stack
 * (throttling beyond the retries, a 500, an unreadable reply, no answer in
 * time) is a failure of its kind, on both screens that show the stack:
 * `status`'s header and the dashboard's. Real SDK clients, pointed at the
 * fake only through AWS_ENDPOINT_URL.
 */

const { fake, onCleanup, statusPoller } = useFakeAws({ unset: ['AWS_MAX_ATTEMPTS', 'AWS_RETRY_MODE'] });
const terminals: Terminal[] = [];

afterEach(() => {
  for (const t of terminals.splice(0)) t.unmount();
});

function poller(apiOptions: Partial<AwsClientOptions> = { maxAttempts: 1 }) {
  return statusPoller({ intervalMs: 20, random: () => 0.5 }, apiOptions).poller;
}

/** The dashboard's main screen with this snapshot, as the operator sees it. */
function dashboardFrame(snapshot: StatusSnapshot): string {
  const state = run(start(), { type: 'snapshot', snapshot, nextPollInMs: 5000 }).state;
  const t = renderTerminal(<Dashboard state={state} onSetup={() => {}} onSave={() => {}} />, state.size);
  terminals.push(t);
  return t.frame();
}

const NOT_FOUND = /not found|does not exist|not deployed/i;

const failures: [string, Fault, AwsErrorKind, RegExp, RegExp][] = [
  ['throttled', { kind: 'throttle', operation: 'DescribeStacks' }, 'throttled', /^CloudFormation DescribeStacks: Throttling: Rate exceeded$/, /stack not read \(throttled\)/],
  ['a 500', { kind: 'server-error', operation: 'DescribeStacks' }, 'server', /^CloudFormation DescribeStacks: InternalFailure: /, /stack not read \(AWS server error\)/],
  ['a malformed reply', { kind: 'malformed', operation: 'DescribeStacks' }, 'bad-response', /^CloudFormation DescribeStacks: the AWS reply could not be read \(.*XML parse error/, /stack not read \(unreadable reply\)/],
  ['no answer in time', { kind: 'slow', operation: 'DescribeStacks', delayMs: 1_000 }, 'timeout', /^CloudFormation DescribeStacks: TimeoutError: .*requestTimeout/, /stack not read \(timed out\)/],
];

describe('DescribeStacks: "does not exist" is not found; every other failure is a failure', () => {
  it('"Stack with id X does not exist": not found on both screens, the environments down', async () => {
    fake.scenario.stacks = {};
    const snap = await poller().snapshot();
    expect(fake.calls.matching('DescribeStacks')[0].status).toBe(400);
    expect(snap).toMatchObject({ stackStatus: null, error: null });
    expect(snap.environments.map((e) => e.health)).toEqual(['down', 'down']);
    expect(formatStatus(snap)[0]).toBe('BenchlingWebhookStack  us-east-1  account 123456789012  stack not found');
    const frame = dashboardFrame(snap);
    expect(frame).toMatch(/us-east-1\s+stack not found/);
    expect(frame).toMatch(/the stack does not exist/);
  });

  for (const [what, fault, kind, error, header] of failures) {
    it(`${what}: a failure of kind ${kind}, never "not found", on the first read`, async () => {
      fake.inject(fault);
      const snap = await poller({ maxAttempts: 1, requestTimeoutMs: 300 }).snapshot();
      expect(snap.errorKind).toBe(kind);
      expect(snap.error).toMatch(error);
      expect(snap.stackStatus).toBeNull();
      expect(snap.environments.map((e) => e.health)).toEqual(['unknown', 'unknown']);
      for (const e of snap.environments) expect(e.reason).not.toMatch(NOT_FOUND);

      const lines = formatStatus(snap);
      expect(lines[0]).toMatch(header);
      expect(lines.join('\n')).not.toMatch(NOT_FOUND);

      const frame = dashboardFrame(snap);
      expect(frame).toMatch(/stack not read/);
      expect(frame).toMatch(/unknown/);
      expect(frame).not.toMatch(NOT_FOUND);
    });
  }

  it('a stack read as missing, then a failed read: the failure is shown, not the old "not found"', async () => {
    fake.scenario.stacks = {};
    const p = poller();
    expect((await p.snapshot()).environments.map((e) => e.health)).toEqual(['down', 'down']);
    fake.inject({ kind: 'throttle', operation: 'DescribeStacks', times: 1 });
    const failed = await p.snapshot();
    expect(failed).toMatchObject({ stackStatus: null, errorKind: 'throttled', error: 'CloudFormation DescribeStacks: Throttling: Rate exceeded' });
    expect(failed.environments.map((e) => e.health)).toEqual(['unknown', 'unknown']);
    expect(formatStatus(failed)[0]).toMatch(/stack not read \(throttled\)$/);
    expect(dashboardFrame(failed)).not.toMatch(NOT_FOUND);
    // And CloudFormation saying it again makes it not found again.
    expect((await p.snapshot()).environments.map((e) => e.health)).toEqual(['down', 'down']);
  });

  it('a stack read before, then a failed read: the last good data stays, with the failure beside it', async () => {
    const p = poller();
    const first = await p.snapshot();
    p.invalidate();
    fake.inject({ kind: 'server-error', operation: 'DescribeStacks', times: 1 });
    const failed = await p.snapshot();
    expect(failed).toMatchObject({ stackStatus: 'UPDATE_COMPLETE', errorKind: 'server', stackReadAt: first.stackReadAt });
    expect(failed.environments.map((e) => e.health)).toEqual(['healthy', 'healthy']);
    expect(formatStatus(failed)[0]).toMatch(/UPDATE_COMPLETE$/);
    expect(dashboardFrame(failed)).toMatch(/UPDATE_COMPLETE/);
  });

  it('throttled beyond the retries (product defaults): a throttling failure after every attempt, never "not found"', async () => {
    fake.inject({ kind: 'throttle', operation: 'DescribeStacks' });
    const snap = await poller({}).snapshot();
    // Should the count fall short, which error ended the retries, and every call the fake saw.
    expect(fake.calls.count('DescribeStacks'), `${snap.errorKind}: ${snap.error}; ${JSON.stringify(fake.calls.all.map((c) => [c.operation, c.status, c.fault ?? null, c.at]))}`).toBe(5);
    expect(snap).toMatchObject({ stackStatus: null, errorKind: 'throttled' });
    expect(formatStatus(snap)[0]).toMatch(/stack not read \(throttled\)$/);
  });

  it('a 200 DescribeStacks reply without the stack in it: an unreadable reply, not "not found"', async () => {
    const server: Server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end('<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks/></DescribeStacksResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DescribeStacksResponse>');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
    process.env.AWS_ENDPOINT_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const api = createStatusApi({ region: 'us-east-1', maxAttempts: 1 });
    onCleanup(() => api.close());
    const error = await api.describeStack('BenchlingWebhookStack').then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ name: 'AwsReplyError' });
    const { classifyAwsError } = await import('../../src/state/aws-errors.js');
    expect(classifyAwsError(error).kind).toBe('bad-response');
  });
});

describe('ECS throttling: a short burst is absorbed by the retries, a longer one is shown as throttling', () => {
  it('the clients retry adaptively, five attempts, unless AWS_MAX_ATTEMPTS / AWS_RETRY_MODE or the options say otherwise', async () => {
    const { retryConfig } = await import('../../src/state/aws-clients.js');
    expect(retryConfig({}, {})).toEqual({ maxAttempts: 5, retryMode: 'adaptive' });
    expect(retryConfig({}, { AWS_MAX_ATTEMPTS: '1', AWS_RETRY_MODE: 'standard' })).toEqual({});
    expect(retryConfig({ maxAttempts: 2, retryMode: 'standard' }, { AWS_MAX_ATTEMPTS: '1' })).toEqual({ maxAttempts: 2, retryMode: 'standard' });
  });

  it('three throttled DescribeServices in a row: both panels show data', async () => {
    fake.inject({ kind: 'throttle', operation: 'DescribeServices', times: 3 });
    const snap = await poller({}).snapshot();
    expect(fake.calls.count('DescribeServices')).toBe(4);
    expect(snap.environments.map((e) => [e.health, e.error])).toEqual([
      ['healthy', null],
      ['healthy', null],
    ]);
    expect(snap.environments.map((e) => e.service?.running)).toEqual([1, 2]);
    const frame = dashboardFrame(snap);
    expect(frame).toMatch(/tasks\s+1\/1 running/);
    expect(frame).toMatch(/tasks\s+2\/2 running/);
    expect(frame).not.toMatch(/unknown|AWS error/);
  });

  it('the logs client absorbs three throttled FilterLogEvents in a row like the others', async () => {
    const { createLogsApi } = await import('../../src/state/logs-aws.js');
    const logs = createLogsApi({ region: 'us-east-1' });
    onCleanup(() => logs.close());
    const logGroupName = fake.scenario.stacks.BenchlingWebhookStack.outputs.DevLogGroupName;
    fake.inject({ kind: 'throttle', operation: 'FilterLogEvents', times: 3 });
    const page = await logs.filterLogEvents({ logGroupName, startTime: Date.now() - 600_000 });
    expect(fake.calls.count('FilterLogEvents')).toBe(4);
    expect(page.events.map((e) => e.message)).toContain('INFO GET /health 200');
  });

  it('throttled beyond the retry budget: both environments unknown, shown as throttling, the rest still read', async () => {
    fake.inject({ kind: 'throttle', operation: 'DescribeServices' });
    const snap = await poller({}).snapshot();
    expect(fake.calls.count('DescribeServices')).toBe(5);
    for (const e of snap.environments) {
      expect(e.health).toBe('unknown');
      expect(e.error).toBe('ECS DescribeServices: ThrottlingException: Rate exceeded');
      expect(e.targets?.healthy).toBeGreaterThan(0);
    }
    const frame = dashboardFrame(snap);
    expect(frame).toMatch(/> dev\s+unknown/);
    expect(frame).toMatch(/prod\s+unknown/);
    // Each panel, its text wrapped: the error row, then its continuation.
    expect(frame.match(/AWS error \(showing data from \d+ s ago\) ECS/g)).toHaveLength(2);
    expect(frame.match(/DescribeServices: ThrottlingException: Rate/g)).toHaveLength(2);
  });
});
