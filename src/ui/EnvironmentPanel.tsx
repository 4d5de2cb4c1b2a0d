import React from 'react';
import { Box, Text } from 'ink';
import type { EnvironmentName } from '../config/schema.js';
import type { TestState } from '../state/dashboard.js';
import type { EnvironmentStatus, StatusSnapshot } from '../state/status-types.js';
import { displayLine } from '../display-text.js';
import { HEALTH_COLOR, ageOf, formatAge, shortImage } from './format.js';

export interface EnvironmentPanelProps {
  readonly name: EnvironmentName;
  readonly profile: string;
  /** This environment in the latest snapshot; null before the first one. */
  readonly status: EnvironmentStatus | null;
  /** The snapshot, for the stack-wide error (credentials) and its hint. */
  readonly snapshot: StatusSnapshot | null;
  /** The last deploy from deploy.json, shown until a snapshot carries it. */
  readonly lastDeploy: { readonly imageTag: string; readonly deployedAt: string } | null;
  readonly lastTest?: TestState;
  readonly selected: boolean;
  readonly width: number;
  readonly height: number;
  readonly now: number;
}

interface Row {
  readonly label: string;
  readonly value: string;
  readonly color?: string;
  /** Lower is kept first when the panel is short. */
  readonly priority: number;
  /** Long values wrap onto more lines (reasons, errors). */
  readonly wrap?: boolean;
}

/**
 * One environment: health with running/desired, image, rollout, targets,
 * endpoint, last deploy, and why it is not healthy. AWS errors stand where
 * the data would be, with the age of what is still shown.
 */
export function EnvironmentPanel(props: EnvironmentPanelProps): React.JSX.Element {
  const { name, profile, status, snapshot, selected, width, height } = props;
  const bordered = isBordered(width, height);
  const inner = Math.max(0, bordered ? height - 2 : height);
  const innerWidth = Math.max(1, bordered ? width - 4 : width);
  const lines = panelLines(props, innerWidth);
  // Title first, then the most telling lines that fit, in their display order.
  const kept = new Set([...lines].sort((a, b) => a.priority - b.priority).slice(0, Math.max(0, inner - 1)));
  const health = status?.health ?? 'unknown';
  const healthWord = status ? health : snapshot ? 'unknown' : 'reading...';
  const title = (
    <Text wrap="truncate-end">
      <Text bold color={selected ? 'cyan' : undefined}>{`${selected ? '> ' : '  '}${name}`}</Text>
      <Text>{'  '}</Text>
      <Text color={HEALTH_COLOR[health]} bold>
        {healthWord}
      </Text>
      {status?.service ? <Text>{`  ${status.service.running}/${status.service.desired} running`}</Text> : null}
      <Text dimColor>{`  profile ${displayLine(profile, width)}`}</Text>
    </Text>
  );
  const body = lines.filter((l) => kept.has(l)).map((l) => (
    <Text key={l.key} wrap="truncate-end" color={l.color}>
      <Text dimColor>{l.label.padEnd(9)}</Text>
      {` ${l.text}`}
    </Text>
  ));
  return (
    <Box
      flexDirection="column"
      width={width}
      height={height}
      overflow="hidden"
      paddingX={bordered ? 1 : 0}
      borderStyle={bordered ? 'classic' : undefined}
      borderColor={selected ? 'cyan' : 'gray'}
    >
      {inner > 0 ? <Box width={innerWidth}>{title}</Box> : null}
      {body}
    </Box>
  );
}

function isBordered(width: number, height: number): boolean {
  return height >= 4 && width >= 20;
}

/** The rows a panel wants with nothing cut: what the layout gives it when there is room. */
export function panelHeight(props: Omit<EnvironmentPanelProps, 'height'>): number {
  const innerWidth = Math.max(1, props.width - 4);
  return panelLines({ ...props, height: Infinity }, innerWidth).length + 1 + 2;
}

/** Lines a long reason or error may take. */
const WRAP_LINES = 3;

interface PanelLine {
  readonly key: string;
  readonly label: string;
  readonly text: string;
  readonly color?: string;
  readonly priority: number;
}

/**
 * Rows as screen lines: long reasons and errors wrap onto up to three lines
 * (the rest is cut). Every value passes the door for outside text, cut to
 * what the panel can show, so a frame costs the panel's size, not the data's.
 */
