import type { EnvironmentName } from '../config/schema.js';
import type { DeployEvent, ResourceEvent, RolloutStatus } from './deploy-events.js';
import type { DeployRecords } from './deploy-records.js';
import type { EndpointCheck } from './endpoint-check.js';
import { LogBuffer } from './log-buffer.js';
import type { LogLine, LogTailStatus } from './log-types.js';
import type { SetupFormState } from './setup-form.js';
import { EVENTS_KEEP, type EnvironmentStatus, type StatusSnapshot } from './status-types.js';
import { keepOptional, keepText, wrapLines } from '../display-text.js';
import type { CostInputs } from '../config/cost.js';

/**
 * The dashboard's whole state and every transition, as data: `reduce(state,
 * action)` returns the next state and the effects the root App must run
 * (poll now, prepare a deploy, open a log tail, quit). Nothing here touches a
 * clock, a file, AWS or the terminal, so every transition is tested without
 * Ink, and keys that arrive faster than a render act on the latest state (the
 * App feeds each key to this function in turn, not to a rendered snapshot).
 */

export type ScreenName = 'welcome' | 'main' | 'help' | 'logs' | 'operation' | 'test' | 'cost';
export type OperationKind = 'deploy' | 'promote' | 'rollback';

/** A key as the terminal gave it: the printable text, and which special key it was. */
export interface KeyPress {
  readonly input: string;
  readonly upArrow?: boolean;
  readonly downArrow?: boolean;
  readonly leftArrow?: boolean;
  readonly rightArrow?: boolean;
  readonly pageUp?: boolean;
  readonly pageDown?: boolean;
  readonly home?: boolean;
  readonly end?: boolean;
  readonly return?: boolean;
  readonly escape?: boolean;
  readonly tab?: boolean;
  readonly backspace?: boolean;
  readonly delete?: boolean;
  readonly ctrl?: boolean;
  readonly shift?: boolean;
  readonly meta?: boolean;
}

/**
 * Keys that arrived in one read as one string (a burst, a paste: Ink splits
 * escape sequences but not printable characters) as the keys they are, in
 * order, so `l/err` opens the logs and types a filter as if typed slowly.
 */
export function splitKeys(press: KeyPress): KeyPress[] {
  const special = press.ctrl || press.meta || press.upArrow || press.downArrow || press.leftArrow || press.rightArrow || press.pageUp || press.pageDown || press.home || press.end || press.escape;
  if (special || [...press.input].length <= 1) return [press];
  const keys: KeyPress[] = [];
  for (const ch of press.input) {
    if (ch === '\r' || ch === '\n') keys.push({ input: '\r', return: true });
    else if (ch === '\t') keys.push({ input: '\t', tab: true });
    else if (ch === '\u007f' || ch === '\b') keys.push({ input: '', backspace: true });
    else if (ch >= ' ') keys.push({ input: ch, shift: ch !== ch.toLowerCase() });
  }
  return keys;
}

/** Where the stack lives and which environments it holds (from the profiles). */
export interface StackInfo {
  readonly stackName: string;
  readonly region: string;
  readonly account: string | null;
  /** In display order: dev then prod; prod alone without a dev profile. */
  readonly environments: readonly { readonly name: EnvironmentName; readonly profile: string }[];
  /** The AWS credentials profile in use, for the log-in hint. */
  readonly awsProfile?: string;
  /** What the cost estimate needs of the profiles (no secret); absent until the profiles were checked. */
  readonly cost?: CostInputs;
}

/** An error as the one banner shows it: what happened, what to do, and the detail of a failed command. */
export interface BannerError {
  readonly message: string;
  readonly hint?: string;
  /** Command and the tail of its output, or a bug's stack, one line each. */
  readonly detail?: readonly string[];
}

/** A prepared plan, as plain data: what the confirmation screen shows. */
export interface PlanView {
  readonly kind: OperationKind;
  readonly environment: EnvironmentName;
  readonly oldTag: string | null;
  readonly newTag: string;
  /** Label and value rows (profile, stack, account, region, image, ...). */
  readonly rows: readonly { readonly label: string; readonly value: string }[];
  /** What must be typed to confirm; null: y/N. */
  readonly confirmWord: string | null;
  readonly logFile: string;
}

export type OperationOutcome =
  | { readonly outcome: 'succeeded'; readonly endpoint: string; readonly imageTag: string; readonly logFile: string }
  /** The stack runs the image, but deploy.json could not be written (`error`). */
  | { readonly outcome: 'unrecorded'; readonly endpoint: string; readonly imageTag: string; readonly error: string; readonly logFile: string }
  | { readonly outcome: 'failed'; readonly reasons: readonly string[]; readonly stackStatus: string | null; readonly logFile: string }
  | { readonly outcome: 'cancelled'; readonly stackStatus: string | null; readonly logFile: string };

/** Lines kept of a running deploy: resource events and raw cdk output. */
export const PROGRESS_KEEP = 200;

export interface ProgressState {
  readonly step: 'secret' | 'deploying' | 'recording' | 'done' | null;
  readonly done: number;
  readonly total: number;
  /** Newest last, at most {@link PROGRESS_KEEP}. */
  readonly events: readonly ResourceEvent[];
  readonly rollout: RolloutStatus | null;
  /** cdk's output, newest last, at most {@link PROGRESS_KEEP}. */
  readonly tail: readonly string[];
  readonly startedAt: number | null;
}

/**
 * What a deploy would change. A failed diff keeps its reason and the tail of
 * cdk's output (the full output is in the plan's log file), so the operator
 * decides to go on without it knowing why it failed.
 */
export type DiffState =
  | { readonly state: 'loading' }
  | { readonly state: 'ready'; readonly lines: readonly string[] }
  | { readonly state: 'failed'; readonly message: string; readonly detail: readonly string[] };

