import { existsSync } from 'node:fs';
import { deployRecordPath, profilePath } from '../../src/config/paths.js';
import { resolveStackProfiles, resolveTarget, type StackProfiles } from '../../src/config/pairing.js';
import { ENVIRONMENTS, type EnvironmentName } from '../../src/config/schema.js';
import { inspectAllProfiles, saveProfile } from '../../src/config/store.js';
import { formToProfile } from '../../src/config/fields.js';
import { UserError } from '../../src/errors.js';
import { readDeployRecords, loadDeployRecords, type DeployRecords } from '../../src/state/deploy-records.js';
import { checkEndpoint } from '../../src/state/endpoint-check.js';
import { outputName } from '../../src/infra/names.js';
import type { DashboardAction, OperationOutcome, StackInfo, TestOutcome } from '../../src/state/dashboard.js';
import type { DashboardServices, PreparedOperation } from '../../src/ui/services.js';
import type { ClosableStatusApi } from '../../src/state/aws-clients.js';
import type { ClosableLogsApi } from '../../src/state/logs-aws.js';
import { configDirOf, type Globals } from '../context.js';
import { enterFullScreen } from '../terminal.js';

/** Seconds between status polls; for people who want it calmer, and for the benches. */
export const REFRESH_ENV = 'BENCHLING_DEPLOY_REFRESH_SECONDS';

function refreshIntervalMs(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const text = env[REFRESH_ENV];
  if (text === undefined || text.trim() === '') return undefined;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds < 1 || seconds > 3600) throw new UserError(`${REFRESH_ENV}: expected a number of seconds from 1 to 3600, got "${text}"`);
  return Math.round(seconds * 1000);
}

function stackInfoOf(stack: StackProfiles, g: Globals): StackInfo {
  return {
    stackName: stack.place.stackName,
    region: stack.place.region,
    account: stack.place.account,
    environments: ENVIRONMENTS.flatMap((name) => {
      const profile = name === 'prod' ? stack.prod : stack.dev;
      return profile ? [{ name, profile: profile.profile }] : [];
    }),
    awsProfile: g.awsProfile ?? stack.prod.awsProfile,
  };
}

/**
 * The dashboard on a terminal (`benchling-deploy` with no command). The
 * profiles are checked first (bad ones exit 2 like any command); without a
 * prod profile the welcome screen creates one. The AWS SDK, the log tail and
 * the deploy machinery load only after the first frame is on screen.
 */
export async function runDashboard(g: Globals): Promise<number> {
  const configDir = configDirOf(g);
  const recordsPath = deployRecordPath(configDir);
  const intervalMs = refreshIntervalMs();
  const loadStack = () => resolveStackProfiles(inspectAllProfiles(configDir), { region: g.region });
  const hasProd = existsSync(profilePath(configDir, 'default'));
  const stack = hasProd ? loadStack() : null;
  const read = readDeployRecords(recordsPath);
  const readRecords = (): DeployRecords => {
    const r = readDeployRecords(recordsPath);
    return r.state === 'malformed' ? {} : r.records;
  };

  const services = createServices({ g, configDir, recordsPath, loadStack, readRecords, intervalMs });

  // chalk (inside Ink) knows FORCE_COLOR but not NO_COLOR: say it in its words before it loads.
  if (process.env.NO_COLOR && process.env.FORCE_COLOR === undefined) process.env.FORCE_COLOR = '0';
  const [{ runDashboardApp }, { initialDashboard, reduce }] = await withoutFetch(() => Promise.all([import('../../src/ui/run-dashboard.js'), import('../../src/state/dashboard.js')]));
  let initial = initialDashboard({
    columns: process.stdout.columns ?? 80,
    rows: process.stdout.rows ?? 24,
    now: Date.now(),
    stack: stack ? stackInfoOf(stack, g) : null,
    records: read.state === 'malformed' ? {} : read.records,
  });
  if (read.state === 'malformed') {
    initial = { state: reduce(initial.state, { type: 'error', error: { message: read.error, hint: 'the last deploys are not shown, and deploys are refused until the file is fixed or moved aside' } }).state, effects: initial.effects };
  }

  let dispatch: ((action: DashboardAction) => void) | undefined;
  const screen = enterFullScreen(process.stdout, { onSignal: (_signal, code) => dispatch?.({ type: 'terminate', code }) });
  try {
    return await runDashboardApp({ services, initial, configDir, onReady: (d) => (dispatch = d) });
  } finally {
    screen.restore();
    screen.dispose();
    // Sockets of the SDK's clients may linger a moment; they must not keep the process alive.
    setTimeout(() => process.exit(process.exitCode ?? 0), 1_000).unref();
  }
}

