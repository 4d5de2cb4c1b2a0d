import React, { useCallback } from 'react';
import { Box, Text } from 'ink';
import { displayLine } from '../display-text.js';
import { SetupForm } from './SetupForm.js';
import { initialSetupForm, setupFormReducer, type SetupFormAction, type SetupFormState } from '../state/setup-form.js';

export interface WelcomeProps {
  readonly setup: SetupFormState;
  /** Applies a change to the form in the dashboard's state (the form's reducer, given the latest state). */
  readonly onSetup: (apply: (form: SetupFormState) => SetupFormState) => void;
  readonly onSave: () => void;
  readonly configDir?: string;
  readonly width: number;
  readonly height: number;
}

/**
 * No profile yet: a word of welcome and the form that creates `default`
 * (prod). Loaded only when shown: the form checks fields with zod.
 */
export function Welcome({ setup, onSetup, onSave, configDir, width, height }: WelcomeProps): React.JSX.Element {
  const dispatch = useCallback((action: SetupFormAction) => onSetup((form) => setupFormReducer(form, action)), [onSetup]);
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Text bold color="cyan" wrap="truncate-end">
        Welcome to benchling-deploy
      </Text>
      <Text wrap="truncate-end">{`There is no profile yet${configDir ? ` in ${displayLine(configDir)}` : ''}. Fill in the prod profile ("default") to start;`}</Text>
      <Text wrap="truncate-end" dimColor>
        a dev profile can be added later with `benchling-deploy setup-profile dev`.
      </Text>
      <SetupForm state={setup} dispatch={dispatch} onSave={onSave} title='Profile "default" (prod)' maxRows={Math.max(1, height - 3)} />
    </Box>
  );
}

/** The form's first state: `default`, for prod. */
export function initialWelcomeForm(): SetupFormState {
  return initialSetupForm('default', { environment: 'prod' });
}
