import { FORM_FIELDS, checkFieldText, type FormField } from '../config/fields.js';

/** The setup form: one focused row at a time; the row after the fields is "save". */
export interface SetupFormState {
  readonly profileName: string;
  readonly texts: Readonly<Record<FormField, string>>;
  readonly focus: number;
  /** Problems from the last save attempt (whole-profile checks). */
  readonly saveProblems: readonly string[];
  readonly status: 'editing' | 'saving' | 'saved' | 'cancelled';
}

export type SetupFormAction =
  /** Replaces the focused field's text. */
  | { type: 'type'; text: string }
  /** Keys typed or pasted into the focused field: appended. */
  | { type: 'input'; text: string }
  | { type: 'backspace' }
  | { type: 'next' }
  | { type: 'previous' }
  | { type: 'saving' }
  | { type: 'saveFailed'; problems: readonly string[] }
  | { type: 'saved' }
  | { type: 'cancel' };

export const SAVE_ROW = FORM_FIELDS.length;

export function initialSetupForm(profileName: string, initial: Partial<Record<string, unknown>>): SetupFormState {
  const texts = Object.fromEntries(FORM_FIELDS.map(({ field }) => [field, initial[field] === undefined ? '' : String(initial[field])])) as Record<FormField, string>;
  return { profileName, texts, focus: 0, saveProblems: [], status: 'editing' };
}

export function fieldError(state: SetupFormState, field: FormField): string | undefined {
  return checkFieldText(field, state.texts[field], state.profileName, state.texts.environment);
}

export function formIsValid(state: SetupFormState): boolean {
  return FORM_FIELDS.every(({ field }) => fieldError(state, field) === undefined);
}

export function setupFormReducer(state: SetupFormState, action: SetupFormAction): SetupFormState {
  switch (action.type) {
    case 'type': {
      if (state.focus >= SAVE_ROW || state.status !== 'editing') return state;
      const field = FORM_FIELDS[state.focus].field;
      return { ...state, texts: { ...state.texts, [field]: action.text }, saveProblems: [] };
    }
    case 'input':
    case 'backspace': {
      if (state.focus >= SAVE_ROW || state.status !== 'editing') return state;
      const field = FORM_FIELDS[state.focus].field;
      const current = state.texts[field];
      // eslint-disable-next-line no-control-regex
      const text = action.type === 'input' ? current + action.text.replace(/[\u0000-\u001f\u007f]/g, '') : current.slice(0, -1);
      if (text === current) return state;
      return { ...state, texts: { ...state.texts, [field]: text }, saveProblems: [] };
    }
    case 'next':
      return { ...state, focus: Math.min(state.focus + 1, SAVE_ROW) };
    case 'previous':
      return { ...state, focus: Math.max(state.focus - 1, 0) };
    case 'saving':
      return { ...state, status: 'saving' };
    case 'saveFailed':
      return { ...state, status: 'editing', saveProblems: action.problems };
    case 'saved':
      return { ...state, status: 'saved' };
    case 'cancel':
      return { ...state, status: 'cancelled' };
  }
}
