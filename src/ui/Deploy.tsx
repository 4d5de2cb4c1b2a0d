import React from 'react';
import { Box, Text } from 'ink';
import { LINE_MAX, displayLine, wrapLines } from '../display-text.js';
import type { OperationState } from '../state/dashboard.js';
import { formatDuration, shortImage } from './format.js';
import { afterCancel } from '../state/health.js';

export interface OperationProps {
  readonly operation: OperationState;
  readonly width: number;
  readonly height: number;
  readonly now: number;
}

interface Line {
  readonly key: string;
  readonly node: React.ReactNode;
}

/** A line that wraps may take this many characters; a cut line, {@link LINE_MAX}. */
const WRAPPED_MAX = 2000;

const line = (key: string, node: React.ReactNode): Line => ({ key, node });
/**
 * One line of text. Its text holds outside text (cdk events and output, AWS
 * reasons, history tags): it passes the door here, one line, bounded.
 */
const plain = (key: string, text: string, color?: string, dim?: boolean, wrap: 'truncate-end' | 'wrap' = 'truncate-end'): Line =>
  line(
    key,
    <Text color={color} dimColor={dim} wrap={wrap}>
      {displayLine(text, wrap === 'wrap' ? WRAPPED_MAX : LINE_MAX)}
    </Text>,
  );
/** A line that wraps instead of being cut: refusals and failure reasons must be read whole. */
const wrapped = (key: string, text: string, color?: string): Line => plain(key, text, color, false, 'wrap');

/** The title of an operation: what runs where, old image -> new image. */
export function operationTitle(op: OperationState): string {
  const verb = op.kind === 'promote' ? 'promote dev -> prod' : `${op.kind} ${op.environment}`;
  return op.plan ? `${verb}: ${shortImage(op.plan.oldTag)} -> ${shortImage(op.plan.newTag)}` : verb;
}

/** A plan row's label column: two spaces, the label, a space. */
const LABEL_COLUMN = 12;
/** Lines one plan row, one failure reason or one line of cdk output may take before it is cut. */
const ROW_LINES = 4;

/** Outside text wrapped to the width, each screen line through the door; the first line may carry a prefix. */
function wrappedLines(key: string, text: string, width: number, options: { color?: string; dim?: boolean; indent?: number; maxLines?: number } = {}): Line[] {
  const indent = options.indent ?? 0;
  return wrapLines(text, Math.max(10, width - indent), options.maxLines ?? ROW_LINES).map((chunk, i) =>
    line(
      `${key}-${i}`,
      <Text color={options.color} dimColor={options.dim} wrap="truncate-end">
        {`${' '.repeat(indent)}${chunk}`}
      </Text>,
    ),
  );
}

/** A file's path on lines of its own, split at the width only when longer (it has no spaces to break at). */
function pathLines(key: string, path: string, width: number): Line[] {
  const w = Math.max(10, width - 2);
  const text = displayLine(path, w * 3);
  const chunks = Array.from({ length: Math.ceil(text.length / w) || 1 }, (_, i) => text.slice(i * w, (i + 1) * w));
  return chunks.map((c, i) => line(`${key}-${i}`, <Text wrap="truncate-end">{`  ${c}`}</Text>));
}

/** A plan row, its value wrapped under itself. */
function rowLines(label: string, value: string, width: number): Line[] {
  const head = `  ${label.padEnd(LABEL_COLUMN - 3)} `;
  return wrapLines(value, Math.max(10, width - LABEL_COLUMN), ROW_LINES).map((chunk, i) => line(`row-${label}-${i}`, <Text wrap="truncate-end">{`${i === 0 ? displayLine(head, LABEL_COLUMN + 40) : ' '.repeat(LABEL_COLUMN)}${chunk}`}</Text>));
}

/**
 * Lines of the plan and its confirmation (phase `confirm`). The question is
 * asked only once the changes are known: while cdk diff runs it is not on
 * screen (and the reducer ignores `y`). A failed diff shows why, the end of
 * cdk's output and the log file before asking, so going on is a choice made
 * knowing that. When rows are short the question and the failure are kept,
 * and the plan's rows give way.
 */
