import React from 'react';
import { Box, Text } from 'ink';

export interface FooterProps {
  /** [key, what it does], only the keys that work now. */
  readonly keys: readonly (readonly [string, string])[];
  readonly width: number;
}

/** The keys that work on this screen, in one line. */
export function Footer({ keys, width }: FooterProps): React.JSX.Element {
  return (
    <Box width={width} height={1}>
      <Text wrap="truncate-end">
        {keys.map(([key, what], i) => (
          <Text key={key}>
            {i > 0 ? '  ' : ''}
            <Text bold color="cyan">
              {key}
            </Text>
            <Text dimColor>{` ${what}`}</Text>
          </Text>
        ))}
      </Text>
    </Box>
  );
}