/**
 * The history list of `R` and `h`: which entry is highlighted (the reducer
 * owns it; the list on screen only shows it), and whether choosing one rolls
 * back (`R`) or the list is only read (`h`).
 */
export interface HistoryPick {
  /** The list as it was when opened: it does not change under the cursor. */
  readonly items: readonly HistoryItem[];
  readonly selected: number;
  readonly viewOnly: boolean;
  /** Why the last enter did nothing (the running image was chosen). */
  readonly note: string | null;
}

/** One line of an environment's history: the image, when it was deployed, and whether it runs now. */
export interface HistoryItem {
  readonly imageTag: string;
  readonly deployedAt: string;
  readonly running: boolean;
  /** Who deployed it (the caller's ARN), when recorded. */
  readonly deployedBy?: string;
}

export interface OperationState {
  readonly id: number;
  readonly kind: OperationKind;
  readonly environment: EnvironmentName;
  /** `choose`: a rollback's history list, before anything is prepared. */
  readonly phase: 'choose' | 'preparing' | 'refused' | 'confirm' | 'running' | 'finished';
  /** The history list (phase `choose`); null for the other operations. */
  readonly history: HistoryPick | null;
  readonly plan: PlanView | null;
  /** Why the operation cannot run (promote refused, nothing to roll back to). */
  readonly refusal: string | null;
  readonly diff: DiffState | null;
  /** What the operator has typed at the confirmation. */
  readonly typed: string;
  /** Set when enter was pressed with the wrong word. */
  readonly mistyped: boolean;
  readonly progress: ProgressState;
  /** esc or ctrl-c while running: "cancel the deploy?" */
  readonly askCancel: boolean;
  readonly cancelling: boolean;
  readonly outcome: OperationOutcome | null;
}

export type TestOutcome =
  | { readonly ok: true; readonly endpoint: string; readonly source: string; readonly check: EndpointCheck }
  | { readonly ok: false; readonly message: string; readonly hint?: string };

export interface TestState {
  readonly id: number;
  readonly environment: EnvironmentName;
  readonly result: TestOutcome | null;
  readonly startedAt: number;
  readonly finishedAt: number | null;
}

export interface LogsState {
  readonly environment: EnvironmentName;
  readonly buffer: LogBuffer;
  readonly status: LogTailStatus | null;
  /** Lines scrolled up from the newest. */
  readonly offset: number;
  /** The filter being typed after `/`; null when not typing. */
  readonly filterDraft: string | null;
  /** The filter in force before `/`. */
  readonly filterBefore: string;
}

export interface DashboardState {
  readonly size: { readonly columns: number; readonly rows: number };
  /** Epoch ms, advanced by `tick`: ages are shown against it. */
  readonly now: number;
  readonly screen: ScreenName;
  /** The screen help returns to. */
  readonly helpFrom: ScreenName;
  /** Null until the profiles are known (the welcome screen). */
  readonly stack: StackInfo | null;
  readonly selected: EnvironmentName;
  readonly snapshot: StatusSnapshot | null;
  /** True from a refresh request (or start) until the next snapshot. */
  readonly refreshing: boolean;
  /** Epoch ms of the next scheduled poll, when known. */
  readonly nextPollAt: number | null;
  /** deploy.json as last read: the last deploy per environment until a snapshot says it. */
  readonly records: DeployRecords;
  readonly setup: SetupFormState | null;
  readonly logs: LogsState | null;
  readonly operation: OperationState | null;
  readonly test: TestState | null;
  /** The last endpoint test of each environment, shown in its panel. */
  readonly lastTests: Partial<Record<EnvironmentName, TestState>>;
  readonly banner: BannerError | null;
  /** "A deploy is running: quit?" */
  readonly confirmQuit: boolean;
  /** Quit as soon as the running deploy has ended (it was asked to cancel). */
  readonly quitWhenIdle: number | null;
  /** Set once the quit effect was emitted. */
  readonly quitting: boolean;
  readonly nextId: number;
  /** Log lines kept by a log screen. */
  readonly logCapacity: number | undefined;
}

export type Effect =
  | { readonly type: 'startStatus' }
  | { readonly type: 'refresh' }
  /** A deploy ended: forget cached stack data, re-read deploy.json, poll now. */
  | { readonly type: 'invalidate' }
  /** `imageTag`: the image a rollback goes back to, chosen from the history. */
  | { readonly type: 'prepare'; readonly id: number; readonly kind: OperationKind; readonly environment: EnvironmentName; readonly imageTag?: string }
  | { readonly type: 'diff'; readonly id: number }
  | { readonly type: 'execute'; readonly id: number }
  | { readonly type: 'cancel'; readonly id: number }
  /** The plan will not run: release its lock and forget it. */
  | { readonly type: 'release'; readonly id: number }
  | { readonly type: 'openLogs'; readonly environment: EnvironmentName }
  | { readonly type: 'closeLogs' }
  | { readonly type: 'test'; readonly id: number; readonly environment: EnvironmentName }
  | { readonly type: 'abandonTest'; readonly id: number }
  | { readonly type: 'saveProfile'; readonly profileName: string; readonly texts: SetupFormState['texts'] }
  | { readonly type: 'quit'; readonly code: number };

