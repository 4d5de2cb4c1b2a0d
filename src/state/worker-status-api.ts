import type { AwsClientOptions, ClosableStatusApi, ParameterStore } from './aws-clients.js';
import type { StatusWorker } from './status-worker-start.js';
import { fromWireError, STATUS_WORKER_METHODS, type ReadAhead, type StatusWorkerMethod, type StatusWorkerReply, type StatusWorkerRequest } from './status-worker-protocol.js';

/** The dashboard's status clients: the poller's reads and team mode's parameters. */
export type StatusClients = ClosableStatusApi & ParameterStore;

/**
 * {@link StatusClients} served by `worker` (from startStatusWorker, src/state/status-worker-start.ts): each call crosses to
 * the thread and its answer, or its error (of the same class, with the SDK's fields that say what
 * failed), comes back. A worker that stops (it could not load, or crashed) fails the calls it was
 * answering; the calls after it are answered on this thread by `fallback`, the same clients made
 * here. close() ends the worker; a call still crossing then fails as a closed client's does.
 * `readAhead` has the worker send the first poll's first reads as soon as it can.
 */
export function statusClientsInWorker({ worker, onStop }: StatusWorker, options: AwsClientOptions, fallback: () => Promise<StatusClients>, readAhead?: ReadAhead): StatusClients {
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: unknown): void }>();
  let nextId = 1;
  let closed = false;
  /** Set once the worker stopped: the clients made here that serve from then on. */
  let stopped: { local?: Promise<StatusClients> } | undefined;
  const failAll = (error: Error) => {
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  const stop = (error: Error) => {
    if (stopped || closed) return;
    stopped = {};
    void worker.terminate();
    failAll(error);
  };
  worker.on('message', (reply: StatusWorkerReply) => {
    const p = pending.get(reply.id);
    if (!p) return;
    pending.delete(reply.id);
    if (reply.ok) p.resolve(reply.value);
    else p.reject(fromWireError(reply.error));
  });
  onStop(stop);
  // A 'message' listener refs the worker again: it must not be what keeps the process alive.
  worker.unref();
  const send = (request: StatusWorkerRequest) => worker.postMessage(request);
  send({ type: 'init', options, ...(readAhead ? { readAhead } : {}) });

  const call = (method: StatusWorkerMethod) => async (...args: unknown[]): Promise<unknown> => {
    if (closed) throw new Error('the AWS clients were closed');
    if (stopped) {
      stopped.local ??= fallback();
      const local = await stopped.local;
      return (local[method] as (...a: unknown[]) => Promise<unknown>).apply(local, args);
    }
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      try {
        send({ type: 'call', id, method, args });
      } catch (error) {
        // Arguments that cannot cross (none of the API's do): this call's error, nothing left waiting.
        pending.delete(id);
        reject(error);
      }
    });
  };
  const api = Object.fromEntries(STATUS_WORKER_METHODS.map((m) => [m, call(m)])) as unknown as StatusClients;
  return Object.assign(api, {
    close() {
      if (closed) return;
      closed = true;
      void worker.terminate();
      failAll(new Error('the AWS clients were closed'));
      if (stopped?.local) void stopped.local.then((local) => local.close(), () => undefined);
    },
  });
}
