/**
 * The dashboard's synthesis, in a worker thread (see
 * {@link startSynthWorker}): aws-cdk-lib loads and the stack is built
 * there, so the screen keeps drawing meanwhile. The worker's file is
 * `dist/synth-worker.cjs` (bin/synth-worker.ts), which runs
 * {@link answerSynthWorker} in dist/synth.cjs, the bundle of the `synth`
 * command, loaded with its code cache (bin/front.ts: runSynthWorker).
 */
import { parentPort, threadId } from 'node:worker_threads';
import type { StackProfiles } from '../config/pairing.js';
import { ExternalError, UserError, UserErrors } from '../errors.js';
import { installedCompileCache } from './compile-cache.js';
import type { KeptIds } from './upgrade.js';

export interface SynthWorkerInput {
  readonly profiles: StackProfiles;
  readonly outDir: string;
  readonly keep?: KeptIds;
}

/** How the worker ran: its thread, and whether V8 took the code cache of the bundle it ran (dist/synth.cjs). */
export interface SynthWorkerRun {
  readonly threadId: number;
  readonly bundleCodeCache: boolean;
}

export type SynthWorkerReply =
  | ({ readonly ok: true; readonly assemblyDir: string; readonly hasAssets: boolean; readonly templateBodySize: number } & SynthWorkerRun)
  | ({
      readonly ok: false;
      readonly kind: 'user' | 'users' | 'external' | 'other';
      readonly message: string;
      readonly problems?: readonly string[];
      readonly hint?: string;
      readonly stack?: string;
    } & Partial<SynthWorkerRun>);

async function reply(input: SynthWorkerInput, synth: Promise<typeof import('./synth.js')>, run: SynthWorkerRun): Promise<SynthWorkerReply> {
  const { profiles, outDir, keep } = input;
  try {
    const { synthesizeStack } = await synth;
    const result = synthesizeStack(profiles, outDir, keep ? { keep } : {});
    return { ok: true, assemblyDir: result.assemblyDir, hasAssets: result.hasAssets, templateBodySize: result.templateBodySize, ...run };
  } catch (error) {
    if (error instanceof UserErrors) return { ok: false, kind: 'users', message: error.message, problems: error.problems, hint: error.hint, ...run };
    if (error instanceof UserError) return { ok: false, kind: 'user', message: error.message, hint: error.hint, ...run };
    if (error instanceof ExternalError) return { ok: false, kind: 'external', message: error.message, hint: error.hint, ...run };
    const e = error instanceof Error ? error : new Error(String(error));
    return { ok: false, kind: 'other', message: e.message, stack: e.stack, ...run };
  }
}

/**
 * Loads the synthesis (aws-cdk-lib with it) while the dashboard's pre-flight
 * runs, then synthesizes what the dashboard sends (its one message) and posts
 * the answer. The dashboard ends this thread once it has the answer, so the
 * caches are written first: aws-cdk-lib's (src/infra/compile-cache.ts), then
 * `saveCaches` (the front's, of the bundle itself, when V8 refused the build's).
 */
export async function answerSynthWorker(bundleCodeCache: boolean, saveCaches: () => void = () => {}): Promise<void> {
  if (!parentPort) throw new Error('answerSynthWorker runs in a worker thread');
  const port = parentPort;
  const input = new Promise<SynthWorkerInput>((resolve) => port.once('message', resolve));
  // Here, not at the top: dist/synth.cjs, which holds this module, loads aws-cdk-lib only for a synthesis.
  const synth = import('./synth.js');
  // What failed to load is the synthesis's error, in the answer.
  synth.catch(() => {});
  const answer = await reply(await input, synth, { threadId, bundleCodeCache });
  installedCompileCache()?.save();
  saveCaches();
  port.postMessage(answer);
}
