import React from 'react';
import { Box, Text } from 'ink';
import { displayLine } from '../display-text.js';
import type { BannerError } from '../state/dashboard.js';

export interface ErrorBannerProps {
  readonly error: BannerError;
  readonly width: number;
  /** Rows it may take (the message always gets the first). */
  readonly height: number;
}

/** The one place errors are shown: what happened, what to do, and a few lines of detail. */
export function ErrorBanner({ error, width, height }: ErrorBannerProps): React.JSX.Element | null {
  if (height <= 0) return null;
  // Messages hold outside text (AWS, cdk): each line through the door, cut to the width.
  const lines: { text: string; color?: string; dim?: boolean }[] = [{ text: `error: ${displayLine(error.message.split('\n')[0], width)}`, color: 'red' }];
  if (error.hint) lines.push({ text: `hint: ${displayLine(error.hint, width)}`, color: 'yellow' });
  for (const d of (error.detail ?? []).slice(0, 3)) lines.push({ text: `  ${displayLine(d, width)}`, dim: true });
  return (
    <Box flexDirection="column" width={width} height={Math.min(height, lines.length)}>
      {lines.slice(0, height).map((l, i) => (
        <Text key={i} color={l.color} dimColor={l.dim} bold={i === 0} wrap="truncate-end">
          {l.text}
        </Text>
      ))}
    </Box>
  );
}
