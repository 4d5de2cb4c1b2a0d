import React from 'react';
import { Box, Text, useInput, useStdin } from 'ink';
import { FORM_FIELDS } from '../config/fields.js';
import { SAVE_ROW, fieldError, formIsValid, type SetupFormAction, type SetupFormState } from '../state/setup-form.js';

export interface SetupFormProps {
  readonly state: SetupFormState;
  readonly dispatch: (action: SetupFormAction) => void;
  /** Called on enter on the save row when every field is acceptable. */
  readonly onSave: () => void;
  readonly title?: string;
}

/** The profile form: each field checked as it is typed; the secret is masked. */
export function SetupForm({ state, dispatch, onSave, title }: SetupFormProps): React.JSX.Element {
  const { isRawModeSupported } = useStdin();
  const canType = isRawModeSupported === true && state.status === 'editing';
  useInput(
    (input, key) => {
      // Editing goes through the reducer, so keys typed faster than a render never act on stale text.
      if (key.escape) dispatch({ type: 'cancel' });
      else if (key.backspace || key.delete) dispatch({ type: 'backspace' });
      else if (key.downArrow || key.tab) dispatch({ type: key.shift ? 'previous' : 'next' });
      else if (key.upArrow) dispatch({ type: 'previous' });
      else if (key.return) {
        if (state.focus === SAVE_ROW) {
          if (formIsValid(state)) onSave();
        } else dispatch({ type: 'next' });
      } else if (input && !key.ctrl && !key.meta && !key.leftArrow && !key.rightArrow) dispatch({ type: 'input', text: input });
    },
    { isActive: canType },
  );
  const valid = formIsValid(state);
  return (
    <Box flexDirection="column">
      <Text bold>{title ?? `Profile "${state.profileName}"`}</Text>
      <Text dimColor>tab/arrows move, enter next, esc cancel</Text>
      {FORM_FIELDS.map((f, i) => {
        const focused = state.focus === i;
        const error = fieldError(state, f.field);
        const text = state.texts[f.field];
        const secret = 'secret' in f && f.secret;
        return (
          <Box key={f.field} flexDirection="column">
            <Box>
              <Text color={focused ? 'cyan' : undefined}>{focused ? '› ' : '  '}</Text>
              <Box width={20}>
                <Text>{f.label}</Text>
              </Box>
              {focused && canType ? (
                <Text>
                  {secret ? '*'.repeat(text.length) : text}
                  <Text inverse> </Text>
                  {text === '' ? <Text dimColor>{` ${f.help}`}</Text> : null}
                </Text>
              ) : (
                <Text dimColor={text === ''}>{secret ? (text === '' ? '(not set)' : '********') : text === '' ? f.help : text}</Text>
              )}
            </Box>
            {error && text !== '' ? <Text color="red">{`    ${error}`}</Text> : null}
            {error && text === '' && focused ? <Text color="yellow">{`    ${error}`}</Text> : null}
          </Box>
        );
      })}
      <Box marginTop={1}>
        <Text color={state.focus === SAVE_ROW ? 'cyan' : undefined}>{state.focus === SAVE_ROW ? '› ' : '  '}</Text>
        <Text bold color={valid ? 'green' : 'gray'}>
          {state.status === 'saving' ? 'saving…' : valid ? '[ Save ]' : '[ Save ] (fix the fields above first)'}
        </Text>
      </Box>
      {state.saveProblems.map((p) => (
        <Text key={p} color="red">
          {p}
        </Text>
      ))}
    </Box>
  );
}
