import React from 'react';
import { Box, Text } from 'ink';
import { SetupForm } from './SetupForm.js';
import type { SetupFormAction, SetupFormState } from '../state/setup-form.js';

export interface WelcomeProps {
  readonly setup: SetupFormState;
  readonly dispatch: (action: SetupFormAction) => void;
  readonly onSave: () => void;
  readonly configDir?: string;
  readonly width: number;
  readonly height: number;
}

/** No profile yet: a word of welcome and the form that creates `default` (prod). */
export function Welcome({ setup, dispatch, onSave, configDir, width, height }: WelcomeProps): React.JSX.Element {
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Text bold color="cyan" wrap="truncate-end">
        Welcome to benchling-deploy
      </Text>
      <Text wrap="truncate-end">{`There is no profile yet${configDir ? ` in ${configDir}` : ''}. Fill in the prod profile ("default") to start;`}</Text>
      <Text wrap="truncate-end" dimColor>
        a dev profile can be added later with `benchling-deploy setup-profile dev`.
      </Text>
      <SetupForm state={setup} dispatch={dispatch} onSave={onSave} title='Profile "default" (prod)' />
    </Box>
  );
}
