// What several bench scripts set up the same way: a fake AWS endpoint in a process of its own, a
// config folder of the bench stack's profiles, and the wait before a run that fills the code cache.
import { spawn } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Starts bench/`script` (a fake that prints one JSON line, then serves until SIGTERM) in its own
 * process, so that its work is not the measured process's; resolves with that line's fields, its pid and a stop().
 * The fake ends with this process too, however it ends (see {@link endWithBench}).
 */
export async function startFakeProcess(script, args = []) {
  const child = spawn(process.execPath, [join(here, script), ...args], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const line = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`bench/${script} exited ${code}`)));
  });
  return { ...JSON.parse(line), pid: child.pid, stop: () => child.kill('SIGTERM') };
}

/**
 * Called by a process a bench starts with an IPC channel (a fake by startFakeProcess or fork, a run by
 * forkedRun): it exits when the channel closes, that is when the process that started it ends, even by a
 * signal it cannot handle or a test's time limit, rather than run on and take the machine's time from the
 * next bench. A fake run by hand has no channel and serves until SIGTERM.
 */
export function endWithBench() {
  process.once('disconnect', () => process.exit(0));
}

/** A new config folder with the bench stack's prod (default) and dev profiles, for runs of the built CLI against the fake. */
export function benchProfilesFolder() {
  const cfg = mkdtempSync(join(tmpdir(), 'bd-bench-profiles-'));
  const arn = 'arn:aws:cloudformation:us-east-1:123456789012:stack/QuiltStack/11111111-2222-3333-4444-555555555555';
  const profile = (name, extra) => ({ profile: name, benchlingTenant: 'acme', benchlingAppDefinitionId: 'app', benchlingClientId: 'cid', quiltStackArn: arn, ...extra });
  writeFileSync(join(cfg, 'default.json'), JSON.stringify(profile('default', { imageTag: '0.7.0' })), { mode: 0o600 });
  writeFileSync(join(cfg, 'dev.json'), JSON.stringify(profile('dev', {})), { mode: 0o600 });
  return cfg;
}

/**
 * How long ago a folder must have changed for the code cache to keep a `require`'s lookup that read it
 * (`RECENT_MS` in src/infra/compile-cache.ts; test/scripts/bench-synth.test.ts holds the two equal).
 */
export const LOOKUP_SETTLED_MS = 3000;

/**
 * Waits until the folders the built CLI's lookups read (the checkout at `root`, its node_modules, dist/) have
 * all been unchanged for {@link LOOKUP_SETTLED_MS}, looking again after each wait: a run before that (right after
 * a build, or vitest's start, which makes node_modules/.vite-temp) would keep fewer lookups than the next, which
 * would then write the code cache again. bench/synth and test/cli/synth-compile-cache.test.ts wait with it.
 */
export function waitUntilSettled(root) {
  const paths = [root, join(root, 'node_modules'), join(root, 'dist')];
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    const newest = Math.max(...paths.map((p) => {
      const s = statSync(p);
      return Math.max(s.mtimeMs, s.ctimeMs);
    }));
    const wait = newest + LOOKUP_SETTLED_MS + 100 - Date.now();
    if (wait <= 0) return;
    Atomics.wait(pause, 0, 0, wait);
  }
}
