import React from 'react';
import { Box, Text } from 'ink';

export const HELP_ROWS: readonly (readonly [string, string])[] = [
  ['arrows, tab, 1/2', 'select an environment'],
  ['l', 'logs of the selected environment (in logs: / filter, f follow on/off, arrows and pgup/pgdn scroll, esc back)'],
  ['d', 'deploy the selected environment: plan, confirm, live progress'],
  ['P', 'promote the image dev runs to prod (type "prod" to confirm)'],
  ['R', 'roll the selected environment back to its previous image (deploy.json history)'],
  ['t', "test the selected environment's endpoint (GET /health)"],
  ['r', 'refresh now'],
  ['x / esc', 'dismiss the error'],
  ['?', 'this help; esc or ? closes it'],
  ['q, ctrl-c', 'quit (a running deploy asks first; esc or ctrl-c in a deploy asks to cancel it)'],
];

export interface HelpProps {
  readonly width: number;
  readonly height: number;
}

/** The keys, on one screen; cut to the rows there are. */
export function Help({ width, height }: HelpProps): React.JSX.Element {
  const lines = [
    <Text key="title" bold>
      benchling-deploy: keys
    </Text>,
    ...HELP_ROWS.map(([key, what]) => (
      <Text key={key} wrap="truncate-end">
        <Text bold color="cyan">
          {key.padEnd(16)}
        </Text>
        {` ${what}`}
      </Text>
    )),
    <Text key="blank"> </Text>,
    <Text key="data" dimColor wrap="truncate-end">
      Health refreshes every few seconds; AWS errors show where the data would be, with its age.
    </Text>,
  ];
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      {lines.slice(0, Math.max(0, height))}
    </Box>
  );
}
