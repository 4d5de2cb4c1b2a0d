import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { HISTORY_LIMIT, lockPathFor, loadDeployRecords, markDestroyed, readDeployRecords, recordDeploy } from '../../src/state/deploy-records.js';
import { acquireLock } from '../../src/config/lock.js';
import { tempDir } from '../helpers/fixtures.js';

const deploy = (tag: string, at = `2026-11-26T10:00:${tag.padStart(2, '0').slice(-2)}.000Z`) => ({
  endpoint: 'https://abc123.execute-api.us-east-1.amazonaws.com/dev',
  imageTag: tag,
  deployedAt: at,
  stackName: 'BenchlingWebhookStack',
});

describe('deploy records', () => {
  it('a missing file reads as empty', () => {
    expect(readDeployRecords(join(tempDir(), 'deploy.json'))).toEqual({ state: 'missing', records: {} });
  });

  it('records a deploy in its own section, leaving the other untouched', async () => {
    const path = join(tempDir(), 'deploy.json');
    await recordDeploy(path, 'prod', { ...deploy('1'), endpoint: 'https://abc123.execute-api.us-east-1.amazonaws.com/prod' });
    const prodBefore = JSON.parse(readFileSync(path, 'utf8')).prod;
    await recordDeploy(path, 'dev', deploy('2'));
    const file = JSON.parse(readFileSync(path, 'utf8'));
    expect(file.prod).toEqual(prodBefore);
    expect(file.dev).toEqual({ ...deploy('2'), stage: 'dev', history: [] });
    expect(file.prod.endpoint).toBe('https://abc123.execute-api.us-east-1.amazonaws.com/prod');
  });

  it('pushes the previous deploy onto history, newest first, bounded', async () => {
    const path = join(tempDir(), 'deploy.json');
    for (let i = 1; i <= HISTORY_LIMIT + 5; i++) await recordDeploy(path, 'dev', deploy(String(i)));
    const rec = loadDeployRecords(path).dev!;
    expect(rec.imageTag).toBe(String(HISTORY_LIMIT + 5));
    expect(rec.history).toHaveLength(HISTORY_LIMIT);
    expect(rec.history[0].imageTag).toBe(String(HISTORY_LIMIT + 4));
    expect(rec.history.at(-1)!.imageTag).toBe('5');
  });

  it('reads a v0.6-era file with only prod and no history, and converts it on the first record', async () => {
    const path = join(tempDir(), 'deploy.json');
    const old = {
      prod: {
        webhookEndpoint: 'https://old.execute-api.us-east-1.amazonaws.com/prod',
        webhookUrl: 'https://old.execute-api.us-east-1.amazonaws.com/prod',
        stackArn: 'arn:aws:cloudformation:us-east-1:123456789012:stack/BenchlingWebhookStack/abc',
        deploymentTimestamp: '2025-01-01T00:00:00.000Z',
        imageTag: '0.6.3',
      },
    };
    writeFileSync(path, JSON.stringify(old));
    const read = loadDeployRecords(path);
    expect(read.prod).toMatchObject({ endpoint: old.prod.webhookEndpoint, imageTag: '0.6.3', deployedAt: '2025-01-01T00:00:00.000Z', stackName: 'BenchlingWebhookStack', stage: 'prod', history: [], legacy: true });
    await recordDeploy(path, 'prod', { ...deploy('0.7.0'), endpoint: 'https://new.execute-api.us-east-1.amazonaws.com/prod' });
    const file = JSON.parse(readFileSync(path, 'utf8'));
    expect(file.prod.endpoint).toBe('https://new.execute-api.us-east-1.amazonaws.com/prod');
    expect(file.prod.webhookEndpoint).toBeUndefined();
    expect(file.prod.history[0]).toMatchObject({ imageTag: '0.6.3', deployedAt: '2025-01-01T00:00:00.000Z', endpoint: old.prod.webhookEndpoint, stackArn: old.prod.stackArn });
  });

  it('refuses to overwrite a malformed file, naming it, and keeps it byte for byte', async () => {
    for (const bad of ['{ not json', '[]', '{"dev": 3}', '{"prod": {"endpoint": 5}}', '{"dev": {"history": [{"imageTag": 1}]}}']) {
      const path = join(tempDir(), 'deploy.json');
      writeFileSync(path, bad);
      const read = readDeployRecords(path);
      expect(read.state).toBe('malformed');
      await expect(recordDeploy(path, 'dev', deploy('1'))).rejects.toThrow(path);
      expect(readFileSync(path, 'utf8')).toBe(bad);
      expect(existsSync(lockPathFor(path))).toBe(false);
    }
  });

  it('marks sections destroyed and keeps history', async () => {
    const path = join(tempDir(), 'deploy.json');
    await recordDeploy(path, 'prod', deploy('1'));
    await recordDeploy(path, 'prod', deploy('2'));
    await markDestroyed(path, ['prod', 'dev'], '2026-11-26T11:00:00.000Z');
    const rec = loadDeployRecords(path).prod!;
    expect(rec.destroyedAt).toBe('2026-11-26T11:00:00.000Z');
    expect(rec.history.map((h) => h.imageTag)).toEqual(['1']);
    expect(loadDeployRecords(path).dev).toBeUndefined();
  });

  it('refuses an unknown top-level key, naming it but not its value, and keeps the file byte for byte', async () => {
    const path = join(tempDir(), 'deploy.json');
    const prod = { endpoint: 'https://e.execute-api.us-east-1.amazonaws.com/prod', imageTag: '1', deployedAt: '2026-01-01T00:00:00.000Z', stackName: 's', stage: 'prod', history: [] };
    const text = JSON.stringify({ note: 'a-value-never-shown', prod });
    writeFileSync(path, text);
    const read = readDeployRecords(path);
    expect(read).toMatchObject({ state: 'malformed', error: `${path}: note: unknown field; deploy.json holds only the "dev" and "prod" sections` });
    expect(JSON.stringify(read)).not.toContain('a-value-never-shown');
    await expect(recordDeploy(path, 'dev', deploy('1'))).rejects.toThrow(`${path}: note: unknown field`);
    expect(readFileSync(path, 'utf8')).toBe(text);
    // The nearest file that must pass: the same without the stray key.
    writeFileSync(path, JSON.stringify({ prod }));
    expect(readDeployRecords(path).state).toBe('ok');
  });

  it('records inside a deploy that already holds the lock; a second deploy is refused naming the holder', async () => {
    const path = join(tempDir(), 'deploy.json');
    const lock = acquireLock(lockPathFor(path), 'deploy dev');
    expect(() => acquireLock(lockPathFor(path), 'deploy prod')).toThrow(/another operation holds the lock on this stack: deploy dev \(pid \d+ on /);
    await recordDeploy(path, 'dev', deploy('1'), { lock });
    lock.release();
    expect(existsSync(lockPathFor(path))).toBe(false);
    expect(loadDeployRecords(path).dev?.imageTag).toBe('1');
  });
});
