import React from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from '../../src/ui/App.js';
import { Welcome, initialWelcomeForm } from '../../src/ui/Welcome.js';
import { initialDashboard, type OperationOutcome, type StackInfo } from '../../src/state/dashboard.js';
import type { DashboardServices, LogSink, PreparedOperation } from '../../src/ui/services.js';
import type { DeployEvent } from '../../src/infra/deploy.js';
import type { StatusSnapshot } from '../../src/state/status-types.js';
import { UserErrors } from '../../src/errors.js';
import { BOTH, NOW, PROD_ONLY, envStatus, logLine, plan, snapshot } from '../state/dashboard-fixtures.js';
import { KEYS, measure, renderTerminal, type Terminal } from '../helpers/terminal.js';

/** Fake services that record what the App asked for and let the test answer. */
function fakeServices(overrides: Partial<DashboardServices> = {}) {
  const calls: string[] = [];
  let statusListener: ((u: { snapshot: StatusSnapshot; nextPollInMs: number | null }) => void) | undefined;
  let logSink: LogSink | undefined;
  let execute: { resolve: (o: OperationOutcome) => void; onEvent: (e: DeployEvent) => void; signal: AbortSignal } | undefined;
  const released: number[] = [];
  let prepared = 0;
  const services: DashboardServices = {
    startStatus(listener) {
      calls.push('startStatus');
      statusListener = listener;
      return { refresh: () => calls.push('refresh'), invalidate: () => calls.push('invalidate'), followStack: (on: boolean) => calls.push(`followStack ${on}`), stop: async () => void calls.push('stopStatus') };
    },
    readRecords: () => ({}),
    async prepare(kind, environment): Promise<PreparedOperation | { refusal: string }> {
      calls.push(`prepare ${kind} ${environment}`);
      const n = ++prepared;
      return {
        plan: plan({ kind, environment, confirmWord: environment === 'prod' ? 'prod' : null, oldTag: environment === 'prod' ? '0.7.0' : 'latest', newTag: kind === 'promote' ? `sha256:${'cd'.repeat(32)}` : 'abc123' }),
        diff: async () => ['[~] AWS::ECS::TaskDefinition DevTaskDefinition'],
        execute: ({ signal, onEvent }) => {
          calls.push(`execute ${kind} ${environment}`);
          return new Promise<OperationOutcome>((resolve) => {
            execute = { resolve, onEvent, signal };
            signal.addEventListener('abort', () => resolve({ outcome: 'cancelled', stackStatus: 'UPDATE_IN_PROGRESS', logFile: '/tmp/cdk.log' }));
          });
        },
        release: () => released.push(n),
      };
    },
    openLogs(environment, sink) {
      calls.push(`openLogs ${environment}`);
      logSink = sink;
      return { stop: () => void calls.push(`stopLogs ${environment}`) };
    },
    async testEndpoint(environment) {
      calls.push(`test ${environment}`);
      return { ok: true, endpoint: `https://x/${environment}`, source: 'deploy.json', check: { ok: true, url: `https://x/${environment}/health`, status: 200, latencyMs: 9, body: 'ok' } };
    },
    saveProfile: vi.fn(),
    loadStack: () => ({ stack: PROD_ONLY, records: {} }),
    ...overrides,
  };
  return {
    services,
    calls,
    released,
    poll: (s: StatusSnapshot = snapshot()) => statusListener!({ snapshot: s, nextPollInMs: 5000 }),
    logs: () => logSink!,
    deploy: () => execute!,
  };
}

let terminals: Terminal[] = [];
afterEach(() => {
  for (const t of terminals) t.unmount();
  terminals = [];
});

function mount(fake: ReturnType<typeof fakeServices>, stack: StackInfo | null = BOTH, size = { columns: 120, rows: 30 }) {
  const onExit = vi.fn();
  const initial = initialDashboard({ ...size, now: NOW, stack, setup: stack ? undefined : initialWelcomeForm() });
  const t = renderTerminal(<App services={fake.services} initial={initial} onExit={onExit} tickMs={0} now={() => NOW} welcome={Welcome} />, size);
  terminals.push(t);
  return { t, onExit };
}

