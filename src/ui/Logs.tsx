import React from 'react';
import { Box, Text } from 'ink';
import type { LogsState } from '../state/dashboard.js';
import { displayLine, displayText } from '../display-text.js';

export interface LogsProps {
  readonly logs: LogsState;
  readonly width: number;
  /** Rows for the whole screen body: a status line, then the lines. */
  readonly height: number;
}

const time = (ms: number) => new Date(ms).toISOString().slice(11, 19);

/**
 * Full-screen logs of one environment, newest at the bottom. Only the lines
 * that fit are drawn (the buffer hands out just that slice); messages pass
 * the one door for outside text, so a log line cannot move the cursor or
 * recolour the screen, and only the part that fits the width is measured.
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
        <Text dimColor>{`  ${displayLine(s?.logGroup, width)}  ${mode}  `}</Text>
        <Text color={view.paused ? 'yellow' : 'green'}>{follow}</Text>
        <Text dimColor>{`  ${view.matching} lines${view.offset > 0 ? `, ${view.offset} below` : ''}`}</Text>
        {filter ? <Text color="cyan">{`  ${displayLine(filter, width)}`}</Text> : null}
        {s?.error ? <Text color="red">{`  ${displayLine(s.error, width)}`}</Text> : null}
        {s?.error && s.hint ? <Text color="yellow">{`  ${displayLine(s.hint, width)}`}</Text> : null}
        {!s?.error && s?.notice ? <Text dimColor>{`  ${displayLine(s.notice, width)}`}</Text> : null}
      </Text>
      {view.lines.length === 0 && rows > 0 ? (
        <Text dimColor wrap="truncate-end">
          {view.filter ? `no line matches "${displayLine(view.filter, width)}"` : s?.error ? 'no lines' : 'waiting for log lines…'}
        </Text>
      ) : null}
      {view.lines.map((line) => (
        <Text key={line.id} wrap="truncate-end">
          <Text dimColor>{`${time(line.timestamp)} `}</Text>
          {displayText(line.message, { keepTabs: true, max: width })}
        </Text>
      ))}
    </Box>
  );
}
