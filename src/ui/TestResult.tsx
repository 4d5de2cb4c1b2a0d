import React from 'react';
import { Box, Text } from 'ink';
import { displayLine } from '../display-text.js';
import type { TestState } from '../state/dashboard.js';

export interface TestResultProps {
  readonly test: TestState;
  readonly width: number;
  readonly height: number;
}

/** The endpoint test (`t`): GET /health and what came back. */
export function TestResult({ test, width, height }: TestResultProps): React.JSX.Element {
  const r = test.result;
  const lines: { text: string; color?: string; dim?: boolean }[] = [{ text: `test ${test.environment}: GET <endpoint>/health` }];
  if (!r) lines.push({ text: 'calling…', color: 'cyan' });
  else if (!r.ok) {
    lines.push({ text: displayLine(r.message, width), color: 'red' });
    if (r.hint) lines.push({ text: `hint: ${displayLine(r.hint, width)}`, color: 'yellow' });
  } else {
    const c = r.check;
    lines.push({ text: `endpoint ${displayLine(r.endpoint, width)} (from ${displayLine(r.source, width)})`, dim: true });
    if ('status' in c) {
      lines.push({ text: `GET ${displayLine(c.url, width)} -> ${c.status} in ${Math.round(c.latencyMs)} ms`, color: c.ok ? 'green' : 'red' });
      if (!c.ok && c.body) lines.push({ text: displayLine(c.body.replace(/[ \t\r\n]+/g, ' '), 300), dim: true });
    } else {
      lines.push({ text: displayLine(c.message, width), color: 'red' });
    }
    lines.push({ text: c.ok ? 'healthy: the endpoint answered 200' : 'not healthy: only a 200 counts', color: c.ok ? 'green' : 'red' });
  }
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      {lines.slice(0, Math.max(0, height)).map((l, i) => (
        <Text key={i} color={l.color} dimColor={l.dim} wrap="truncate-end">
          {l.text}
        </Text>
      ))}
    </Box>
  );
}
