import { isAscii } from 'node:buffer';
import { readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Script } from 'node:vm';
import { brokenInstallation, missingBundleFile } from '../src/broken-install.js';
import { cacheFolder, cleanUpFolder, fnv1a, readOwnFile, writeOwnFile } from '../src/own-files.js';
import { canDrawDashboard } from './interactive.js';
import { routeOf, type RouteTable } from './route.js';
import { VERSION } from './version.js';
import { writeDirectly, writeOut } from './output.js';
import type { Globals } from './context.js';
import { leaveEarlyStatusWorker, startStatusWorker } from '../src/state/status-worker-start.js';
import { terminalSafe } from '../src/display-text.js';
import { formatError } from '../src/errors.js';
import { isFsError } from '../src/config/fs-errors.js';

/** The program's option table, set by the build (scripts/build.mjs) from the program itself. */
declare const ROUTE_TABLE: RouteTable;

// The start of every run (dist/front.cjs, required by bin/benchling-deploy.cjs). CommonJS loads
// faster than ES modules: validate and profiles run here on a small CommonJS bundle
// (dist/checks.cjs), status on another (dist/status.cjs), synth on another (dist/synth.cjs), help,
// version and argument errors on a fourth (dist/light.cjs, commander); everything else goes to the
// ESM bundle straight away.

/** Runs the command line in the ESM bundle (dist/cli.js), which reads process.argv itself. */
export async function handOff(): Promise<void> {
  const cli = join(__dirname, 'cli.js');
  try {
    await import(pathToFileURL(cli).href);
  } catch (error) {
    // cli.js or a chunk it imports is missing (one a command imports as it runs is that command's error: bin/context.ts).
    const missing = missingBundleFile(error);
    if (missing !== undefined) broken(missing, error);
    throw error;
  }
}

/**
 * A bundle of the front beside this one (light.cjs, checks.cjs, status.cjs, synth.cjs, sdk.cjs, yoga.cjs, dashboard.cjs),
 * compiled with a V8 code cache (the compiled code of a run, functions included), so that Node does not
 * compile it again on each start. V8 checks a cache only against its own version and flags and
 * the source's length: each cache file also holds the exact source it was made from, and is
 * used only when that is this bundle byte for byte (an edited bundle of the same length is
 * compiled anew, never run as the old code).
 *
 * Two caches serve: the build's, beside the bundle (scripts/code-cache.mjs), made by the Node
 * that built the package; and this user's ({@link userCacheFile}), made at the end of a run whose
 * Node refused the build's or found none (another Node version, other V8 flags), so that only
 * that first run compiles. This user's are kept apart by Node, architecture and flags (a run
 * with other flags neither uses nor replaces another's), tried first when one exists, and carry
 * a checksum of their data (V8 release builds run damaged bytecode without noticing). A missing,
 * truncated, damaged or foreign cache file, or one V8 refuses, only costs the compile require()
 * would do.
 */
export function loadBundle<T>(name: string, options: { cache: boolean } = { cache: true }): { exports: T; script: Script } {
  return compileBundle<T>(name, options).run();
}

/** How a bundle the build wrote inside Node's CommonJS wrapper begins (Module.wrap's head: test/cli/front.test.ts). */
export const BUNDLE_HEAD = '(function (exports, require, module, __filename, __dirname) { ';

/**
 * {@link loadBundle} in two steps: the bundle read and compiled (what fails here is the file:
 * missing, unreadable, not valid JavaScript), then `run()`, its top level run (what fails there
 * is the code).
 */
export function compileBundle<T>(name: string, options: { cache: boolean } = { cache: true }): { script: Script; run(): { exports: T; script: Script } } {
  const file = join(__dirname, name);
  const source = readFileSync(file);
  const user = options.cache ? userCacheFile(name) : undefined;
  const cachedData = options.cache ? ((user ? userCodeCache(user, source) : undefined) ?? codeCacheFor(readCacheFile(`${file}.cache`), source, false)) : undefined;
  const text = sourceText(source);
  // A bundle the build wrote inside Node's CommonJS wrapper (scripts/build.mjs: asFunction) is compiled as it is.
  const script = new Script(text.startsWith(BUNDLE_HEAD) ? text : Module.wrap(text), { filename: file, cachedData });
  if (user && (cachedData === undefined || script.cachedDataRejected)) keepAtExit(user, source, script);
  return {
    script,
    run() {
      const module = { exports: {} as T };
      (script.runInThisContext() as (...args: unknown[]) => void).call(module.exports, module.exports, createRequire(file), module, file, __dirname);
      loadedBundles.set(name, script);
      return { exports: module.exports, script };
    },
  };
}

