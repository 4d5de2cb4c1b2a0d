import React from 'react';
import { Box, Text } from 'ink';

export const HELP_ROWS: readonly (readonly [string, string])[] = [
  ['arrows, tab, 1/2', 'select an environment'],
  ['l', 'logs of the selected environment (in logs: / filter, f follow on/off, arrows and pgup/pgdn scroll, esc back)'],
  ['d', 'deploy the selected environment: plan, confirm, live progress'],
  ['P', 'promote the image dev runs to prod (type "prod" to confirm)'],
  ['R', 'roll the selected environment back: pick an earlier image from its history (deploy.json), see the plan, confirm'],
  ['h', "show the selected environment's deploy history, newest first, the running image marked"],
  ['c', 'the monthly cost estimate: each environment and the shared part line by line (quantity, unit price), the total, the prices\' date'],
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

const KEY_COLUMN = 17;
const CLOSING = 'Health refreshes every few seconds; the running tasks of the selected environment every 30 s and on r; AWS errors show where the data would be, with its age.';

/** One screen line of help: the key (on a row's first line) and its text. */
export interface HelpLine {
  readonly key: string;
  readonly text: string;
  readonly dim?: boolean;
}

/** Words onto lines of at most `width` (a longer word is split). */
export function wrapText(text: string, width: number): string[] {
  const w = Math.max(1, width);
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    let rest = word;
    while (rest.length > w) {
      if (line) out.push(line);
      out.push(rest.slice(0, w));
      line = '';
      rest = rest.slice(w);
    }
    if (!line) line = rest;
    else if (line.length + 1 + rest.length <= w) line += ` ${rest}`;
    else {
      out.push(line);
      line = rest;
    }
  }
  if (line || out.length === 0) out.push(line);
  return out;
}

/** The help as lines of the given width: each text wrapped beside its key (below it when narrow), nothing cut. */
export function helpLines(width: number): HelpLine[] {
  const beside = width >= KEY_COLUMN + 20;
  const rows = HELP_ROWS.flatMap(([key, what]) => {
    if (!beside) return [{ key, text: '' }, ...wrapText(what, width - 2).map((t) => ({ key: '', text: `  ${t}` }))];
    return wrapText(what, width - KEY_COLUMN).map((t, i) => ({ key: i === 0 ? key : '', text: t }));
  });
  return [...rows, { key: '', text: '' }, ...wrapText(CLOSING, beside ? width - KEY_COLUMN : width - 2).map((t) => ({ key: '', text: beside ? t : `  ${t}`, dim: true }))];
}

/** The keys, on one screen, wrapped to the width; what the rows cannot hold is counted on the last one. */
export function Help({ width, height }: HelpProps): React.JSX.Element {
  const all = helpLines(width);
  const room = Math.max(0, height - 1);
  const shown = all.length <= room ? all : all.slice(0, Math.max(0, room - 1));
  const hidden = all.length - shown.length;
  const lines = [
    <Text key="title" bold>
      benchling-deploy: keys
    </Text>,
    ...shown.map((l, i) => (
      <Text key={i} wrap="truncate-end" dimColor={l.dim}>
        {beside(width) ? (
          <Text bold color="cyan">
            {l.key.padEnd(KEY_COLUMN - 1)}
          </Text>
        ) : (
          <Text bold color="cyan">
            {l.key}
          </Text>
        )}
        {beside(width) ? ` ${l.text}` : l.text}
      </Text>
    )),
    ...(hidden > 0
      ? [
          <Text key="more" color="yellow" wrap="truncate-end">
            {`+${hidden} more lines: enlarge the terminal`}
          </Text>,
        ]
      : []),
  ];
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      {lines.slice(0, Math.max(0, height))}
    </Box>
  );
}

const beside = (width: number) => width >= KEY_COLUMN + 20;
