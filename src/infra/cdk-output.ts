/**
 * Reading the cdk CLI's progress lines (`--progress events`), e.g.
 * `BenchlingWebhookStack | 3/12 | 12:00:09 PM | UPDATE_COMPLETE | AWS::ECS::Service | DevService`.
 */
export interface ResourceEvent {
  readonly stack: string;
  readonly done: number;
  readonly total: number;
  readonly time: string;
  readonly status: string;
  readonly resourceType: string;
  readonly logicalId: string;
  readonly reason?: string;
}

const EVENT_RE = /^\s*(\S+)\s*\|\s*(\d+)\/(\d+)\s*\|\s*([^|]+?)\s*\|\s*([A-Z_]+)\s*\|\s*(\S+)\s*\|\s*(\S+)(?:\s+(.*))?$/;

export function parseResourceEvent(line: string): ResourceEvent | undefined {
  // cdk colours its output on a terminal; the log and the parser see plain text.
  const m = EVENT_RE.exec(stripAnsi(line));
  if (!m) return undefined;
  return {
    stack: m[1],
    done: Number(m[2]),
    total: Number(m[3]),
    time: m[4],
    status: m[5],
    resourceType: m[6],
    logicalId: m[7],
    reason: m[8]?.trim() || undefined,
  };
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
    if (/^\s*\[[+\-~]\]\s/.test(line) || /^\s*(└─|├─)\s*\[[+\-~]\]/.test(line) || /requires replacement|may be replaced/.test(line)) out.push(line.replace(/\s+$/, ''));
  }
  return out;
}
