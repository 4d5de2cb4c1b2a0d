import { describe, expect, it } from 'vitest';
import { COST_NOTES, costChangeText, environmentCost, estimateCost, money, sharedLines, taskMonthly } from '../../src/config/cost.js';
import { PRICE_PAGES, PRICES, PRICES_AS_OF, pricesFor } from '../../src/config/prices.js';
import { stackProfiles } from '../infra/stack-helpers.js';

const US_EAST_1 = PRICES['us-east-1'];

describe('the price table', () => {
  it('has every region the README promises, each with every price, all positive, and a date', () => {
    expect(Object.keys(PRICES)).toEqual(expect.arrayContaining(['us-east-1', 'us-east-2', 'us-west-2', 'eu-west-1', 'eu-central-1']));
    for (const [region, prices] of Object.entries(PRICES)) for (const [k, v] of Object.entries(prices)) expect(v, `${region} ${k}`).toBeGreaterThan(0);
    expect(PRICES_AS_OF).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(pricesFor('ap-south-1')).toBeUndefined();
    expect(pricesFor('constructor')).toBeUndefined();
  });

  it("names the AWS pricing page of every price, and us-east-1's checked figures", () => {
    for (const prices of Object.values(PRICES)) expect(Object.keys(PRICE_PAGES).sort()).toEqual(Object.keys(prices).sort());
    for (const page of Object.values(PRICE_PAGES)) expect(page).toMatch(/^https:\/\/aws\.amazon\.com\/[a-z-]+\/pricing\/$/);
    expect(US_EAST_1).toEqual({
      fargateVcpuHour: 0.04048,
      fargateGbHour: 0.004445,
      natGatewayHour: 0.045,
      natGatewayGb: 0.045,
      publicIpv4Hour: 0.005,
      nlbHour: 0.0225,
      apiGatewayRestPerMillion: 3.5,
      logsIngestionGb: 0.5,
      alarmMonth: 0.1,
      secretMonth: 0.4,
    });
  });
});

