import React from 'react';
import { Box, Text } from 'ink';

export interface FooterProps {
  /** [key, what it does], only the keys that work now. */
  readonly keys: readonly (readonly [string, string])[];
  readonly width: number;
}

/**
 * The keys that work on this screen, in one line: with what they do when
 * that fits, else with its first word, else the keys alone (every key stays).
 */
export function Footer({ keys, width }: FooterProps): React.JSX.Element {
  const forms = [
    { gap: '  ', what: (w: string) => ` ${w}` },
    { gap: ' ', what: (w: string) => ` ${w.split(' ')[0]}` },
    { gap: ' ', what: () => '' },
  ];
  const length = (f: (typeof forms)[number]) => keys.reduce((n, [k, w], i) => n + (i > 0 ? f.gap.length : 0) + k.length + f.what(w).length, 0);
  const form = forms.find((f) => length(f) <= width) ?? forms[forms.length - 1];
  return (
    <Box width={width} height={1}>
      <Text wrap="truncate-end">
        {keys.map(([key, what], i) => (
          <Text key={key}>
            {i > 0 ? form.gap : ''}
            <Text bold color="cyan">
              {key}
            </Text>
            <Text dimColor>{form.what(what)}</Text>
          </Text>
        ))}
      </Text>
    </Box>
  );
}
