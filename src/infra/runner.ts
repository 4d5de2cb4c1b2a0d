import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { createRequire } from 'node:module';
import { importExeca } from './execa-module.js';

/**
 * Environment variable that replaces the aws-cdk CLI with another executable.
 * Meant for tests only (a stand-in `cdk` that prints events and exits as told);
 * never set it in real use.
 */
export const CDK_BIN_OVERRIDE_ENV = 'BENCHLING_DEPLOY_TEST_CDK_BIN';

/** The aws-cdk CLI shipped in node_modules (never a global one), or the test stand-in. */
export function cdkExecutable(env: NodeJS.ProcessEnv = process.env): { command: string; prefixArgs: string[] } {
  const override = env[CDK_BIN_OVERRIDE_ENV];
  if (override) return { command: process.execPath, prefixArgs: [override] };
  const require = createRequire(import.meta.url);
  return { command: process.execPath, prefixArgs: [require.resolve('aws-cdk/bin/cdk')] };
}

export interface CdkRun {
  /** Arguments after `cdk`, e.g. ['deploy', '--app', dir, ...]. */
  readonly args: readonly string[];
  readonly cwd: string;
  /** Extra environment (region, profile); the rest is inherited. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Cancels the run: the whole cdk process tree is stopped. */
  readonly signal?: AbortSignal;
  /** Where the raw output is kept, every line, for the operator to read later. */
  readonly logFile: string;
  /** Each line of output as it arrives (stdout and stderr). */
  readonly onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Grace between SIGTERM and SIGKILL on cancel. */
  readonly killGraceMs?: number;
  /**
   * Called with cdk's pid (also its process group) once it started, and with
   * undefined once it and its group are gone: the stack's lock names it.
   */
  readonly onProcess?: (pid: number | undefined) => void;
}

export type CdkResult =
  | { readonly outcome: 'succeeded'; readonly exitCode: 0; readonly logFile: string; readonly stdout: string }
  | { readonly outcome: 'failed'; readonly exitCode: number; readonly logFile: string; readonly stderrTail: string; readonly stdout: string }
  | { readonly outcome: 'cancelled'; readonly logFile: string; readonly stderrTail: string; readonly stdout: string }
  | { readonly outcome: 'killed'; readonly signal: string; readonly logFile: string; readonly stderrTail: string; readonly stdout: string };

const TAIL_LINES = 20;
/** A line of cdk's output longer than this (a template printed on one line, output with no newline) is given in pieces. */
export const LINE_MAX_CHARS = 64 * 1024;

/** Process groups of cdk runs still going: what a forced exit must not leave behind. */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

/** Signals every running cdk's whole process group (a forced quit, a crash). */
export function killLiveCdk(signal: NodeJS.Signals = 'SIGKILL'): void {
  for (const pid of liveGroups) killGroup(pid, signal);
}

/**
 * Runs the cdk CLI. The one door to child processes in the product: the cdk
 * process gets its own process group so a cancel reaches everything it started.
 * Never throws for a failing cdk: the outcome says what happened.
 */
