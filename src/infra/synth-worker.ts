/**
 * The dashboard's synthesis, in a worker thread (see
 * {@link synthesizeStackInWorker}): aws-cdk-lib loads and the stack is built
 * here, so the screen keeps drawing meanwhile. Built to `dist/synth-worker.js`.
 */
import { parentPort, threadId, workerData } from 'node:worker_threads';
import type { StackProfiles } from '../config/pairing.js';
import { ExternalError, UserError, UserErrors } from '../errors.js';
import { installedCompileCache } from './compile-cache.js';
import { synthesizeStack } from './synth.js';
import type { KeptIds } from './upgrade.js';

export interface SynthWorkerInput {
  readonly profiles: StackProfiles;
  readonly outDir: string;
  readonly keep?: KeptIds;
}

export type SynthWorkerReply =
  | { readonly ok: true; readonly assemblyDir: string; readonly hasAssets: boolean; readonly templateBodySize: number; readonly threadId: number }
  | {
      readonly ok: false;
      readonly kind: 'user' | 'users' | 'external' | 'other';
      readonly message: string;
      readonly problems?: readonly string[];
      readonly hint?: string;
      readonly stack?: string;
    };

function reply(): SynthWorkerReply {
  const { profiles, outDir, keep } = workerData as SynthWorkerInput;
  try {
    const result = synthesizeStack(profiles, outDir, keep ? { keep } : {});
    return { ok: true, assemblyDir: result.assemblyDir, hasAssets: result.hasAssets, templateBodySize: result.templateBodySize, threadId };
  } catch (error) {
    if (error instanceof UserErrors) return { ok: false, kind: 'users', message: error.message, problems: error.problems, hint: error.hint };
    if (error instanceof UserError) return { ok: false, kind: 'user', message: error.message, hint: error.hint };
    if (error instanceof ExternalError) return { ok: false, kind: 'external', message: error.message, hint: error.hint };
    const e = error instanceof Error ? error : new Error(String(error));
    return { ok: false, kind: 'other', message: e.message, stack: e.stack };
  }
}

const answer = reply();
// The dashboard ends this thread once it has the answer: the code cache is written first.
installedCompileCache()?.save();
parentPort?.postMessage(answer);
