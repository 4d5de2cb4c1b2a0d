import type { Worker } from 'node:worker_threads';

// Kept apart from src/state/worker-status-api.ts, and with node:worker_threads handed in rather
// than imported: the front (bin/front.ts) starts the worker before anything else of the dashboard
// loads, and a command that draws no dashboard does not load node:worker_threads (about 4 ms).

/**
 * Starts the worker thread that will serve the dashboard's AWS calls (dist/status-worker.cjs): it
 * boots and loads the AWS SDK at once, before it is told the region, so that its calls are ready
 * to go when the first poll asks. Kept off the terminal (the dashboard owns the screen), and never
 * what keeps the process alive.
 */
export function startStatusWorker(workerUrl: URL | string, WorkerThread: typeof Worker): StatusWorker {
  // Its stdout and stderr are piped here and never read: nothing reaches the screen (the worker drops
  // what would be written, src/state/status-worker.ts), and a pipe being read would keep the process alive.
  const worker = new WorkerThread(workerUrl, { stdout: true, stderr: true });
  // Listened to from the start: a worker that fails before its clients are made is no unhandled error.
  let stopped: Error | undefined;
  const listeners: ((error: Error) => void)[] = [];
  const stop = (error: Error) => {
    if (stopped) return;
    stopped = error;
    for (const l of listeners.splice(0)) l(error);
  };
  worker.on('error', (error) => stop(new Error(`the AWS clients' worker thread failed: ${error instanceof Error ? error.message : String(error)}`)));
  worker.on('exit', (code) => stop(new Error(`the AWS clients' worker thread stopped (exit code ${code})`)));
  worker.unref();
  return {
    worker,
    onStop(listener) {
      if (stopped) listener(stopped);
      else listeners.push(listener);
    },
  };
}

/** A worker thread from {@link startStatusWorker}. */
export interface StatusWorker {
  readonly worker: Worker;
  /** Called once with what stopped the worker (its error, or its exit), at once if it has stopped already. */
  onStop(listener: (error: Error) => void): void;
}

/**
 * Where the front leaves the worker it started for the dashboard (bin/front.ts) until the dashboard
 * takes it (bin/commands/dashboard.ts). A registered symbol: the two are bundles of their own, each
 * with its own copy of this module.
 */
const EARLY_STATUS_WORKER = Symbol.for('benchling-deploy.status-worker');

/** Leaves `worker` for the dashboard to adopt ({@link takeEarlyStatusWorker}). */
export function leaveEarlyStatusWorker(worker: StatusWorker): void {
  (globalThis as Record<symbol, unknown>)[EARLY_STATUS_WORKER] = worker;
}

/** The worker the front left for this dashboard, once: the first to ask adopts it. */
export function takeEarlyStatusWorker(): StatusWorker | undefined {
  const worker = (globalThis as Record<symbol, StatusWorker | undefined>)[EARLY_STATUS_WORKER];
  delete (globalThis as Record<symbol, unknown>)[EARLY_STATUS_WORKER];
  return worker;
}