export type DashboardAction =
  | { readonly type: 'key'; readonly key: KeyPress }
  | { readonly type: 'resize'; readonly columns: number; readonly rows: number }
  | { readonly type: 'tick'; readonly now: number }
  /** The profiles are known (at start, or once the welcome form saved `default`). */
  | { readonly type: 'started'; readonly stack: StackInfo; readonly records: DeployRecords }
  | { readonly type: 'refreshStarted' }
  | { readonly type: 'snapshot'; readonly snapshot: StatusSnapshot; readonly nextPollInMs: number | null; readonly partial?: true }
  | { readonly type: 'records'; readonly records: DeployRecords }
  /**
   * A change of the welcome form, as the form's own reducer computes it from the
   * state it is given (the form's module, and zod with it, loads only when the
   * form is shown: not before the main screen's first frame).
   */
  | { readonly type: 'setup'; readonly apply: (form: SetupFormState) => SetupFormState }
  | { readonly type: 'setupSave' }
  | { readonly type: 'setupSaveFailed'; readonly problems: readonly string[] }
  | { readonly type: 'planReady'; readonly id: number; readonly plan: PlanView }
  | { readonly type: 'operationRefused'; readonly id: number; readonly reason: string }
  | { readonly type: 'operationFailed'; readonly id: number; readonly error: BannerError }
  | { readonly type: 'diffReady'; readonly id: number; readonly lines: readonly string[] }
  | { readonly type: 'diffFailed'; readonly id: number; readonly message: string; readonly detail?: readonly string[] }
  | { readonly type: 'deployEvent'; readonly id: number; readonly event: DeployEvent }
  | { readonly type: 'deployFinished'; readonly id: number; readonly outcome: OperationOutcome }
  | { readonly type: 'logLines'; readonly environment: EnvironmentName; readonly lines: readonly LogLine[] }
  | { readonly type: 'logStatus'; readonly environment: EnvironmentName; readonly status: LogTailStatus }
  | { readonly type: 'testFinished'; readonly id: number; readonly result: TestOutcome }
  | { readonly type: 'error'; readonly error: BannerError }
  | { readonly type: 'dismissError' }
  /** SIGTERM or SIGINT from outside: quit, cancelling a running deploy first. */
  | { readonly type: 'terminate'; readonly code: number };

export interface Transition {
  readonly state: DashboardState;
  readonly effects: readonly Effect[];
}

export interface InitialOptions {
  readonly columns: number;
  readonly rows: number;
  readonly now: number;
  /** Null: no profile yet, the welcome screen creates `default`. */
  readonly stack: StackInfo | null;
  /** The welcome form's first state (when `stack` is null). */
  readonly setup?: SetupFormState;
  /** False: the profiles are still being checked; `started` begins polling. */
  readonly poll?: boolean;
  readonly records?: DeployRecords;
  /** Log lines kept per log screen. */
  readonly logCapacity?: number;
}

const EMPTY_PROGRESS: ProgressState = { step: null, done: 0, total: 0, events: [], rollout: null, tail: [], startedAt: null };

/** The state before anything happened, and the effects to run once the first frame is drawn. */
export function initialDashboard(options: InitialOptions): Transition {
  const stack = options.stack;
  const state: DashboardState = {
    size: { columns: options.columns, rows: options.rows },
    now: options.now,
    screen: stack ? 'main' : 'welcome',
    helpFrom: 'main',
    stack,
    selected: stack?.environments[0]?.name ?? 'prod',
    snapshot: null,
    refreshing: stack !== null,
    nextPollAt: null,
    records: options.records ?? {},
    setup: stack ? null : (options.setup ?? null),
    logs: null,
    operation: null,
    test: null,
    lastTests: {},
    banner: null,
    confirmQuit: false,
    quitWhenIdle: null,
    quitting: false,
    nextId: 1,
    logCapacity: options.logCapacity,
  };
  return { state, effects: stack && options.poll !== false ? [{ type: 'startStatus' }] : [] };
}

/** The action of a status update (a poller's, through services.startStatus's listener or the prestarted poll's first). */
export function snapshotAction(update: { readonly snapshot: StatusSnapshot; readonly nextPollInMs: number | null; readonly partial?: true }): DashboardAction {
  return { type: 'snapshot', snapshot: update.snapshot, nextPollInMs: update.nextPollInMs, ...(update.partial ? { partial: true as const } : {}) };
}

const same = (state: DashboardState): Transition => ({ state, effects: [] });
const to = (state: DashboardState, ...effects: Effect[]): Transition => ({ state, effects });

