import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { createStatusApi, type AwsClientOptions } from '../../src/state/aws-clients.js';
import { createStatusPoller, stackPartsOf, type PollUpdate, type StackParts, type StatusPoller, type StatusPollerOptions } from '../../src/state/status-poller.js';
import type { StatusSnapshot } from '../../src/state/status-types.js';
import { startFakeAws, type FakeAws } from '../fake-aws/server.js';
import { standardScenario, type Scenario } from '../fake-aws/scenario.js';

export interface UseFakeAwsOptions {
  /** The world each test starts from (a fresh one per test). Default: the standard scenario. */
  readonly scenario?: () => Scenario;
  /**
   * Whether this process's environment points the SDK clients at the fake
   * during each test (AWS_ENDPOINT_URL and credentials set, AWS_PROFILE
   * removed), restored after it. Off for tests that hand `fake.env` to a
   * child process only. Default: on.
   */
  readonly processEnv?: boolean;
  /** Further variables removed from the environment during each test (with `processEnv`). */
  readonly unset?: readonly string[];
}

export interface FakeAwsHarness {
  /** The file's fake AWS. Usable from the first test on (it starts in `beforeAll`); assigning `scenario` replaces the world served. */
  readonly fake: FakeAws;
  /** Runs `cleanup` after the current test (in the order registered), before the environment is restored. */
  onCleanup(cleanup: () => Promise<void> | void): void;
  /**
   * A status poller of the standard scenario's stack (BenchlingWebhookStack in
   * us-east-1, account 123456789012, dev and prod) on the real SDK clients,
   * which reach the fake through the environment only. `options` go on top
   * (`account: undefined` for none); `apiOptions` replace the default of one
   * attempt per call. Stopped, and its clients closed, after the test.
   */
  statusPoller(options?: Partial<StatusPollerOptions>, apiOptions?: Partial<AwsClientOptions>): { api: ReturnType<typeof createStatusApi>; poller: StatusPoller };
}

/** The dev and prod environments of the standard scenario, as the profiles `dev` and `default` name them. */
export const BOTH_ENVIRONMENTS = [
  { name: 'dev' as const, profile: 'dev' },
  { name: 'prod' as const, profile: 'default' },
];

/**
 * One fake AWS for a test file, with the vitest hooks that keep its tests
 * apart: started before the file's first test and closed after its last;
 * before each test a fresh world, an empty call log and no faults, and (with
 * `processEnv`) the environment pointed at the fake; after each test the
 * test's cleanups run and the environment is restored as it was.
 */
export function useFakeAws(options: UseFakeAwsOptions = {}): FakeAwsHarness {
  const scenario = options.scenario ?? standardScenario;
  const processEnv = options.processEnv ?? true;
  const cleanups: (() => Promise<void> | void)[] = [];
  let started: FakeAws | undefined;
  let saved: Record<string, string | undefined> = {};

  const current = (): FakeAws => {
    if (!started) throw new Error('the fake AWS starts in beforeAll: use it from a hook or a test');
    return started;
  };

  beforeAll(async () => {
    saved = { ...process.env };
    started = await startFakeAws(scenario());
  });
  beforeEach(() => {
    const fake = current();
    if (processEnv) {
      Object.assign(process.env, fake.env);
      for (const name of ['AWS_PROFILE', ...(options.unset ?? [])]) delete process.env[name];
    }
    fake.scenario = scenario();
    fake.calls.reset();
    fake.clearFaults();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
    if (processEnv) restoreEnv(saved);
  });
  afterAll(async () => {
    await started?.close();
    started = undefined;
  });

  /** Stands for the started fake, so that a test file can hold it in a `const` declared before the fake starts. */
  const fake: FakeAws = {
    get url() {
      return current().url;
    },
    get env() {
      return current().env;
    },
    get scenario() {
      return current().scenario;
    },
    set scenario(world: Scenario) {
      current().scenario = world;
    },
    get calls() {
      return current().calls;
    },
    inject: (fault) => current().inject(fault),
    clearFaults: () => current().clearFaults(),
    close: () => current().close(),
  };

  return {
    fake,
    onCleanup: (cleanup) => void cleanups.push(cleanup),
    statusPoller(over = {}, apiOptions = { maxAttempts: 1 }) {
      const api = createStatusApi({ region: 'us-east-1', ...apiOptions });
      const poller = createStatusPoller({
        api,
        stackName: 'BenchlingWebhookStack',
        region: 'us-east-1',
        account: '123456789012',
        environments: BOTH_ENVIRONMENTS,
        ...over,
      });
      cleanups.push(async () => {
        await poller.stop();
        api.close();
      });
      return { api, poller };
    },
  };
}

/** Puts the environment back as `saved` holds it: what a test added removed, what it changed or removed restored. */
function restoreEnv(saved: Record<string, string | undefined>): void {
  for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
  for (const [name, value] of Object.entries(saved)) if (value !== undefined) process.env[name] = value;
}

/** The parts of `fake`'s (first) stack as it stands, for dev and prod. */
export function stackPartsNow(fake: FakeAws): StackParts {
  const stack = Object.values(fake.scenario.stacks)[0]!;
  return stackPartsOf({ stackName: 'BenchlingWebhookStack', stackId: '', status: '', statusReason: null, lastUpdatedTime: null, parameters: {}, outputs: stack.outputs }, BOTH_ENVIRONMENTS);
}

/** A snapshot without the times it was read at: what two polls of the same world share. */
export function timeless(snap: StatusSnapshot): unknown {
  return JSON.parse(JSON.stringify(snap, (key, value) => (['fetchedAt', 'stackReadAt', 'readAt'].includes(key) ? undefined : value)));
}

/** The first update of `poller`, started now; stopped once it came. */
export function firstUpdateOf(poller: StatusPoller): Promise<PollUpdate> {
  return new Promise((resolve) => {
    const off = poller.subscribe((u) => {
      off();
      void poller.stop();
      resolve(u);
    });
    poller.start();
  });
}
