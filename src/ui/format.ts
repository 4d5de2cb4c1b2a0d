import type { Health } from '../state/status-types.js';

/** `4 s`, `3 min`, `2 h`, `5 d`: how long ago, in the fewest characters that still read. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h`;
  return `${Math.floor(h / 24)} d`;
}

/** Age of an ISO time against `now`, or null when there is no time. */
export function ageOf(iso: string | null | undefined, now: number): string | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : formatAge(now - t);
}

/** `00:42` for a running operation. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** A digest is long; its start is enough to tell images apart on screen. */
export function shortImage(ref: string | null | undefined): string {
  if (!ref) return '-';
  return ref.startsWith('sha256:') ? `${ref.slice(0, 19)}…` : ref;
}

export const HEALTH_COLOR: Readonly<Record<Health, string>> = {
  healthy: 'green',
  deploying: 'cyan',
  degraded: 'yellow',
  down: 'red',
  unknown: 'gray',
};

/** Cuts a plain string to `width` columns with an ellipsis (for strings built before Ink lays them out). */
export function clip(text: string, width: number): string {
  if (width <= 0) return '';
  const chars = [...text];
  if (chars.length <= width) return text;
  return `${chars.slice(0, Math.max(0, width - 1)).join('')}…`;
}

/** `assumed-role/Deployer/alice` of `arn:aws:sts::123456789012:assumed-role/Deployer/alice`: the part that tells people apart. */
export function whoShort(arn: string): string {
  const m = /^arn:[^:]+:(?:sts|iam)::\d{12}:(.+)$/.exec(arn);
  return m ? m[1] : arn;
}
