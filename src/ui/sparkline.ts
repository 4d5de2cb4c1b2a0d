import type { EnvironmentMetrics } from '../state/metrics.js';

/** Eighth-blocks from low to high; a minute without a point is a space. */
const BARS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/**
 * The newest `width` points as one bar each, scaled from 0 to `scaleMax`
 * (default: the highest point shown); null is a gap (a space), never a low
 * bar, so "no data" and "zero" read differently. Numbers only (checked when
 * read, metrics.ts), so the text is exactly `width` characters or fewer.
 */
export function sparkline(values: readonly (number | null)[], width: number, scaleMax?: number): string {
  if (width <= 0) return '';
  const shown = values.slice(Math.max(0, values.length - width));
  const top = scaleMax ?? Math.max(0, ...shown.map((v) => v ?? 0));
  return shown
    .map((v) => {
      if (v === null || !Number.isFinite(v)) return ' ';
      if (top <= 0) return BARS[0];
      const level = Math.round((Math.min(v, top) / top) * (BARS.length - 1));
      return BARS[Math.max(0, Math.min(BARS.length - 1, level))];
    })
    .join('');
}

/** `950`, `1.2k`, `3.4M`; one decimal below 10. */
export function compactNumber(n: number): string {
  const abs = Math.abs(n);
  if (abs >= 1e6) return `${(n / 1e6).toFixed(abs >= 1e7 ? 0 : 1)}M`;
  if (abs >= 1e3) return `${(n / 1e3).toFixed(abs >= 1e4 ? 0 : 1)}k`;
  if (abs >= 10 || Number.isInteger(n)) return String(Math.round(n));
  return n.toFixed(1);
}

export interface SparkRow {
  readonly label: string;
  /** The bars, then the newest value and the hour's peak or total. */
  readonly value: string;
  readonly color?: string;
}

interface SeriesSpec {
  readonly label: string;
  readonly key: 'requests' | 'errors5xx' | 'latencyP95' | 'cpu' | 'memory';
  readonly unit: (n: number) => string;
  /** Percent series are drawn against 100 %, so a flat 40 % does not look full. */
  readonly percent?: boolean;
  readonly total?: boolean;
}

const SERIES: readonly SeriesSpec[] = [
  { label: 'requests', key: 'requests', unit: (n) => `${compactNumber(n)}/min`, total: true },
  { label: '5xx', key: 'errors5xx', unit: (n) => `${compactNumber(n)}/min`, total: true },
  { label: 'p95', key: 'latencyP95', unit: (n) => `${compactNumber(n)} ms` },
  { label: 'cpu', key: 'cpu', unit: (n) => `${compactNumber(n)}%`, percent: true },
  { label: 'memory', key: 'memory', unit: (n) => `${compactNumber(n)}%`, percent: true },
];

/**
 * One row per series of the last hour, each `room` characters at most: the
 * bars take what the summary (newest value; the hour's total or peak) leaves.
 * A series with no point in the hour says so instead of drawing blanks; when
 * none has one, there are no rows.
 */
export function sparkRows(metrics: EnvironmentMetrics, room: number): SparkRow[] {
  // Nothing at all (a stack just created, or CloudWatch behind): no rows, the panel's room goes to its lists.
  if (SERIES.every((s) => metrics[s.key].every((v) => v === null))) return [];
  return SERIES.map((s) => {
    const values = metrics[s.key];
    const points = values.filter((v): v is number => v !== null);
    if (points.length === 0) return { label: s.label, value: s.key === 'requests' ? 'none in the last hour' : 'no data in the last hour' };
    let newest = points[points.length - 1];
    for (let i = values.length - 1; i >= 0; i--) {
      if (values[i] !== null) {
        newest = values[i] as number;
        break;
      }
    }
    const peak = Math.max(...points);
    const summary = s.total ? `${s.unit(newest)}, ${compactNumber(points.reduce((a, b) => a + b, 0))} in 1 h` : `${s.unit(newest)}, peak ${s.unit(peak)}`;
    const bars = Math.min(values.length, room - summary.length - 2);
    const color = s.key === 'errors5xx' && peak > 0 ? 'yellow' : undefined;
    return { label: s.label, value: bars >= 8 ? `${sparkline(values, bars, s.percent ? 100 : undefined)}  ${summary}` : summary, color };
  });
}