/** The reducer: the next state and the effects to run. Pure. */
export function reduce(state: DashboardState, action: DashboardAction): Transition {
  if (state.quitting) return same(state);
  switch (action.type) {
    case 'key':
      return onKey(state, action.key);
    case 'resize':
      if (action.columns === state.size.columns && action.rows === state.size.rows) return same(state);
      return same({ ...state, size: { columns: Math.max(1, action.columns), rows: Math.max(1, action.rows) } });
    case 'tick':
      return same({ ...state, now: action.now });
    case 'started': {
      const names = action.stack.environments.map((e) => e.name);
      const selected = names.includes(state.selected) ? state.selected : (names[0] ?? 'prod');
      return to(
        { ...state, stack: action.stack, records: action.records, screen: state.screen === 'welcome' ? 'main' : state.screen, setup: null, selected, refreshing: true },
        { type: 'startStatus' },
      );
    }
    case 'refreshStarted':
      return same({ ...state, refreshing: true });
    case 'snapshot':
      // A partial one (the poll's health, the rest still being read): still refreshing, the next poll not yet set.
      if (action.partial) return same({ ...state, snapshot: keptSnapshot(action.snapshot) });
      return same({
        ...state,
        snapshot: keptSnapshot(action.snapshot),
        refreshing: false,
        nextPollAt: action.nextPollInMs === null ? null : state.now + action.nextPollInMs,
      });
    case 'records':
      return same({ ...state, records: action.records });
    case 'setup': {
      if (!state.setup) return same(state);
      const setup = action.apply(state.setup);
      if (setup.status === 'cancelled') return to({ ...state, setup, quitting: true }, { type: 'quit', code: 0 });
      return same({ ...state, setup });
    }
    case 'setupSave':
      if (!state.setup || state.setup.status !== 'editing') return same(state);
      return to({ ...state, setup: { ...state.setup, status: 'saving' } }, { type: 'saveProfile', profileName: state.setup.profileName, texts: state.setup.texts });
    case 'setupSaveFailed':
      if (!state.setup) return same(state);
      return same({ ...state, setup: { ...state.setup, status: 'editing', saveProblems: action.problems } });
    case 'planReady': {
      const op = state.operation;
      // A plan nobody waits for any more (esc while preparing, another operation): let its lock go.
      if (!op || op.id !== action.id || op.phase !== 'preparing') return to(state, { type: 'release', id: action.id });
      return to(withOperation(state, { ...op, phase: 'confirm', plan: action.plan, diff: { state: 'loading' } }), { type: 'diff', id: op.id });
    }
    case 'operationRefused': {
      const op = state.operation;
      if (!op || op.id !== action.id) return same(state);
      return same(withOperation(state, { ...op, phase: 'refused', refusal: keepText(action.reason) }));
    }
    case 'operationFailed': {
      const op = state.operation;
      if (!op || op.id !== action.id) return same(state);
      const next: DashboardState = { ...state, operation: null, screen: 'main', banner: keptBanner(action.error), confirmQuit: false };
      return finishQuitIfWaiting(next);
    }
    case 'diffReady':
    case 'diffFailed': {
      const op = state.operation;
      if (!op || op.id !== action.id || !op.diff) return same(state);
      const diff: DiffState =
        action.type === 'diffReady' ? { state: 'ready', lines: keptLines(action.lines) } : { state: 'failed', message: keepText(action.message), detail: keptLines((action.detail ?? []).slice(0, 10)) };
      return same(withOperation(state, { ...op, diff }));
    }
    case 'deployEvent': {
      const op = state.operation;
      if (!op || op.id !== action.id || op.phase !== 'running') return same(state);
      return same(withOperation(state, { ...op, progress: progressWith(op.progress, action.event) }));
    }
    case 'deployFinished': {
      const op = state.operation;
      if (!op || op.id !== action.id) return same(state);
      const outcome: OperationOutcome = action.outcome.outcome === 'failed' ? { ...action.outcome, reasons: keptLines(action.outcome.reasons) } : action.outcome;
      const next = withOperation(state, { ...op, phase: 'finished', outcome, askCancel: false, cancelling: false });
      const waiting = finishQuitIfWaiting(next);
      return waiting.effects.length > 0 ? { state: waiting.state, effects: [{ type: 'invalidate' }, ...waiting.effects] } : to(next, { type: 'invalidate' });
    }
    case 'logLines': {
      const logs = state.logs;
      if (!logs || logs.environment !== action.environment || action.lines.length === 0) return same(state);
      const buffer = logs.buffer.append(action.lines);
      // Scrolled up (paused): the view is frozen, so the offset still points at the same lines.
      return same({ ...state, logs: { ...logs, buffer } });
    }
    case 'logStatus': {
      const logs = state.logs;
      if (!logs || logs.environment !== action.environment) return same(state);
      return same({ ...state, logs: { ...logs, status: action.status } });
    }
    case 'testFinished': {
      const test = state.test;
      const result: TestOutcome = action.result.ok ? action.result : { ...action.result, message: keepText(action.result.message), hint: keepOptional(action.result.hint) };
      const finished = (t: TestState): TestState => ({ ...t, result, finishedAt: state.now });
      if (test && test.id === action.id) {
        const done = finished(test);
        return same({ ...state, test: done, lastTests: { ...state.lastTests, [done.environment]: done } });
      }
      return same(state);
    }
    case 'error':
      return same({ ...state, banner: keptBanner(action.error) });
    case 'dismissError':
      return same({ ...state, banner: null });
    case 'terminate':
      return quit(state, action.code, true);
  }
}

/** Convenience for `useReducer`-style callers and tests that only need the state. */
export function dashboardReducer(state: DashboardState, action: DashboardAction): DashboardState {
  return reduce(state, action).state;
}

function withOperation(state: DashboardState, operation: OperationState): DashboardState {
  return { ...state, operation };
}

function progressWith(p: ProgressState, event: DeployEvent): ProgressState {
  switch (event.type) {
    case 'phase':
      return { ...p, step: event.phase };
    case 'line':
      return { ...p, tail: keepLast(p.tail, keepText(event.line, LINE_KEEP)) };
    case 'resource': {
      const e = event.event;
      const kept: ResourceEvent = { ...e, reason: keepOptional(e.reason), constructPath: keepOptional(e.constructPath, LINE_KEEP), time: keepText(e.time, LINE_KEEP) };
      return { ...p, done: Math.max(p.done, e.done), total: e.total, events: keepLast(p.events, kept) };
    }
    case 'rollout':
      return { ...p, rollout: { ...event.rollout, reason: keepOptional(event.rollout.reason), rolloutState: keepOptional(event.rollout.rolloutState, LINE_KEEP) } };
  }
}

/**
 * Outside text enters the state bounded (the full text stays in the deploy
 * log and in `status --json`): a 1 MB stop reason is kept as a few KB, so no
 * frame, measure or wrap ever pays for the rest. Screens escape what they
 * draw through the same door.
 */
const LINE_KEEP = 1024;
const LINES_KEEP = 1000;
/** Running tasks kept per environment: more than any screen lists (the rest is counted). */
const TASKS_KEEP = 100;