/**
 * A bundle's text: its bytes taken one for one when they are all ASCII (the same string as UTF-8
 * decoding gives, in about half the time), else decoded as UTF-8. Keep the bundles ASCII: a single
 * other character makes V8 hold the whole bundle as two-byte text (most of the 12-25 ms the
 * dashboard's start gained came from that). esbuild escapes strings but not every regular
 * expression; test/cli/front.test.ts holds each bundle to ASCII.
 */
function sourceText(source: Buffer): string {
  return isAscii(source) ? source.toString('latin1') : source.toString('utf8');
}

/**
 * The bundles {@link loadBundle} ran in this process, by name: how the build takes the code
 * caches of dist/sdk.cjs and dist/yoga.cjs (scripts/code-cache.mjs) from the scripts a real run ran.
 */
export const loadedBundles = new Map<string, Script>();

/** The first bytes of a cache file of the front (scripts/code-cache.mjs writes them). */
const FRONT_CACHE_MAGIC = 'benchling-deploy front code cache 1\n';
/** The first bytes of this user's cache file of a bundle (written at the end of a run, {@link keepAtExit}). */
const USER_CACHE_MAGIC = 'benchling-deploy user code cache 1\n';
/** `off`: no cache of this user is read or written (the build's own runs, scripts/code-cache.mjs). */
export const USER_CODE_CACHE_SWITCH = 'BENCHLING_DEPLOY_USER_CODE_CACHE';

function readCacheFile(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

/**
 * The code cache in `file` when it was made from `source` exactly: the magic line, the
 * source's and the cache's lengths (32-bit little-endian), for this user's cache the data's
 * CRC-32, the source, then V8's data.
 */
function codeCacheFor(file: Buffer | undefined, source: Buffer, user: boolean): Buffer | undefined {
  if (!file) return undefined;
  const magic = user ? USER_CACHE_MAGIC : FRONT_CACHE_MAGIC;
  const head = magic.length;
  const start = head + (user ? 12 : 8);
  if (file.length < start || file.toString('latin1', 0, head) !== magic) return undefined;
  const sourceLength = file.readUInt32LE(head);
  const dataLength = file.readUInt32LE(head + 4);
  if (dataLength === 0 || file.length !== start + sourceLength + dataLength) return undefined;
  if (!file.subarray(start, start + sourceLength).equals(source)) return undefined;
  const data = file.subarray(start + sourceLength);
  if (user && crc32(data) !== file.readUInt32LE(head + 8)) return undefined;
  return data;
}

/** The bytes of a cache file that {@link codeCacheFor} reads back: the build's (scripts/code-cache.mjs) or this user's. */
export function codeCacheBytes(source: Buffer, data: Buffer, user: boolean): Buffer {
  const numbers = Buffer.alloc(user ? 12 : 8);
  numbers.writeUInt32LE(source.length, 0);
  numbers.writeUInt32LE(data.length, 4);
  if (user) numbers.writeUInt32LE(crc32(data), 8);
  return Buffer.concat([Buffer.from(user ? USER_CACHE_MAGIC : FRONT_CACHE_MAGIC, 'latin1'), numbers, source, data]);
}

/**
 * This user's cache of a bundle, from a file only they could have written: theirs, in a folder of
 * theirs, neither a link nor writable by group or others (a cache folder shared through
 * XDG_CACHE_HOME is not trusted with code that runs; see src/own-files.ts).
 */
function userCodeCache(path: string, source: Buffer): Buffer | undefined {
  const file = readOwnFile(path);
  try {
    return file ? codeCacheFor(file.data, source, true) : undefined;
  } catch {
    // A cache file this code cannot make sense of is no cache: the bundle compiles.
    return undefined;
  }
}

/** zlib's CRC-32, loaded only for this user's caches; null on a Node without it (before 20.15), which neither writes nor trusts one. */
function crc32Of(): ((data: Buffer) => number) | null {
  const zlib = require('node:zlib') as { crc32?: (data: Buffer) => number };
  return zlib.crc32 ?? null;
}

function crc32(data: Buffer): number {
  const crc = crc32Of();
  return crc ? crc(data) >>> 0 : -1;
}

/** `$XDG_CACHE_HOME/benchling-deploy/front` (an absolute XDG_CACHE_HOME), else `~/.cache/benchling-deploy/front`. */
export function userCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return cacheFolder('front', env);
}

