import React from 'react';
import { Box, Text } from 'ink';
import { displayLine } from '../display-text.js';
import type { StackInfo } from '../state/dashboard.js';
import { stackStatusWords } from '../state/health.js';
import type { StatusSnapshot } from '../state/status-types.js';
import { ageOf } from './format.js';

export interface HeaderProps {
  readonly stack: StackInfo;
  readonly snapshot: StatusSnapshot | null;
  readonly refreshing: boolean;
  readonly now: number;
  readonly width: number;
}

/** One line (outside text through the door, cut to the width): the stack, where it lives, its status, how old the data on screen is; the account last (cut first). */
export function Header({ stack, snapshot, refreshing, now, width }: HeaderProps): React.JSX.Element {
  const account = displayLine(snapshot?.account ?? stack.account, width);
  const status = snapshot ? displayLine(stackStatusWords(snapshot), width) : 'reading AWS...';
  const age = snapshot ? ageOf(snapshot.stackReadAt ?? snapshot.fetchedAt, now) : null;
  const statusColor = !snapshot?.stackStatus ? 'gray' : /FAILED|ROLLBACK/.test(snapshot.stackStatus) ? 'red' : /IN_PROGRESS/.test(snapshot.stackStatus) ? 'cyan' : 'green';
  return (
    <Box width={width} height={1}>
      <Text wrap="truncate-end">
        <Text bold>{displayLine(stack.stackName, width)}</Text>
        <Text>{`  ${displayLine(stack.region, width)}`}</Text>
        <Text>{'  '}</Text>
        <Text color={statusColor}>{status}</Text>
        {snapshot ? <Text dimColor>{`  data ${ageOf(snapshot.fetchedAt, now) ?? '?'} old`}</Text> : null}
        {refreshing && snapshot ? <Text color="cyan">{'  refreshing...'}</Text> : null}
        {account ? <Text dimColor>{`  account ${account}`}</Text> : null}
        {snapshot && age && age !== ageOf(snapshot.fetchedAt, now) ? <Text dimColor>{`  stack read ${age} ago`}</Text> : null}
      </Text>
    </Box>
  );
}
