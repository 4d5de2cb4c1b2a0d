import React from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { Dashboard } from '../../src/ui/Dashboard.js';
import { BOTH, envStatus, key, plan, run, snapshot, start } from '../state/dashboard-fixtures.js';
import { measure, renderTerminal, type Terminal } from '../helpers/terminal.js';

/** The digest promote pins prod to is read whole, even at 80 columns. */

const terminals: Terminal[] = [];
afterEach(() => {
  for (const t of terminals.splice(0)) t.unmount();
});

const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;

function promoteScreen(columns: number): string {
  const s0 = run(start(BOTH, { columns, rows: 24 }), { type: 'snapshot', snapshot: snapshot({}, [envStatus('dev'), envStatus('prod')]), nextPollInMs: 5000 }, key('P')).state;
  const id = s0.operation!.id;
  const p = plan({
    kind: 'promote',
    environment: 'prod',
    oldTag: '0.7.0',
    newTag: DIGEST,
    confirmWord: 'prod',
    rows: [
      { label: 'profile', value: 'default' },
      { label: 'dev runs', value: `latest = ${DIGEST}` },
      { label: 'prod', value: `0.7.0 -> ${DIGEST.slice(0, 19)}…` },
    ],
  });
  // The question comes once the changes are known.
  const state = run(s0, { type: 'planReady', id, plan: p }, { type: 'diffReady', id, lines: ['[~] AWS::ECS::TaskDefinition Prod/TaskDefinition ProdTaskDefinition replace'] }).state;
  const t = renderTerminal(<Dashboard state={state} onSetup={() => {}} onSave={() => {}} />, state.size);
  terminals.push(t);
  return t.frame();
}

describe('promote at 80 columns', () => {
  it('shows the digest dev runs whole, on a line of its own, and still the prompt', () => {
    const f = promoteScreen(80);
    expect(f).toMatch(new RegExp(`^${DIGEST}$`, 'm'));
    expect(f).toMatch(/dev runs\s+latest \(digest below\)|dev runs latest =/);
    expect(f).toMatch(/Type "prod" to confirm/);
    expect(measure(f).width).toBeLessThanOrEqual(80);
    expect(measure(f).height).toBeLessThanOrEqual(23);
  });

  it('the nearest case: at 120 the row holds the digest whole as before', () => {
    const f = promoteScreen(120);
    expect(f).toContain(`dev runs  latest = ${DIGEST}`);
    expect(f).not.toContain('digest below');
  });
});