/**
 * This user's cache file of a bundle of this version, for this Node, architecture and flags
 * (what V8 checks a cache against: a run with other flags keeps a file of its own), or none when
 * switched off.
 */
function userCacheFile(name: string): string | undefined {
  if (process.env[USER_CODE_CACHE_SWITCH] === 'off') return undefined;
  try {
    const key = fnv1a(JSON.stringify([process.version, process.versions.v8, process.arch, process.execArgv, process.env.NODE_OPTIONS ?? '']));
    return join(userCacheDir(), `${VERSION}-${key}-${name}.cache`);
  } catch {
    return undefined;
  }
}

/** Files of the folder older than this go when a cache is written: other versions', other flags', temporary ones left by a crash. */
const USER_CACHE_KEEP_MS = 30 * 24 * 3600 * 1000;

const keep = new Map<string, { source: Buffer; script: Script }>();

/**
 * Writes this user's cache of `script` when the process ends, so that it holds every function
 * the run compiled: by a temporary file and a rename (a reader never sees half of one). A folder
 * it cannot write only costs the next run's compile.
 */
function keepAtExit(path: string, source: Buffer, script: Script): void {
  if (!crc32Of()) return;
  if (keep.size === 0) process.once('exit', writeKept);
  keep.set(path, { source, script });
}

/** Writes now the user's code caches this thread would write at its exit (the dashboard's AWS worker thread, which is ended, never exits). */
export function keptCachesNow(): void {
  writeKept();
}

function writeKept(): void {
  const kept = [...keep];
  // Once each: the synth worker writes its own before it answers (runSynthWorker), the AWS worker after its first
  // answer (keptCachesNow), and a thread's exit comes later.
  keep.clear();
  for (const [path, { source, script }] of kept) {
    // Not written: the next run compiles this bundle again.
    if (writeOwnFile(path, () => codeCacheBytes(source, script.createCachedData(), true))) cleanUpFolder(dirname(path), path, /\.(cache|tmp)$/, USER_CACHE_KEEP_MS);
  }
}

/** A bundle of the front, or the end of the run (exit 1) saying the installation is broken: a file of dist/ missing or damaged. */
function installedBundle<T>(name: string): T {
  try {
    return loadBundle<T>(name).exports;
  } catch (error) {
    broken(name, error);
  }
}

/** What each bundle the route runs a command in exports (bin/route.ts FRONT_BUNDLES): checks.cjs, status.cjs, synth.cjs. */
export interface FrontBundle {
  runFrontCommand(command: string, options: Readonly<Record<string, unknown>>, globals: Readonly<Record<string, unknown>>): Promise<void>;
}

/** Where dist/dashboard.cjs finds Ink's layout engine: what dist/yoga.cjs made of dist/yoga.wasm. */
export const YOGA_GLOBAL = Symbol.for('benchling-deploy.yoga');

/** What dist/dashboard.cjs exports (bin/dashboard-front.ts). */
export interface DashboardBundle {
  openDashboard(g: Globals): Promise<void>;
}

/**
 * dist/dashboard.cjs (the dashboard, with its code cache: see {@link loadBundle}), after Ink's
 * layout engine ({@link loadYoga}), which the bundle reads from globalThis[{@link YOGA_GLOBAL}].
 * Throws what stopped either.
 */
export async function loadDashboard(options: { cache: boolean } = { cache: true }): Promise<{ exports: DashboardBundle; script: Script }> {
  await loadYoga(options, () => undefined);
  return loadBundle<DashboardBundle>('dashboard.cjs', options);
}

