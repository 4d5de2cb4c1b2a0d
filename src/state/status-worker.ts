import type { MessagePort } from 'node:worker_threads';
import { createStatusApi, preloadStatusClients } from './aws-clients.js';
import { setSdkWarningSink } from './aws-profile.js';
import { openStackPartsCache, partsServices } from './stack-parts-cache.js';
import { STATUS_WORKER_METHODS, toWireError, type ReadAhead, type StatusWorkerReply, type StatusWorkerRequest } from './status-worker-protocol.js';
import type { AwsClientOptions } from './aws-clients.js';

/** How long a read sent ahead waits for the poll's same call: older, the call reads afresh. */
export const READ_AHEAD_MS = 5_000;

const callKey = (method: string, args: readonly unknown[]) => JSON.stringify([method, args]);

/**
 * The dashboard's first poll's first reads, sent now (see {@link ReadAhead}): the stack, and with the
 * parts the last run kept for this stack and place (the file the poller keeps them in), the services
 * in one call and each environment's target health, with the arguments the poller gives them
 * (src/state/status-poller.ts: readParts). A read the poll does not ask for again is dropped unread.
 */
function readAhead(api: ReturnType<typeof createStatusApi>, options: AwsClientOptions, plan: ReadAhead, ahead: Map<string, { at: number; answer: Promise<unknown> }>): void {
  const send = (method: 'describeStack' | 'describeServices' | 'describeTargetHealth', args: readonly unknown[], answer: Promise<unknown>) => {
    // Its failure is the poll's to see, if the poll asks; else nobody's.
    answer.catch(() => undefined);
    ahead.set(callKey(method, args), { at: Date.now(), answer });
  };
  send('describeStack', [plan.stackName], api.describeStack(plan.stackName));
  const parts = openStackPartsCache({ stackName: plan.stackName, region: options.region, account: plan.account, awsProfile: options.awsProfile }).parts;
  if (!parts) return;
  const services = partsServices(parts, plan.environments);
  if (parts.cluster && services.length > 0) send('describeServices', [parts.cluster, services], api.describeServices(parts.cluster, services));
  for (const e of plan.environments) {
    const targetGroup = parts.environments[e]?.targetGroup;
    if (targetGroup) send('describeTargetHealth', [targetGroup], api.describeTargetHealth(targetGroup));
  }
}

/**
 * The dashboard's AWS clients, in a worker thread of their own (dist/status-worker.cjs, a bundle of
 * this and what it uses; the main thread's side is src/state/worker-status-api.ts). Loading the SDK
 * and preparing, signing and reading each call is CPU the main thread would otherwise spend while
 * it draws the first frame: here it runs beside it. The SDK starts loading at once; the clients
 * are made when `init` names the region and credentials, then each `call` is answered in turn,
 * errors included, by the same createStatusApi the status command uses. `port` is the thread's
 * parentPort; `saveCaches` writes the user's code cache of sdk.cjs where V8 refused the build's
 * (bin/front.ts: keptCachesNow), once the first answer has compiled the SDK's calling code.
 */
export function answerStatusWorker(port: MessagePort | null, saveCaches: () => void): void {
  if (!port) throw new Error('the status worker runs in a worker thread');
  // The screen belongs to the main thread: the SDK's credentials warning is not said here either, and
  // nothing else written here (a warning of Node's) is kept: the main thread never reads this thread's output.
  setSdkWarningSink(null);
  for (const stream of [process.stdout, process.stderr]) stream.write = () => true;
  preloadStatusClients();
  let api: ReturnType<typeof createStatusApi> | undefined;
  // The thread is ended, never exits: the user's code cache of sdk.cjs (when V8 refused the
  // build's) is written after the first answer, the SDK's calling code compiled by then, not at an exit.
  let saved = false;
  const saveOnce = () => {
    if (saved) return;
    saved = true;
    setImmediate(saveCaches);
  };
  const methods = new Set<string>(STATUS_WORKER_METHODS);
  const reply = (message: StatusWorkerReply) => port.postMessage(message);
  /** Reads sent ahead ({@link readAhead}), by method and arguments: the first same call within READ_AHEAD_MS takes each. */
  const ahead = new Map<string, { at: number; answer: Promise<unknown> }>();
  port.on('message', (request: StatusWorkerRequest) => {
    if (request.type === 'init') {
      if (api) return;
      api = createStatusApi(request.options);
      try {
        if (request.readAhead) readAhead(api, request.options, request.readAhead, ahead);
      } catch {
        // Nothing read ahead (the kept parts unreadable): the poll reads as it would have.
      }
      return;
    }
    const { id, method, args } = request;
    void (async () => {
      if (!api) throw new Error('the status worker was asked before it was given its region');
      if (!methods.has(method)) throw new Error(`the status worker has no call named ${JSON.stringify(method)}`);
      // Only while reads sent ahead wait (the first poll, at most READ_AHEAD_MS): the polls after build no key.
      if (ahead.size > 0) {
        for (const [key, sent] of ahead) if (Date.now() - sent.at > READ_AHEAD_MS) ahead.delete(key);
        const key = callKey(method, args);
        const sent = ahead.get(key);
        if (sent) {
          ahead.delete(key);
          return sent.answer;
        }
      }
      const call = api[method] as (...a: unknown[]) => Promise<unknown>;
      return call.apply(api, [...args]);
    })()
      .then(
        (value) => reply({ id, ok: true, value }),
        (error: unknown) => reply({ id, ok: false, error: toWireError(error) }),
      )
      .finally(saveOnce);
  });
}
