import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { devProfile, prodProfile, tempDir, writeJson } from '../helpers/fixtures.js';

/** A config folder with the given profiles, and no AWS anywhere: cost never calls it. */
function folder(files: Record<string, unknown> = { default: prodProfile(), dev: devProfile() }): string {
  const dir = tempDir();
  for (const [name, value] of Object.entries(files)) writeJson(dir, `${name}.json`, value);
  return dir;
}

const NO_AWS = { AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_PROFILE: undefined };

describe('benchling-deploy cost', () => {
  it('--json: one object in USD, each environment and the shared part with their lines, and the total', () => {
    const r = runCli(['cost', '--json', '--config-dir', folder()], { env: NO_AWS });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ region: 'us-east-1', pricesAsOf: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), monthly: 100.8 });
    expect(out.environments.map((e: any) => [e.name, e.monthly])).toEqual([['dev', 11.23], ['prod', 36.64]]);
    expect(out.shared.monthly).toBe(52.93);
    for (const l of [...out.environments.flatMap((e: any) => e.lines), ...out.shared.lines]) {
      expect(Object.keys(l).sort()).toEqual(['item', 'monthly', 'quantity', 'unit', 'unitPrice']);
    }
    expect(out.environments[0].lines).toContainEqual({ item: 'API Gateway requests', quantity: 0, unit: 'million requests', unitPrice: 3.5, monthly: 0 });
    expect(out.shared.lines[0]).toEqual({ item: 'NAT gateway', quantity: 730, unit: 'hour', unitPrice: 0.045, monthly: 32.85 });
    expect(out.notes.join(' ')).toMatch(/no traffic/);
  });

  it('prints a table per environment, the shared part once, the total and what it assumes; never the client secret', () => {
    const secret = 'do-not-print-this-secret';
    const r = runCli(['cost', '--config-dir', folder({ default: prodProfile({ benchlingClientSecret: secret, natGateways: 2 }), dev: devProfile() })], { env: NO_AWS });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/dev: 1 task \(minCapacity, the steady desired count\) of 0.25 vCPU \/ 1 GB/);
    expect(r.stdout).toMatch(/prod: 2 tasks .* of 0.5 vCPU \/ 1 GB/);
    expect(r.stdout).toMatch(/NAT gateway\s+1460\s+hour\s+\$0.045\s+\$65.70/);
    expect(r.stdout).toMatch(/total: \$137.30\/month/);
    expect(r.stdout).toMatch(/note: assumes no traffic/);
    expect(r.stdout + r.stderr).not.toContain(secret);
  });

  it('a region the price table lacks: exit 2, naming the region', () => {
    const r = runCli(['cost', '--config-dir', folder({ default: prodProfile({ region: 'ap-south-1' }) })], { env: NO_AWS });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no list prices for region ap-south-1/);
    expect(r.stdout).toBe('');
  });

  it('a cpu/memory pair Fargate does not run: exit 2, naming the file and the field', () => {
    const dir = folder({ default: prodProfile(), dev: devProfile({ cpu: 256, memory: 4096 }) });
    const r = runCli(['cost', '--json', '--config-dir', dir], { env: NO_AWS });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/dev\.json: memory: expected 512, 1024 or 2048 for cpu 256 \(got 4096\)/);
    expect(r.stdout).toBe('');
  });

  it('natGateways on a dev profile: exit 2, naming the field', () => {
    const r = runCli(['cost', '--config-dir', folder({ default: prodProfile(), dev: devProfile({ natGateways: 1 }) })], { env: NO_AWS });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/dev\.json: natGateways: .*prod profile/);
  });
});
