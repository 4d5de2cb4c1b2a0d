import { describe, expect, it } from 'vitest';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { FAKE_ACCESS_KEY_ID } from '../fake-aws/server.js';
import { namesOf, removeService } from '../fake-aws/scenario.js';
import { useFakeAws } from './fake-aws.js';

/**
 * The one fake AWS set-up of the test files: each test starts from a fresh
 * world, no calls and no faults, with the environment pointed at the fake and
 * put back after it. The tests run in order: each second one sees what its
 * first one left.
 */

process.env.BD_HARNESS_LEFT_ALONE = 'kept';
const { fake, onCleanup, statusPoller } = useFakeAws({ unset: ['BD_HARNESS_UNSET'] });
let cleaned = 0;

/** The account STS answers, asked by a client given no endpoint and no credentials in code. */
async function callerAccount(): Promise<string | undefined> {
  const sts = new STSClient({ region: 'us-east-1', maxAttempts: 1 });
  try {
    return (await sts.send(new GetCallerIdentityCommand({}))).Account;
  } finally {
    sts.destroy();
  }
}

describe('useFakeAws', () => {
  it('points the SDK clients at the fake through the environment only, without AWS_PROFILE or the unset variables', async () => {
    expect(process.env.AWS_ENDPOINT_URL).toBe(fake.url);
    expect(process.env.AWS_ACCESS_KEY_ID).toBe(FAKE_ACCESS_KEY_ID);
    expect(process.env.AWS_PROFILE).toBeUndefined();
    expect(process.env.BD_HARNESS_UNSET).toBeUndefined();
    expect(process.env.BD_HARNESS_LEFT_ALONE).toBe('kept');
    expect(await callerAccount()).toBe('123456789012');
    expect(fake.calls.all.map((c) => c.operation)).toEqual(['GetCallerIdentity']);
  });

  it('a test may leave the world changed, faults injected, calls logged, pollers running and the environment changed', async () => {
    removeService(fake.scenario, 'prod');
    fake.inject({ service: 'sts', kind: 'server-error' });
    process.env.AWS_REGION = 'eu-west-3';
    process.env.BD_HARNESS_ADDED = 'added';
    process.env.BD_HARNESS_UNSET = 'set by a test';
    delete process.env.BD_HARNESS_LEFT_ALONE;
    const { poller } = statusPoller();
    onCleanup(() => void (cleaned += 1));
    const snap = await poller.snapshot();
    expect(snap.environments.find((e) => e.name === 'prod')!.health).not.toBe('healthy');
    await expect(callerAccount()).rejects.toThrow();
    expect(fake.calls.all.length).toBeGreaterThan(0);
  });

  it('the next test starts from a fresh world, no faults, no calls, the environment as it was, and the last test cleaned up', async () => {
    expect(cleaned).toBe(1);
    expect(fake.calls.all).toEqual([]);
    const prod = namesOf(fake.scenario, 'prod');
    expect(fake.scenario.clusters[prod.cluster].services[prod.service]).toBeDefined();
    expect(process.env.AWS_REGION).not.toBe('eu-west-3');
    expect(process.env.BD_HARNESS_ADDED).toBeUndefined();
    expect(process.env.BD_HARNESS_UNSET).toBeUndefined();
    expect(process.env.BD_HARNESS_LEFT_ALONE).toBe('kept');
    expect(await callerAccount()).toBe('123456789012');
    const snap = await statusPoller().poller.snapshot();
    expect(snap.environments.map((e) => [e.name, e.health])).toEqual([
      ['dev', 'healthy'],
      ['prod', 'healthy'],
    ]);
  });
});
