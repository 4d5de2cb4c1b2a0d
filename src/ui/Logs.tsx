import React from 'react';
import { Box, Text } from 'ink';
import type { LogsState } from '../state/dashboard.js';
import { displayLine, wrapLines } from '../display-text.js';

export interface LogsProps {
  readonly logs: LogsState;
  readonly width: number;
  /** Rows for the whole screen body: a status line, then the lines. */
  readonly height: number;
}

const time = (ms: number) => new Date(ms).toISOString().slice(11, 19);
/** `12:00:01 `: the time column. */
const TIME_COLUMN = 9;

/** Log lines as screen lines: each message wrapped to the width beside its time, the last `rows` of them. */
function screenLines(lines: readonly { readonly id: string; readonly timestamp: number; readonly message: string }[], width: number, rows: number): { key: string; time: string; text: string }[] {
  const textWidth = Math.max(10, width - TIME_COLUMN);
  const out: { key: string; time: string; text: string }[] = [];
  for (const l of lines) {
    // A tab reads as spaces in a wrapped line (only the part the screen can hold is looked at).
    const chunks = wrapLines(l.message.slice(0, textWidth * rows + 1).replace(/\t/g, '    '), textWidth, rows);
    chunks.forEach((text, i) => out.push({ key: `${l.id}-${i}`, time: i === 0 ? `${time(l.timestamp)} ` : ' '.repeat(TIME_COLUMN), text }));
  }
  return out.slice(Math.max(0, out.length - rows));
}

/**
 * Full-screen logs of one environment, newest at the bottom. Only the lines
 * that fit are drawn (the buffer hands out just that slice); messages pass
 * the one door for outside text, so a log line cannot move the cursor or
 * recolour the screen. A long message wraps under its time instead of being
 * cut; the newest screen lines are kept, so the oldest line of the view may
 * lose its top. Only what the screen can hold of a line is escaped and
 * measured.
 */
export function Logs({ logs, width, height }: LogsProps): React.JSX.Element {
  const s = logs.status;
  const filter = logs.filterDraft !== null ? `filter: ${logs.filterDraft}▏` : '';
  // What the operator types, and what went wrong, each on rows of its own, wrapped: never cut off the end of the title row.
  const extra: { key: string; text: string; color: 'cyan' | 'red' | 'yellow' | undefined; dim?: boolean }[] = [
    ...(filter ? [{ key: 'filter', text: displayLine(filter, width), color: 'cyan' as const }] : []),
    ...(s?.error ? wrapLines(s.error, width, 3).map((text, i) => ({ key: `error${i}`, text, color: 'red' as const })) : []),
    ...(s?.error && s.hint ? wrapLines(s.hint, width, 2).map((text, i) => ({ key: `hint${i}`, text, color: 'yellow' as const })) : []),
    ...(!s?.error && s?.notice ? wrapLines(s.notice, width, 2).map((text, i) => ({ key: `notice${i}`, text, color: undefined, dim: true })) : []),
  ].slice(0, Math.max(0, height - 2));
  const rows = Math.max(0, height - 1 - extra.length);
  const view = logs.buffer.view(rows, logs.offset);
  const mode = s ? (s.mode === 'live' ? 'live tail' : s.mode === 'polling' ? 'polling every 2 s' : s.mode) : 'connecting…';
  const follow = view.paused ? `paused${view.newWhilePaused > 0 ? ` (${view.newWhilePaused} new)` : ''}` : 'following';
  const applied = logs.filterDraft === null && view.filter ? `  filter "${displayLine(view.filter, width)}"` : '';
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Text wrap="truncate-end">
        <Text bold>{`logs ${logs.environment}`}</Text>
        <Text color="cyan">{applied}</Text>
        <Text dimColor>{`  ${mode}  `}</Text>
        <Text color={view.paused ? 'yellow' : 'green'}>{follow}</Text>
        <Text dimColor>{`  ${view.matching} lines${view.offset > 0 ? `, ${view.offset} below` : ''}  ${displayLine(s?.logGroup, width)}`}</Text>
      </Text>
      {extra.map((e) => (
        <Text key={e.key} wrap="truncate-end" color={e.color} dimColor={e.dim}>
          {e.text}
        </Text>
      ))}
      {view.lines.length === 0 && rows > 0 ? (
        <Text dimColor wrap="truncate-end">
          {view.filter ? `no line matches "${displayLine(view.filter, width)}"` : s?.error ? 'no lines' : 'waiting for log lines…'}
        </Text>
      ) : null}
      {screenLines(view.lines, width, rows).map((l) => (
        <Text key={l.key} wrap="truncate-end">
          <Text dimColor>{l.time}</Text>
          {l.text}
        </Text>
      ))}
    </Box>
  );
}
