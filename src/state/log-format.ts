import { displayText, jsonForTerminal } from '../display-text.js';
import type { LogLine, LogTailStatus } from './log-types.js';

/**
 * A log message made safe for a terminal, through the one door
 * ({@link displayText}): escape sequences and other control characters (a
 * log line must not be able to move the cursor or retitle the window) become
 * visible `\xNN`; tabs stay, and line breaks too unless `oneLine` (the log
 * screen draws one row per line: they become `⏎`). Not cut: `logs` prints
 * messages whole.
 */
export function printable(message: string, oneLine = false): string {
  return displayText(message, { multiline: !oneLine, keepTabs: true, max: Number.POSITIVE_INFINITY });
}

/** `2026-05-01T12:00:00.000Z webhook/app/3f.. message`, with the environment first when several are shown. */
export function formatLogLine(line: LogLine, options: { labelEnvironment?: boolean } = {}): string {
  const label = options.labelEnvironment ? `${line.environment.padEnd(4)} ` : '';
  return `${label}${new Date(line.timestamp).toISOString()} ${printable(line.stream, true)} ${printable(line.message)}`;
}

/** One JSON object per line, for scripts (`--json`). */
export function logLineJson(line: LogLine): string {
  return jsonForTerminal({ environment: line.environment, time: new Date(line.timestamp).toISOString(), stream: line.stream, message: line.message, id: line.id }, 0);
}

/**
 * What `logs --follow` says on stderr when a tail's status changes from
 * `before` to `after`: a new notice, a new error (with its hint), the end of
 * an error, and live tail coming back after polling. Empty when nothing
 * worth saying changed.
 */
export function statusChangeLines(before: LogTailStatus | undefined, after: LogTailStatus, prefix = ''): string[] {
  const lines: string[] = [];
  if (after.notice && after.notice !== before?.notice) lines.push(`note: ${prefix}${after.notice}`);
  if (after.error && after.error !== before?.error) {
    lines.push(`error: ${prefix}${after.error}${after.errorKind === 'credentials' ? '' : ' (still trying)'}`);
    if (after.hint) lines.push(`hint: ${after.hint}`);
  }
  if (!after.error && before?.error && after.mode !== 'stopped') lines.push(`note: ${prefix}reading the logs again`);
  if (after.mode === 'live' && before?.mode === 'polling') lines.push(`note: ${prefix}live tail is available again; polling stopped`);
  return lines;
}
