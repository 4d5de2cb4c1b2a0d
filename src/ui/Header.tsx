import React from 'react';
import { Box, Text } from 'ink';
import { displayLine } from '../display-text.js';
import { oldestReadAt, type StackInfo } from '../state/dashboard.js';
import { stackStatusWords } from '../state/health.js';
import type { StatusSnapshot } from '../state/status-types.js';
import { formatAge } from './format.js';

export interface HeaderProps {
  readonly stack: StackInfo;
  readonly snapshot: StatusSnapshot | null;
  readonly refreshing: boolean;
  readonly now: number;
  readonly width: number;
}

/**
 * One line (outside text through the door; the account last, so it is what a
 * narrow terminal loses): the stack, where it lives, its status, and the age
 * of the oldest data on screen. During an error that is the age of the last
 * good data, not of the failed poll: a failed read says nothing new.
 */
export function Header({ stack, snapshot, refreshing, now, width }: HeaderProps): React.JSX.Element {
  const account = displayLine(snapshot?.account ?? stack.account, width);
  const status = snapshot ? displayLine(stackStatusWords(snapshot), width) : 'reading AWS...';
  const readAt = oldestReadAt(snapshot);
  const age = snapshot ? (readAt === null ? 'no data read yet' : `data ${formatAge(now - readAt)} old`) : null;
  const statusColor = !snapshot?.stackStatus ? 'gray' : /FAILED|ROLLBACK/.test(snapshot.stackStatus) ? 'red' : /IN_PROGRESS/.test(snapshot.stackStatus) ? 'cyan' : 'green';
  return (
    <Box width={width} height={1}>
      <Text wrap="truncate-end">
        <Text bold>{displayLine(stack.stackName, width)}</Text>
        <Text>{`  ${displayLine(stack.region, width)}`}</Text>
        <Text>{'  '}</Text>
        <Text color={statusColor}>{status}</Text>
        {age ? <Text dimColor={readAt !== null} color={readAt === null ? 'yellow' : undefined}>{`  ${age}`}</Text> : null}
        {refreshing && snapshot ? <Text color="cyan">{'  refreshing...'}</Text> : null}
        {account ? <Text dimColor>{`  account ${account}`}</Text> : null}
      </Text>
    </Box>
  );
}
