// Small helpers shared by the bench scripts: timing of whole commands and summary figures.
import { fork, spawnSync } from 'node:child_process';

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function percentile(values, p) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/** Wall time in ms of one run of a command; throws if it ends with another status than `status` (default 0). */
export function timeCommand(cmd, args, { status = 0, ...options } = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== status) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return ms;
}

/** Runs `subject` and `baseline` alternately `runs` times; returns both medians and their ratio. */
export function compare(subject, baseline, runs) {
  const a = [];
  const b = [];
  for (let i = 0; i < runs; i++) {
    b.push(baseline());
    a.push(subject());
  }
  return { subject: median(a), baseline: median(b), ratio: median(a) / median(b), subjectRuns: a, baselineRuns: b };
}

export const fmt = (ms) => `${ms.toFixed(0)} ms`;

/**
 * Runs `script` in a fresh Node process (fork, `args`, `options` such as `env`) and resolves with the
 * one message it sends, once it has exited with status 0: the next run does not share the machine
 * with its exit. `what` names the run in the error when it exits otherwise or sends nothing.
 */
export function forkedRun(script, args, options, what) {
  return new Promise((resolve, reject) => {
    const child = fork(script, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], ...options });
    let reply;
    child.once('message', (message) => (reply = message));
    child.once('exit', (code) => (code === 0 && reply ? resolve(reply) : reject(new Error(`${what} exited ${code}`))));
  });
}
