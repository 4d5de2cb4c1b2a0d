/**
 * The dashboard's synthesis, in a worker thread (see
 * {@link startSynthWorker}): aws-cdk-lib loads and the stack is built
 * there, so the screen keeps drawing meanwhile. The worker's file is
 * `dist/synth-worker.cjs` (bin/synth-worker.ts), which runs
 * {@link answerSynthWorker} in dist/synth.cjs, the bundle of the `synth`
 * command, loaded with its code cache (bin/front.ts: runSynthWorker).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
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

/**
 * How the worker ran: its thread, whether V8 took the code cache of the bundle it ran
 * (dist/synth.cjs), and how many of the files of aws-cdk-lib and constructs that
 * dist/synth-modules.cjs lists were in place (loaded ahead, or already by the synthesis's own
 * modules) when its input came.
 */
export interface SynthWorkerRun {
  readonly threadId: number;
  readonly bundleCodeCache: boolean;
  readonly preloaded: number;
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
export async function answerSynthWorker(bundleCodeCache: boolean, saveCaches: () => void = () => {}, modulesFile?: string): Promise<void> {
  if (!parentPort) throw new Error('answerSynthWorker runs in a worker thread');
  const port = parentPort;
  // How far the preload below had gone when the input came (it runs before any message is read).
  let inPlace = 0;
  const input = new Promise<{ input: SynthWorkerInput; preloaded: number }>((resolve) => port.once('message', (message: SynthWorkerInput) => resolve({ input: message, preloaded: inPlace })));
  // Here, not at the top: dist/synth.cjs, which holds this module, loads aws-cdk-lib only for a synthesis.
  // aws-cdk-lib's index defines its classes lazily, so most of its files would load as the stack is built:
  // they load now instead, after the synthesis's own modules (which install their code cache).
  const synth = import('./synth.js').then((module) => {
    if (modulesFile) inPlace = preloadModules(modulesFile);
    return module;
  });
  // What failed to load (or to load ahead) is the synthesis's error, in the answer.
  synth.catch(() => {});
  const received = await input;
  const answer = await reply(received.input, synth, { threadId, bundleCodeCache, preloaded: received.preloaded });
  installedCompileCache()?.save();
  saveCaches();
  port.postMessage(answer);
}

/** What dist/synth-modules.cjs holds for each package (scripts/code-cache.mjs writes it). */
interface RecordedPackage {
  readonly version: string;
  readonly files: readonly string[];
}

/** A recorded file: relative, inside its package, a module Node loads. */
const RECORDED_FILE_RE = /^(?!\/)(?!.*(?:^|\/)\.\.(?:\/|$))[\w@.+-]+(?:\/[\w@.+-]+)*\.(?:js|cjs|json)$/;

/**
 * Loads the files of aws-cdk-lib and constructs that the build's synthesis loaded, in its order
 * (`modulesFile`, dist/synth-modules.cjs), from the packages installed beside the bundle: only a
 * package of the recorded version, and up to the first file that is not a plain relative path in
 * it or is not there (the synthesis then loads what it needs as usual). A file that is there but
 * fails to load throws: the synthesis fails with that error rather than go on beside modules left
 * half-loaded. The number of listed files in place; 0 without a list.
 */
export function preloadModules(modulesFile: string): number {
  const requireHere = createRequire(modulesFile);
  let recorded: Record<string, RecordedPackage>;
  try {
    recorded = requireHere(modulesFile) as Record<string, RecordedPackage>;
  } catch {
    return 0;
  }
  let loaded = 0;
  for (const name of ['aws-cdk-lib', 'constructs']) {
    const entry = recorded?.[name];
    if (!entry || !Array.isArray(entry.files)) continue;
    let folder: string;
    try {
      const manifest = requireHere.resolve(`${name}/package.json`);
      if ((JSON.parse(readFileSync(manifest, 'utf8')) as { version?: unknown }).version !== entry.version) continue;
      folder = dirname(manifest);
    } catch {
      continue;
    }
    for (const file of entry.files) {
      if (typeof file !== 'string' || !RECORDED_FILE_RE.test(file)) break;
      const path = join(folder, file);
      try {
        requireHere(path);
      } catch (error) {
        const missing = (error as { code?: unknown }).code === 'MODULE_NOT_FOUND' && String((error as Error).message).split('\n')[0]!.includes(path);
        if (missing) break;
        throw new Error(`loading aws-cdk-lib ahead (${path}, listed in ${modulesFile}): ${(error as Error)?.message ?? error}`, { cause: error });
      }
      loaded++;
    }
  }
  return loaded;
}
