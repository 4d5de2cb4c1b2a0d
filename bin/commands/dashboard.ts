import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { REGION_RE, deployRecordPath, profilePath } from '../../src/config/paths.js';
import { PROFILE_MAX_BYTES, readUntrustedText } from '../../src/config/untrusted-file.js';
import { resolveStackProfiles, resolveTarget, type DeployTarget, type StackProfiles } from '../../src/config/pairing.js';
import { costInputsOf } from '../../src/config/cost.js';
import type { EnvironmentName } from '../../src/config/schema.js';
import { UserError, exitCodeOf, formatError } from '../../src/errors.js';
import { terminalSafe } from '../../src/display-text.js';
import type { DeployRecords } from '../../src/state/deploy-records.js';
import { checkEndpoint, findEndpoint } from '../../src/state/endpoint-check.js';
import { DEFAULT_LOG_CAPACITY } from '../../src/state/log-buffer.js';
import { REFRESH_SECONDS, refreshMs } from '../../src/state/poll-interval.js';
import type { DashboardAction, OperationOutcome, StackInfo, TestOutcome } from '../../src/state/dashboard.js';
import type { PollUpdate } from '../../src/state/status-poller.js';
import type { DashboardServices, PreparedOperation } from '../../src/ui/services.js';
import type { OperationKind, RollbackRequest, SynthWorker } from '../../src/infra/operations.js';
import type { AwsClientOptions, ClosableStatusApi, ParameterStore } from '../../src/state/aws-clients.js';
import { startStatusWorker, takeEarlyStatusWorker } from '../../src/state/status-worker-start.js';
import type { StatusClients } from '../../src/state/worker-status-api.js';
import type { ReadAhead } from '../../src/state/status-worker-protocol.js';
import type { Team } from '../../src/state/team-records.js';
import { teamFor } from '../team.js';
import type { ClosableLogsApi } from '../../src/state/logs-aws.js';
import { configDirOf, type Globals } from '../context.js';
import { enterFullScreen } from '../terminal.js';
import { setSdkWarningSink } from '../../src/state/aws-profile.js';
import { withoutFetch } from '../without-fetch.js';

// Modules that bring zod (the profile schema) load after the first frame, like the AWS SDK.
const store = () => import('../../src/config/store.js');
const records = () => import('../../src/state/deploy-records.js');

/** Seconds between status polls; for people who want it calmer, and for the benches. */
export const REFRESH_ENV = 'BENCHLING_DEPLOY_REFRESH_SECONDS';

/** The poll interval BENCHLING_DEPLOY_REFRESH_SECONDS asks for, in ms; undefined when unset or blank; a bad value is a user error naming it (exit 2). */
export function refreshFromEnvMs(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const text = env[REFRESH_ENV];
  if (text === undefined || text.trim() === '') return undefined;
  const ms = refreshMs(text);
  if (ms === undefined) throw new UserError(`${REFRESH_ENV}: expected a number of seconds from ${REFRESH_SECONDS.min} to ${REFRESH_SECONDS.max}, got "${text}"`);
  return ms;
}

export function stackInfoOf(stack: StackProfiles, g: Globals): StackInfo {
  return {
    stackName: stack.place.stackName,
    region: stack.place.region,
    account: stack.place.account,
    environments: [...(stack.dev ? [{ name: 'dev' as const, profile: stack.dev.profile }] : []), { name: 'prod' as const, profile: stack.prod.profile }],
    awsProfile: g.awsProfile ?? stack.prod.awsProfile,
    cost: costInputsOf(stack),
  };
}

/** The profiles checked (zod), the stack they place, and deploy.json. Throws a UserError for bad profiles. */
export async function checkProfiles(configDir: string, g: Globals): Promise<{ stack: StackInfo; records: DeployRecords; recordsError: string | null }> {
  const [{ inspectAllProfiles }, { readDeployRecords }] = await Promise.all([store(), records()]);
  const stack = stackInfoOf(resolveStackProfiles(inspectAllProfiles(configDir), { region: g.region }), g);
  const read = readDeployRecords(deployRecordPath(configDir));
  return { stack, records: read.state === 'malformed' ? {} : read.records, recordsError: read.state === 'malformed' ? read.error : null };
}

