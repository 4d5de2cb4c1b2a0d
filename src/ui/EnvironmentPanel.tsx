import React from 'react';
import { Box, Text } from 'ink';
import type { EnvironmentName } from '../config/schema.js';
import type { TestState } from '../state/dashboard.js';
import type { EnvironmentStatus, StatusSnapshot } from '../state/status-types.js';
import { displayLine } from '../display-text.js';
import { alarmRollbackText } from '../state/alarm-rollback.js';
import { HEALTH_COLOR, ageOf, formatAge, shortImage, whoShort } from './format.js';
import { contentHeight, fitPanel, type PanelList, type PanelRow } from './panel-layout.js';
import { sparkRows } from './sparkline.js';

export interface EnvironmentPanelProps {
  readonly name: EnvironmentName;
  readonly profile: string;
  /** This environment in the latest snapshot; null before the first one. */
  readonly status: EnvironmentStatus | null;
  /** The snapshot, for the stack-wide error (credentials) and its hint. */
  readonly snapshot: StatusSnapshot | null;
  /** The last deploy from deploy.json, shown until a snapshot carries it. */
  readonly lastDeploy: { readonly imageTag: string; readonly deployedAt: string; readonly deployedBy?: string } | null;
  /** The deploys deploy.json records, newest first (the last deploy, then its history). */
  readonly history?: readonly { readonly imageTag: string; readonly deployedAt: string; readonly deployedBy?: string }[];
  readonly lastTest?: TestState;
  /** The environment's monthly estimate, in words, said after its capacity (absent until the profiles were read). */
  readonly cost?: string;
  readonly selected: boolean;
  readonly width: number;
  readonly height: number;
  readonly now: number;
}

interface Row {
  /** Shown whole on one line, never cut (the endpoint: what a user pastes into Benchling). */
  readonly whole?: boolean;
  readonly label: string;
  readonly value: string;
  readonly color?: string;
  /** Lower is kept first when the panel is short. */
  readonly priority: number;
  /** Long values wrap onto more lines (reasons, errors). */
  readonly wrap?: boolean;
}

/**
 * One environment: health with running/desired, the endpoint (always whole,
 * on its own line when the panel is narrow), image, rollout, targets,
 * capacity and task size, the last hour's requests, 5xx, p95 latency, CPU and
 * memory as sparklines, the last deploy, and then as much of the service's
 * events, running tasks and deploy history as the rows allow, the rest
 * counted (see panel-layout.ts). AWS errors stand where the data would be,
 * with the age of what is still shown.
 */
export function EnvironmentPanel(props: EnvironmentPanelProps): React.JSX.Element {
  const { name, profile, status, snapshot, selected, width, height } = props;
  const bordered = isBordered(width, height);
  const inner = Math.max(0, bordered ? height - 2 : height);
  const innerWidth = Math.max(1, bordered ? width - 4 : width);
  const { rows, lists } = panelContent(props, innerWidth);
  const fitted = fitPanel(rows, lists, inner);
  const health = status?.health ?? 'unknown';
  const healthWord = status ? health : snapshot ? 'unknown' : 'reading...';
  const colors = new Map(rows.map((r) => [r.key, r.color]));
  const labels = new Map(rows.map((r) => [r.key, r.label]));
  const body = fitted.map((l) => {
    switch (l.kind) {
      case 'title':
        return (
          <Text key="title" wrap="truncate-end">
            <Text bold color={selected ? 'cyan' : undefined}>{`${selected ? '> ' : '  '}${name}`}</Text>
            <Text>{'  '}</Text>
            <Text color={HEALTH_COLOR[health]} bold>
              {healthWord}
            </Text>
            {status?.service ? <Text>{`  ${status.service.running}/${status.service.desired} running`}</Text> : null}
            <Text dimColor>{`  profile ${displayLine(profile, width)}`}</Text>
          </Text>
        );
      case 'row': {
        const label = labels.get(l.key) ?? '';
        // A row without a label (the endpoint on its own line) starts at the panel's edge.
        if (label === WHOLE_LINE) return <Text key={`r-${l.key}-${l.index}`} wrap="truncate-end">{l.text}</Text>;
        return (
          <Text key={`r-${l.key}-${l.index}`} wrap="truncate-end" color={colors.get(l.key)}>
            <Text dimColor>{(l.index === 0 ? label : '').padEnd(LABEL_WIDTH - 1)}</Text>
            {` ${l.text}`}
          </Text>
        );
      }
      case 'header':
        return (
          <Text key={`l-${l.key}-h`} bold dimColor wrap="truncate-end">
            {l.text}
          </Text>
        );
      case 'item':
        return (
          <Text key={`l-${l.key}-${l.index}`} wrap="truncate-end">
            {`  ${l.text}`}
          </Text>
        );
      case 'more':
        return (
          <Text key={`m-${l.key}`} color="yellow" wrap="truncate-end">
            {l.key === 'panel' ? l.text : `  ${l.text}`}
          </Text>
        );
    }
  });
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
      {body}
    </Box>
  );
}

