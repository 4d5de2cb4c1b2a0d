import React from 'react';
import { Box, Text } from 'ink';
import type { LogsState } from '../state/dashboard.js';
import { printable } from '../state/log-format.js';

export interface LogsProps {
  readonly logs: LogsState;
  readonly width: number;
  /** Rows for the whole screen body: a status line, then the lines. */
  readonly height: number;
}

const time = (ms: number) => new Date(ms).toISOString().slice(11, 19);

/**
 * Full-screen logs of one environment, newest at the bottom. Only the lines
 * that fit are drawn (the buffer hands out just that slice); messages are made
 * printable, so a log line cannot move the cursor or recolour the screen.
 */
export function Logs({ logs, width, height }: LogsProps): React.JSX.Element {
  const rows = Math.max(0, height - 1);
  const view = logs.buffer.view(rows, logs.offset);
  const s = logs.status;
  const mode = s ? (s.mode === 'live' ? 'live tail' : s.mode === 'polling' ? 'polling every 2 s' : s.mode) : 'connecting…';
  const follow = view.paused ? `paused${view.newWhilePaused > 0 ? ` (${view.newWhilePaused} new)` : ''}` : 'following';
  const filter = logs.filterDraft !== null ? `filter: ${logs.filterDraft}▏` : view.filter ? `filter "${view.filter}"` : '';
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Text wrap="truncate-end">
        <Text bold>{`logs ${logs.environment}`}</Text>
        <Text dimColor>{`  ${s?.logGroup ?? ''}  ${mode}  `}</Text>
        <Text color={view.paused ? 'yellow' : 'green'}>{follow}</Text>
        <Text dimColor>{`  ${view.matching} lines${view.offset > 0 ? `, ${view.offset} below` : ''}`}</Text>
        {filter ? <Text color="cyan">{`  ${filter}`}</Text> : null}
        {s?.error ? <Text color="red">{`  ${s.error}`}</Text> : null}
        {s?.error && s.hint ? <Text color="yellow">{`  ${s.hint}`}</Text> : null}
        {!s?.error && s?.notice ? <Text dimColor>{`  ${s.notice}`}</Text> : null}
      </Text>
      {view.lines.length === 0 && rows > 0 ? (
        <Text dimColor wrap="truncate-end">
          {view.filter ? `no line matches "${view.filter}"` : s?.error ? 'no lines' : 'waiting for log lines…'}
        </Text>
      ) : null}
      {view.lines.map((line) => (
        <Text key={line.id} wrap="truncate-end">
          <Text dimColor>{`${time(line.timestamp)} `}</Text>
          {printable(line.message, true)}
        </Text>
      ))}
    </Box>
  );
}