/** Matches the schema's default (src/config/schema.ts DEFAULT_STACK_NAME); a test holds them equal. */
const DEFAULT_STACK_NAME = 'BenchlingWebhookStack';
const QUILT_ARN_PLACE = /^arn:[^:]+:cloudformation:([a-z0-9-]+):(\d{12}):stack\//;

/**
 * What the first frame shows of the stack, read from the profiles as plain
 * JSON, without the schema: the stack's name, region and account from the
 * prod profile (its fields, else its Quilt stack ARN), dev when a dev profile
 * for dev exists. The profiles are checked right after the first frame, and
 * that result replaces this one. Null when it cannot tell (the profiles are
 * then checked before anything is drawn).
 */
export function provisionalStack(configDir: string, g: Globals): StackInfo | null {
  try {
    const prod = JSON.parse(readUntrustedText(profilePath(configDir, 'default'), PROFILE_MAX_BYTES)) as Record<string, unknown>;
    if (!prod || typeof prod !== 'object' || prod.profile !== 'default' || (prod.environment ?? 'prod') !== 'prod') return null;
    const place = QUILT_ARN_PLACE.exec(typeof prod.quiltStackArn === 'string' ? prod.quiltStackArn : '');
    const region = g.region ?? (typeof prod.region === 'string' ? prod.region : place?.[1]);
    const account = typeof prod.account === 'string' ? prod.account : place?.[2];
    if (!region || !account) return null;
    let dev = false;
    const devPath = profilePath(configDir, 'dev');
    if (existsSync(devPath)) {
      const raw = JSON.parse(readUntrustedText(devPath, PROFILE_MAX_BYTES)) as Record<string, unknown>;
      dev = Boolean(raw && typeof raw === 'object') && (raw.environment ?? 'dev') === 'dev';
    }
    return {
      stackName: typeof prod.stackName === 'string' ? prod.stackName : DEFAULT_STACK_NAME,
      region,
      account,
      environments: [...(dev ? [{ name: 'dev' as const, profile: 'dev' }] : []), { name: 'prod' as const, profile: 'default' }],
      awsProfile: g.awsProfile ?? (typeof prod.awsProfile === 'string' ? prod.awsProfile : undefined),
    };
  } catch {
    return null;
  }
}

/**
 * Whether the unchecked place of the first frame may be polled while the profiles are
 * checked: the schema's rules for a region, an account and a stack name (src/config/schema.ts),
 * and a plain credentials profile name. Anything else waits for the check.
 */
function plausiblePlace(info: StackInfo): boolean {
  return (
    REGION_RE.test(info.region) &&
    /^\d{12}$/.test(info.account ?? '') &&
    /^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(info.stackName) &&
    (info.awsProfile === undefined || /^[A-Za-z0-9_.@+-]{1,128}$/.test(info.awsProfile))
  );
}

const RECORDS_HINT = 'the last deploys are not shown, and deploys are refused until the file is fixed or moved aside';

/**
 * How long the checked profiles wait for the first update of the poll the first frame started
 * (prestartStatus) before they are shown without it: about the time of that poll's health on
 * a quick account. Past it, the update follows in a frame of its own, as it comes.
 */
export const FIRST_UPDATE_WAIT_MS = 300;

/**
 * The profiles checked (`check`, which throws for bad ones), then the stack they place shown
 * (`started`) with the first update of the poll the first frame started, when that poll is of
 * the same stack and its update comes within {@link FIRST_UPDATE_WAIT_MS}: both actions in one
 * synchronous run, which React draws as one frame. Apart, the main thread drew the checked
 * stack once without the data, and the frame with the data, asked for within Ink's frame
 * interval (34 ms) of that one, waited out the rest of it. startStatus then adopts that poller
 * and does not give that update again.
 */
export async function startChecked(
  d: (action: DashboardAction) => void,
  services: Pick<ReturnType<typeof createServices>, 'firstUpdate'>,
  check: () => Promise<{ stack: StackInfo; records: DeployRecords; recordsError: string | null }>,
  waitMs = FIRST_UPDATE_WAIT_MS,
): Promise<void> {
  const c = await check();
  const [first, { snapshotAction }] = await Promise.all([services.firstUpdate(c.stack, waitMs), import('../../src/state/dashboard.js')]);
  d({ type: 'started', stack: c.stack, records: c.records });
  if (first) d(snapshotAction(first));
  if (c.recordsError) d({ type: 'error', error: { message: c.recordsError, hint: RECORDS_HINT } });
}