export function confirmLines(op: OperationState, height: number, width = 80): Line[] {
  const plan = op.plan!;
  const diff = op.diff ?? { state: 'ready' as const, lines: [] };
  const prompt: Line[] = [];
  if (diff.state === 'loading') {
    prompt.push(plain('prompt', 'the question comes once the changes are known; esc cancels', undefined, true));
  } else if (plan.confirmWord) {
    const what = diff.state === 'failed' ? `Type "${plan.confirmWord}" to go on without knowing the changes, enter to run: ` : `Type "${plan.confirmWord}" to confirm, enter to run: `;
    prompt.push(
      line(
        'prompt',
        <Text wrap="truncate-end">
          <Text bold>{what}</Text>
          <Text color="cyan">{displayLine(op.typed)}</Text>
          <Text inverse> </Text>
        </Text>,
      ),
    );
    if (op.mistyped) prompt.push(plain('mistyped', `that is not "${plan.confirmWord}"; type it exactly, or esc to cancel`, 'yellow'));
  } else {
    const verb = op.kind === 'deploy' ? `Deploy ${op.environment}` : op.kind === 'rollback' ? `Roll ${op.environment} back` : 'Run it';
    prompt.push(line('prompt', <Text bold wrap="truncate-end">{`${verb}${diff.state === 'failed' ? ' without knowing the changes' : ''}? y/N`}</Text>));
  }

  // What must stay on screen about the changes, and what may give way.
  let kept: Line[];
  let more: Line[] = [];
  if (diff.state === 'loading') kept = [plain('diff', 'changes: computing (cdk diff)…', undefined, true)];
  else if (diff.state === 'failed') {
    kept = [...wrappedLines('diff', `changes: could not be computed: ${diff.message}`, width, { color: 'yellow' }), plain('log', 'the full cdk output is in:', undefined, true), ...pathLines('log-path', plan.logFile, width)];
    more = diff.detail.flatMap((d, i) => wrappedLines(`detail-${i}`, d, width, { dim: true, indent: 2, maxLines: 2 }));
    if (more.length > 0) more = [plain('detail-h', 'cdk said:', undefined, true), ...more];
  } else {
    const lines = diff.lines.length === 0 ? ['(no resource changes besides parameters)'] : diff.lines;
    const all = lines.map((l, i) => plain(`diff-${i}`, `  ${l}`, l.includes('[-]') || /replace/.test(l) ? 'yellow' : undefined));
    kept = [plain('diff', 'changes:'), ...all.slice(0, 3)];
    more = all.slice(3);
  }

  const rows = plan.rows.flatMap((r) => rowLines(r.label, r.value, width));
  const fixed = prompt.length + 1;
  const keptShown = kept.slice(0, Math.max(0, height - fixed));
  const rowRoom = Math.max(0, height - fixed - keptShown.length);
  const rowsShown = rows.length <= rowRoom ? rows : [...rows.slice(0, Math.max(0, rowRoom - 1)), plain('rows-more', `  … ${rows.length - Math.max(0, rowRoom - 1)} more lines of the plan (a taller terminal shows them)`, undefined, true)].slice(0, rowRoom);
  const moreRoom = Math.max(0, height - fixed - keptShown.length - rowsShown.length);
  let moreShown = more;
  if (more.length > moreRoom) {
    const n = Math.max(0, moreRoom - 1);
    moreShown = moreRoom > 0 ? [...more.slice(0, n), plain('more', `  … ${more.length - n} more lines${diff.state === 'ready' ? ' (benchling-deploy diff)' : ` (${plan.logFile})`}`, undefined, true)] : [];
  }
  return [...rowsShown, ...keptShown, ...moreShown, plain('gap', ' '), ...prompt];
}

/** Lines of a running deploy: resources done of total, rollout, recent events, cdk's output tail. */
export function progressLines(op: OperationState, height: number, width: number, now: number): Line[] {
  const p = op.progress;
  const barWidth = Math.max(5, Math.min(30, width - 40));
  const filled = p.total > 0 ? Math.round((p.done / p.total) * barWidth) : 0;
  const step = op.cancelling ? 'cancelling: stopping cdk…' : p.step === 'secret' ? 'creating the secret' : p.step === 'recording' ? 'recording deploy.json' : p.step === 'done' ? 'done' : 'cdk deploy running';
  const head: Line[] = [
    line(
      'status',
      <Text wrap="truncate-end">
        <Text color={op.cancelling ? 'yellow' : 'cyan'}>{step}</Text>
        <Text dimColor>{`  ${p.startedAt !== null ? formatDuration(now - p.startedAt) : ''}`}</Text>
      </Text>,
    ),
    line(
      'bar',
      <Text wrap="truncate-end">
        {'resources '}
        <Text color="green">{'█'.repeat(filled)}</Text>
        <Text dimColor>{'░'.repeat(barWidth - filled)}</Text>
        {` ${p.done}/${p.total || '?'}`}
        {p.rollout ? `   rollout ${displayLine(p.rollout.rolloutState ?? '?', 40)}: ${p.rollout.running}/${p.rollout.desired} running${p.rollout.pending ? `, ${p.rollout.pending} pending` : ''}` : ''}
      </Text>,
    ),
  ];
  const ask: Line[] = op.askCancel
    ? [plain('ask', 'Cancel the deploy? cdk is stopped; CloudFormation rolls the update back by itself. y/N', 'yellow')]
    : [];
  const room = Math.max(0, height - head.length - ask.length);
  const eventRows = Math.min(p.events.length, Math.max(0, Math.floor(room / 2) - 1));
  const events = p.events.slice(p.events.length - eventRows).map((e, i) =>
    plain(`ev-${p.events.length - eventRows + i}`, `  ${e.time}  ${e.status.padEnd(20)} ${e.resourceType} ${e.constructPath ? `${e.constructPath} (${e.logicalId})` : e.logicalId}${e.reason ? `: ${e.reason}` : ''}`, /FAILED/.test(e.status) ? 'red' : /COMPLETE$/.test(e.status) ? 'green' : undefined),
  );
  const tailRows = Math.max(0, room - (eventRows > 0 ? eventRows + 1 : 0) - 1);
  const tail = p.tail.slice(p.tail.length - tailRows).map((t, i) => plain(`tail-${p.tail.length - tailRows + i}`, `  ${t}`, undefined, true));
  return [
    ...head,
    ...(eventRows > 0 ? [plain('evh', 'events', undefined, false), ...events] : []),
    ...(tailRows > 0 ? [plain('tailh', 'cdk output', undefined, false), ...tail] : []),
    ...ask,
  ];
}