function keptSnapshot(s: StatusSnapshot): StatusSnapshot {
  const env = (e: EnvironmentStatus): EnvironmentStatus => ({
    ...e,
    profile: keepText(e.profile, LINE_KEEP),
    imageTag: keepOptional(e.imageTag, LINE_KEEP),
    endpoint: keepOptional(e.endpoint, LINE_KEEP),
    reason: repeatsError(e) ? null : keepOptional(e.reason),
    error: keepOptional(e.error),
    service: e.service ? { ...e.service, rolloutState: keepOptional(e.service.rolloutState, LINE_KEEP) } : e.service,
    lastDeploy: e.lastDeploy ? { ...e.lastDeploy, imageTag: keepText(e.lastDeploy.imageTag, LINE_KEEP) } : e.lastDeploy,
    lastEvent: e.lastEvent ? { ...e.lastEvent, message: keepText(e.lastEvent.message) } : e.lastEvent,
    stoppedTasks: e.stoppedTasks?.slice(0, 5).map((t) => ({ ...t, taskArn: keepText(t.taskArn, LINE_KEEP), reason: keepText(t.reason) })),
    events: e.events?.slice(0, EVENTS_KEEP).map((v) => ({ at: keepText(v.at, LINE_KEEP), message: keepText(v.message) })),
    runningTasks: e.runningTasks?.slice(0, TASKS_KEEP).map((t) => ({
      id: keepText(t.id, LINE_KEEP),
      imageDigest: keepOptional(t.imageDigest, LINE_KEEP),
      startedAt: keepOptional(t.startedAt, LINE_KEEP),
      health: keepText(t.health, LINE_KEEP),
      zone: keepOptional(t.zone, LINE_KEEP),
    })),
    taskSize: e.taskSize ? { cpu: keepOptional(e.taskSize.cpu, LINE_KEEP), memory: keepOptional(e.taskSize.memory, LINE_KEEP) } : e.taskSize,
  });
  return {
    ...s,
    stackName: keepText(s.stackName, LINE_KEEP),
    stackStatus: keepOptional(s.stackStatus, LINE_KEEP),
    error: keepOptional(s.error),
    hint: keepOptional(s.hint),
    ...(s.metricsError !== undefined ? { metricsError: keepOptional(s.metricsError) } : {}),
    environments: s.environments.map(env),
  };
}

/**
 * True when an environment's reason only repeats its read error (a service
 * that could not be read is "unknown" because of that very error, and the
 * error may be several reads' errors joined): the error is shown once, where
 * the data would be, and the reason says nothing more.
 */
function repeatsError(e: EnvironmentStatus): boolean {
  if (!e.reason || !e.error) return false;
  return e.reason === e.error || e.error.split('; ').includes(e.reason);
}

/**
 * When the oldest data on screen was read: the stack (status, image tags,
 * endpoints) and each environment's service, targets and stopped tasks. A
 * failed poll carries no new read time, so during an error this is the time
 * of the last good data, never that of the failed poll. Null: nothing read yet.
 */
export function oldestReadAt(snapshot: StatusSnapshot | null): number | null {
  if (!snapshot) return null;
  const times = [snapshot.stackReadAt, ...snapshot.environments.flatMap((e) => [e.readAt?.service, e.readAt?.targets, e.readAt?.tasks])]
    .map((t) => (t ? Date.parse(t) : Number.NaN))
    .filter((t) => !Number.isNaN(t));
  return times.length > 0 ? Math.min(...times) : null;
}

/**
 * An environment's deploys, newest first: the one deploy.json holds now, then
 * its history. The image running now is the stack's (the snapshot), else
 * deploy.json's; entries with that image are marked, and cannot be rolled back to.
 */
export function historyItems(state: DashboardState, environment: EnvironmentName): HistoryItem[] {
  const record = state.records[environment];
  if (!record) return [];
  const running = state.snapshot?.environments.find((e) => e.name === environment)?.imageTag ?? record.imageTag;
  const entries = [...(record.imageTag && record.deployedAt ? [{ imageTag: record.imageTag, deployedAt: record.deployedAt, deployedBy: record.deployedBy }] : []), ...record.history];
  return entries.filter((e) => e.imageTag).map((e) => ({ imageTag: e.imageTag, deployedAt: e.deployedAt, running: e.imageTag === running, ...(e.deployedBy ? { deployedBy: keepText(e.deployedBy, 300) } : {}) }));
}

function keptBanner(b: BannerError): BannerError {
  return { message: keepText(b.message), hint: keepOptional(b.hint), detail: b.detail ? keptLines(b.detail.slice(0, 10)) : b.detail };
}

function keptLines(lines: readonly string[]): readonly string[] {
  return lines.slice(0, LINES_KEEP).map((l) => keepText(l, LINE_KEEP));
}

function keepLast<T>(list: readonly T[], item: T): readonly T[] {
  const next = list.length >= PROGRESS_KEEP ? list.slice(list.length - PROGRESS_KEEP + 1) : list.slice();
  next.push(item);
  return next;
}

/** A quit waited for the deploy to end: now it can. */
function finishQuitIfWaiting(state: DashboardState): Transition {
  if (state.quitWhenIdle === null) return same(state);
  return to({ ...state, quitting: true }, { type: 'quit', code: state.quitWhenIdle });
}

/**
 * Quits, or asks first / cancels first while a deploy runs. `force` (a
 * signal, or "yes" to the question) cancels the deploy and quits once cdk has
 * stopped; a held plan is released.
 */
function quit(state: DashboardState, code: number, force: boolean): Transition {
  const op = state.operation;
  if (op?.phase === 'running') {
    // Already cancelling: nothing more to lose, so q quits once cdk has stopped, as the footer says.
    if (!force && !op.cancelling) return same({ ...state, confirmQuit: true });
    const effects: Effect[] = op.cancelling ? [] : [{ type: 'cancel', id: op.id }];
    // A quit already waiting (a SIGTERM's 143) keeps its exit status.
    return { state: { ...state, confirmQuit: false, quitWhenIdle: state.quitWhenIdle ?? code, operation: { ...op, cancelling: true, askCancel: false } }, effects };
  }
  const effects: Effect[] = [];
  if (op && (op.phase === 'confirm' || op.phase === 'preparing')) effects.push({ type: 'release', id: op.id });
  if (state.logs) effects.push({ type: 'closeLogs' });
  effects.push({ type: 'quit', code });
  return { state: { ...state, confirmQuit: false, quitting: true }, effects };
}