/**
 * The dashboard on a terminal (`benchling-deploy` with no command). Without
 * a prod profile the welcome screen creates one. The first frame is drawn
 * from the profiles read as plain JSON; then they are checked (bad ones end
 * the dashboard with exit 2, like any command), and the AWS SDK, the log tail
 * and the deploy machinery load as they are needed.
 */
export async function runDashboard(g: Globals): Promise<number> {
  // A line on stderr would garble the screen: the SDK's credentials warning is not said here.
  setSdkWarningSink(null);
  const configDir = configDirOf(g);
  const recordsPath = deployRecordPath(configDir);
  // `--refresh SECONDS` (in ms, as the front's route or commander read it) wins over the environment variable.
  const intervalMs = (g as Globals & { refresh?: number }).refresh ?? refreshFromEnvMs();
  const hasProd = existsSync(profilePath(configDir, 'default'));
  // The welcome screen makes no AWS call until it has saved a profile: the front's early worker is not kept for it.
  if (!hasProd) void takeEarlyStatusWorker()?.worker.terminate();
  const provisional = hasProd ? provisionalStack(configDir, g) : null;
  // Profiles that plain JSON cannot place are checked before anything is drawn (a bad one exits 2 here).
  const checked = hasProd && !provisional ? await checkProfiles(configDir, g) : null;
  const services = createServices({ g, configDir, recordsPath, intervalMs });

  // The first poll's clients, and its first reads, start in their worker thread while the first frame is drawn.
  if (provisional) services.readAhead(provisional);

  // chalk (inside Ink) knows FORCE_COLOR but not NO_COLOR: say it in its words before it loads.
  if (process.env.NO_COLOR && process.env.FORCE_COLOR === undefined) process.env.FORCE_COLOR = '0';
  const [{ runDashboardApp }, { initialDashboard, reduce }, welcome] = await withoutFetch(() =>
    Promise.all([import('../../src/ui/run-dashboard.js'), import('../../src/state/dashboard.js'), hasProd ? undefined : import('../../src/ui/Welcome.js')]),
  );
  let initial = initialDashboard({
    columns: process.stdout.columns ?? 80,
    rows: process.stdout.rows ?? 24,
    now: Date.now(),
    stack: checked?.stack ?? provisional,
    records: checked?.records ?? {},
    setup: welcome?.initialWelcomeForm(),
    poll: !provisional,
  });
  if (checked?.recordsError) initial = { state: reduce(initial.state, { type: 'error', error: { message: checked.recordsError, hint: RECORDS_HINT } }).state, effects: initial.effects };

  let dispatch: ((action: DashboardAction) => void) | undefined;
  let fatal: unknown;
  // Once the first frame is drawn: the profiles checked, then polling starts (or the dashboard ends, exit 2).
  const check = async (d: (action: DashboardAction) => void) => {
    try {
      await startChecked(d, services, () => checkProfiles(configDir, g));
    } catch (error) {
      services.cancelPrestart();
      fatal = error;
      d({ type: 'terminate', code: exitCodeOf(error) });
    }
  };
  const screen = enterFullScreen(process.stdout, { onSignal: (_signal, code) => dispatch?.({ type: 'terminate', code }) });
  let code: number;
  try {
    code = await runDashboardApp({
      services,
      initial,
      configDir,
      welcome: welcome?.Welcome,
      onReady: (d) => {
        dispatch = d;
        if (provisional) {
          services.prestartStatus(provisional);
          void check(d);
        }
      },
    });
  } finally {
    screen.restore();
    screen.dispose();
    // A poller started for the first frame that nothing adopted (quit while the profiles were checked) stops now.
    services.cancelPrestart();
    // A plan given up at the quit releases the stack's lock in the account: wait for it (at most 5 s).
    await services.locksReleased(5_000);
    // Sockets of the SDK's clients may linger a moment; they must not keep the process alive.
    setTimeout(() => process.exit(process.exitCode ?? 0), 1_000).unref();
  }
  if (fatal) {
    process.stderr.write(`${terminalSafe(formatError(fatal))}\n`);
    return exitCodeOf(fatal);
  }
  return code;
}

