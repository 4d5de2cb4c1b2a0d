import React from 'react';
import { Box, Text } from 'ink';
import { LINE_MAX, displayLine } from '../display-text.js';
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

/** Lines of the plan and its confirmation (phase `confirm`). */
export function confirmLines(op: OperationState, height: number): Line[] {
  const plan = op.plan!;
  const rows = plan.rows.map((r) => plain(`row-${r.label}`, `  ${r.label.padEnd(9)} ${r.value}`));
  const prompt: Line[] = [];
  if (plan.confirmWord) {
    prompt.push(
      line(
        'prompt',
        <Text wrap="truncate-end">
          <Text bold>{`Type "${plan.confirmWord}" to confirm, enter to run: `}</Text>
          <Text color="cyan">{displayLine(op.typed)}</Text>
          <Text inverse> </Text>
        </Text>,
      ),
    );
    if (op.mistyped) prompt.push(plain('mistyped', `that is not "${plan.confirmWord}"; type it exactly, or esc to cancel`, 'yellow'));
  } else {
    prompt.push(line('prompt', <Text bold wrap="truncate-end">{`${op.kind === 'deploy' ? `Deploy ${op.environment}` : 'Run it'}? y/N`}</Text>));
  }
  const diff: Line[] = [];
  const room = height - 1 - rows.length - prompt.length - 1;
  if (op.diff && room > 0) {
    if (op.diff.state === 'loading') diff.push(plain('diff', 'changes: computing (cdk diff)…', undefined, true));
    else if (op.diff.state === 'failed') diff.push(plain('diff', `changes: could not be computed: ${op.diff.message}`, 'yellow'));
    else {
      const lines = op.diff.lines.length === 0 ? ['(no resource changes besides parameters)'] : op.diff.lines;
      const shown = lines.length > room - 1 ? [...lines.slice(0, Math.max(0, room - 2)), `… ${lines.length - Math.max(0, room - 2)} more (benchling-deploy diff)`] : lines;
      diff.push(plain('diff', 'changes:'), ...shown.map((l, i) => plain(`diff-${i}`, `  ${l}`, l.includes('[-]') || /replace/.test(l) ? 'yellow' : undefined)));
    }
  }
  return [...rows, ...diff.slice(0, Math.max(0, room)), plain('gap', ' '), ...prompt];
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
    case 'confirm':
      lines = confirmLines(op, body);
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