const isCtrlC = (k: KeyPress) => k.ctrl === true && k.input === 'c';
/** A key that types text: printable, no ctrl or meta. */
const isText = (k: KeyPress) => !k.ctrl && !k.meta && k.input !== '' && !k.return && !k.escape && !k.tab && !k.backspace && !k.delete && !/[\u0000-\u001f\u007f]/.test(k.input);
const isBack = (k: KeyPress) => k.backspace === true || k.delete === true;

function onKey(state: DashboardState, key: KeyPress): Transition {
  if (state.confirmQuit) {
    if (key.input === 'y' || key.input === 'Y') return quit(state, 0, true);
    if (isCtrlC(key)) return quit(state, 0, true);
    return same({ ...state, confirmQuit: false });
  }
  switch (state.screen) {
    case 'welcome':
      // The setup form reads its own keys; only ctrl-c is the dashboard's.
      return isCtrlC(key) ? quit(state, 0, false) : same(state);
    case 'help':
      if (isCtrlC(key) || key.input === 'q') return quit(state, 0, false);
      if (key.escape || key.input === '?') return same({ ...state, screen: state.helpFrom });
      return same(state);
    case 'logs':
      return onLogsKey(state, key);
    case 'operation':
      return onOperationKey(state, key);
    case 'test':
      if (isCtrlC(key) || key.input === 'q') return quit(state, 0, false);
      if (key.escape || key.return || key.input === ' ') {
        const effects: Effect[] = state.test && state.test.result === null ? [{ type: 'abandonTest', id: state.test.id }] : [];
        return { state: { ...state, screen: 'main', test: null }, effects };
      }
      return same(state);
    case 'cost':
      if (isCtrlC(key) || key.input === 'q') return quit(state, 0, false);
      if (key.escape || key.return || key.input === 'c') return same({ ...state, screen: 'main' });
      if (key.input === '?') return same({ ...state, screen: 'help', helpFrom: 'cost' });
      return same(state);
    case 'main':
      return onMainKey(state, key);
  }
}

function environmentsOf(state: DashboardState): EnvironmentName[] {
  return state.stack?.environments.map((e) => e.name) ?? [];
}

function onMainKey(state: DashboardState, key: KeyPress): Transition {
  if (isCtrlC(key)) return quit(state, 0, false);
  const envs = environmentsOf(state);
  const index = Math.max(0, envs.indexOf(state.selected));
  const select = (i: number) => same({ ...state, selected: envs[(i + envs.length) % envs.length] ?? state.selected });
  if (key.leftArrow || key.upArrow || (key.tab && key.shift)) return select(index - 1);
  if (key.rightArrow || key.downArrow || key.tab) return select(index + 1);
  if (key.escape) return state.banner ? same({ ...state, banner: null }) : same(state);
  switch (key.input) {
    case '1':
    case '2': {
      const i = Number(key.input) - 1;
      return i < envs.length ? select(i) : same(state);
    }
    case 'q':
      return quit(state, 0, false);
    case '?':
      return same({ ...state, screen: 'help', helpFrom: 'main' });
    case 'x':
      return same({ ...state, banner: null });
    case 'r':
      return to({ ...state, refreshing: true }, { type: 'refresh' });
    case 'l':
      return to(
        {
          ...state,
          screen: 'logs',
          logs: { environment: state.selected, buffer: LogBuffer.empty(state.logCapacity), status: null, offset: 0, filterDraft: null, filterBefore: '' },
        },
        { type: 'openLogs', environment: state.selected },
      );
    case 't': {
      const test: TestState = { id: state.nextId, environment: state.selected, result: null, startedAt: state.now, finishedAt: null };
      return to({ ...state, screen: 'test', test, nextId: state.nextId + 1 }, { type: 'test', id: test.id, environment: test.environment });
    }
    case 'd':
      return startOperation(state, 'deploy', state.selected);
    case 'P':
      if (!envs.includes('dev')) return refusedOperation(state, 'promote', 'prod', 'there is no dev environment (no dev profile) to promote from; create one with `benchling-deploy setup-profile dev --from default --environment dev`');
      return startOperation(state, 'promote', 'prod');
    case 'R':
      return openHistory(state, false);
    case 'h':
      return openHistory(state, true);
    case 'c':
      return same({ ...state, screen: 'cost' });
    default:
      return same(state);
  }
}

/** `R` and `h`: the selected environment's history as a list, the newest entry not running highlighted. */
function openHistory(state: DashboardState, viewOnly: boolean): Transition {
  const items = historyItems(state, state.selected);
  const first = items.findIndex((i) => !i.running);
  const operation: OperationState = { ...newOperation(state, 'rollback', state.selected), phase: 'choose', history: { items, selected: Math.max(0, viewOnly ? 0 : first), viewOnly, note: null } };
  return same({ ...state, screen: 'operation', operation, nextId: state.nextId + 1 });
}

function onHistoryKey(state: DashboardState, op: OperationState, pick: HistoryPick, key: KeyPress): Transition {
  if (isCtrlC(key) || key.input === 'q') return quit(state, 0, false);
  if (key.escape) return closeOperation(state);
  if (key.input === '?') return same({ ...state, screen: 'help', helpFrom: 'operation' });
  const items = pick.items;
  const move = (to: number) => same(withOperation(state, { ...op, history: { ...pick, selected: Math.min(Math.max(0, to), Math.max(0, items.length - 1)), note: null } }));
  if (key.upArrow || key.input === 'k') return move(pick.selected - 1);
  if (key.downArrow || key.input === 'j') return move(pick.selected + 1);
  if (key.home) return move(0);
  if (key.end) return move(items.length - 1);
  // The history's own word ("R rolls back to one of them"): the same list becomes the picker, the entry under the cursor kept.
  if (key.input === 'R' && pick.viewOnly) return same(withOperation(state, { ...op, history: { ...pick, viewOnly: false, note: null } }));
  if (key.return && !pick.viewOnly) {
    const item = items[pick.selected];
    if (!item) return same(state);
    if (item.running) return same(withOperation(state, { ...op, history: { ...pick, note: `${item.imageTag} is the image ${op.environment} runs now; choose an earlier one` } }));
    return to(withOperation(state, { ...op, phase: 'preparing', history: null }), { type: 'prepare', id: op.id, kind: 'rollback', environment: op.environment, imageTag: item.imageTag });
  }
  return same(state);
}