interface ServiceContext {
  readonly g: Globals;
  readonly configDir: string;
  readonly recordsPath: string;
  readonly intervalMs?: number;
  /** How a preparation starts its synthesis worker (tests); default src/infra/operations.ts startSynthWorker. */
  readonly startSynthWorker?: () => SynthWorker;
  /** Where the status poll's and team mode's AWS calls are made (tests); default {@link dashboardStatusClients}. */
  readonly statusClients?: (options: AwsClientOptions, readAhead?: ReadAhead) => Promise<StatusClients>;
}

/** The dashboard's AWS worker thread's file: dist/status-worker.cjs, beside the bundle this module is built into. */
const STATUS_WORKER_URL = new URL('./status-worker.cjs', import.meta.url);

/**
 * The dashboard's AWS clients for the status poll and team mode: in a worker thread, so that loading
 * the SDK and preparing, signing and reading each call leave this thread to the screen. The worker the
 * front started is adopted (it has loaded the SDK while the first frame was drawn), else one is
 * started from dist/. Run from the sources (tests), where there is no worker file, and after a worker
 * that stopped, the same clients are made on this thread.
 */
export async function dashboardStatusClients(options: AwsClientOptions, readAhead?: ReadAhead): Promise<StatusClients> {
  const local = async (): Promise<StatusClients> => {
    const { createStatusApi, preloadStatusClients } = await import('../../src/state/aws-clients.js');
    // The poll's clients load together, not each after the answer before it.
    preloadStatusClients();
    return createStatusApi(options);
  };
  let worker = takeEarlyStatusWorker();
  if (!worker && STATUS_WORKER_URL.protocol === 'file:' && existsSync(fileURLToPath(STATUS_WORKER_URL))) {
    const { Worker } = await import('node:worker_threads');
    try {
      worker = startStatusWorker(STATUS_WORKER_URL, Worker);
    } catch {
      // A thread Node would not start (resource limits): the clients are made here.
    }
  }
  if (!worker) return local();
  const { statusClientsInWorker } = await import('../../src/state/worker-status-api.js');
  return statusClientsInWorker(worker, options, local, readAhead);
}

