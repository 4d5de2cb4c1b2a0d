import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { convertLegacyRecords, loadDeployRecords, markDestroyed, readDeployRecords, recordDeploy } from '../../src/state/deploy-records.js';
import { tempDir } from '../helpers/fixtures.js';
import { V06_DEV_ENDPOINT, V06_PROD_ENDPOINT, V06_STACK_ARN, v06DeployJson, v06Section } from '../helpers/v06.js';

function writeV06(options: { dev?: boolean }): { path: string; text: string } {
  const path = join(tempDir(), 'deploy.json');
  const text = `${JSON.stringify(v06DeployJson(options), null, 2)}\n`;
  writeFileSync(path, text);
  return { path, text };
}

const fileOf = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

const newProd = { endpoint: 'https://new789.execute-api.us-east-1.amazonaws.com/prod', imageTag: '0.7.0', deployedAt: '2026-11-26T12:00:00.000Z', stackName: 'BenchlingWebhookStack' };
const newDev = { endpoint: 'https://new789.execute-api.us-east-1.amazonaws.com/dev', imageTag: 'latest', deployedAt: '2026-11-26T12:30:00.000Z', stackName: 'BenchlingWebhookStack' };

describe('a v0.6 deploy.json (PRODUCT.md section 3) is read as it is', () => {
  for (const dev of [false, true]) {
    it(`${dev ? 'with' : 'without'} a dev section: endpoint, tag, time and stack come from the v0.6 keys; the file is not touched`, () => {
      const { path, text } = writeV06({ dev });
      const records = loadDeployRecords(path);
      expect(records.prod).toEqual({
        endpoint: V06_PROD_ENDPOINT,
        imageTag: '0.6.3',
        deployedAt: '2025-06-01T10:00:00.000Z',
        stackName: 'BenchlingWebhookStack',
        stage: 'prod',
        history: [],
        legacy: true,
      });
      if (dev) expect(records.dev).toMatchObject({ endpoint: V06_DEV_ENDPOINT, imageTag: 'latest', stage: 'dev', legacy: true });
      else expect(records.dev).toBeUndefined();
      expect(readFileSync(path, 'utf8')).toBe(text);
    });
  }

  it('takes deploymentTimestamp when deployedAt is absent, and webhookUrl when webhookEndpoint is', () => {
    const path = join(tempDir(), 'deploy.json');
    const { deployedAt: _d, webhookEndpoint: _w, ...section } = v06Section(V06_PROD_ENDPOINT, '0.6.1', '2025-01-02T03:04:05.000Z');
    writeFileSync(path, JSON.stringify({ prod: section }));
    expect(loadDeployRecords(path).prod).toMatchObject({ endpoint: V06_PROD_ENDPOINT, deployedAt: '2025-01-02T03:04:05.000Z', legacy: true });
  });
});