function newOperation(state: DashboardState, kind: OperationKind, environment: EnvironmentName): OperationState {
  return {
    id: state.nextId,
    kind,
    environment,
    phase: 'preparing',
    history: null,
    plan: null,
    refusal: null,
    diff: null,
    typed: '',
    mistyped: false,
    progress: EMPTY_PROGRESS,
    askCancel: false,
    cancelling: false,
    outcome: null,
  };
}

function startOperation(state: DashboardState, kind: OperationKind, environment: EnvironmentName): Transition {
  const operation = newOperation(state, kind, environment);
  return to({ ...state, screen: 'operation', operation, nextId: state.nextId + 1 }, { type: 'prepare', id: operation.id, kind, environment });
}

function refusedOperation(state: DashboardState, kind: OperationKind, environment: EnvironmentName, reason: string): Transition {
  const operation: OperationState = { ...newOperation(state, kind, environment), phase: 'refused', refusal: reason };
  return same({ ...state, screen: 'operation', operation, nextId: state.nextId + 1 });
}

function closeOperation(state: DashboardState, ...effects: Effect[]): Transition {
  return { state: { ...state, operation: null, screen: 'main' }, effects };
}

function onOperationKey(state: DashboardState, key: KeyPress): Transition {
  const op = state.operation;
  if (!op) return same({ ...state, screen: 'main' });
  switch (op.phase) {
    case 'choose':
      return op.history ? onHistoryKey(state, op, op.history, key) : closeOperation(state);
    case 'preparing':
      if (isCtrlC(key) || key.input === 'q') return quit(state, 0, false);
      // The plan may still arrive: planReady for a closed operation releases it.
      if (key.escape) return closeOperation(state);
      return same(state);
    case 'refused':
    case 'finished':
      if (isCtrlC(key) || key.input === 'q') return quit(state, 0, false);
      if (key.escape || key.return || key.input === ' ') return closeOperation(state);
      if (key.input === '?') return same({ ...state, screen: 'help', helpFrom: 'operation' });
      return same(state);
    case 'confirm':
      return onConfirmKey(state, op, key);
    case 'running':
      if (op.askCancel) {
        if (key.input === 'y' || key.input === 'Y') return to(withOperation(state, { ...op, askCancel: false, cancelling: true }), { type: 'cancel', id: op.id });
        return same(withOperation(state, { ...op, askCancel: false }));
      }
      if (key.escape || isCtrlC(key)) return op.cancelling ? same(state) : same(withOperation(state, { ...op, askCancel: true }));
      if (key.input === 'q') return quit(state, 0, false);
      if (key.input === '?') return same({ ...state, screen: 'help', helpFrom: 'operation' });
      return same(state);
  }
}

function onConfirmKey(state: DashboardState, op: OperationState, key: KeyPress): Transition {
  const plan = op.plan!;
  if (isCtrlC(key)) return quit(state, 0, false);
  if (key.escape) return closeOperation(state, { type: 'release', id: op.id });
  // Nothing is confirmed before its changes are known: while cdk diff runs, only esc and ctrl-c act.
  if (op.diff?.state === 'loading') return same(state);
  const run = (): Transition =>
    to(withOperation(state, { ...op, phase: 'running', typed: '', mistyped: false, progress: { ...EMPTY_PROGRESS, startedAt: state.now } }), { type: 'execute', id: op.id });
  if (plan.confirmWord === null) {
    if (key.input === 'y' || key.input === 'Y') return run();
    if (key.input === 'n' || key.input === 'N' || key.return) return closeOperation(state, { type: 'release', id: op.id });
    return same(state);
  }
  if (key.return) {
    if (op.typed === plan.confirmWord) return run();
    // A wrong word is cleared, to be typed again from the start.
    return same(withOperation(state, { ...op, typed: '', mistyped: true }));
  }
  if (isBack(key)) return same(withOperation(state, { ...op, typed: op.typed.slice(0, -1), mistyped: false }));
  if (isText(key)) return same(withOperation(state, { ...op, typed: (op.typed + key.input).slice(0, 64), mistyped: false }));
  return same(state);
}

/** Rows the log screen gives to log lines (the rest: header, status line, footer, banner). */
export function logViewHeight(state: DashboardState): number {
  return Math.max(1, state.size.rows - 1 - 3 - bannerHeight(state));
}

/** Rows the error banner takes (0 without an error). */
export function bannerHeight(state: DashboardState): number {
  const b = state.banner;
  if (!b) return 0;
  return Math.min(bannerLines(b, state.size.columns).length, Math.max(0, state.size.rows - 4));
}

/**
 * The banner as screen lines, wrapped to the width (not cut): the message on
 * up to three lines, the hint on up to two, three lines of detail. Shared by
 * the banner and {@link bannerHeight}, so the layout counts what is drawn.
 */
export function bannerLines(b: BannerError, width: number): { text: string; color?: string; dim?: boolean; part: 'message' | 'hint' | 'detail' }[] {
  const w = Math.max(1, width);
  const lines: { text: string; color?: string; dim?: boolean; part: 'message' | 'hint' | 'detail' }[] = wrapLines(`error: ${b.message.split('\n')[0]}`, w, 3).map((text) => ({ text, color: 'red', part: 'message' }));
  if (b.hint) lines.push(...wrapLines(`hint: ${b.hint}`, w, 2).map((text) => ({ text, color: 'yellow', part: 'hint' as const })));
  for (const d of (b.detail ?? []).slice(0, 3)) lines.push({ text: wrapLines(`  ${d}`, w, 1)[0], dim: true, part: 'detail' });
  return lines;
}

