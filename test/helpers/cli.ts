import { spawnSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { basename, dirname, join } from 'node:path';
import { tempDir } from './fixtures.js';

/** The checkout: the first folder up from this file (or from a bench's bundle of it, under bench/.out/<name>/) with a package.json. */
function checkoutRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
  }
}

export const ROOT = checkoutRoot();
export const BIN = join(ROOT, 'bin', 'benchling-deploy.cjs');

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built `benchling-deploy` (dist/ must be built: `npm test` builds first). */
export function runCli(args: string[], options: { env?: Record<string, string | undefined>; input?: string; timeoutMs?: number } = {}): CliResult {
  const env: Record<string, string | undefined> = {
    ...process.env,
    CI: 'true',
    NO_COLOR: '1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...options.env,
  };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const r = spawnSync(process.execPath, [BIN, ...args], {
    env: env as NodeJS.ProcessEnv,
    input: options.input ?? '',
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Same as {@link runCli} but asynchronous, for tests that run several at once; `bin`: the entry of a copy ({@link copyOfBuild}). */
export function runCliAsync(args: string[], options: { env?: Record<string, string | undefined>; bin?: string } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [options.bin ?? BIN, ...args], {
      env: { ...process.env, CI: 'true', NO_COLOR: '1', ...options.env } as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/**
 * Runs `command` with exactly `env`, the pipe of one of its descriptors closed before it writes
 * anything, as a reader that went away leaves it: its exit status, and what the other
 * descriptor's pipe carried.
 */
function runWithClosed(command: string, args: string[], env: Record<string, string | undefined>, closed: 'stdout' | 'stderr'): Promise<{ status: number | null; other: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    child[closed].destroy();
    let other = '';
    child[closed === 'stdout' ? 'stderr' : 'stdout'].on('data', (d) => (other += d));
    child.on('close', (status) => resolve({ status, other }));
  });
}

/**
 * Runs `argv` (the entry and its arguments) with exactly `env`, its stdout closed before it
 * writes a line, as a reader that went away (`| head`) leaves it: its exit status and stderr.
 */
export async function runWithReaderGone(argv: string[], env: Record<string, string | undefined>): Promise<{ status: number | null; stderr: string }> {
  const r = await runWithClosed(process.execPath, argv, env, 'stdout');
  return { status: r.status, stderr: r.other };
}

/** `argv` run with stderr's reader gone before anything is written (`2> >(exit)`): its exit status and stdout. */
export async function runWithStderrGone(argv: string[], env: Record<string, string | undefined>): Promise<{ status: number | null; stdout: string }> {
  const r = await runWithClosed(process.execPath, argv, env, 'stderr');
  return { status: r.status, stdout: r.other };
}

/**
 * `argv` run as `… 2>&1 | head` with the reader gone before anything is written (stdout and
 * stderr one pipe): its exit status, and what the shell between said on its own stderr.
 */
export async function runWithBothGone(argv: string[], env: Record<string, string | undefined>): Promise<{ status: number | null; stderr: string }> {
  const r = await runWithClosed('/bin/sh', ['-c', 'exec "$@" 2>&1', 'sh', process.execPath, ...argv], env, 'stdout');
  return { status: r.status, stderr: r.other };
}

/**
 * A copy of the built command in a folder of its own: bin/, a package.json and the files of dist/
 * that `keep` takes (by default all but the source maps). Its entry, and its dist/ to spoil.
 */
export function copyOfBuild(keep: (name: string) => boolean = (name) => !name.endsWith('.map')): { bin: string; dist: string } {
  const copy = tempDir('bd-build-copy-');
  const dist = join(copy, 'dist');
  mkdirSync(join(copy, 'bin'));
  mkdirSync(dist);
  copyFileSync(BIN, join(copy, 'bin', basename(BIN)));
  // What says the bundle's .js files are ES modules, as the installed package's package.json does.
  writeFileSync(join(copy, 'package.json'), '{ "type": "module" }\n');
  for (const name of readdirSync(join(ROOT, 'dist'))) if (keep(name)) copyFileSync(join(ROOT, 'dist', name), join(dist, name));
  return { bin: join(copy, 'bin', basename(BIN)), dist };
}
