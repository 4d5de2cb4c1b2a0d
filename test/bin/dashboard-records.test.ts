/**
 * The dashboard's records (the panels' deploys, the history `R` picks from) follow deploys made
 * elsewhere: a deploy from another shell writes deploy.json (and the account) before the
 * dashboard's refresh looks, so what changed is judged against what the dashboard was given.
 * Real SDK clients against the fake AWS; `r` (refresh) reads the stack and the records again.
 */
import { describe, expect, it } from 'vitest';
import { createServices } from '../../bin/commands/dashboard.js';
import { recordDeploy, type DeployRecords } from '../../src/state/deploy-records.js';
import { devProfile, prodProfile, tempDir, writeJson } from '../helpers/fixtures.js';
import { waitFor } from '../helpers/wait.js';
import { useFakeAws } from '../helpers/fake-aws.js';

const { fake } = useFakeAws();

describe('dashboard records', () => {
  it('a deploy recorded by another process reaches the dashboard at its next refresh; the stack is read again on r', async () => {
    const dir = tempDir();
    writeJson(dir, 'default.json', prodProfile());
    writeJson(dir, 'dev.json', devProfile());
    const recordsPath = `${dir}/deploy.json`;
    await recordDeploy(recordsPath, 'dev', { endpoint: 'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/dev', imageTag: '0.8.0', deployedAt: new Date(Date.now() - 60_000).toISOString(), stackName: 'BenchlingWebhookStack' });
    const given: DeployRecords[] = [];
    const services = createServices({ g: {}, configDir: dir, recordsPath, intervalMs: 60_000 });
    const handle = await services.startStatus(() => undefined, { onRecords: (r) => given.push(r) });
    // The first refresh hands the records over whatever they are.
    await waitFor(() => given.length === 1, 10_000, 'the first records');
    expect(given[0].dev?.imageTag).toBe('0.8.0');

    // Another shell deploys dev twice: the file changes before the dashboard's next refresh reads it.
    for (const [tag, ago] of [['0.8.1', 30_000], ['0.8.2', 1_000]] as const) {
      await recordDeploy(recordsPath, 'dev', { endpoint: 'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/dev', imageTag: tag, deployedAt: new Date(Date.now() - ago).toISOString(), stackName: 'BenchlingWebhookStack' });
    }
    const stackReads = fake.calls.count('DescribeStacks');
    handle.refresh();
    await waitFor(() => given.length === 2, 10_000, 'the records after the other deploys');
    expect(given[1].dev?.imageTag).toBe('0.8.2');
    expect(given[1].dev?.history.map((h) => h.imageTag)).toEqual(['0.8.1', '0.8.0']);
    // r is "refresh now": the stack's status is read again, not taken from its five-minute cache.
    await waitFor(() => fake.calls.count('DescribeStacks') > stackReads, 10_000, 'the stack read again');
    // Nothing new: nothing handed over again.
    handle.refresh();
    await new Promise((r) => setTimeout(r, 500));
    expect(given).toHaveLength(2);
    await handle.stop();
  });
});
