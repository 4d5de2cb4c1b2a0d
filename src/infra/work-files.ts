import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The prefix of every temporary folder the product makes; nothing with it may outlive the command. */
export const TEMP_PREFIX = 'benchling-deploy-';

/** cdk logs kept in the config folder's `logs/`, newest first; older ones are removed. */
export const KEPT_CDK_LOGS = 20;

const live = new Set<string>();
let exitHookInstalled = false;

/**
 * A fresh temporary folder for a synthesized assembly and cdk's scratch files.
 * It is removed by {@link removeTempDir}, and in any case when the process
 * exits (a forced quit with `process.exit` included), so no command leaves one
 * behind, whether it succeeded, failed or was cancelled.
 */
export function makeTempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), TEMP_PREFIX));
  live.add(dir);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const d of live) rmSync(d, { recursive: true, force: true });
    });
  }
  return dir;
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  live.delete(dir);
}

/** Where cdk's full output is kept for the operator: `<config folder>/logs/`. */
export function cdkLogDir(configDir: string): string {
  return join(configDir, 'logs');
}

/** A log this young is never removed, so that a burst of plans cannot take a failed deploy's log (nor another process's, being written). */
export const CDK_LOG_GRACE_MS = 24 * 60 * 60 * 1000;
/** However young, no more logs than this are kept. */
export const MAX_CDK_LOGS = 500;

/**
 * A new log file for one cdk run (`cdk-<time>-<what>.log` in {@link cdkLogDir});
 * the oldest logs beyond the last {@link KEPT_CDK_LOGS} are removed, unless
 * younger than {@link CDK_LOG_GRACE_MS} (and within {@link MAX_CDK_LOGS}).
 */
export function newCdkLogFile(configDir: string, what: string, now: Date = new Date(), keep: number = KEPT_CDK_LOGS): string {
  const dir = cdkLogDir(configDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const slug = what.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40) || 'cdk';
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  let name = `cdk-${stamp}-${slug}.log`;
  const existing = new Set(readdirSync(dir));
  for (let n = 2; existing.has(name); n++) name = `cdk-${stamp}-${slug}-${n}.log`;
  // The new one counts: keep-1 older logs stay. Names start with the time, so they sort by age.
  const logs = [...existing].filter((f) => f.startsWith('cdk-') && f.endsWith('.log')).sort();
  const beyond = logs.slice(0, Math.max(0, logs.length - (keep - 1)));
  const overCap = Math.max(0, logs.length - (MAX_CDK_LOGS - 1));
  for (const [i, old] of beyond.entries()) {
    const path = join(dir, old);
    let age: number;
    try {
      age = now.getTime() - statSync(path).mtimeMs;
    } catch {
      continue;
    }
    if (i < overCap || age > CDK_LOG_GRACE_MS) rmSync(path, { force: true });
  }
  const path = join(dir, name);
  writeFileSync(path, '', { mode: 0o600, flag: 'wx' });
  return path;
}