describe('the first record written converts it, keeping the old values', () => {
  it('prod only: the old prod deploy goes into history with its v0.6 values', async () => {
    const { path } = writeV06({});
    await recordDeploy(path, 'prod', newProd);
    const file = fileOf(path);
    expect(file).toEqual({
      prod: {
        ...newProd,
        stage: 'prod',
        history: [{ imageTag: '0.6.3', deployedAt: '2025-06-01T10:00:00.000Z', endpoint: V06_PROD_ENDPOINT, stackArn: V06_STACK_ARN }],
      },
    });
    expect(loadDeployRecords(path).prod).not.toHaveProperty('legacy');
  });

  it('prod only, then a first dev deploy: prod is converted in place, dev gets its own section', async () => {
    const { path } = writeV06({});
    await recordDeploy(path, 'dev', newDev);
    const file = fileOf(path);
    expect(file.dev).toEqual({ ...newDev, stage: 'dev', history: [] });
    expect(file.prod).toEqual({
      endpoint: V06_PROD_ENDPOINT,
      imageTag: '0.6.3',
      deployedAt: '2025-06-01T10:00:00.000Z',
      stackName: 'BenchlingWebhookStack',
      stage: 'prod',
      history: [],
      stackArn: V06_STACK_ARN,
    });
    // jq -r .prod.endpoint keeps working, and nothing is v0.6 any more.
    expect(file.prod.webhookEndpoint).toBeUndefined();
    expect(file.prod.deploymentTimestamp).toBeUndefined();
    expect(Object.values(loadDeployRecords(path)).every((r) => !r.legacy)).toBe(true);
  });

  it('both sections: deploying prod converts dev too; the running dev deploy is not pushed onto its own history', async () => {
    const { path } = writeV06({ dev: true });
    await recordDeploy(path, 'prod', newProd);
    const file = fileOf(path);
    expect(file.prod.history).toEqual([{ imageTag: '0.6.3', deployedAt: '2025-06-01T10:00:00.000Z', endpoint: V06_PROD_ENDPOINT, stackArn: V06_STACK_ARN }]);
    expect(file.dev).toMatchObject({ endpoint: V06_DEV_ENDPOINT, imageTag: 'latest', stage: 'dev', history: [], stackArn: V06_STACK_ARN });
    // Rollback picks history[0]: it must be an earlier deploy, never the one running.
    expect(file.dev.history).toEqual([]);
  });

  it('a converted section hands its kept v0.6 values to history at its next deploy', async () => {
    const { path } = writeV06({ dev: true });
    await recordDeploy(path, 'prod', newProd);
    await recordDeploy(path, 'dev', newDev);
    expect(fileOf(path).dev).toEqual({
      ...newDev,
      stage: 'dev',
      history: [{ imageTag: 'latest', deployedAt: '2025-05-20T09:30:00.000Z', endpoint: V06_DEV_ENDPOINT, stackArn: V06_STACK_ARN }],
    });
  });

  it('keeps a webhookUrl that differs from the endpoint, and a deploymentTimestamp that differs from deployedAt', () => {
    const raw = { prod: { ...v06Section(V06_PROD_ENDPOINT, '0.6.3', '2025-06-01T10:00:00.000Z'), webhookUrl: `${V06_PROD_ENDPOINT}/event`, deploymentTimestamp: '2025-06-01T09:59:00.000Z' } };
    const path = join(tempDir(), 'deploy.json');
    writeFileSync(path, JSON.stringify(raw));
    const read = readDeployRecords(path);
    if (read.state !== 'ok') throw new Error(read.state);
    const converted = convertLegacyRecords(read.raw, read.records)!;
    expect(converted.converted).toEqual(['prod']);
    expect(converted.raw.prod).toMatchObject({ endpoint: V06_PROD_ENDPOINT, deployedAt: '2025-06-01T10:00:00.000Z', webhookUrl: `${V06_PROD_ENDPOINT}/event`, deploymentTimestamp: '2025-06-01T09:59:00.000Z' });
    expect(converted.raw.prod).not.toHaveProperty('webhookEndpoint');
  });

  it('converting a converted file changes nothing', async () => {
    const { path } = writeV06({ dev: true });
    const read = readDeployRecords(path);
    if (read.state !== 'ok') throw new Error(read.state);
    const once = convertLegacyRecords(read.raw, read.records)!;
    writeFileSync(path, JSON.stringify(once.raw));
    const again = readDeployRecords(path);
    if (again.state !== 'ok') throw new Error(again.state);
    expect(convertLegacyRecords(again.raw, again.records)).toBeUndefined();
  });

  it('destroy on a v0.6 file converts the sections and keeps their values', async () => {
    const { path } = writeV06({ dev: true });
    await markDestroyed(path, ['prod', 'dev'], '2026-11-26T13:00:00.000Z');
    const file = fileOf(path);
    for (const env of ['prod', 'dev']) {
      expect(file[env]).toMatchObject({ stage: env, history: [], stackArn: V06_STACK_ARN, destroyedAt: '2026-11-26T13:00:00.000Z' });
      expect(file[env]).not.toHaveProperty('webhookEndpoint');
    }
    expect(file.prod.endpoint).toBe(V06_PROD_ENDPOINT);
  });
});
