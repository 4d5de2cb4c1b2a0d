import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ROOT, runCliAsync } from '../helpers/cli.js';
import { devProfile, prodProfile, tempDir, writeJson } from '../helpers/fixtures.js';
import { seedMetric } from '../fake-aws/services/cloudwatch.js';
import { useFakeAws } from '../helpers/fake-aws.js';

/**
 * `cost` prices API Gateway requests from the last 7 days' CloudWatch Count
 * per environment, scaled to a month, where the metrics can be read; without
 * credentials or permission it estimates as offline, saying why.
 */

/** The built binary reaches the fake through the environment given to it; this process's is left alone. */
const { fake } = useFakeAws({ processEnv: false });
let awsDir: string;

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist', 'cli.js'))) throw new Error('dist/cli.js is missing: run `npm run build` first (npm test does)');
});
beforeEach(() => {
  awsDir = tempDir('bd-cost-aws-');
});

function folder(): string {
  const dir = tempDir();
  writeJson(dir, 'default.json', prodProfile());
  writeJson(dir, 'dev.json', devProfile());
  return dir;
}

const isolated = () => ({ AWS_PROFILE: undefined, AWS_SHARED_CREDENTIALS_FILE: join(awsDir, 'credentials'), AWS_CONFIG_FILE: join(awsDir, 'config'), AWS_EC2_METADATA_DISABLED: 'true' });

/** A day's requests of an environment's stage, one sample a day for the last `days` days. */
function seedDaily(env: 'dev' | 'prod', perDay: number, days = 7): void {
  const now = Date.now();
  const samples = Array.from({ length: days }, (_, i) => ({ t: now - (i + 0.5) * 86_400_000, v: perDay }));
  seedMetric(fake.scenario, { namespace: 'AWS/ApiGateway', metricName: 'Count', dimensions: { ApiName: 'BenchlingWebhookStack', Stage: env } }, samples);
}

const requestsLine = (out: any, env: string) => out.environments.find((e: any) => e.name === env).lines.find((l: any) => l.item === 'API Gateway requests');

describe('cost with traffic from CloudWatch', () => {
  it('prices each environment\'s last 7 days of requests, scaled to a month, from one GetMetricData', async () => {
    seedDaily('prod', 100_000);
    seedDaily('dev', 1_000);
    // Older than 7 days: not counted.
    seedMetric(fake.scenario, { namespace: 'AWS/ApiGateway', metricName: 'Count', dimensions: { ApiName: 'BenchlingWebhookStack', Stage: 'prod' } }, [{ t: Date.now() - 9 * 86_400_000, v: 5_000_000 }]);
    const r = await runCliAsync(['cost', '--json', '--config-dir', folder()], { env: { ...fake.env, ...isolated() } });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.traffic).toEqual({ source: 'cloudwatch', days: 7, requests: { dev: 7_000, prod: 700_000 } });
    // 700,000 in 7 days -> 700,000 x 730 / 168 = 3.0417 million a month, at $3.50 a million.
    expect(requestsLine(out, 'prod')).toEqual({ item: 'API Gateway requests', quantity: 3.0417, unit: 'million requests', unitPrice: 3.5, monthly: 10.65 });
    expect(requestsLine(out, 'dev')).toMatchObject({ quantity: 0.0304, monthly: 0.11 });
    expect(out.environments.find((e: any) => e.name === 'prod').monthly).toBe(47.29);
    expect(out.monthly).toBe(Math.round((100.8 + 10.65 + 0.11) * 100) / 100);
    expect(out.notes.join(' ')).toMatch(/requests of the last 7 days \(CloudWatch\), scaled to a month/);
    expect(out.notes.join(' ')).not.toMatch(/assumes no traffic/);
    expect(fake.calls.byOperation()).toEqual({ 'monitoring:GetMetricData': 1 });
  });

  it('without credentials: the offline estimate, saying it assumes no traffic and why', async () => {
    const r = await runCliAsync(['cost', '--config-dir', folder()], {
      env: { AWS_ENDPOINT_URL: fake.url, AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_SESSION_TOKEN: undefined, AWS_REGION: 'us-east-1', ...isolated() },
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/total: \$100\.80\/month/);
    expect(r.stdout).toMatch(/note: assumes no traffic \(no usable AWS credentials, so CloudWatch was not read\)/);
    expect(fake.calls.count()).toBe(0);
  });

  it('metrics refused (AccessDenied): the estimate as offline, naming the permission', async () => {
    seedDaily('prod', 100_000);
    fake.inject({ kind: 'access-denied', service: 'monitoring' });
    const r = await runCliAsync(['cost', '--json', '--config-dir', folder()], { env: { ...fake.env, ...isolated() } });
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.traffic).toEqual({ source: 'none', why: 'CloudWatch GetMetricData is not permitted to these credentials' });
    expect(requestsLine(out, 'prod').quantity).toBe(0);
    expect(out.monthly).toBe(100.8);
    expect(out.notes.join(' ')).toMatch(/assumes no traffic \(CloudWatch GetMetricData is not permitted/);
  });
});
