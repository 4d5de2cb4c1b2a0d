import React, { useReducer } from 'react';
import { render, useApp, useStdout } from 'ink';
import { SetupForm } from './SetupForm.js';
import { initialSetupForm, setupFormReducer } from '../state/setup-form.js';
import { formToProfile } from '../config/fields.js';
import type { ProfileFile } from '../config/schema.js';

export interface SetupFormRun {
  readonly name: string;
  readonly initial: Partial<ProfileFile>;
  /** Writes the profile; throws a UserErrors whose problems are shown in the form. */
  readonly save: (file: ProfileFile) => string;
}

/** The stand-alone setup form of `setup-profile NAME` on a terminal. Resolves true when saved. */
export async function runSetupForm(run: SetupFormRun): Promise<boolean> {
  let saved = false;
  const instance = render(<SetupApp run={run} onDone={(ok) => (saved = ok)} />, { exitOnCtrlC: true });
  await instance.waitUntilExit();
  return saved;
}

function SetupApp({ run, onDone }: { run: SetupFormRun; onDone: (saved: boolean) => void }): React.JSX.Element {
  const app = useApp();
  const { stdout } = useStdout();
  const [state, dispatch] = useReducer(setupFormReducer, initialSetupForm(run.name, run.initial));
  if (state.status === 'cancelled') {
    onDone(false);
    setImmediate(() => app.exit());
  }
  const save = () => {
    try {
      const path = run.save(formToProfile(run.name, state.texts, run.initial));
      dispatch({ type: 'saved' });
      onDone(true);
      setImmediate(() => app.exit());
      void path;
    } catch (error) {
      const problems = (error as { problems?: string[] }).problems ?? [(error as Error).message];
      dispatch({ type: 'saveFailed', problems });
    }
  };
  return <SetupForm state={state} dispatch={dispatch} onSave={save} maxRows={Math.max(6, (stdout.rows ?? 24) - 1)} />;
}