function panelLines(props: EnvironmentPanelProps, innerWidth: number): PanelLine[] {
  const room = Math.max(10, innerWidth - 10);
  return panelRows(props).flatMap((r) => {
    const chunks = r.wrap ? wrapWords(displayLine(r.value, room * WRAP_LINES), room, WRAP_LINES) : [displayLine(r.value, room)];
    return chunks.map((text, i) => ({ key: `${r.label}-${i}`, label: i === 0 ? r.label : '', text, color: r.color, priority: r.priority + i * 0.5 }));
  });
}

/** Splits at spaces into lines of at most `width` (a longer word is cut); the last line keeps the rest. */
function wrapWords(text: string, width: number, maxLines: number): string[] {
  const out: string[] = [];
  let rest = text;
  while (rest.length > width && out.length < maxLines - 1) {
    const space = rest.lastIndexOf(' ', width);
    const cut = space > width / 3 ? space : width;
    out.push(rest.slice(0, cut));
    rest = rest.slice(cut).trimStart();
  }
  out.push(rest);
  return out;
}

export function panelRows(props: EnvironmentPanelProps): Row[] {
  const { status, snapshot, now } = props;
  const rows: Row[] = [];
  if (snapshot?.errorKind === 'credentials') {
    rows.push({ label: 'AWS', value: 'no usable credentials: the data cannot be read', color: 'red', priority: 0, wrap: true });
    if (snapshot.hint) rows.push({ label: 'log in', value: snapshot.hint.replace(/^log in again: /, ''), color: 'yellow', priority: 0, wrap: true });
  }
  if (!status && !snapshot) rows.push({ label: 'health', value: 'reading AWS...', priority: 1 });
  const svc = status?.service;
  rows.push({ label: 'image', value: shortImage(status?.imageTag ?? props.lastDeploy?.imageTag ?? null), priority: 2 });
  if (svc) {
    rows.push({
      label: 'tasks',
      value: `${svc.running}/${svc.desired} running${svc.pending > 0 ? `, ${svc.pending} pending` : ''}  rollout ${svc.rolloutState ?? '-'}`,
      color: svc.running < svc.desired ? 'yellow' : undefined,
      priority: 3,
    });
  }
  if (status?.targets) {
    const t = status.targets;
    const total = t.healthy + t.unhealthy + t.other;
    rows.push({ label: 'targets', value: `${t.healthy}/${total} healthy${t.unhealthy > 0 ? `, ${t.unhealthy} unhealthy` : ''}${t.other > 0 ? `, ${t.other} other` : ''}`, color: t.unhealthy > 0 ? 'yellow' : undefined, priority: 5 });
  }
  if (status?.error && snapshot?.errorKind !== 'credentials') {
    const age = ageOf(status.readAt?.service ?? status.readAt?.targets, now);
    rows.push({ label: 'AWS error', value: `${age ? `(showing data from ${age} ago) ` : '(no data yet) '}${status.error}`, color: 'red', priority: 1, wrap: true });
  }
  if (status?.reason && status.health !== 'healthy' && status.reason !== status.error) {
    rows.push({ label: 'why', value: status.reason, color: HEALTH_COLOR[status.health], priority: 1, wrap: true });
  }
  rows.push({ label: 'endpoint', value: status?.endpoint ?? '-', priority: 6 });
  const last = status?.lastDeploy ?? props.lastDeploy;
  rows.push({ label: 'deployed', value: last ? `${shortImage(last.imageTag)}, ${ageOf(last.deployedAt, now) ?? '?'} ago` : 'never (no deploy.json record)', priority: 7 });
  const test = props.lastTest;
  if (test?.result) {
    const r = test.result;
    const when = test.finishedAt !== null ? `, ${formatAge(now - test.finishedAt)} ago` : '';
    const value = r.ok && 'status' in r.check ? `${r.check.status} in ${Math.round(r.check.latencyMs)} ms${when}` : r.ok ? `${'message' in r.check ? r.check.message : 'failed'}${when}` : `${r.message}${when}`;
    rows.push({ label: 'test', value, color: r.ok && r.check.ok ? 'green' : 'red', priority: 4 });
  }
  return rows;
}