const until = async (test: () => boolean, timeoutMs = 5000) => {
  const end = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('App', () => {
  it('draws the main screen first, then starts polling; snapshots redraw the panels', async () => {
    const fake = fakeServices();
    const { t } = mount(fake);
    expect(t.frame()).toMatch(/reading AWS\.\.\./);
    await until(() => fake.calls.includes('startStatus'));
    fake.poll();
    await t.waitFor((f) => /UPDATE_COMPLETE/.test(f) && /healthy\s+1\/1 running/.test(f));
  });

  it('keys: ? help, esc back, r refresh, l logs with lines, esc back closes the tail', async () => {
    const fake = fakeServices();
    const { t } = mount(fake);
    await until(() => fake.calls.includes('startStatus'));
    fake.poll();
    await t.waitFor((f) => /UPDATE_COMPLETE/.test(f));
    await t.pressAndWait('?', (f) => /benchling-deploy: keys/.test(f));
    await t.pressAndWait(KEYS.escape, (f) => /> dev/.test(f));
    t.press('r');
    await until(() => fake.calls.includes('refresh'));
    await t.pressAndWait('l', (f) => /logs dev/.test(f));
    await until(() => fake.calls.includes('openLogs dev'));
    fake.logs().lines([logLine(1, 'INFO webhook received'), logLine(2, 'ERROR it broke')]);
    await t.waitFor((f) => /INFO webhook received\n.*ERROR it broke/.test(f));
    await t.pressAndWait(KEYS.escape, (f) => /> dev/.test(f));
    await until(() => fake.calls.includes('stopLogs dev'));
  });

  it('keys faster than a render act on the latest state', async () => {
    const fake = fakeServices();
    const { t } = mount(fake);
    // One write holding four keys: right, right, right -> prod, dev, prod; then 2 stays on prod.
    t.press(`${KEYS.right}${KEYS.right}${KEYS.right}2`);
    await t.waitFor((f) => /\| > prod/.test(f));
  });

  it('letter keys in one read act one by one: "1?" selects dev and opens help, "l/err" opens logs and types a filter', async () => {
    const fake = fakeServices();
    const { t } = mount(fake);
    await until(() => fake.calls.includes('startStatus'));
    t.press('2');
    await t.waitFor((f) => /\| > prod/.test(f));
    t.press('1?');
    await t.waitFor((f) => /benchling-deploy: keys/.test(f));
    t.press(KEYS.escape);
    await t.waitFor((f) => /\| > dev/.test(f));
    t.press('l/err');
    await t.waitFor((f) => /logs dev/.test(f) && /err/.test(f));
  });

  it('P: promote plan (old -> new), typed prod, live progress, outcome; the status is re-read', async () => {
    const fake = fakeServices();
    const { t } = mount(fake);
    await until(() => fake.calls.includes('startStatus'));
    await t.pressAndWait('P', (f) => /promote dev -> prod: 0\.7\.0 -> sha256:cdcdcdcdcdcd…/.test(f));
    await t.waitFor((f) => /\[~\] AWS::ECS::TaskDefinition/.test(f));
    t.press('y');
    await t.pressAndWait(KEYS.enter, (f) => /that is not "prod"/.test(f));
    for (const c of 'prod') t.press(c);
    await t.waitFor((f) => /confirm, enter to run: prod/.test(f));
    t.press(KEYS.enter);
    await until(() => fake.calls.includes('execute promote prod'));
    // The header's stack status follows the deploy while it runs, and stops following once it ends.
    expect(fake.calls.filter((c) => c.startsWith('followStack'))).toEqual(['followStack true']);
    fake.deploy().onEvent({ type: 'resource', event: { stack: 'S', done: 1, total: 3, time: '12:00:03', status: 'UPDATE_COMPLETE', resourceType: 'AWS::ECS::TaskDefinition', logicalId: 'ProdTaskDefinition' } });
    await t.waitFor((f) => /1\/3/.test(f) && /ProdTaskDefinition/.test(f));
    fake.deploy().resolve({ outcome: 'succeeded', endpoint: 'https://x/prod', imageTag: 'sha256:cd', logFile: '/tmp/cdk.log' });
    await t.waitFor((f) => /promoted to prod/.test(f));
    await until(() => fake.calls.includes('invalidate'));
    expect(fake.calls.filter((c) => c.startsWith('followStack'))).toEqual(['followStack true', 'followStack false']);
    await t.pressAndWait(KEYS.escape, (f) => /> dev/.test(f));
  });

  it('esc while deploying asks; y cancels through the abort signal; the outcome says cancelled', async () => {
    const fake = fakeServices();
    const { t } = mount(fake);
    await t.pressAndWait('d', (f) => /Deploy dev\? y\/N/.test(f));
    t.press('y');
    await until(() => fake.calls.includes('execute deploy dev'));
    await t.pressAndWait(KEYS.escape, (f) => /Cancel the deploy\?/.test(f));
    t.press('y');
    await t.waitFor((f) => /cancelled; deploy\.json unchanged; stack is UPDATE_IN_PROGRESS/.test(f));
    expect(fake.deploy().signal.aborted).toBe(true);
  });

  it('q while deploying asks first; y cancels, then exits once cdk has stopped', async () => {
    const fake = fakeServices();
    const { t, onExit } = mount(fake);
    await t.pressAndWait('d', (f) => /Deploy dev\? y\/N/.test(f));
    t.press('y');
    await until(() => fake.calls.includes('execute deploy dev'));
    await t.pressAndWait('q', (f) => /A deploy is running: quitting cancels it/.test(f));
    expect(onExit).not.toHaveBeenCalled();
    t.press('y');
    await until(() => onExit.mock.calls.length > 0);
    expect(onExit).toHaveBeenCalledWith(0);
    expect(fake.deploy().signal.aborted).toBe(true);
    expect(fake.calls).toContain('stopStatus');
  });

  it('esc at the confirmation releases the plan (its lock)', async () => {
    const fake = fakeServices();
    const { t } = mount(fake);
    await t.pressAndWait('d', (f) => /Deploy dev\? y\/N/.test(f));
    await t.pressAndWait(KEYS.escape, (f) => /> dev/.test(f));
    await until(() => fake.released.length === 1);
  });

  it('a failure to prepare goes to the one banner; x dismisses it', async () => {
    const fake = fakeServices({
      prepare: async () => {
        throw new UserErrors(['profile "dev": benchlingTenant: required'], 'fix it first');
      },
    });
    const { t } = mount(fake);
    await t.pressAndWait('d', (f) => /error: profile "dev": benchlingTenant: required/.test(f) && /hint: fix it first/.test(f));
    await t.pressAndWait('x', (f) => !/error:/.test(f));
  });

  it('t tests the endpoint and shows the answer', async () => {
    const fake = fakeServices();
    const { t } = mount(fake);
    await t.pressAndWait('t', (f) => /GET https:\/\/x\/dev\/health -> 200 in 9 ms/.test(f));
  });

  it('q quits at once when nothing runs; ctrl-c too', async () => {
    for (const k of ['q', KEYS.ctrlC]) {
      const fake = fakeServices();
      const { t, onExit } = mount(fake);
      await until(() => fake.calls.includes('startStatus'));
      t.press(k);
      await until(() => onExit.mock.calls.length > 0);
      expect(onExit).toHaveBeenCalledWith(0);
      await until(() => fake.calls.includes('stopStatus'));
    }
  });

  it('a resized terminal redraws at its new size, never taller than rows - 1', async () => {
    const fake = fakeServices();
    const { t } = mount(fake);
    await until(() => fake.calls.includes('startStatus'));
    fake.poll();
    await t.waitFor((f) => /UPDATE_COMPLETE/.test(f));
    // Stacked at 120 columns (side by side, the endpoints would be cut); side by side at 160; stacked at 70.
    expect(t.frame()).not.toMatch(/\+\+/);
    t.stdout.resize(160, 30);
    await t.waitFor((fr) => /\+\+/.test(fr) && measure(fr).width > 120);
    t.stdout.resize(70, 16);
    const f = await t.waitFor((fr) => !/\+\+/.test(fr) && measure(fr).width <= 70);
    expect(measure(f).height).toBeLessThanOrEqual(15);
  });

  it('welcome: no profile, the form saves `default`, then the main screen starts polling', async () => {
    const fake = fakeServices();
    const { t } = mount(fake, null);
    await t.waitFor((f) => /Welcome to benchling-deploy/.test(f));
    // Tab to the save row and press enter: the form is not valid yet, nothing is saved.
    for (let i = 0; i < 10; i++) t.press(KEYS.tab);
    t.press(KEYS.enter);
    await t.waitFor((f) => /fix the fields above first/.test(f));
    expect(fake.services.saveProfile).not.toHaveBeenCalled();
  });

  it('welcome: a valid form is written and the dashboard starts', async () => {
    const fake = fakeServices();
    const { t } = mount(fake, null, { columns: 120, rows: 40 });
    await t.waitFor((f) => /Welcome/.test(f));
    const type = async (text: string) => {
      for (const c of text) t.press(c);
    };
    t.press(KEYS.tab);
    await type('acme');
    t.press(KEYS.tab);
    await type('appdef_1');
    t.press(KEYS.tab);
    await type('client_1');
    t.press(KEYS.tab, KEYS.tab);
    await type('arn:aws:cloudformation:us-east-1:123456789012:stack/QuiltStack/11111111-2222-3333-4444-555555555555');
    t.press(KEYS.tab);
    await type('0.7.0');
    for (let i = 0; i < 4; i++) t.press(KEYS.tab);
    await t.waitFor((f) => /\[ Save \]/.test(f) && !/fix the fields/.test(f));
    t.press(KEYS.enter);
    await t.waitFor((f) => /> prod/.test(f));
    expect(fake.services.saveProfile).toHaveBeenCalledWith('default', expect.objectContaining({ benchlingTenant: 'acme', imageTag: '0.7.0', environment: 'prod' }));
    await until(() => fake.calls.includes('startStatus'));
  });

  it('a refused save shows the problems in the form', async () => {
    const fake = fakeServices({
      saveProfile: () => {
        throw new UserErrors(['default.json: quiltStackArn: not an ARN']);
      },
    });
    const { t } = mount(fake, null, { columns: 120, rows: 40 });
    const fill = 'acme|appdef|client||arn:aws:cloudformation:us-east-1:123456789012:stack/QuiltStack/11111111-2222-3333-4444-555555555555|0.7.0'.split('|');
    for (const v of fill) {
      t.press(KEYS.tab);
      for (const c of v) t.press(c);
    }
    for (let i = 0; i < 4; i++) t.press(KEYS.tab);
    await t.waitFor((f) => /\[ Save \]/.test(f) && !/fix the fields/.test(f));
    t.press(KEYS.enter);
    await t.waitFor((f) => /default\.json: quiltStackArn: not an ARN/.test(f));
  });

  it('prod only: a missing dev environment refuses promote without calling anything', async () => {
    const fake = fakeServices();
    const { t } = mount(fake, PROD_ONLY);
    await t.pressAndWait('P', (f) => /refused: there is no dev environment/.test(f));
    expect(fake.calls.filter((c) => c.startsWith('prepare'))).toEqual([]);
    void envStatus;
  });
});