/** What dist/synth.cjs exports for the dashboard's synth worker (bin/commands/synth-front.ts). */
interface SynthWorkerBundle {
  answerSynthWorker(bundleCodeCache: boolean, saveCaches: () => void, modulesFile: string): Promise<void>;
}

/**
 * The dashboard's synthesis, in its worker thread (dist/synth-worker.cjs, started by
 * src/infra/operations.ts: startSynthWorker): dist/synth.cjs with its code cache, as the `synth`
 * command runs, rather than the ESM bundle's loader compiling its chunks, with the list of what to
 * load ahead (dist/synth-modules.cjs, written by scripts/code-cache.mjs). The bundle's
 * user cache, if V8 refused the build's, is written before the answer: the dashboard ends the
 * thread once it has it. A synth.cjs missing or damaged is the thread's error, saying so.
 */
export function runSynthWorker(): Promise<void> {
  let loaded: { exports: SynthWorkerBundle; script: Script };
  try {
    loaded = loadBundle<SynthWorkerBundle>('synth.cjs');
    if (typeof loaded.exports?.answerSynthWorker !== 'function') throw new DamagedBundle('it exports no synthesis for the dashboard');
  } catch (error) {
    // The thread's error, which the dashboard shows as the deploy's: which file, and how to mend it.
    throw new Error(brokenInstallation('synth.cjs', error));
  }
  return loaded.exports.answerSynthWorker(loaded.script.cachedDataRejected === false, writeKept, join(__dirname, 'synth-modules.cjs'));
}

/** What dist/synth.cjs exports for the synth helper's process (bin/commands/synth-front.ts). */
interface SynthHelperBundle {
  runHelperProcess(args: readonly string[], modulesFile: string, saveCaches: () => void): Promise<void>;
}

/**
 * The synth helper's process (dist/synth-helper.cjs, started by a `synth`: src/infra/synth-helper.ts):
 * dist/synth.cjs with its code cache, as the `synth` command runs. It has no standard streams: what
 * stops it (a broken installation, arguments a synth never gives) sets its exit status, and the
 * command that started it synthesizes alone.
 */
export function runSynthHelper(args: readonly string[]): void {
  let loaded: { exports: SynthHelperBundle; script: Script };
  try {
    loaded = loadBundle<SynthHelperBundle>('synth.cjs');
    if (typeof loaded.exports?.runHelperProcess !== 'function') throw new DamagedBundle('it exports no synth helper');
  } catch {
    process.exitCode = 1;
    return;
  }
  loaded.exports.runHelperProcess(args, join(__dirname, 'synth-modules.cjs'), writeKept).catch(() => {
    process.exitCode = 1;
  });
}

/**
 * The dashboard's AWS worker thread, started before its layout engine and bundle load: it boots and
 * loads the AWS SDK on the other core while this thread draws the first frame, and the dashboard
 * adopts it for its first poll (bin/commands/dashboard.ts), or ends it when it has no use for it.
 */
function startStatusWorkerEarly(): void {
  const file = join(__dirname, 'status-worker.cjs');
  const { Worker } = require('node:worker_threads') as typeof import('node:worker_threads');
  try {
    leaveEarlyStatusWorker(startStatusWorker(file, Worker));
  } catch {
    // A thread Node would not start: the dashboard makes its clients on this thread.
  }
}

/** A file of dist/ that is there but not what the build wrote (empty, cut short): what reinstalling mends. */
class DamagedBundle extends Error {}

/** What dist/yoga.cjs exports (bin/yoga.ts). */
interface YogaBundle {
  loadYoga(wasmBinary: Uint8Array<ArrayBuffer>): Promise<unknown>;
}

/**
 * Ink's layout engine, left on globalThis for dist/dashboard.cjs: dist/yoga.cjs (with its code cache,
 * see {@link loadBundle}) given its WebAssembly binary, dist/yoga.wasm (scripts/yoga-bundle.mjs).
 * `at` hears which of the two files is being read, for what says one is broken: the file system's
 * error, a {@link DamagedBundle}, a SyntaxError, or the WebAssembly error of a damaged binary.
 */