describe('the estimate', () => {
  it('a dev task of 0.25 vCPU / 0.5 GB all month: 182.5 vCPU-hours and 365 GB-hours at list price', () => {
    const dev = environmentCost('dev', { ...stackProfiles().dev!, minCapacity: 1, cpu: 256, memory: 512 }, US_EAST_1);
    expect(dev.lines.slice(0, 2)).toEqual([
      { item: 'Fargate vCPU', quantity: 182.5, unit: 'vCPU-hour', unitPrice: 0.04048, monthly: 7.39 },
      { item: 'Fargate memory', quantity: 365, unit: 'GB-hour', unitPrice: 0.004445, monthly: 1.62 },
    ]);
    expect(taskMonthly(1, { cpu: 256, memory: 512 }, US_EAST_1)).toBe(9.01);
    // Traffic at zero, a line each; the environment's secret.
    expect(dev.lines.slice(2)).toEqual([
      { item: 'API Gateway requests', quantity: 0, unit: 'million requests', unitPrice: 3.5, monthly: 0 },
      { item: 'CloudWatch Logs ingestion', quantity: 0, unit: 'GB', unitPrice: 0.5, monthly: 0 },
      // The two alarms that guard its rollouts (5xx, unhealthy targets), standard resolution.
      { item: 'CloudWatch alarms guarding its rollouts', quantity: 2, unit: 'alarm-month', unitPrice: 0.1, monthly: 0.2 },
      { item: 'Secrets Manager secret', quantity: 1, unit: 'secret-month', unitPrice: 0.4, monthly: 0.4 },
    ]);
    expect(dev.monthly).toBe(9.61);
  });

  it('counts minCapacity tasks: zero tasks cost nothing, two cost twice one', () => {
    const base = stackProfiles().prod;
    expect(environmentCost('prod', { ...base, minCapacity: 0 }, US_EAST_1).monthly).toBe(0.6);
    expect(taskMonthly(2, { cpu: 512, memory: 1024 }, US_EAST_1)).toBe(36.04);
    expect(taskMonthly(1, { cpu: 512, memory: 1024 }, US_EAST_1)).toBe(18.02);
  });

  it('the shared part: one NAT gateway with its address, the load balancer, traffic at zero', () => {
    expect(sharedLines(1, US_EAST_1)).toEqual([
      { item: 'NAT gateway', quantity: 730, unit: 'hour', unitPrice: 0.045, monthly: 32.85 },
      { item: 'NAT gateway public IPv4 address', quantity: 730, unit: 'IPv4-hour', unitPrice: 0.005, monthly: 3.65 },
      { item: 'NAT gateway data processed', quantity: 0, unit: 'GB', unitPrice: 0.045, monthly: 0 },
      { item: 'Network load balancer', quantity: 730, unit: 'hour', unitPrice: 0.0225, monthly: 16.43 },
      { item: 'VPC flow logs ingestion', quantity: 0, unit: 'GB', unitPrice: 0.5, monthly: 0 },
    ]);
    expect(sharedLines(2, US_EAST_1)[0]).toMatchObject({ quantity: 1460, monthly: 65.7 });
  });

  it('the defaults, both environments, in us-east-1: $100.80 a month, inside $85-145; two NAT gateways $137.30', () => {
    const e = estimateCost(stackProfiles());
    expect(e.region).toBe('us-east-1');
    expect(e.environments.map((x) => [x.name, x.tasks, x.cpu, x.memory, x.monthly])).toEqual([
      ['dev', 1, 256, 1024, 11.23],
      ['prod', 2, 512, 1024, 36.64],
    ]);
    expect(e.shared.monthly).toBe(52.93);
    expect(e.monthly).toBe(100.8);
    expect(e.monthly).toBeGreaterThanOrEqual(85);
    expect(e.monthly).toBeLessThanOrEqual(145);
    expect(estimateCost(stackProfiles({ prod: { natGateways: 2 } })).monthly).toBe(137.3);
    // prod alone
    expect(estimateCost(stackProfiles({ dev: false })).monthly).toBe(89.57);
    expect(e.notes).toBe(COST_NOTES);
    expect(e.notes.join(' ')).toMatch(/no traffic/);
  });

  it("prices the stack's region, and refuses one the table lacks, naming it", () => {
    const eu = estimateCost(stackProfiles({ prod: { region: 'eu-central-1' } }));
    expect(eu.region).toBe('eu-central-1');
    expect(eu.shared.lines[0]).toMatchObject({ unitPrice: 0.052, monthly: 37.96 });
    expect(() => estimateCost(stackProfiles({ prod: { region: 'ap-south-1' } }))).toThrow(/no list prices for region ap-south-1/);
  });
});

describe('the cost change of a deploy', () => {
  const small = { cpu: 512, memory: 1024 };
  it('says what one more task costs, signed', () => {
    expect(costChangeText('prod', 'us-east-1', { tasks: 2, size: small }, { tasks: 3, size: small })).toBe(
      '+$18/month: prod 2 tasks of 0.5 vCPU / 1 GB -> 3 tasks of 0.5 vCPU / 1 GB (list prices, tasks at minCapacity)',
    );
    expect(costChangeText('dev', 'us-east-1', { tasks: 1, size: { cpu: 1024, memory: 2048 } }, { tasks: 1, size: { cpu: 256, memory: 1024 } })).toMatch(/^-\$25\/month: dev 1 task of 1 vCPU \/ 2 GB -> 1 task of 0.25 vCPU \/ 1 GB/);
  });
  it('no change, a new environment, and a region without prices', () => {
    expect(costChangeText('dev', 'us-east-1', { tasks: 1, size: small }, { tasks: 1, size: small })).toBe("no change: dev's 1 task of 0.5 vCPU / 1 GB, $18/month");
    const tiny = { cpu: 256, memory: 512 };
    expect(costChangeText('dev', 'us-east-1', undefined, { tasks: 1, size: tiny })).toMatch(/^\+\$9\.01\/month: dev's 1 task of 0.25 vCPU \/ 0.5 GB is new/);
    expect(costChangeText('dev', 'ap-south-1', { tasks: 1, size: small }, { tasks: 2, size: small })).toBe('unknown: no list prices for region ap-south-1');
  });
  it('money: whole dollars from $10, cents below', () => {
    expect([money(18.02, true), money(-3.5, true), money(0, true), money(136.9)]).toEqual(['+$18', '-$3.50', '+$0.00', '$137']);
  });
});