function onLogsKey(state: DashboardState, key: KeyPress): Transition {
  const logs = state.logs;
  if (!logs) return same({ ...state, screen: 'main' });
  const put = (next: Partial<LogsState>) => same({ ...state, logs: { ...logs, ...next } });
  if (logs.filterDraft !== null) {
    if (isCtrlC(key)) return quit(state, 0, false);
    // esc clears the filter, as the footer says: every line shows again.
    if (key.escape) return put({ filterDraft: null, buffer: logs.buffer.setFilter(''), offset: 0 });
    if (key.return) return put({ filterDraft: null });
    if (isBack(key)) {
      const draft = logs.filterDraft.slice(0, -1);
      return put({ filterDraft: draft, buffer: logs.buffer.setFilter(draft), offset: 0 });
    }
    if (isText(key)) {
      const draft = (logs.filterDraft + key.input).slice(0, 200);
      return put({ filterDraft: draft, buffer: logs.buffer.setFilter(draft), offset: 0 });
    }
    return same(state);
  }
  if (isCtrlC(key) || key.input === 'q') return quit(state, 0, false);
  if (key.escape) return to({ ...state, screen: 'main', logs: null }, { type: 'closeLogs' });
  const page = Math.max(1, logViewHeight(state) - 1);
  const scrollTo = (offset: number): Transition => {
    const max = logs.buffer.view(logViewHeight(state), 0).maxOffset;
    const clamped = Math.min(Math.max(0, offset), max);
    // Scrolled up, the view stays on its lines (paused); back at the bottom it follows again.
    if (clamped > 0) return put({ offset: clamped, buffer: logs.buffer.pause() });
    return put({ offset: 0 });
  };
  if (key.upArrow) return scrollTo(logs.offset + 1);
  if (key.downArrow) return scrollTo(logs.offset - 1);
  if (key.pageUp) return scrollTo(logs.offset + page);
  if (key.pageDown) return scrollTo(logs.offset - page);
  if (key.home) return scrollTo(Number.MAX_SAFE_INTEGER);
  if (key.end) return put({ offset: 0, buffer: logs.buffer.resume() });
  switch (key.input) {
    case '/':
      return put({ filterDraft: logs.buffer.filter, filterBefore: logs.buffer.filter });
    case 'f':
      return logs.buffer.paused ? put({ buffer: logs.buffer.resume(), offset: 0 }) : put({ buffer: logs.buffer.pause() });
    case '?':
      return same({ ...state, screen: 'help', helpFrom: 'logs' });
    default:
      return same(state);
  }
}

/** The keys that do something now, for the footer: [key, what it does]. */
export function footerKeys(state: DashboardState): readonly (readonly [string, string])[] {
  if (state.confirmQuit) return [['y', 'quit and cancel the deploy'], ['any other key', 'stay']];
  switch (state.screen) {
    case 'welcome':
      return [['tab/↑↓', 'move'], ['enter', 'next'], ['esc', 'quit'], ['ctrl-c', 'quit']];
    case 'help':
      return [['esc/?', 'close'], ['q', 'quit']];
    case 'test':
      return [['esc', 'back'], ['q', 'quit']];
    case 'cost':
      return [['esc/c', 'back'], ['?', 'help'], ['q', 'quit']];
    case 'logs': {
      if (state.logs?.filterDraft !== null && state.logs?.filterDraft !== undefined) return [['enter', 'keep filter'], ['esc', 'clear'], ['backspace', 'delete']];
      const paused = state.logs?.buffer.paused ?? false;
      return [['esc', 'back'], ['/', 'filter'], ['f', paused ? 'follow' : 'pause'], ['↑↓ pgup/pgdn', 'scroll'], ['end', 'newest'], ['?', 'help'], ['q', 'quit']];
    }
    case 'operation': {
      const op = state.operation;
      if (!op) return [];
      switch (op.phase) {
        case 'choose':
          if (op.history?.viewOnly) return [['↑↓', 'move'], ['R', 'roll back'], ['esc', 'back'], ['q', 'quit']];
          return [['↑↓', 'move'], ['enter', 'roll back to it'], ['esc', 'back'], ['q', 'quit']];
        case 'preparing':
          return [['esc', 'back'], ['q', 'quit']];
        case 'refused':
        case 'finished':
          return [['esc/enter', 'back'], ['q', 'quit']];
        case 'confirm':
          if (op.diff?.state === 'loading') return [['esc', 'cancel']];
          return op.plan?.confirmWord ? [['enter', 'confirm'], ['esc', 'cancel']] : [['y', 'yes'], ['n/esc', 'no']];
        case 'running':
          if (op.askCancel) return [['y', 'cancel the deploy'], ['any other key', 'keep going']];
          return op.cancelling ? [['q', 'quit after cdk stops']] : [['esc/ctrl-c', 'cancel'], ['q', 'quit']];
      }
      return [];
    }
    case 'main': {
      const envs = environmentsOf(state);
      const keys: [string, string][] = [];
      if (envs.length > 1) keys.push(['tab', 'select']);
      keys.push(['l', 'logs'], ['d', 'deploy']);
      if (envs.includes('dev')) keys.push(['P', 'promote']);
      keys.push(['R', 'rollback'], ['h', 'history'], ['c', 'cost'], ['t', 'test'], ['r', 'refresh'], ['?', 'help'], ['q', 'quit']);
      if (state.banner) keys.push(['x', 'dismiss error']);
      return keys;
    }
  }
}