async function loadYoga(options: { cache: boolean }, at: (file: 'yoga.cjs' | 'yoga.wasm') => void): Promise<void> {
  at('yoga.cjs');
  const bundle = loadBundle<Partial<YogaBundle>>('yoga.cjs', options).exports;
  if (typeof bundle?.loadYoga !== 'function') throw new DamagedBundle('it exports no layout engine');
  at('yoga.wasm');
  const yoga = await bundle.loadYoga(new Uint8Array(readFileSync(join(__dirname, 'yoga.wasm'))));
  at('yoga.cjs');
  if (typeof yoga !== 'object' || yoga === null) throw new DamagedBundle('it gave no layout engine');
  (globalThis as Record<symbol, unknown>)[YOGA_GLOBAL] = yoga;
}

/** The error WebAssembly gives for a binary it cannot take, or bin/yoga.ts for one that is not the build's (a LinkError). */
function isWasmError(error: unknown): boolean {
  return typeof WebAssembly === 'object' && (error instanceof WebAssembly.CompileError || error instanceof WebAssembly.LinkError || error instanceof WebAssembly.RuntimeError);
}

/**
 * The dashboard for a bare line on a terminal, or the end of the run (exit 1) saying the
 * installation is broken: dist/yoga.cjs, dist/yoga.wasm or dist/dashboard.cjs missing, unreadable,
 * not valid JavaScript or WebAssembly, or not the build's. What fails as a bundle runs (a Node
 * without WebAssembly, a bug) is thrown as it is, for {@link start} to report.
 */
async function openDashboard(g: Globals): Promise<void> {
  startStatusWorkerEarly();
  let file = 'yoga.cjs';
  let compiled: ReturnType<typeof compileBundle<DashboardBundle>>;
  try {
    await loadYoga({ cache: true }, (at) => (file = at));
    file = 'dashboard.cjs';
    compiled = compileBundle<DashboardBundle>(file);
  } catch (error) {
    if (!(error instanceof DamagedBundle || error instanceof SyntaxError || isFsError(error) || (file === 'yoga.wasm' && isWasmError(error)))) throw error;
    return broken(file, error);
  }
  const dashboard = compiled.run().exports;
  if (typeof dashboard?.openDashboard !== 'function') return broken(file, new DamagedBundle('it exports no dashboard'));
  await dashboard.openDashboard(g);
}

/** The end of the run (exit 1), saying which file of dist/ is broken and how to mend it. */
function broken(file: string, error: unknown): never {
  process.stderr.write(`benchling-deploy: ${brokenInstallation(file, error)}.\n`);
  process.exit(1);
}

/**
 * An ES module of the package, imported from here (a vm.Script such as dist/dashboard.cjs has
 * no loader for import()): execa for the cdk runner (src/infra/execa-module.ts).
 */
export function importModule(specifier: string): Promise<unknown> {
  return import(specifier);
}

/**
 * Runs the command line. What a route throws that no command turned into words (a bug, or a
 * Node without what the dashboard needs) is reported as a bug with its stack, exit 1, not as
 * Node's crash (which prints the whole line of the bundle where it was thrown).
 */
export async function start(argv: string[]): Promise<void> {
  try {
    await runLine(argv);
  } catch (error) {
    process.stderr.write(`${terminalSafe(formatError(error))}\n`);
    process.exitCode = 1;
  }
}

async function runLine(argv: string[]): Promise<void> {
  const route = routeOf(argv.slice(2), ROUTE_TABLE, { interactive: canDrawDashboard });
  if (route.to === 'esm') return handOff();
  // The globals as commander would give them (bin/route.ts reads the program's own table).
  if (route.to === 'dashboard') return openDashboard(route.globals as Globals);
  if (route.to === 'version') {
    writeDirectly();
    writeOut(`${VERSION}\n`);
    return;
  }
  if (route.to === 'checks') {
    const { runFrontCommand } = installedBundle<FrontBundle>(route.bundle);
    return runFrontCommand(route.command, route.options, route.globals);
  }
  const { runFront } = installedBundle<typeof import('./light.js')>('light.cjs');
  await runFront(argv, handOff);
}
