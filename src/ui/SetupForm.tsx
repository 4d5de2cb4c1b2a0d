import React, { useRef } from 'react';
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
  // Where focus is as far as the keys seen so far go: keys can arrive faster than renders.
  const focus = useRef(state.focus);
  focus.current = state.focus;
  const move = (type: 'next' | 'previous') => {
    focus.current = type === 'next' ? Math.min(focus.current + 1, SAVE_ROW) : Math.max(focus.current - 1, 0);
    dispatch({ type });
  };
  useInput(
    (input, key) => {
      // Editing goes through the reducer, so keys typed faster than a render never act on stale text.
      if (key.escape) dispatch({ type: 'cancel' });
      else if (key.backspace || key.delete) dispatch({ type: 'backspace' });
      else if (key.downArrow || key.tab) move(key.shift ? 'previous' : 'next');
      else if (key.upArrow) move('previous');
      else if (key.return) {
        if (focus.current === SAVE_ROW) {
          if (formIsValid(state)) onSave();
        } else move('next');
      } else if (input && !key.ctrl && !key.meta && !key.leftArrow && !key.rightArrow) {
        // A paste, or keys that came in one read: text and the editing keys among it, in order.
        let text = '';
        const flush = () => {
          if (text !== '') dispatch({ type: 'input', text });
          text = '';
        };
        for (const ch of input) {
          if (ch === '\t') {
            flush();
            move('next');
          } else if (ch === '\r' || ch === '\n') {
            flush();
            // Saving waits for an enter of its own, on texts the screen has shown.
            if (focus.current < SAVE_ROW) move('next');
          } else if (ch === '\u007f' || ch === '\b') {
            flush();
            dispatch({ type: 'backspace' });
          } else if (ch >= ' ') text += ch;
        }
        flush();
      }
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
