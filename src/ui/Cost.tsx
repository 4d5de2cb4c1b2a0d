import React from 'react';
import { Box, Text } from 'ink';
import { describeTaskSize } from '../config/task-size.js';
import type { CostLine } from '../config/cost.js';
import { displayLine } from '../display-text.js';
import type { DashboardEstimate } from './cost-view.js';

export interface CostProps {
  readonly view: DashboardEstimate;
  readonly width: number;
  readonly height: number;
}

interface Line {
  readonly text: string;
  readonly bold?: boolean;
  readonly dim?: boolean;
  readonly color?: string;
}

const dollars = (usd: number) => `$${usd.toFixed(2)}`;

/** The lines of one table: item, quantity, unit, unit price, monthly, and its total; columns as wide as their widest cell. */
function table(lines: readonly CostLine[], totalLabel: string, total: number): string[] {
  const rows = [['item', 'quantity', 'unit', 'unit price', 'monthly'], ...lines.map((l) => [l.item, String(l.quantity), l.unit, `$${l.unitPrice}`, dollars(l.monthly)]), [totalLabel, '', '', '', dollars(total)]];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === 1 || c >= 3 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd());
}

/**
 * The `c` screen: the table `benchling-deploy cost` prints, per environment
 * then the shared part once, each line with its quantity and unit price, the
 * total, the prices' date and source, and what the estimate assumes. A region
 * the price table lacks is said instead. Only what fits is drawn.
 */
export function Cost({ view, width, height }: CostProps): React.JSX.Element {
  const lines: Line[] = [];
  if ('unavailable' in view) {
    lines.push({ text: 'cost: no estimate', bold: true });
    lines.push({ text: displayLine(view.unavailable, width * 3), color: 'yellow' });
  } else {
    const e = view.estimate;
    lines.push({ text: `monthly estimate in ${e.region}, USD, at list prices as of ${e.pricesAsOf}: ${dollars(e.monthly)}/month`, bold: true });
    lines.push({ text: `prices: ${e.source}`, dim: true });
    for (const env of e.environments) {
      lines.push({ text: '' });
      lines.push({ text: `${env.name}: ${env.tasks} task${env.tasks === 1 ? '' : 's'} (minCapacity) of ${describeTaskSize(env)}`, bold: true });
      for (const row of table(env.lines, `${env.name} total`, env.monthly)) lines.push({ text: `  ${row}` });
    }
    lines.push({ text: '' });
    lines.push({ text: 'shared (once for the stack)', bold: true });
    for (const row of table(e.shared.lines, 'shared total', e.shared.monthly)) lines.push({ text: `  ${row}` });
    lines.push({ text: '' });
    lines.push({ text: `total: ${dollars(e.monthly)}/month`, bold: true });
    for (const note of e.notes) lines.push({ text: `note: ${displayLine(note, 1000)}`, dim: true });
  }
  const rows = Math.max(0, height);
  const shown = lines.length <= rows ? lines : [...lines.slice(0, Math.max(0, rows - 1)), { text: `+${lines.length - rows + 1} more lines (benchling-deploy cost prints them all)`, color: 'yellow' }].slice(0, rows);
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      {shown.map((l, i) => (
        <Text key={i} bold={l.bold} dimColor={l.dim} color={l.color} wrap="truncate-end">
          {l.text === '' ? ' ' : l.text}
        </Text>
      ))}
    </Box>
  );
}
