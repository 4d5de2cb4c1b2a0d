import { Worker } from 'node:worker_threads';
import type { SynthWorkerInput, SynthWorkerReply } from '../../src/infra/synth-worker.js';

/**
 * The answer of a synth worker thread started on `file` (a dist/synth-worker.cjs) with `input`,
 * as the dashboard starts one (src/infra/operations.ts: synthesizeStackInWorker), whole: with how
 * it ran (its thread, whether V8 took the code cache of dist/synth.cjs). `env`: the worker's
 * environment (default: this process's).
 */
export function synthWorkerReply(file: string, input: SynthWorkerInput, env: NodeJS.ProcessEnv = process.env): Promise<SynthWorkerReply> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(file, { env, stdout: true, stderr: true });
    worker.postMessage(input);
    let stderr = '';
    worker.stdout.resume();
    worker.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    worker.once('message', (reply: SynthWorkerReply) => {
      resolve(reply);
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the worker exited (code ${code}) without an answer: ${stderr}`)));
  });
}
