import type { ResourceEvent } from '../state/deploy-events.js';

export type { ResourceEvent } from '../state/deploy-events.js';

/**
 * Reading the cdk CLI's progress lines (`--progress events`). cdk 2.1148
 * writes `%s | %s | %s | %s | %s %s%s` (its HistoryActivityPrinter): stack,
 * `n/N`, time, status, type, then the construct path followed by
 * `(LogicalId) ` when the assembly knows the path, else the logical id alone,
 * then the reason:
 * `BenchlingWebhookStack | 3/12 | 12:00:09 PM | UPDATE_FAILED | AWS::ECS::Service | Dev/Service/Service (DevServiceB35D2857) Resource handler…`.
 */
const EVENT_RE = /^\s*(\S+)\s*\|\s*(\d+)\/(\d+)\s*\|\s*([^|]+?)\s*\|\s*([A-Z_]+)\s*\|\s*(\S+)\s*\|\s*(\S+)(?:\s+(.*))?$/;
/** cdk's `(LogicalId) ` after a construct path; logical ids are alphanumeric, at most 255 characters. */
const LOGICAL_ID_RE = /^\(([A-Za-z0-9]{1,255})\)(?:\s+(.*))?$/;

export function parseResourceEvent(line: string): ResourceEvent | undefined {
  // cdk colours its output on a terminal; the log and the parser see plain text.
  const m = EVENT_RE.exec(stripAnsi(line));
  if (!m) return undefined;
  const base = { stack: m[1], done: Number(m[2]), total: Number(m[3]), time: m[4], status: m[5], resourceType: m[6] };
  const rest = m[8]?.trim() ?? '';
  const id = LOGICAL_ID_RE.exec(rest);
  if (id) return { ...base, logicalId: id[1], constructPath: m[7], reason: id[2]?.trim() || undefined };
  return { ...base, logicalId: m[7], reason: rest || undefined };
}

/** How an event names its resource: `Dev/Service/Service (DevServiceB35D2857)`, or the logical id alone. */
export function resourceLabel(event: ResourceEvent): string {
  return event.constructPath ? `${event.constructPath} (${event.logicalId})` : event.logicalId;
}

export function isFailure(status: string): boolean {
  return /FAILED$/.test(status);
}

export function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');
}

/**
 * The resource changes of `cdk diff` output: the `[+]`, `[-]`, `[~]` lines of
 * the Resources section and the parameter changes, without the noise.
 */
export function summarizeDiff(output: string): string[] {
  const lines = output.split(/\r?\n/).map(stripAnsi);
  const out: string[] = [];
  for (const line of lines) {
    if (/^\s*\[[+\-~]\]\s/.test(line) || /^\s*(\u2514\u2500|\u251C\u2500)\s*\[[+\-~]\]/.test(line) || /requires replacement|may be replaced/.test(line)) out.push(line.replace(/\s+$/, ''));
  }
  return out;
}
