import React, { useCallback, useEffect, useRef, useSyncExternalStore } from 'react';
import { useApp, useInput, useStdin, useStdout, type Key } from 'ink';
import { ExternalError, UserError } from '../errors.js';
import { reduce, snapshotAction, splitKeys, type BannerError, type DashboardAction, type DashboardState, type Effect, type KeyPress, type Transition } from '../state/dashboard.js';
import type { SetupFormState } from '../state/setup-form.js';
import type { WelcomeProps } from './Welcome.js';
import { Dashboard } from './Dashboard.js';
import type { DashboardServices, LogHandle, PreparedOperation, StatusHandle } from './services.js';

export interface AppProps {
  readonly services: DashboardServices;
  /** The first state and the effects to run once the first frame is drawn. */
  readonly initial: Transition;
  /** Called once with the exit status, just before the app unmounts. */
  readonly onExit?: (code: number) => void;
  /** Receives the dispatcher, for signals handled outside (SIGTERM). */
  readonly onReady?: (dispatch: (action: DashboardAction) => void) => void;
  readonly configDir?: string;
  /** How often ages on screen are brought up to date (ms); 0: never (tests). */
  readonly tickMs?: number;
  readonly now?: () => number;
  /** The welcome screen's component, when it may be shown (no profile yet). */
  readonly welcome?: React.ComponentType<WelcomeProps>;
}

/** Any thrown value as the banner shows it; a bug keeps the top of its stack. */
export function bannerErrorOf(error: unknown): BannerError {
  if (error instanceof ExternalError) {
    const detail = [
      ...(error.command ? [`command: ${error.command}${error.commandExitCode !== undefined ? ` (exit ${error.commandExitCode})` : ''}`] : []),
      ...(error.stderrTail ? error.stderrTail.split('\n').filter((l) => l.trim() !== '').slice(-2) : []),
    ];
    return { message: error.message, hint: error.hint, detail };
  }
  if (error instanceof UserError) {
    const lines = error.message.split('\n');
    return { message: lines[0], hint: error.hint, detail: lines.slice(1) };
  }
  const e = error instanceof Error ? error : new Error(String(error));
  return { message: `internal error (a bug in benchling-deploy; please report it): ${e.message}`, detail: (e.stack ?? '').split('\n').slice(1, 4).map((l) => l.trim()) };
}

/**
 * A failed diff as the confirmation shows it: what failed, and the end of
 * cdk's output (its last lines, as the CLI prints them); the log file is the plan's.
 */
export function diffFailureOf(error: unknown): { message: string; detail: readonly string[] } {
  if (error instanceof ExternalError) {
    const tail = (error.stderrTail ?? '').split('\n').filter((l) => l.trim() !== '');
    const exit = error.commandExitCode !== undefined ? ` (exit ${error.commandExitCode})` : '';
    return { message: `${error.message}${exit}`, detail: tail };
  }
  const b = bannerErrorOf(error);
  return { message: b.message, detail: b.detail ?? [] };
}

function keyPressOf(input: string, key: Key): KeyPress {
  return {
    input,
    upArrow: key.upArrow,
    downArrow: key.downArrow,
    leftArrow: key.leftArrow,
    rightArrow: key.rightArrow,
    pageUp: key.pageUp,
    pageDown: key.pageDown,
    home: key.home,
    end: key.end,
    return: key.return,
    escape: key.escape,
    tab: key.tab,
    backspace: key.backspace,
    delete: key.delete,
    ctrl: key.ctrl,
    shift: key.shift,
    meta: key.meta,
  };
}

interface Store {
  state: DashboardState;
  readonly listeners: Set<() => void>;
}

interface Runtime {
  status: StatusHandle | null;
  statusStopped: boolean;
  logs: { environment: string; handle: Promise<LogHandle | null> } | null;
  readonly prepared: Map<number, PreparedOperation>;
  readonly running: Map<number, AbortController>;
  readonly diffs: Map<number, AbortController>;
  readonly tests: Map<number, AbortController>;
  exited: boolean;
}

/**
 * The root: holds the state in a store fed by {@link reduce}, turns keys,
 * ticks, resizes and service callbacks into actions, and runs the effects the
 * reducer asks for. The only place that starts timers, calls services and exits.
 */