function isBordered(width: number, height: number): boolean {
  return height >= 4 && width >= 20;
}

/** Columns of a row's label and the space after it. */
const LABEL_WIDTH = 10;
/** The label of a line drawn from the panel's edge, without a label column. */
const WHOLE_LINE = '\u0000whole';

/** Inner width a panel needs to show `endpoint` whole beside its label. */
export function endpointWidth(endpoint: string): number {
  return LABEL_WIDTH + [...displayLine(endpoint, 4096)].length;
}

/** The rows a panel wants with nothing cut: what the layout gives it when there is room. */
export function panelHeight(props: Omit<EnvironmentPanelProps, 'height'>): number {
  const { rows, lists } = panelContent({ ...props, height: Infinity }, Math.max(1, props.width - 4));
  return contentHeight(rows, lists) + 2;
}

/** The fewest rows that still show the title, the endpoint whole and the count of the rest. */
export function panelMinHeight(props: Omit<EnvironmentPanelProps, 'height'>): number {
  const { rows } = panelContent({ ...props, height: Infinity }, Math.max(1, props.width - 4));
  return 2 + 1 + rows.filter((r) => r.priority === 0).reduce((n, r) => n + r.lines.length, 0) + 1;
}

/** Lines a long reason or error may take. */
const WRAP_LINES = 3;

interface ContentRow extends PanelRow {
  readonly label: string;
  readonly color?: string;
}

/** Service events' messages start with `(service NAME) `: the panel says whose they are. */
const SERVICE_PREFIX = /^\(service [^)]*\) /;

/**
 * Rows and lists as screen lines: long reasons and errors wrap onto up to
 * three lines; the endpoint is never cut (beside its label when that fits,
 * else on a line of its own). Every value passes the door for outside text,
 * cut to what the panel can show, so a frame costs the panel's size, not the data's.
 */
