import type { EnvironmentName } from '../config/schema.js';
import type { FormField } from '../config/fields.js';
import type { DeployEvent } from '../state/deploy-events.js';
import type { OperationKind, OperationOutcome, PlanView, StackInfo, TestOutcome } from '../state/dashboard.js';
import type { DeployRecords } from '../state/deploy-records.js';
import type { LogLine, LogTailStatus } from '../state/log-types.js';
import type { StatusSnapshot } from '../state/status-types.js';

/**
 * Everything the dashboard does outside itself, injected into the root App:
 * the real ones (AWS SDK, cdk, files) are built in bin/, tests hand in fakes.
 * Nothing under src/ui imports an AWS client or spawns a process.
 */
export interface DashboardServices {
  /** Starts polling; the listener gets every snapshot. Called after the first frame, with the environment whose tasks to read. */
  startStatus(
    /** `partial`: the poll's health, given before the rest of it is read; the poll's own update follows. */
    listener: (update: { readonly snapshot: StatusSnapshot; readonly nextPollInMs: number | null; readonly partial?: true }) => void,
    options?: {
      readonly watchTasks?: EnvironmentName;
      /** Said once (team mode: no SSM permission, a lock taken over): shown in the banner. */
      readonly onNotice?: (message: string) => void;
      /** deploy.json changed under the dashboard (refreshed from the account): the records to show and pick from. */
      readonly onRecords?: (records: DeployRecords) => void;
    },
  ): Promise<StatusHandle> | StatusHandle;
  /** deploy.json as it is now (last deploys). */
  readRecords(): Promise<DeployRecords> | DeployRecords;
  /** Checks everything and holds the deploy lock, or says why the operation cannot run. */
  prepare(kind: OperationKind, environment: EnvironmentName, options?: PrepareOptions): Promise<PreparedOperation | { readonly refusal: string }>;
  /** Follows an environment's logs until stopped. */
  openLogs(environment: EnvironmentName, sink: LogSink): Promise<LogHandle> | LogHandle;
  /** GETs the environment's health route. */
  testEndpoint(environment: EnvironmentName, signal: AbortSignal): Promise<TestOutcome>;
  /** Writes a profile from the welcome form; throws (with `problems`) when it is not acceptable. */
  saveProfile(profileName: string, texts: Readonly<Record<FormField, string>>): Promise<void> | void;
  /** The stack and records once the profiles exist (after the welcome form). */
  loadStack(): Promise<{ readonly stack: StackInfo; readonly records: DeployRecords }> | { readonly stack: StackInfo; readonly records: DeployRecords };
}

export interface PrepareOptions {
  /** A rollback's image, chosen from the environment's history; default: the newest earlier image. */
  readonly imageTag?: string;
}

export interface StatusHandle {
  refresh(): void;
  /** A deploy ended: re-read what is cached. */
  invalidate(): void;
  /** While on (a deploy of the dashboard's runs), every poll reads the stack, so the header's status follows it. */
  followStack?(on: boolean): void;
  /** Read this environment's running tasks from now on (the selected one). */
  watchTasks?(environment: EnvironmentName): void;
  stop(): Promise<void>;
}

export interface LogSink {
  lines(lines: readonly LogLine[]): void;
  status(status: LogTailStatus): void;
}

export interface LogHandle {
  stop(): Promise<void> | void;
}

/** A plan that holds the deploy lock until it runs or is released. */
export interface PreparedOperation {
  readonly plan: PlanView;
  diff(signal: AbortSignal): Promise<readonly string[]>;
  /** Runs it; releases the lock when done, whatever the outcome. */
  execute(options: { readonly signal: AbortSignal; readonly onEvent: (event: DeployEvent) => void }): Promise<OperationOutcome>;
  release(): void;
}
