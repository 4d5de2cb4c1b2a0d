import React, { useRef } from 'react';
import { Box, Text, useInput, useStdin } from 'ink';
import { FIELD_KEEP, displayLine } from '../display-text.js';
import { FORM_FIELDS } from '../config/fields.js';
import { SAVE_ROW, fieldError, formIsValid, type SetupFormAction, type SetupFormState } from '../state/setup-form.js';

export interface SetupFormProps {
  readonly state: SetupFormState;
  readonly dispatch: (action: SetupFormAction) => void;
  /** Called on enter on the save row when every field is acceptable. */
  readonly onSave: () => void;
  readonly title?: string;
  /** The most rows the form may take; fields scroll around the focused one to fit. */
  readonly maxRows?: number;
}

/** The fields to draw: a window around the focused one whose rows fit in `slots`. */
export function visibleFields(heights: readonly number[], focus: number, slots: number): [number, number] {
  const n = heights.length;
  if (heights.reduce((a, b) => a + b, 0) <= slots) return [0, n];
  let a = Math.min(focus, n - 1);
  let b = a + 1;
  let used = heights[a];
  for (let grow = true; grow; ) {
    grow = false;
    if (b < n && used + heights[b] <= slots) {
      used += heights[b++];
      grow = true;
    }
    if (a > 0 && used + heights[a - 1] <= slots) {
      used += heights[--a];
      grow = true;
    }
  }
  return [a, b];
}

/** The profile form: each field checked as it is typed; the secret is masked. */
export function SetupForm({ state, dispatch, onSave, title, maxRows }: SetupFormProps): React.JSX.Element {
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
  const errors = FORM_FIELDS.map((f) => fieldError(state, f.field));
  const showsError = FORM_FIELDS.map((f, i) => errors[i] !== undefined && (state.texts[f.field] !== '' || state.focus === i));
  // Title, key line, blank and save rows, save problems: what is left is for the fields.
  const slots = maxRows === undefined ? Infinity : Math.max(1, maxRows - 4 - state.saveProblems.length);
  const [from, to] = visibleFields(showsError.map((e) => (e ? 2 : 1)), state.focus, slots);
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate-end">
        {title ?? `Profile "${state.profileName}"`}
        {from > 0 || to < FORM_FIELDS.length ? <Text dimColor>{`  fields ${from + 1}-${to} of ${FORM_FIELDS.length}`}</Text> : null}
      </Text>
      <Text dimColor wrap="truncate-end">
        tab/arrows move, enter next, esc cancel
      </Text>
      {FORM_FIELDS.slice(from, to).map((f, j) => {
        const i = from + j;
        const focused = state.focus === i;
        const error = errors[i];
        const text = state.texts[f.field];
        const secret = 'secret' in f && f.secret;
        return (
          <Box key={f.field} flexDirection="column">
            <Box>
              <Box width={2} flexShrink={0}>
                <Text color={focused ? 'cyan' : undefined}>{focused ? '›' : ' '}</Text>
              </Box>
              <Box width={20} flexShrink={0}>
                <Text wrap="truncate-end">{f.label}</Text>
              </Box>
              {focused && canType ? (
                <Text wrap="truncate-start">
                  {secret ? '*'.repeat(text.length) : displayLine(text, FIELD_KEEP)}
                  <Text inverse> </Text>
                  {text === '' ? <Text dimColor>{` ${f.help}`}</Text> : null}
                </Text>
              ) : (
                <Text dimColor={text === ''} wrap="truncate-end">
                  {secret ? (text === '' ? '(not set)' : '********') : text === '' ? f.help : displayLine(text, FIELD_KEEP)}
                </Text>
              )}
            </Box>
            {showsError[i] ? (
              <Text color={text === '' ? 'yellow' : 'red'} wrap="truncate-end">{`    ${displayLine(error)}`}</Text>
            ) : null}
          </Box>
        );
      })}
      <Box marginTop={1}>
        <Text color={state.focus === SAVE_ROW ? 'cyan' : undefined}>{state.focus === SAVE_ROW ? '› ' : '  '}</Text>
        <Text bold color={valid ? 'green' : 'gray'} wrap="truncate-end">
          {state.status === 'saving' ? 'saving…' : valid ? '[ Save ]' : '[ Save ] (fix the fields above first)'}
        </Text>
      </Box>
      {state.saveProblems.map((p) => (
        <Text key={p} color="red" wrap="truncate-end">
          {displayLine(p)}
        </Text>
      ))}
    </Box>
  );
}