export function panelContent(props: EnvironmentPanelProps, innerWidth: number): { rows: ContentRow[]; lists: PanelList[] } {
  const room = Math.max(10, innerWidth - LABEL_WIDTH);
  const rows: ContentRow[] = panelRows(props).map((r) => {
    if (r.whole) {
      const text = displayLine(r.value, 4096);
      const lines = [...text].length <= room ? [text] : null;
      if (lines) return { key: r.label, label: r.label, name: r.label, lines, color: r.color, priority: r.priority };
      // Too long beside its label: the label, then the value alone from the panel's edge.
      return { key: r.label, label: WHOLE_LINE, name: r.label, lines: [`${r.label}:`, text], color: r.color, priority: r.priority };
    }
    const lines = r.wrap ? wrapWords(displayLine(r.value, room * WRAP_LINES), room, WRAP_LINES) : [displayLine(r.value, room)];
    return { key: r.label, label: r.label, name: r.label, lines, color: r.color, priority: r.priority, shrinks: r.wrap };
  });
  const { status, now } = props;
  const item = (text: string) => displayLine(text, Math.max(1, innerWidth - 2));
  const events = (status?.events ?? []).map((e) => item(`${(ageOf(e.at, now) ?? '?').padStart(6)}  ${displayLine(e.message, 4096).replace(SERVICE_PREFIX, '')}`));
  const lists: PanelList[] = [{ key: 'events', noun: 'events', header: 'events, newest first', items: events }];
  if (status?.runningTasks) {
    const read = ageOf(status.readAt?.runningTasks, now);
    const items = status.runningTasks.map((t) =>
      item(`${displayLine(t.id, 64).slice(0, 8)}  ${shortImage(t.imageDigest)}  ${t.startedAt ? `up ${ageOf(t.startedAt, now) ?? '?'}` : ''}  ${displayLine(t.health, 32)}  ${displayLine(t.zone, 32)}`),
    );
    lists.push({ key: 'tasks', noun: 'tasks', header: `running tasks (read ${read ?? '?'} ago${props.selected ? '' : '; read for the selected environment only'})`, items: items.length > 0 ? items : [item('none running')] });
  }
  const history = props.history ?? [];
  lists.push({
    key: 'deploys',
    noun: 'deploys',
    header: 'deploys (deploy.json), newest first',
    items: history.map((h, i) => item(`${(ageOf(h.deployedAt, now) ?? '?').padStart(6)} ago  ${shortImage(displayLine(h.imageTag, 200))}${h.deployedBy ? `  by ${displayLine(whoShort(h.deployedBy), 200)}` : ''}${i === 0 ? '  (last)' : ''}`)),
  });
  return { rows, lists };
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
  if (status?.rolledBackByAlarm) {
    const r = status.rolledBackByAlarm;
    rows.push({ label: 'rollback', value: `${alarmRollbackText(r)}, ${ageOf(r.at, now) ?? '?'} ago`, color: 'red', priority: 1, wrap: true });
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
  rows.push({ label: 'endpoint', value: status?.endpoint ?? '-', priority: 0, whole: true });
  const cap = status?.capacity;
  const size = status?.taskSize;
  if (svc || cap || size) {
    const bounds = cap ? `within ${cap.min ?? '?'}..${cap.max ?? '?'}` : '';
    const desired = svc ? `desired ${svc.desired}` : '';
    // The selected environment's running tasks (which give the size) are read while it is selected: at start, a moment
    // after its health; a read that failed says so on the AWS error row, and is tried again at each poll.
    const unread = !props.selected || !svc ? 'task size: select to read' : status?.error ? 'task size: not read' : 'task size: reading...';
    const task = size ? `task ${taskSizeWords(size.cpu, size.memory)}` : status?.runningTasks === undefined ? unread : '';
    // The month's estimate follows capacity and task size: said on their row, so it costs the panel no line.
    const cost = props.cost ? `; ${props.cost}` : '';
    rows.push({ label: 'capacity', value: [desired, bounds].filter(Boolean).join(' ') + (task ? `${desired || bounds ? ', ' : ''}${task}` : '') + cost, priority: 5 });
  } else if (props.cost) {
    rows.push({ label: 'cost', value: props.cost, priority: 6 });
  }
  // The last hour, a bar a minute; the bars take what the label and summary leave of the panel's width.
  if (status?.metrics) {
    for (const r of sparkRows(status.metrics, Math.max(10, props.width - 4 - LABEL_WIDTH))) rows.push({ label: r.label, value: r.value, color: r.color, priority: 6 });
  }
  const last = status?.lastDeploy ?? props.lastDeploy;
  rows.push({ label: 'deployed', value: last ? `${shortImage(last.imageTag)}, ${ageOf(last.deployedAt, now) ?? '?'} ago${last.deployedBy ? ` by ${displayLine(whoShort(last.deployedBy), 200)}` : ''}` : 'never (no deploy.json record)', priority: 7 });
  const test = props.lastTest;
  if (test?.result) {
    const r = test.result;
    const when = test.finishedAt !== null ? `, ${formatAge(now - test.finishedAt)} ago` : '';
    const value = r.ok && 'status' in r.check ? `${r.check.status} in ${Math.round(r.check.latencyMs)} ms${when}` : r.ok ? `${'message' in r.check ? r.check.message : 'failed'}${when}` : `${r.message}${when}`;
    rows.push({ label: 'test', value, color: r.ok && r.check.ok ? 'green' : 'red', priority: 4 });
  }
  return rows;
}

/** `0.25 vCPU, 512 MiB` from ECS's strings (`256`, `512`); as given when they are not numbers. */
export function taskSizeWords(cpu: string | null, memory: string | null): string {
  const c = cpu && /^\d+$/.test(cpu) ? `${Number(cpu) / 1024} vCPU` : displayLine(cpu ?? '?', 16);
  const m = memory && /^\d+$/.test(memory) ? (Number(memory) >= 1024 && Number(memory) % 1024 === 0 ? `${Number(memory) / 1024} GB` : `${memory} MiB`) : displayLine(memory ?? '?', 16);
  return `${c}, ${m}`;
}