/**
 * Runs `load` with no global fetch. Ink's layout engine (yoga, WebAssembly) loads its
 * inlined binary with fetch() when there is one, which makes Node load its whole HTTP
 * client (undici) first: about 20 ms before the first frame for nothing. Without fetch
 * it decodes the same bytes directly. Nothing else runs while it loads.
 */
async function withoutFetch<T>(load: () => Promise<T>): Promise<T> {
  const descriptor = Object.getOwnPropertyDescriptor(globalThis, 'fetch');
  if (!descriptor?.configurable) return load();
  Object.defineProperty(globalThis, 'fetch', { value: undefined, configurable: true, writable: true });
  try {
    return await load();
  } finally {
    Object.defineProperty(globalThis, 'fetch', descriptor);
  }
}

interface ServiceContext {
  readonly g: Globals;
  readonly configDir: string;
  readonly recordsPath: string;
  readonly loadStack: () => StackProfiles;
  readonly readRecords: () => DeployRecords;
  readonly intervalMs?: number;
}

/** The real services: AWS through the SDK (loaded on first use), cdk through the runner, files through the stores. */
export function createServices(ctx: ServiceContext): DashboardServices {
  const { g, configDir, recordsPath } = ctx;
  let apis: { key: string; status: ClosableStatusApi; logs?: ClosableLogsApi } | undefined;
  /** One set of clients per place and credentials: the SSO login is resolved once. */
  const statusApi = async (stack: StackProfiles): Promise<ClosableStatusApi> => {
    const awsProfile = g.awsProfile ?? stack.prod.awsProfile;
    const key = `${stack.place.region}|${awsProfile ?? ''}`;
    if (apis?.key !== key) {
      apis?.status.close();
      apis?.logs?.close();
      const { createStatusApi } = await import('../../src/state/aws-clients.js');
      apis = { key, status: createStatusApi({ region: stack.place.region, awsProfile }) };
    }
    return apis.status;
  };
  const logsApi = async (stack: StackProfiles): Promise<ClosableLogsApi> => {
    await statusApi(stack);
    if (!apis!.logs) {
      const { createLogsApi } = await import('../../src/state/logs-aws.js');
      apis!.logs = createLogsApi({ region: stack.place.region, awsProfile: g.awsProfile ?? stack.prod.awsProfile });
    }
    return apis!.logs;
  };

  return {
    async startStatus(listener) {
      const stack = ctx.loadStack();
      const api = await statusApi(stack);
      const { createStatusPoller } = await import('../../src/state/status-poller.js');
      const info = stackInfoOf(stack, g);
      const poller = createStatusPoller({
        api,
        stackName: info.stackName,
        region: info.region,
        account: info.account ?? undefined,
        environments: info.environments,
        deployRecords: ctx.readRecords,
        awsProfile: info.awsProfile,
        intervalMs: ctx.intervalMs,
      });
      const unsubscribe = poller.subscribe((u) => listener({ snapshot: u.snapshot, nextPollInMs: u.nextPollInMs }));
      poller.start();
      return {
        refresh: () => void poller.refresh(),
        invalidate: () => poller.invalidate(),
        async stop() {
          unsubscribe();
          await poller.stop();
          apis?.status.close();
          apis?.logs?.close();
          apis = undefined;
        },
      };
    },

    readRecords: ctx.readRecords,

    async prepare(kind, environment): Promise<PreparedOperation | { refusal: string }> {
      const target = resolveTarget(inspectAllProfiles(configDir), { environment, region: g.region });
      const ops = await import('../../src/infra/operations.js');
      const aws = await ops.deployAwsFor(target, g.awsProfile);
      let imageTag: string | undefined;
      let extra: { label: string; value: string }[] = [];
      if (kind === 'promote') {
        if (!target.dev) return { refusal: 'there is no dev profile (dev.json), so there is no dev environment to promote from' };
        const decision = await ops.decidePromoteFor(target, aws);
        if (!decision.ok) return { refusal: `${decision.reason}; \`benchling-deploy status\` and the panels show both environments` };
        const { shortDigest } = await import('../../src/infra/promote.js');
        imageTag = decision.digest;
        extra = ops.promoteRows(decision, shortDigest);
      } else if (kind === 'rollback') {
        const previous = ops.rollbackEntry(loadDeployRecords(recordsPath)[environment]);
        if (!previous) {
          const e = ops.noRollbackError(environment, recordsPath);
          return { refusal: `${e.message}; ${e.hint}` };
        }
        imageTag = previous.imageTag;
        extra = [{ label: 'back to', value: `${previous.imageTag} (deployed ${previous.deployedAt})` }];
      }
      const { prepareDeploy, diffPlan, executeDeploy } = await import('../../src/infra/deploy.js');
      const plan = await prepareDeploy(
        { target, imageTag, awsProfile: g.awsProfile, configDir, recordsPath, purpose: `${kind} ${environment} (dashboard)` },
        aws,
        ops.synthesizeStackLazily,
      );
      return {
        plan: {
          kind,
          environment,
          oldTag: plan.oldTag,
          newTag: plan.newTag,
          rows: [...ops.planRows(plan), ...extra],
          confirmWord: ops.confirmationWord(kind, environment),
          logFile: plan.logFile,
        },
        diff: (signal) => diffPlan(plan, signal),
        async execute({ signal, onEvent }): Promise<OperationOutcome> {
          const o = await executeDeploy(plan, aws, { signal, onEvent });
          if (o.outcome === 'succeeded') return { outcome: 'succeeded', endpoint: o.endpoint, imageTag: plan.newTag, logFile: o.logFile };
          if (o.outcome === 'cancelled') return { outcome: 'cancelled', stackStatus: o.stackStatus, logFile: o.logFile };
          return { outcome: 'failed', reasons: o.reasons, stackStatus: o.stackStatus, logFile: o.logFile };
        },
        release: () => plan.lock.release(),
      };
    },

    async openLogs(environment, sink) {
      const stopped = { mode: 'stopped' as const, following: false, notice: null };
      try {
        const stack = ctx.loadStack();
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
      let endpoint = ctx.readRecords()[environment]?.endpoint || undefined;
      let source = 'deploy.json';
      if (!endpoint) {
        const stack = ctx.loadStack();
        const info = await (await statusApi(stack)).describeStack(stack.place.stackName);
        endpoint = info?.outputs[outputName(environment, 'Endpoint')];
        source = 'stack outputs';
      }
      if (!endpoint) return { ok: false, message: `no endpoint for ${environment}: not in deploy.json nor in the stack's outputs; has ${environment} been deployed?`, hint: `press d to deploy ${environment}` };
      const check = await checkEndpoint(endpoint, { timeoutMs: 10_000, signal });
      return { ok: true, endpoint, source, check };
    },

    saveProfile(profileName, texts) {
      saveProfile(configDir, formToProfile(profileName, texts));
    },

    loadStack() {
      return { stack: stackInfoOf(ctx.loadStack(), g), records: ctx.readRecords() };
    },
  };
}
