import React from 'react';
import { Box, Text } from 'ink';
import { bannerLines } from '../state/dashboard.js';
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
  // Messages hold outside text (AWS, cdk): wrapped to the width through the door, as many lines as bannerHeight counted.
  const lines = bannerLines(error, width);
  return (
    <Box flexDirection="column" width={width} height={Math.min(height, lines.length)}>
      {lines.slice(0, height).map((l, i) => (
        <Text key={i} color={l.color} dimColor={l.dim} bold={l.part === 'message'} wrap="truncate-end">
          {l.text}
        </Text>
      ))}
    </Box>
  );
}