/** Lines of the outcome (phase `finished`). */
export function outcomeLines(op: OperationState): Line[] {
  const o = op.outcome!;
  if (o.outcome === 'succeeded') {
    return [plain('ok', `${op.kind === 'promote' ? 'promoted to prod' : `${op.kind === 'rollback' ? 'rolled back' : 'deployed'} ${op.environment}`}: ${o.imageTag}`, 'green'), plain('ep', `endpoint: ${o.endpoint}`), plain('log', `cdk output: ${o.logFile}`, undefined, true)];
  }
  if (o.outcome === 'unrecorded') {
    return [
      wrapped('u', `deployed ${o.imageTag} to ${op.environment} (the stack runs it); recording it in deploy.json failed: ${o.error}`, 'red'),
      plain('ep', `endpoint: ${o.endpoint}`),
      plain('log', `cdk output: ${o.logFile}`, undefined, true),
    ];
  }
  if (o.outcome === 'cancelled') {
    return [
      plain('c', `cancelled; deploy.json unchanged; stack is ${o.stackStatus ?? 'unknown'}`, 'yellow'),
      ...(afterCancel(o.stackStatus) ? [plain('c2', `${afterCancel(o.stackStatus)}; the panels show it`)] : []),
      plain('log', `cdk output: ${o.logFile}`, undefined, true),
    ];
  }
  return [
    plain('f', `${op.kind} of ${op.environment} failed; deploy.json unchanged; stack is ${o.stackStatus ?? 'unknown'}`, 'red'),
    ...o.reasons.map((r, i) => wrapped(`r${i}`, `  ${r}`)),
    plain('log', `the full cdk output is in ${o.logFile}`, undefined, true),
  ];
}

/**
 * An operation from plan to outcome: preparing, refused (in words), the plan
 * with its confirmation, live progress, the outcome. Shared by deploy,
 * promote and rollback, which add their own lines on top.
 */
export function OperationView({ operation: op, width, height, now, intro = [] }: OperationProps & { readonly intro?: readonly Line[] }): React.JSX.Element {
  const title = plain('title', operationTitle(op));
  const body = Math.max(0, height - 1 - intro.length);
  let lines: Line[];
  switch (op.phase) {
    case 'preparing':
      lines = [plain('prep', 'checking profiles, credentials and the stack; synthesizing the template…', 'cyan')];
      break;
    case 'refused':
      lines = [wrapped('refused', `refused: ${op.refusal ?? ''}`, 'yellow'), plain('nothing', 'nothing was changed', undefined, true)];
      break;
    case 'choose':
      // The history list is drawn by the rollback screen, which passes it as intro.
      lines = [];
      break;
    case 'confirm':
      lines = confirmLines(op, body, width);
      break;
    case 'running':
      lines = progressLines(op, body, width, now);
      break;
    case 'finished':
      lines = [...outcomeLines(op), ...progressLines({ ...op, askCancel: false }, Math.max(0, body - outcomeLines(op).length - 1), width, now).slice(2)];
      break;
  }
  const all = [title, ...intro, ...lines].slice(0, Math.max(0, height));
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      {all.map((l) => (
        <Box key={l.key} width={width} flexShrink={0}>
          {l.node}
        </Box>
      ))}
    </Box>
  );
}

/** The deploy screen (`d`). */
export function Deploy(props: OperationProps): React.JSX.Element {
  return <OperationView {...props} />;
}

export { plain as operationLine };
