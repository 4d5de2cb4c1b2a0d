import { readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Script } from 'node:vm';
import { routeOf, type RouteTable } from './route.js';
import { VERSION } from './version.js';
import { writeDirectly, writeOut } from './output.js';

/** The program's option table, set by the build (scripts/build.mjs) from the program itself. */
declare const ROUTE_TABLE: RouteTable;

// The start of every run (dist/front.cjs, required by bin/benchling-deploy.cjs). CommonJS loads
// faster than ES modules: validate and profiles run here on a small CommonJS bundle
// (dist/checks.cjs), status on another (dist/status.cjs), help, version and argument errors on
// a third (dist/light.cjs, commander); everything else goes to the ESM bundle straight away.

/** Runs the command line in the ESM bundle (dist/cli.js), which reads process.argv itself. */
export async function handOff(): Promise<void> {
  const cli = join(__dirname, 'cli.js');
  try {
    await import(pathToFileURL(cli).href);
  } catch (error) {
    if ((error as { code?: string } | null)?.code === 'ERR_MODULE_NOT_FOUND' && String((error as Error).message).includes(cli)) {
      process.stderr.write('benchling-deploy: the bundle is missing; run `npm run build` (npm ci builds it).\n');
      process.exit(1);
    }
    throw error;
  }
}

/**
 * A bundle of the front beside this one (light.cjs, checks.cjs), compiled with V8's code cache
 * the build wrote beside it (scripts/code-cache.mjs: the compiled code of a run, functions
 * included), so that Node does not compile it again on each start. V8 checks a cache only
 * against its own version and flags and the source's length: the cache file also holds the
 * exact source it was made from, and is used only when that is this bundle byte for byte (an
 * edited bundle of the same length is compiled anew, never run as the old code). A missing,
 * truncated or foreign cache file, or one V8 refuses, only costs the compile require() would do.
 */
export function loadBundle<T>(name: string, options: { cache: boolean } = { cache: true }): { exports: T; script: Script } {
  const file = join(__dirname, name);
  const source = readFileSync(file);
  const cachedData = options.cache ? codeCacheFor(`${file}.cache`, source) : undefined;
  const script = new Script(Module.wrap(source.toString('utf8')), { filename: file, cachedData });
  const module = { exports: {} as T };
  (script.runInThisContext() as (...args: unknown[]) => void).call(module.exports, module.exports, createRequire(file), module, file, __dirname);
  loadedBundles.set(name, script);
  return { exports: module.exports, script };
}

/**
 * The bundles {@link loadBundle} ran in this process, by name: how the build takes the code
 * cache of dist/sdk.cjs (scripts/code-cache.mjs) from the script a real command ran.
 */
export const loadedBundles = new Map<string, Script>();

/** The first bytes of a cache file of the front (scripts/code-cache.mjs writes them). */
export const FRONT_CACHE_MAGIC = 'benchling-deploy front code cache 1\n';

/**
 * The code cache in `path` when it was made from `source` exactly: the magic line, the
 * source's and the cache's lengths (32-bit little-endian), the source, then V8's data.
 */
function codeCacheFor(path: string, source: Buffer): Buffer | undefined {
  let file: Buffer;
  try {
    file = readFileSync(path);
  } catch {
    return undefined;
  }
  const head = FRONT_CACHE_MAGIC.length;
  if (file.length < head + 8 || file.toString('latin1', 0, head) !== FRONT_CACHE_MAGIC) return undefined;
  const sourceLength = file.readUInt32LE(head);
  const dataLength = file.readUInt32LE(head + 4);
  const start = head + 8;
  if (dataLength === 0 || file.length !== start + sourceLength + dataLength) return undefined;
  if (!file.subarray(start, start + sourceLength).equals(source)) return undefined;
  return file.subarray(start + sourceLength);
}

/** A bundle of the front, or the end of the run (exit 1) saying the installation is broken: a file of dist/ missing or damaged. */
function installedBundle<T>(name: string): T {
  try {
    return loadBundle<T>(name).exports;
  } catch (error) {
    process.stderr.write(`benchling-deploy: dist/${name} could not be loaded (${String((error as Error)?.message ?? error).split('\n')[0]}); reinstall benchling-deploy, or in a clone run \`npm run build\` (npm ci builds it).\n`);
    process.exit(1);
  }
}

/** What each bundle the route runs a command in exports (bin/route.ts FRONT_BUNDLES): checks.cjs, status.cjs. */
export interface FrontBundle {
  runFrontCommand(command: string, options: Readonly<Record<string, unknown>>, globals: Readonly<Record<string, unknown>>): Promise<void>;
}

export async function start(argv: string[]): Promise<void> {
  const route = routeOf(argv.slice(2), ROUTE_TABLE);
  if (route.to === 'esm') return handOff();
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
