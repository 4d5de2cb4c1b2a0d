import React from 'react';
import { Box, Text } from 'ink';
import SelectInput from 'ink-select-input';
import type { OperationProps } from './Deploy.js';
import { OperationView, operationLine } from './Deploy.js';
import { displayLine } from '../display-text.js';
import type { HistoryItem, HistoryPick, OperationState } from '../state/dashboard.js';
import { ageOf, whoShort } from './format.js';

interface ListItem {
  readonly key: string;
  readonly label: string;
  readonly value: number;
  readonly item: HistoryItem;
}

/** The first line of the list shown for `selected` in `rows` rows: the highlighted entry stays in view. */
export function historyWindowTop(selected: number, count: number, rows: number): number {
  if (count <= rows) return 0;
  return Math.min(Math.max(0, selected - Math.floor(rows / 2)), count - rows);
}

/** `0.7.0` or `sha256:0123456789ab…`, when, and whether it runs now: one entry on one line. */
export function historyLabel(item: HistoryItem, now: number, width: number): string {
  const image = item.imageTag.startsWith('sha256:') ? `${item.imageTag.slice(0, 19)}…` : item.imageTag;
  const age = ageOf(item.deployedAt, now);
  const when = `${item.deployedAt.replace(/\.\d{3}Z$/, 'Z')}${age ? ` (${age} ago)` : ''}`;
  const text = `${image.padEnd(20)} ${when}${item.deployedBy ? `  by ${whoShort(item.deployedBy)}` : ''}${item.running ? '  <- running' : ''}`;
  // Tags and times come from deploy.json: outside text, through the door, to the width.
  return displayLine(text, Math.max(1, width));
}

function Indicator({ isSelected = false }: { readonly isSelected?: boolean }): React.JSX.Element {
  return <Text color="cyan">{isSelected ? '> ' : '  '}</Text>;
}

function Entry({ isSelected = false, label, item }: { readonly isSelected?: boolean; readonly label: string; readonly item?: HistoryItem }): React.JSX.Element {
  return (
    <Text color={isSelected ? 'cyan' : item?.running ? 'green' : undefined} bold={isSelected} wrap="truncate-end">
      {label}
    </Text>
  );
}

/**
 * The history as a list (ink-select-input), drawn as a controlled view. The
 * list keeps its own highlighted index in component state and reads keys
 * itself; here the reducer owns both (keys that arrive faster than a render
 * then act on the latest state, and the whole flow is tested without Ink).
 * So the list never reads a key (`isFocused` false), shows only the entries
 * that fit (no `limit`: its rotation would reorder a history), and starts at
 * the reducer's index; its `key` changes with that index, so it is drawn
 * afresh rather than keeping an index of its own.
 */
function HistoryList({ pick, width, rows, now }: { readonly pick: HistoryPick; readonly width: number; readonly rows: number; readonly now: number }): React.JSX.Element | null {
  if (rows <= 0) return null;
  const top = historyWindowTop(pick.selected, pick.items.length, rows);
  const items: ListItem[] = pick.items.slice(top, top + rows).map((item, i) => ({ key: `h${top + i}`, value: top + i, label: historyLabel(item, now, width - 2), item }));
  return (
    <Box flexDirection="column" width={width} height={items.length} overflow="hidden">
      <SelectInput
        key={`${top}:${pick.selected}`}
        items={items}
        initialIndex={pick.selected - top}
        isFocused={false}
        indicatorComponent={Indicator}
        itemComponent={Entry as React.FC<{ isSelected?: boolean; label: string }>}
      />
    </Box>
  );
}

/** Lines above and below the list, and the list's rows. */
function historyScreen(op: OperationState, pick: HistoryPick, width: number, height: number, now: number): React.JSX.Element {
  const title = pick.viewOnly ? `history of ${op.environment} (deploy.json), newest first` : `roll ${op.environment} back: choose the image to go back to`;
  const empty = pick.items.length === 0;
  const foot = empty
    ? `deploy.json has no deploy of ${op.environment} yet: nothing to go back to`
    : pick.note ?? (pick.viewOnly ? 'R rolls back to one of them' : 'enter shows the plan and asks before anything runs');
  const footColor = pick.note ? 'yellow' : undefined;
  const rows = Math.max(0, height - 3);
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Text bold wrap="truncate-end">
        {displayLine(title, width)}
      </Text>
      <HistoryList pick={pick} width={width} rows={rows} now={now} />
      <Text> </Text>
      <Text color={footColor} dimColor={!pick.note} wrap="wrap">
        {displayLine(foot, width * 2)}
      </Text>
    </Box>
  );
}

/** The rollback screen (`R`, and `h` to read the history): pick an image, then its plan and confirmation. */
export function Rollback(props: OperationProps): React.JSX.Element {
  const op = props.operation;
  if (op.phase === 'choose' && op.history) return historyScreen(op, op.history, props.width, props.height, props.now);
  const intro =
    op.phase === 'preparing' || op.phase === 'refused'
      ? [operationLine('what', `${op.environment} goes back to the image chosen from its history (deploy.json)`, undefined, true)]
      : [];
  return <OperationView {...props} intro={intro} />;
}
