import React from 'react';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createStatusApi } from '../../src/state/aws-clients.js';
import { createStatusPoller } from '../../src/state/status-poller.js';
import { formatStatus } from '../../bin/commands/status.js';
import { Dashboard } from '../../src/ui/Dashboard.js';
import { run, start } from './dashboard-fixtures.js';
import { renderTerminal } from '../helpers/terminal.js';
import { RAW_CONTROL } from '../helpers/hostile.js';
import { standardScenario, type Scenario } from '../fake-aws/scenario.js';
import { useFakeAws } from '../helpers/fake-aws.js';

/**
 * A property: whatever text AWS puts in the fields we show, the dashboard's
 * frame and `status`'s output hold no control byte (only Ink's own colour
 * codes, which we put there) and no more rows than the terminal has. The
 * strings go through the fake AWS's wire protocols and the real SDK clients,
 * as an operator's AWS answers would.
 */

const { fake } = useFakeAws();

/** Pieces a hostile or broken answer is made of: any code unit, and the sequences that drive a terminal. */
const piece = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 3, arbitrary: fc.constantFrom('\u001b', '\u0007', '\r', '\n', '\r\n', '\t', '\u0000', '\u007f', '\u009b', '\u0085', '\u001b]0;pwned\u0007', '\u001b[2J', '\u001b[31m', '\u009b2J', '\b\b\b') },
  { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 60_000 }).map((n) => `${'long '.repeat(n / 5)}\n`) },
);
const text = fc.array(piece, { maxLength: 12 }).map((parts) => parts.join(''));

/** Every text field of the answers `status` and the dashboard read, one arbitrary string each. */
const answers = fc.record({
  stackStatusReason: text,
  endpoint: text,
  rolloutStateReason: text,
  eventMessage: text,
  stoppedReason: text,
  stopCode: text,
  containerReason: text,
  targetReason: text,
  targetDescription: text,
});
type Answers = typeof answers extends fc.Arbitrary<infer T> ? T : never;

/** The standard deployed stack with every shown field replaced by the arbitrary answers. */
function hostileScenario(a: Answers): Scenario {
  const s = standardScenario();
  const stack = s.stacks.BenchlingWebhookStack;
  stack.statusReason = a.stackStatusReason;
  stack.outputs.DevEndpoint = a.endpoint;
  stack.outputs.ProdEndpoint = a.endpoint;
  for (const cluster of Object.values(s.clusters)) {
    for (const service of Object.values(cluster.services)) {
      service.events = [{ ...service.events[0], message: a.eventMessage }, ...service.events.slice(1)];
      for (const d of service.deployments) d.rolloutStateReason = a.rolloutStateReason;
    }
    for (const task of cluster.tasks) {
      task.lastStatus = 'STOPPED';
      task.stoppedReason = a.stoppedReason;
      task.stopCode = a.stopCode;
      task.stoppedAt = new Date().toISOString();
      for (const c of task.containers) c.reason = a.containerReason;
    }
  }
  for (const targets of Object.values(s.targetGroups)) {
    for (const t of targets) {
      t.state = 'unhealthy';
      t.reason = a.targetReason;
      t.description = a.targetDescription;
    }
  }
  return s;
}

const SIZES = [
  { columns: 80, rows: 24 },
  { columns: 120, rows: 40 },
  { columns: 200, rows: 50 },
];

describe('outside text, any text: no control byte and no extra row reaches the terminal', () => {
  it('status and the dashboard, for arbitrary strings in every field AWS answers', async () => {
    const api = createStatusApi({ region: 'us-east-1', maxAttempts: 1 });
    try {
      await fc.assert(
        fc.asyncProperty(answers, fc.constantFrom(...SIZES), async (a, size) => {
          fake.scenario = hostileScenario(a);
          const poller = createStatusPoller({
            api,
            stackName: 'BenchlingWebhookStack',
            region: 'us-east-1',
            account: '123456789012',
            environments: [
              { name: 'dev', profile: 'dev' },
              { name: 'prod', profile: 'default' },
            ],
            intervalMs: 60_000,
            random: () => 0.5,
          });
          try {
            const snapshot = await poller.snapshot();

            const status = formatStatus(snapshot);
            for (const line of status) expect(line).not.toMatch(RAW_CONTROL);
            expect(status.join('\n')).not.toMatch(RAW_CONTROL);

            const state = run(start(undefined, size), { type: 'snapshot', snapshot, nextPollInMs: 5000 }).state;
            const t = renderTerminal(<Dashboard state={state} onSetup={() => {}} onSave={() => {}} />, size);
            try {
              // Only Ink's own colour codes (SGR) are removed: any escape from the data would remain.
              const frame = t.stdout.frames.at(-1)!.replace(/\u001b\[[0-9;]*m/g, '');
              expect(frame).not.toMatch(RAW_CONTROL);
              const rows = frame.replace(/\n$/, '').split('\n');
              expect(rows.length).toBeLessThanOrEqual(size.rows);
            } finally {
              t.unmount();
            }
          } finally {
            await poller.stop();
          }
        }),
        { numRuns: 60 },
      );
    } finally {
      api.close();
    }
  }, 120_000);
});
