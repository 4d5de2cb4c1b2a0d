import React from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { Dashboard } from '../../src/ui/Dashboard.js';
import { footerKeys, type DashboardState, type StackInfo } from '../../src/state/dashboard.js';
import type { StatusSnapshot } from '../../src/state/status-types.js';
import { HELP_ROWS } from '../../src/ui/Help.js';
import { BOTH, NOW, key, run, snapshot, start } from '../state/dashboard-fixtures.js';
import { renderTerminal, type Terminal } from '../helpers/terminal.js';

/** The dashboard's cost: a line in each panel and the `c` screen, the same estimate as `benchling-deploy cost`. */

const terminals: Terminal[] = [];
afterEach(() => {
  for (const t of terminals.splice(0)) t.unmount();
});

/** The defaults: dev 1 task of 0.25 vCPU / 1 GB, prod 2 of 0.5 vCPU / 1 GB, one NAT gateway (what `cost` prices at $100.80). */
const WITH_COST: StackInfo = {
  ...BOTH,
  cost: {
    region: 'us-east-1',
    natGateways: 1,
    environments: [
      { name: 'dev', minCapacity: 1, cpu: 256, memory: 1024 },
      { name: 'prod', minCapacity: 2, cpu: 512, memory: 1024 },
    ],
  },
};

const TRAFFIC: StatusSnapshot['traffic'] = { days: 7, requests: { dev: 7_000, prod: 700_000 }, readAt: new Date(NOW - 60_000).toISOString() };

function frame(stack: StackInfo, over: Partial<StatusSnapshot> = {}, keys: string[] = [], size = { columns: 120, rows: 50 }): { out: string; state: DashboardState } {
  const state = run(start(stack, size), { type: 'snapshot', snapshot: snapshot(over), nextPollInMs: 5000 }, ...keys.map((k) => key(k))).state;
  const t = renderTerminal(<Dashboard state={state} onSetup={() => {}} onSave={() => {}} />, state.size);
  terminals.push(t);
  return { out: t.frame(), state };
}

describe('cost in the panels', () => {
  it('each panel says its month after its capacity; without the requests read, that it assumes no traffic', () => {
    const { out } = frame(WITH_COST);
    expect(out).toMatch(/capacity  desired 1.*; \$11\/month \(no traffic assumed; c\)/);
    expect(out).toMatch(/capacity  desired 2.*; \$37\/month \(no traffic assumed; c\)/);
  });

  it('a panel with no capacity read yet says its month on a cost row', () => {
    const state = run(start(WITH_COST, { columns: 120, rows: 50 })).state;
    const t = renderTerminal(<Dashboard state={state} onSetup={() => {}} onSave={() => {}} />, state.size);
    terminals.push(t);
    expect(t.frame().match(/cost      \$\d+\/month \(no traffic assumed; c\)/g)).toHaveLength(2);
  });

  it('with the last 7 days of requests read, prod\'s month includes them', () => {
    const { out } = frame(WITH_COST, { traffic: TRAFFIC });
    expect(out).toMatch(/desired 2.*; \$47\/month \(last 7 d of requests; c\)/);
  });

  it('a region missing from the price table says so where the figure would be', () => {
    const { out } = frame({ ...WITH_COST, cost: { ...WITH_COST.cost!, region: 'ap-south-1' } });
    expect(out).toMatch(/desired 2.*; cost unknown: no list prices for region ap-south-1/);
  });
});

describe('the c screen', () => {
  it('c opens the table of `cost`: per environment, the shared part once, quantities, unit prices, total, the prices\' date; esc goes back', () => {
    const { out, state } = frame(WITH_COST, { traffic: TRAFFIC }, ['c']);
    expect(state.screen).toBe('cost');
    expect(out).toMatch(/monthly estimate in us-east-1, USD, at list prices as of \d{4}-\d{2}-\d{2}: \$111\.56\/month/);
    expect(out).toMatch(/prices: AWS public on-demand list prices/);
    expect(out).toMatch(/dev: 1 task \(minCapacity\) of 0\.25 vCPU \/ 1 GB/);
    expect(out).toMatch(/Fargate vCPU\s+730\s+vCPU-hour\s+\$0\.04048\s+\$29\.55/);
    expect(out).toMatch(/API Gateway requests\s+3\.0417\s+million requests\s+\$3\.5\s+\$10\.65/);
    expect(out.match(/NAT gateway  /g)).toHaveLength(1);
    expect(out).toMatch(/shared total\s+\$52\.93/);
    expect(out).toMatch(/total: \$111\.56\/month/);
    expect(out).toMatch(/note: requests: each environment's API Gateway requests of the last 7 days/);
    expect(footerKeys(state)).toEqual([['esc/c', 'back'], ['?', 'help'], ['q', 'quit']]);
    expect(run(state, key('', { escape: true })).state.screen).toBe('main');
    expect(run(state, key('c')).state.screen).toBe('main');
    expect(run(state, key('q')).effects).toContainEqual({ type: 'quit', code: 0 });
  });

  it('a region missing from the price table: the screen says so', () => {
    const { out } = frame({ ...WITH_COST, cost: { ...WITH_COST.cost!, region: 'ap-south-1' } }, {}, ['c']);
    expect(out).toMatch(/cost: no estimate/);
    expect(out).toMatch(/no list prices for region ap-south-1: the price table \(as of [\d-]+\) covers us-east-1/);
  });

  it('on a short terminal only what fits is drawn, the rest counted', () => {
    const { out } = frame(WITH_COST, {}, ['c'], { columns: 80, rows: 16 });
    const lines = out.split('\n');
    expect(lines.length).toBeLessThanOrEqual(15);
    expect(out).toMatch(/\+\d+ more lines \(benchling-deploy cost prints them all\)/);
  });

  it('the main footer and the help list the c key', () => {
    const state = start(WITH_COST);
    expect(footerKeys(state)).toContainEqual(['c', 'cost']);
    expect(HELP_ROWS.map(([k]) => k)).toContain('c');
  });
});