/** The real services: AWS through the SDK (loaded on first use), cdk through the runner, files through the stores. */
export function createServices(ctx: ServiceContext): DashboardServices & {
  readAhead(info: StackInfo): void;
  prestartStatus(info: StackInfo): void;
  firstUpdate(info: StackInfo, capMs: number): Promise<PollUpdate | undefined>;
  cancelPrestart(): void;
  locksReleased(capMs: number): Promise<void>;
} {
  const { g, configDir, recordsPath } = ctx;
  const loadStack = async () => resolveStackProfiles((await store()).inspectAllProfiles(configDir), { region: g.region });
  const readRecords = async (): Promise<DeployRecords> => {
    const r = (await records()).readDeployRecords(recordsPath);
    return r.state === 'malformed' ? {} : r.records;
  };
  let apis: { key: string; status: ClosableStatusApi & ParameterStore; logs?: ClosableLogsApi } | undefined;
  let making: { key: string; made: Promise<StatusClients> } | undefined;
  /** Where the team's notices go: the banner once the status started, else nowhere yet. */
  let sink: (message: string) => void = () => {};
  const said = new Set<string>();
  /** Each notice once for the whole session: "no SSM permission" once, whichever call met it. */
  const notice = (message: string) => {
    const key = message.startsWith('team records off') ? 'team records off' : message;
    if (said.has(key)) return;
    said.add(key);
    sink(message);
  };
  let team: { api: StatusClients; team: Team } | undefined;
  /** Team mode on the dashboard's clients (one per place and credentials). */
  const teamOf = async (stack: StackProfiles): Promise<Team> => {
    const api = await statusApi(stack);
    if (team?.api !== api) team = { api, team: await teamFor(stack.place, recordsPath, api, async () => (await api.getCallerIdentity()).arn, (m) => notice(m)) };
    return team.team;
  };
  /** One set of clients per place and credentials: the SSO login is resolved once. */
  const statusApiIn = async (region: string, awsProfile: string | undefined, readAhead?: ReadAhead): Promise<ClosableStatusApi & ParameterStore> => {
    const key = `${region}|${awsProfile ?? ''}`;
    if (apis?.key === key) return apis.status;
    // Made once for callers that ask together (the poller and team mode): one worker, one set of clients.
    if (making?.key !== key) {
      const made = (ctx.statusClients ?? dashboardStatusClients)({ region, awsProfile }, readAhead);
      making = { key, made };
      made.then(
        (status) => {
          // Installed only while it is still the set asked for last (not after a stop, nor over a newer place's); else closed.
          if (making?.made !== made) return status.close();
          making = undefined;
          apis?.status.close();
          apis?.logs?.close();
          apis = { key, status };
        },
        () => {
          if (making?.made === made) making = undefined;
        },
      );
    }
    return making.made;
  };
  const statusApi = (stack: StackProfiles) => statusApiIn(stack.place.region, g.awsProfile ?? stack.prod.awsProfile);

  /** A poller for the stack `info` places, its last update kept for the listener that adopts it. */
  const startPoller = async (info: StackInfo, watchTasks: EnvironmentName | null) => {
    const [{ readDeployRecords }, api, { createStatusPoller }, { openStackPartsCache }] = await Promise.all([
      records(),
      statusApiIn(info.region, info.awsProfile),
      import('../../src/state/status-poller.js'),
      import('../../src/state/stack-parts-cache.js'),
    ]);
    const parts = openStackPartsCache({ stackName: info.stackName, region: info.region, account: info.account, awsProfile: info.awsProfile });
    const poller = createStatusPoller({
      api,
      stackName: info.stackName,
      region: info.region,
      account: info.account ?? undefined,
      environments: info.environments,
      deployRecords: () => {
        const r = readDeployRecords(recordsPath);
        return r.state === 'malformed' ? {} : r.records;
      },
      awsProfile: info.awsProfile,
      intervalMs: ctx.intervalMs,
      watchTasks,
      // The cost estimate's requests: one more GetMetricData an hour.
      readTraffic: true,
      // The account's records, once startStatus has checked the profiles and bound team mode: every 5 minutes, and
      // soon after a service shows a deploy (from anywhere) until its record arrives.
      refreshRecords: async () => (refresher ? refresher() : false),
      recordsEveryMs: 300_000,
      // The parts the last run read: the first poll's reads that follow from them go out with the stack's.
      lastParts: parts.parts,
      onStackParts: parts.save,
      // Health first: the first poll's health is shown before its account, stages, metrics and running tasks are read.
      healthFirst: true,
    });
    let last: PollUpdate | undefined;
    let refresher: (() => Promise<boolean>) | undefined;
    poller.subscribe((u) => (last = u));
    poller.start();
    return {
      poller,
      last: () => last,
      /** Team mode's refresh, run now (the poller's first polls may have come before it) and then as the poller paces it. */
      bindRecords: (refresh: () => Promise<boolean>) => {
        refresher = refresh;
        void refresh().catch(() => undefined);
      },
    };
  };
  /** Same stack, same environments, same credentials: a poller started for one serves the other. */
  const pollerKey = (info: StackInfo) => JSON.stringify([info.stackName, info.region, info.account, info.environments, info.awsProfile ?? null]);
  let early: { key: string; started: ReturnType<typeof startPoller> } | undefined;
  /** The prestarted poller's update that firstUpdate gave (its caller shows it): the adopting startStatus does not give it again. */
  let given: PollUpdate | undefined;
  const logsApi = async (stack: StackProfiles): Promise<ClosableLogsApi> => {
    const status = await statusApi(stack);
    const current = apis;
    // Clients a stop closed meanwhile get no log tail beside them.
    if (current?.status !== status) throw new Error('the AWS clients were closed');
    if (!current.logs) {
      const { createLogsApi } = await import('../../src/state/logs-aws.js');
      current.logs ??= createLogsApi({ region: stack.place.region, awsProfile: g.awsProfile ?? stack.prod.awsProfile });
    }
    return current.logs;
  };

  /**
   * A plan of a deploy, promote or rollback for the dashboard, after its pre-flight (AWS, the team's
   * lock and history); `synthWorker` (started before all this) synthesizes the stack off the main thread.
   */
  const prepareOperation = async (
    target: DeployTarget,
    ops: typeof import('../../src/infra/operations.js'),
    synthWorker: SynthWorker,
    kind: OperationKind,
    environment: EnvironmentName,
    options: { imageTag?: string },
  ): Promise<PreparedOperation | { refusal: string }> => {
    const aws = await ops.deployAwsFor(target, g.awsProfile);
    const teamMode = await teamFor(target.place, recordsPath, aws.parameters, async () => (await aws.callerIdentity()).arn, (m) => notice(m));
    // The account's history first: the picker's choice is checked against it.
    if (kind === 'rollback') await teamMode.refresh([environment]);
    let imageTag: string | undefined;
    let contractTag: string | undefined;
    let imageTagSource: string | undefined;
    let contractTagSource: string | undefined;
    let extra: { label: string; value: string }[] = [];
    if (kind === 'promote') {
      if (!target.dev) return { refusal: 'there is no dev profile (dev.json), so there is no dev environment to promote from' };
      const decision = await ops.decidePromoteFor(target, aws);
      if (!decision.ok) return { refusal: `${decision.reason}; \`benchling-deploy status\` and the panels show both environments` };
      const { shortDigest } = await import('../../src/infra/promote.js');
      imageTag = decision.digest;
      contractTag = decision.devTag ?? undefined;
      extra = ops.promoteRows(decision, shortDigest);
    } else if (kind === 'rollback') {
      const record = (await records()).loadDeployRecords(recordsPath)[environment];
      const chosen = options.imageTag;
      if (chosen !== undefined && chosen === record?.imageTag) return { refusal: `${chosen} is the image deploy.json says ${environment} runs now; choose an earlier one` };
      // The chosen image must be one of the history's (deploy.json may have changed since the list was drawn).
      const previous = chosen === undefined ? ops.rollbackEntry(record) : record?.history.find((h) => h.imageTag === chosen);
      if (chosen !== undefined && !previous) return { refusal: `${chosen} is no longer in ${environment}'s history in deploy.json (${recordsPath}); press h to see it` };
      if (!previous) {
        const e = ops.noRollbackError(environment, recordsPath);
        return { refusal: `${e.message}; ${e.hint}` };
      }
      // The release it was served as goes with it; a digest whose release deploy.json does not know is refused.
      let back: RollbackRequest;
      try {
        back = ops.rollbackRequest(environment, recordsPath, previous, record!.history.indexOf(previous));
      } catch (error) {
        if (error instanceof UserError) return { refusal: `${error.message}; ${error.hint}` };
        throw error;
      }
      imageTag = back.imageTag;
      contractTag = back.contractTag;
      imageTagSource = back.imageTagSource;
      contractTagSource = back.contractTagSource;
      extra = [{ label: 'back to', value: `${previous.imageTag} (deployed ${previous.deployedAt})` }];
    }
    const [{ prepareDeploy, diffPlan, executeDeploy, disposePlan }, { withAssemblyCache }] = await Promise.all([import('../../src/infra/deploy.js'), import('../../src/infra/assembly-cache.js')]);
    const plan = await prepareDeploy(
      { target, imageTag, contractTag, imageTagSource, contractTagSource, awsProfile: g.awsProfile, configDir, recordsPath, purpose: `${kind} ${environment} (dashboard)`, team: teamMode },
      aws,
      // Off the main thread: the screen keeps drawing while aws-cdk-lib loads and the stack is built;
      // a second plan of unchanged profiles reuses that assembly.
      withAssemblyCache(synthWorker.synthesize),
    );
    return {
      plan: {
        kind,
        environment,
        oldTag: plan.oldTag,
        newTag: plan.newTag,
        rows: [...ops.planRows(plan), ...extra],
        // A dev deploy that would change prod's service too is confirmed by typing prod; one that replaces what serves requests, by the stack's name.
        confirmWord: ops.planConfirmationWord(kind, plan),
        logFile: plan.logFile,
      },
      diff: (signal) => diffPlan(plan, signal),
      async execute({ signal, onEvent }): Promise<OperationOutcome> {
        const o = await executeDeploy(plan, aws, { signal, onEvent });
        if (o.outcome === 'succeeded') return { outcome: 'succeeded', endpoint: o.endpoint, imageTag: plan.newTag, logFile: o.logFile };
        if (o.outcome === 'unrecorded') return { outcome: 'unrecorded', endpoint: o.endpoint, imageTag: plan.newTag, error: o.error, logFile: o.logFile };
        if (o.outcome === 'cancelled') return { outcome: 'cancelled', stackStatus: o.stackStatus, logFile: o.logFile };
        return { outcome: 'failed', reasons: o.reasons, stackStatus: o.stackStatus, logFile: o.logFile };
      },
      release: () => disposePlan(plan),
    };
  };

  return {
    /**
     * The clients for the place the first frame shows, made now (in their worker thread, which sends
     * the first poll's first reads as soon as it can: see src/state/status-worker.ts); the poller
     * started for that place uses them. An unchecked place that is not plausible waits for the check.
     */
    readAhead(info) {
      if (!plausiblePlace(info)) return;
      const environments = info.environments.map((e) => e.name);
      void statusApiIn(info.region, info.awsProfile, { stackName: info.stackName, account: info.account ?? null, environments }).catch(() => undefined);
    },

    /**
     * Starts polling the stack the first frame shows (read from the profiles as plain JSON)
     * while the profiles are checked: the SDK loads and the first calls are made meanwhile.
     * startStatus adopts this poller when the checked profiles place the same stack, else
     * stops it; a check that fails ends the dashboard before anything is shown of it.
     */
    prestartStatus(info) {
      if (early || !plausiblePlace(info)) return;
      const started = startPoller(info, null);
      // A failure here is the adopting startStatus's to report (or nobody's, when it is not adopted).
      started.catch(() => undefined);
      early = { key: pollerKey(info), started };
    },

    /**
     * The prestarted poller's first update (its latest, when one came already), for a caller that shows it:
     * undefined when no poller was prestarted for the stack `info` places, when it could not start, or when
     * no update came within `capMs`.
     */
    firstUpdate(info, capMs) {
      const started = early?.key === pollerKey(info) ? early.started : undefined;
      if (!started) return Promise.resolve(undefined);
      return new Promise<PollUpdate | undefined>((resolve) => {
        let done = false;
        let unsubscribe = () => {};
        const end = (update: PollUpdate | undefined) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          unsubscribe();
          given = update;
          resolve(update);
        };
        const timer = setTimeout(() => end(undefined), capMs);
        started.then(
          ({ poller, last }) => {
            if (done) return;
            const seen = last();
            if (seen) return end(seen);
            unsubscribe = poller.subscribe((update) => end(update));
          },
          () => end(undefined),
        );
      });
    },

    /** Account lock releases still under way (only when team mode was used), at most `capMs`. */
    async locksReleased(capMs) {
      if (!team) return;
      await (await import('../../src/state/team-records.js')).accountLocksReleased(capMs);
    },

    cancelPrestart() {
      const started = early?.started;
      early = undefined;
      if (started) void started.then(({ poller }) => poller.stop()).catch(() => undefined);
    },

    async startStatus(listener, options) {
      const stack = await loadStack();
      const info = stackInfoOf(stack, g);
      const adopted = early?.key === pollerKey(info) ? early.started : undefined;
      const stale = adopted ? undefined : early?.started;
      early = undefined;
      if (stale) void stale.then(({ poller }) => poller.stop()).catch(() => undefined);
      const { poller, last, bindRecords } = await (adopted ?? startPoller(info, options?.watchTasks ?? null));
      if (adopted && options?.watchTasks) poller.watchTasks(options.watchTasks);
      if (options?.onNotice) sink = options.onNotice;
      const teamMode = await teamOf(stack);
      // The account's records (who deployed, the history R picks from), mirrored into deploy.json as the poller paces it;
      // true when they changed. Changed from what the dashboard was last given, not from the file before the refresh:
      // a deploy from another shell (CI, a colleague) has written the file and the account already, and without SSM
      // permission the file is all there is.
      // (The first refresh hands them over whatever they are: what the dashboard read at its start may be older.)
      let handed: string | undefined;
      bindRecords(async () => {
        await teamMode.refresh(info.environments.map((e) => e.name));
        const after = await readRecords();
        const text = JSON.stringify(after);
        if (text === handed) return false;
        handed = text;
        options?.onRecords?.(after);
        return true;
      });
      const unsubscribe = poller.subscribe(listener);
      // A poll that ended (or gave its health) before this listener came: its snapshot is shown now, not at the next poll
      // (unless it is the one firstUpdate gave, shown with the checked profiles).
      const seen = last();
      if (seen && !(adopted && seen === given)) listener(seen);
      given = undefined;
      return {
        refresh: () => void poller.refresh(),
        invalidate: () => poller.invalidate(),
        followStack: (on) => poller.followStack(on),
        watchTasks: (environment) => poller.watchTasks(environment),
        async stop() {
          unsubscribe();
          await poller.stop();
          apis?.status.close();
          apis?.logs?.close();
          apis = undefined;
          // Clients still being made are closed when they come.
          making = undefined;
        },
      };
    },

    readRecords,

    async prepare(kind, environment, options = {}): Promise<PreparedOperation | { refusal: string }> {
      const target = resolveTarget((await store()).inspectAllProfiles(configDir), { environment, region: g.region });
      const ops = await import('../../src/infra/operations.js');
      // The synthesis worker boots and loads aws-cdk-lib while the pre-flight waits on AWS; it ends with the preparation.
      const synthWorker = ctx.startSynthWorker ? ctx.startSynthWorker() : ops.startSynthWorker();
      try {
        return await prepareOperation(target, ops, synthWorker, kind, environment, options);
      } finally {
        synthWorker.close();
      }
    },

    async openLogs(environment, sink) {
      const stopped = { mode: 'stopped' as const, following: false, notice: null };
      try {
        const stack = await loadStack();
        const api = await statusApi(stack);
        const info = await api.describeStack(stack.place.stackName);
        if (!info) {
          sink.status({ ...stopped, error: `stack ${stack.place.stackName} does not exist in ${stack.place.region}: no logs to read` });
          return { stop() {} };
        }
        const { logGroupsOf } = await import('../../src/state/log-groups.js');
        const [group] = logGroupsOf(info, [environment]);
        const { startLogTail } = await import('../../src/state/log-tail.js');
        const tail = startLogTail({
          api: await logsApi(stack),
          group,
          onLines: (lines) => sink.lines(lines),
          onStatus: (status) => sink.status({ ...status, logGroup: status.logGroup ?? group.logGroupName }),
          // The screen keeps this many lines: a busy group's older pages are not read at all.
          backfillLimit: DEFAULT_LOG_CAPACITY,
          awsProfile: g.awsProfile ?? stack.prod.awsProfile,
        });
        return { stop: () => tail.stop() };
      } catch (error) {
        const { classifyAwsError, loginHint } = await import('../../src/state/aws-errors.js');
        const p = classifyAwsError(error);
        sink.status({ ...stopped, error: p.message, errorKind: p.kind, hint: p.kind === 'credentials' ? loginHint(g.awsProfile) : ((error as { hint?: string }).hint ?? null) });
        return { stop() {} };
      }
    },

    async testEndpoint(environment: EnvironmentName, signal): Promise<TestOutcome> {
      const found = await findEndpoint(environment, (await readRecords())[environment]?.endpoint, async () => {
        const stack = await loadStack();
        return (await (await statusApi(stack)).describeStack(stack.place.stackName))?.outputs;
      });
      if (!found) return { ok: false, message: `no endpoint for ${environment}: not in deploy.json nor in the stack's outputs; has ${environment} been deployed?`, hint: `press d to deploy ${environment}` };
      const check = await checkEndpoint(found.endpoint, { timeoutMs: 10_000, signal });
      return { ok: true, endpoint: found.endpoint, source: found.source, check };
    },

    async saveProfile(profileName, texts) {
      const [{ saveProfile }, { formToProfile }] = await Promise.all([store(), import('../../src/config/fields.js')]);
      saveProfile(configDir, formToProfile(profileName, texts));
    },

    async loadStack() {
      return { stack: stackInfoOf(await loadStack(), g), records: await readRecords() };
    },
  };
}