export function App({ services, initial, onExit, onReady, configDir, tickMs = 1000, now = Date.now, welcome }: AppProps): React.JSX.Element {
  const app = useApp();
  const { stdout } = useStdout();
  const { isRawModeSupported } = useStdin();
  const storeRef = useRef<Store | null>(null);
  storeRef.current ??= { state: initial.state, listeners: new Set() };
  const store = storeRef.current;
  const runtimeRef = useRef<Runtime | null>(null);
  runtimeRef.current ??= { status: null, statusStopped: false, logs: null, prepared: new Map(), running: new Map(), diffs: new Map(), tests: new Map(), exited: false };
  const rt = runtimeRef.current;
  const queue = useRef<DashboardAction[]>([]);
  const busy = useRef(false);

  const subscribe = useCallback((l: () => void) => {
    store.listeners.add(l);
    return () => store.listeners.delete(l);
  }, [store]);
  const state = useSyncExternalStore(subscribe, () => store.state);

  // Actions are reduced one at a time, in order, each on the state the previous one left.
  const dispatch = useCallback(
    (action: DashboardAction) => {
      queue.current.push(action);
      if (busy.current) return;
      busy.current = true;
      try {
        for (let next = queue.current.shift(); next; next = queue.current.shift()) {
          const t = reduce(store.state, next);
          if (t.state !== store.state) {
            store.state = t.state;
            for (const l of store.listeners) l();
          }
          for (const effect of t.effects) run(effect);
        }
      } finally {
        busy.current = false;
      }
    },
    [store],
  );

  const later = (fn: () => void) => void Promise.resolve().then(fn);
  const fail = (error: unknown) => dispatch({ type: 'error', error: bannerErrorOf(error) });

  const cleanup = async () => {
    for (const c of rt.diffs.values()) c.abort();
    for (const c of rt.tests.values()) c.abort();
    for (const c of rt.running.values()) c.abort();
    for (const p of rt.prepared.values()) p.release();
    rt.prepared.clear();
    const logs = rt.logs;
    rt.logs = null;
    rt.statusStopped = true;
    await Promise.allSettled([rt.status?.stop(), logs?.handle.then((h) => h?.stop())]);
  };

  function run(effect: Effect): void {
    switch (effect.type) {
      case 'startStatus':
        later(async () => {
          try {
            const handle = await services.startStatus((u) => dispatch(snapshotAction(u)), {
              watchTasks: store.state.selected,
              onNotice: (message) => dispatch({ type: 'error', error: { message } }),
              onRecords: (records) => dispatch({ type: 'records', records }),
            });
            if (rt.statusStopped) await handle.stop();
            else {
              rt.status = handle;
              // The selection may have moved while polling started.
              handle.watchTasks?.(store.state.selected);
            }
          } catch (error) {
            fail(error);
          }
        });
        return;
      case 'refresh':
        rt.status?.refresh();
        return;
      case 'invalidate':
        later(async () => {
          try {
            dispatch({ type: 'records', records: await services.readRecords() });
          } catch (error) {
            fail(error);
          }
          rt.status?.invalidate();
          rt.status?.refresh();
        });
        return;
      case 'prepare':
        later(async () => {
          try {
            const r = await services.prepare(effect.kind, effect.environment, effect.imageTag === undefined ? {} : { imageTag: effect.imageTag });
            if ('refusal' in r) dispatch({ type: 'operationRefused', id: effect.id, reason: r.refusal });
            else {
              rt.prepared.set(effect.id, r);
              if (rt.exited) release(effect.id);
              else dispatch({ type: 'planReady', id: effect.id, plan: r.plan });
            }
          } catch (error) {
            dispatch({ type: 'operationFailed', id: effect.id, error: bannerErrorOf(error) });
          }
        });
        return;
      case 'diff': {
        const p = rt.prepared.get(effect.id);
        if (!p) return;
        const controller = new AbortController();
        rt.diffs.set(effect.id, controller);
        p.diff(controller.signal).then(
          (lines) => dispatch({ type: 'diffReady', id: effect.id, lines }),
          (error: unknown) => dispatch({ type: 'diffFailed', id: effect.id, ...diffFailureOf(error) }),
        ).finally(() => rt.diffs.delete(effect.id));
        return;
      }
      case 'execute': {
        const p = rt.prepared.get(effect.id);
        if (!p) return;
        rt.prepared.delete(effect.id);
        // One cdk at a time: a diff still running gives way to the deploy.
        rt.diffs.get(effect.id)?.abort();
        const controller = new AbortController();
        rt.running.set(effect.id, controller);
        // The header's stack status follows the deploy: the stack moves (UPDATE_IN_PROGRESS) before any service does.
        rt.status?.followStack?.(true);
        later(() =>
          p
            .execute({ signal: controller.signal, onEvent: (event) => dispatch({ type: 'deployEvent', id: effect.id, event }) })
            .then(
              (outcome) => dispatch({ type: 'deployFinished', id: effect.id, outcome }),
              (error: unknown) => dispatch({ type: 'operationFailed', id: effect.id, error: bannerErrorOf(error) }),
            )
            .finally(() => {
              rt.running.delete(effect.id);
              rt.status?.followStack?.(rt.running.size > 0);
            }),
        );
        return;
      }
      case 'cancel':
        rt.running.get(effect.id)?.abort();
        return;
      case 'release':
        release(effect.id);
        return;
      case 'openLogs': {
        const environment = effect.environment;
        const sink = {
          lines: (lines: Parameters<Parameters<typeof services.openLogs>[1]['lines']>[0]) => {
            if (rt.logs?.environment === environment) dispatch({ type: 'logLines', environment, lines });
          },
          status: (status: Parameters<Parameters<typeof services.openLogs>[1]['status']>[0]) => {
            if (rt.logs?.environment === environment) dispatch({ type: 'logStatus', environment, status });
          },
        };
        const previous = rt.logs;
        rt.logs = {
          environment,
          handle: (async () => {
            await previous?.handle.then((h) => h?.stop());
            try {
              return await services.openLogs(environment, sink);
            } catch (error) {
              fail(error);
              return null;
            }
          })(),
        };
        return;
      }
      case 'closeLogs': {
        const logs = rt.logs;
        rt.logs = null;
        void logs?.handle.then((h) => h?.stop());
        return;
      }
      case 'test': {
        const controller = new AbortController();
        rt.tests.set(effect.id, controller);
        later(() =>
          services
            .testEndpoint(effect.environment, controller.signal)
            .catch((error: unknown) => ({ ok: false as const, message: bannerErrorOf(error).message, hint: bannerErrorOf(error).hint }))
            .then((result) => {
              if (!controller.signal.aborted) dispatch({ type: 'testFinished', id: effect.id, result });
            })
            .finally(() => rt.tests.delete(effect.id)),
        );
        return;
      }
      case 'abandonTest':
        rt.tests.get(effect.id)?.abort();
        return;
      case 'saveProfile':
        later(async () => {
          try {
            await services.saveProfile(effect.profileName, effect.texts);
            const { stack, records } = await services.loadStack();
            dispatch({ type: 'started', stack, records });
          } catch (error) {
            const problems = (error as { problems?: readonly string[] }).problems ?? [bannerErrorOf(error).message];
            dispatch({ type: 'setupSaveFailed', problems });
          }
        });
        return;
      case 'quit':
        if (rt.exited) return;
        rt.exited = true;
        // A poll waiting on a slow AWS call must not hold the quit: a second at most.
        void Promise.race([cleanup(), new Promise((resolve) => setTimeout(resolve, 1_000).unref())]).finally(() => {
          onExit?.(effect.code);
          app.exit();
        });
        return;
    }
  }

  function release(id: number): void {
    rt.diffs.get(id)?.abort();
    rt.prepared.get(id)?.release();
    rt.prepared.delete(id);
  }

  // After the first frame: the effects of the initial state (start polling), and the outside dispatcher.
  useEffect(() => {
    onReady?.(dispatch);
    const t = setImmediate(() => {
      for (const effect of initial.effects) run(effect);
    });
    return () => {
      clearImmediate(t);
      if (!rt.exited) {
        rt.exited = true;
        void cleanup();
      }
    };
  }, []);

  // Ages on screen follow the clock: a chained timer, never overlapping.
  useEffect(() => {
    if (tickMs <= 0) return;
    let timer: NodeJS.Timeout;
    const tick = () => {
      dispatch({ type: 'tick', now: now() });
      timer = setTimeout(tick, tickMs);
    };
    timer = setTimeout(tick, tickMs);
    return () => clearTimeout(timer);
  }, [dispatch, tickMs, now]);

  // Only the selected environment's running tasks are read (they cost AWS calls): the poller follows the selection.
  useEffect(() => {
    rt.status?.watchTasks?.(state.selected);
  }, [state.selected]);

  // A resized terminal redraws at its new size.
  useEffect(() => {
    const onResize = () => dispatch({ type: 'resize', columns: stdout.columns ?? 80, rows: stdout.rows ?? 24 });
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [dispatch, stdout]);

  useInput(
    (input, key) => {
      for (const press of splitKeys(keyPressOf(input, key))) dispatch({ type: 'key', key: press });
    },
    { isActive: isRawModeSupported === true },
  );

  const onSetup = useCallback((apply: (form: SetupFormState) => SetupFormState) => dispatch({ type: 'setup', apply }), [dispatch]);
  const onSave = useCallback(() => dispatch({ type: 'setupSave' }), [dispatch]);
  return <Dashboard state={state} onSetup={onSetup} onSave={onSave} configDir={configDir} welcome={welcome} />;
}
