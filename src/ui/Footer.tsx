import React from 'react';
import { Box, Text } from 'ink';

export interface FooterProps {
  /** [key, what it does], only the keys that work now. */
  readonly keys: readonly (readonly [string, string])[];
  readonly width: number;
}

/** Lines the footer may take before it shortens what the keys do. */
const MAX_LINES = 2;

type Item = readonly [key: string, what: string];

/**
 * The keys on lines of at most `width`: each key with what it does, wrapped
 * between keys onto a second line when one is not enough; on more than that,
 * each with its first word, then the keys alone. Nothing is cut except a
 * single key wider than the terminal.
 */
export function footerLines(keys: readonly (readonly [string, string])[], width: number): { readonly gap: string; readonly lines: Item[][] } {
  const forms: { gap: number; what: (w: string) => string }[] = [
    { gap: 2, what: (w) => w },
    { gap: 1, what: (w) => w.split(' ')[0] },
    { gap: 1, what: () => '' },
  ];
  let lines: Item[][] = [];
  let gap = 1;
  for (const form of forms) {
    gap = form.gap;
    lines = pack(keys.map(([k, w]) => [k, form.what(w)] as const), width, gap);
    if (lines.length <= MAX_LINES) break;
  }
  return { gap: ' '.repeat(gap), lines };
}

function pack(items: readonly Item[], width: number, gap: number): Item[][] {
  const lines: Item[][] = [];
  let used = 0;
  for (const item of items) {
    const size = item[0].length + (item[1] ? 1 + item[1].length : 0);
    const line = lines.at(-1);
    if (line && used + gap + size <= width) {
      line.push(item);
      used += gap + size;
    } else {
      lines.push([item]);
      used = size;
    }
  }
  return lines.length > 0 ? lines : [[]];
}

/** Rows the footer takes at this width. */
export function footerHeight(keys: readonly (readonly [string, string])[], width: number): number {
  return footerLines(keys, width).lines.length;
}

export function Footer({ keys, width }: FooterProps): React.JSX.Element {
  const { gap, lines } = footerLines(keys, width);
  return (
    <Box width={width} height={lines.length} flexDirection="column">
      {lines.map((line, i) => (
        <Text key={i} wrap="truncate-end">
          {line.map(([key, what], j) => (
            <Text key={key}>
              {j > 0 ? gap : ''}
              <Text bold color="cyan">
                {key}
              </Text>
              <Text dimColor>{what ? ` ${what}` : ''}</Text>
            </Text>
          ))}
        </Text>
      ))}
    </Box>
  );
}