export async function runCdk(run: CdkRun): Promise<CdkResult> {
  const { execa } = await importExeca();
  const { command, prefixArgs } = cdkExecutable({ ...process.env, ...run.env });
  mkdirSync(dirname(run.logFile), { recursive: true });
  const log = createWriteStream(run.logFile, { flags: 'a', mode: 0o600 });
  log.write(`$ cdk ${run.args.join(' ')}\n`);
  const tail: string[] = [];
  let stdout = '';
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true', ...run.env })) if (v !== undefined) env[k] = v;

  if (run.signal?.aborted) {
    await closeLog(log);
    return { outcome: 'cancelled', logFile: run.logFile, stderrTail: '', stdout: '' };
  }
  const child = execa(command, [...prefixArgs, ...run.args], {
    cwd: run.cwd,
    env,
    extendEnv: false,
    detached: true,
    reject: false,
    stdin: 'ignore',
    buffer: false,
  });
  if (child.pid) {
    liveGroups.add(child.pid);
    run.onProcess?.(child.pid);
  }
  if (!exitHookInstalled) {
    // However this process ends (process.exit, an uncaught error), no cdk outlives it.
    process.on('exit', () => killLiveCdk('SIGKILL'));
    exitHookInstalled = true;
  }
  /**
   * cdk's output as lines: characters decoded across chunks (an emoji cut between two reads is
   * one character, not two replacement marks), the last line given even without its newline, and
   * a line longer than {@link LINE_MAX_CHARS} given in pieces of that length, so that output with
   * no newline is neither held whole nor scanned again with every read.
   */
  const lineSplitter = (stream: 'stdout' | 'stderr') => {
    const decoder = new StringDecoder('utf8');
    let partial = '';
    let ended = false;
    /** Where a piece of `text` from `at` ends: at most LINE_MAX_CHARS on, never between the halves of a surrogate pair. */
    const pieceEnd = (text: string, at: number) => {
      const end = Math.min(at + LINE_MAX_CHARS, text.length);
      return end < text.length && end - 1 > at && /[\ud800-\udbff]/.test(text[end - 1]!) ? end - 1 : end;
    };
    const line = (text: string) => {
      let at = 0;
      do {
        const end = pieceEnd(text, at);
        emit(text.slice(at, end), stream);
        at = end;
      } while (at < text.length);
    };
    const take = (text: string) => {
      let start = 0;
      for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
        const whole = partial + text.slice(start, nl);
        partial = '';
        line(whole.endsWith('\r') ? whole.slice(0, -1) : whole);
        start = nl + 1;
      }
      partial += text.slice(start);
      // A line that goes on past the bound: its whole pieces now, the rest kept for what follows.
      while (partial.length > LINE_MAX_CHARS) {
        const end = pieceEnd(partial, 0);
        emit(partial.slice(0, end), stream);
        partial = partial.slice(end);
      }
    };
    return {
      data: (chunk: Buffer) => take(decoder.write(chunk)),
      end: () => {
        if (ended) return;
        ended = true;
        take(decoder.end());
        if (partial !== '') line(partial);
        partial = '';
      },
    };
  };
  const emit = (line: string, stream: 'stdout' | 'stderr') => {
    log.write(`${line}\n`);
    if (stream === 'stdout') stdout += `${line}\n`;
    tail.push(line);
    if (tail.length > TAIL_LINES) tail.shift();
    run.onLine?.(line, stream);
  };
  const outLines = lineSplitter('stdout');
  const errLines = lineSplitter('stderr');
  child.stdout?.on('data', outLines.data).on('end', outLines.end);
  child.stderr?.on('data', errLines.data).on('end', errLines.end);

  let cancelled = false;
  let killTimer: NodeJS.Timeout | undefined;
  const onAbort = () => {
    cancelled = true;
    killGroup(child.pid, 'SIGTERM');
    killTimer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), run.killGraceMs ?? 5_000);
  };
  run.signal?.addEventListener('abort', onAbort, { once: true });
  const result = await child;
  // A last line without its newline, if the streams' ends have not given it yet.
  outLines.end();
  errLines.end();
  run.signal?.removeEventListener('abort', onAbort);
  if (killTimer) clearTimeout(killTimer);
  // Anything the cdk process left behind in its group goes with it.
  killGroup(child.pid, 'SIGKILL');
  if (child.pid) {
    liveGroups.delete(child.pid);
    run.onProcess?.(undefined);
  }
  const stderrTail = tail.join('\n');
  log.write(`# exit ${result.exitCode ?? result.signal}${cancelled ? ' (cancelled)' : ''}\n`);
  await closeLog(log);
  if (cancelled) return { outcome: 'cancelled', logFile: run.logFile, stderrTail, stdout };
  if (result.exitCode === 0) return { outcome: 'succeeded', exitCode: 0, logFile: run.logFile, stdout };
  if (result.signal) return { outcome: 'killed', signal: result.signal, logFile: run.logFile, stderrTail, stdout };
  return { outcome: 'failed', exitCode: result.exitCode ?? 1, logFile: run.logFile, stderrTail, stdout };
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is already gone
  }
}

function closeLog(log: WriteStream): Promise<void> {
  return new Promise((resolve) => log.end(resolve));
}
