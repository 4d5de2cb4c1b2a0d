/**
 * Runs the real aws-cdk CLI from node_modules (or the stand-in, given as
 * `script`) as a child process with exactly the environment given (plus
 * PATH, a fresh HOME and no telemetry), for the tests that drive cdk
 * directly. Spawned asynchronously: the fake AWS serves from the test's own
 * event loop, so a synchronous spawn would deadlock.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './cli.js';
import { tempDir } from './fixtures.js';

export const CDK_CLI = join(ROOT, 'node_modules', 'aws-cdk', 'bin', 'cdk');

export interface CdkProcessResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout and stderr together, in arrival order, as a terminal would show them. */
  readonly output: string;
  readonly seconds: number;
}

export function runCdkProcess(args: readonly string[], env: Readonly<Record<string, string>>, options: { script?: string; timeoutMs?: number; label?: string } = {}): Promise<CdkProcessResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [options.script ?? CDK_CLI, ...args], {
      cwd: tempDir('bd-cdk-cwd-'),
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tempDir('bd-cdk-home-'), CDK_DISABLE_CLI_TELEMETRY: 'true', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let output = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      output += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
      output += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 90_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      const seconds = (Date.now() - started) / 1000;
      // The cost of each real cdk run, for whoever keeps these suites fast.
      if (options.label) process.stdout.write(`cdk ${options.label}: ${seconds.toFixed(1)} s\n`);
      resolve({ status, stdout, stderr, output, seconds });
    });
  });
}

/** Pids of the real cdk processes started for a config folder (their assembly lives under its TMPDIR). */
export function cdkProcesses(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (cmdline.some((a) => a.endsWith('node_modules/aws-cdk/bin/cdk')) && cmdline.some((a) => a.startsWith(dir))) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}
