import React, { useReducer } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { render } from 'ink-testing-library';
import { SetupForm } from '../../src/ui/SetupForm.js';
import { initialSetupForm, setupFormReducer, formIsValid, SAVE_ROW } from '../../src/state/setup-form.js';
import { formToProfile } from '../../src/config/fields.js';
import { QUILT_ARN, SECRET } from '../helpers/fixtures.js';
import { waitForFrame } from '../helpers/ink.js';

const strip = (s: string | undefined) => (s ?? '').replace(/\u001b\[[0-9;]*m/g, '');
const tick = () => new Promise((r) => setTimeout(r, 30));

function Harness({ onSave, initial = {} }: { onSave: (texts: Record<string, string>) => void; initial?: Record<string, unknown> }) {
  const [state, dispatch] = useReducer(setupFormReducer, initialSetupForm('default', initial));
  return <SetupForm state={state} dispatch={dispatch} onSave={() => onSave(state.texts)} />;
}

describe('setup form reducer', () => {
  it('moves focus within bounds and edits the focused field only', () => {
    let s = initialSetupForm('default', {});
    s = setupFormReducer(s, { type: 'previous' });
    expect(s.focus).toBe(0);
    s = setupFormReducer(s, { type: 'next' });
    s = setupFormReducer(s, { type: 'type', text: 'acme' });
    expect(s.texts.benchlingTenant).toBe('acme');
    s = setupFormReducer(setupFormReducer(s, { type: 'input', text: '-x\u001b' }), { type: 'backspace' });
    expect(s.texts.benchlingTenant).toBe('acme-');
    for (let i = 0; i < 20; i++) s = setupFormReducer(s, { type: 'next' });
    expect(s.focus).toBe(SAVE_ROW);
    expect(setupFormReducer(s, { type: 'type', text: 'x' })).toBe(s);
  });

  it('is valid only when every field is acceptable; prod needs a fixed tag', () => {
    let s = initialSetupForm('default', { benchlingTenant: 'acme', benchlingAppDefinitionId: 'a', benchlingClientId: 'c', quiltStackArn: QUILT_ARN });
    expect(formIsValid(s)).toBe(false);
    s = initialSetupForm('default', { benchlingTenant: 'acme', benchlingAppDefinitionId: 'a', benchlingClientId: 'c', quiltStackArn: QUILT_ARN, imageTag: '0.7.0' });
    expect(formIsValid(s)).toBe(true);
    expect(formIsValid(initialSetupForm('dev', { benchlingTenant: 'acme', benchlingAppDefinitionId: 'a', benchlingClientId: 'c', quiltStackArn: QUILT_ARN }))).toBe(true);
    // Fields the form does not show are kept from the base; an emptied form field is removed.
    expect(formToProfile('dev', { benchlingTenant: 'acme', imageTag: '' }, { pkgKey: 'run_id', imageTag: '1.0' })).toEqual({ profile: 'dev', benchlingTenant: 'acme', pkgKey: 'run_id' });
  });
});

describe('SetupForm', () => {
  it('checks each field as it is typed, with keys faster than renders', async () => {
    const ui = render(<Harness onSave={vi.fn()} />);
    await tick();
    ui.stdin.write('\t');
    await waitForFrame(ui.lastFrame, (f) => /› Benchling tenant/.test(f));
    ui.stdin.write('Acme');
    const bad = await waitForFrame(ui.lastFrame, (f) => /Benchling tenant\s+Acme/.test(f));
    expect(bad).toMatch(/expected lower-case letters/);
    // No waiting between keys: each acts on the reducer's latest text.
    for (let i = 0; i < 4; i++) ui.stdin.write('\u007f');
    ui.stdin.write('a');
    ui.stdin.write('cme');
    const good = await waitForFrame(ui.lastFrame, (f) => /Benchling tenant\s+acme\s*$/m.test(f));
    expect(good).not.toMatch(/expected lower-case letters/);
    ui.unmount();
  });

  it('keys that arrive in one read (a paste, a fast terminal) keep their order: text, tab, backspace', async () => {
    const ui = render(<Harness onSave={vi.fn()} />);
    await tick();
    ui.stdin.write('\tacmex\u007f\tappdef_1\tcid_1\t' + SECRET + '\t');
    const frame = await waitForFrame(ui.lastFrame, (f) => /› Quilt stack ARN/.test(f));
    expect(frame).toMatch(/Benchling tenant\s+acme\s*$/m);
    expect(frame).toMatch(/App definition id\s+appdef_1\s*$/m);
    expect(frame).toMatch(/Client id\s+cid_1\s*$/m);
    expect(frame).toMatch(/Client secret\s+\*{8}\s*$/m);
    expect(frame).not.toContain(SECRET);
    ui.unmount();
  });

  it('masks the client secret', async () => {
    const ui = render(<Harness onSave={vi.fn()} initial={{ benchlingClientSecret: SECRET }} />);
    await tick();
    expect(strip(ui.lastFrame())).not.toContain(SECRET);
    for (let i = 0; i < 4; i++) ui.stdin.write('\t');
    await tick();
    expect(strip(ui.lastFrame())).toMatch(/Client secret\s+\*+/);
    expect(strip(ui.lastFrame())).not.toContain(SECRET);
    ui.unmount();
  });

  it('saves only when valid', async () => {
    const onSave = vi.fn();
    const ui = render(<Harness onSave={onSave} initial={{ benchlingTenant: 'acme', benchlingAppDefinitionId: 'a', benchlingClientId: 'c', quiltStackArn: QUILT_ARN }} />);
    await tick();
    for (let i = 0; i < SAVE_ROW; i++) ui.stdin.write('\t');
    await tick();
    ui.stdin.write('\r');
    await tick();
    expect(onSave).not.toHaveBeenCalled();
    expect(strip(ui.lastFrame())).toMatch(/fix the fields above first/);
    ui.unmount();
    const ok = render(<Harness onSave={onSave} initial={{ benchlingTenant: 'acme', benchlingAppDefinitionId: 'a', benchlingClientId: 'c', quiltStackArn: QUILT_ARN, imageTag: '0.7.0' }} />);
    await tick();
    for (let i = 0; i < SAVE_ROW; i++) ok.stdin.write('\t');
    await tick();
    ok.stdin.write('\r');
    await tick();
    expect(onSave).toHaveBeenCalledTimes(1);
    ok.unmount();
  });
});

describe('SetupForm in a small terminal', () => {
  it('fits maxRows, keeps the focused field in view, and cuts long lines to the width', async () => {
    const { visibleFields } = await import('../../src/ui/SetupForm.js');
    expect(visibleFields([1, 1, 1, 1, 1], 4, 2)).toEqual([3, 5]);
    expect(visibleFields([1, 2, 1], 1, 2)).toEqual([1, 2]);
    expect(visibleFields([1, 1], 0, 10)).toEqual([0, 2]);
    function Small() {
      const [state, dispatch] = useReducer(setupFormReducer, initialSetupForm('default', { quiltStackArn: 'arn:aws:cloudformation:us-east-1:123456789012:stack/QuiltStack/' + 'x'.repeat(80) }));
      return <SetupForm state={state} dispatch={dispatch} onSave={() => {}} maxRows={10} />;
    }
    const ui = render(<Small />);
    await tick();
    for (let i = 0; i < 5; i++) ui.stdin.write('\t');
    const frame = await waitForFrame(ui.lastFrame, (f) => /› Quilt stack ARN/.test(f));
    expect(frame.split('\n').length).toBeLessThanOrEqual(10);
    expect(frame).toMatch(/fields \d+-\d+ of 10/);
    ui.unmount();
  });
});
