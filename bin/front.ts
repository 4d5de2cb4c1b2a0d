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
// (dist/checks.cjs), help, version and argument errors on another (dist/light.cjs, commander);
// everything else goes to the ESM bundle straight away.

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
 * included), so that Node does not compile it again on each start. V8 checks the cache against
 * the source, its own version and flags; one it refuses (another Node, an edited bundle) or a
 * missing one only costs the compile require() would have done.
 */
export function loadBundle<T>(name: string, options: { cache: boolean } = { cache: true }): { exports: T; script: Script } {
  const file = join(__dirname, name);
  let cachedData: Buffer | undefined;
  if (options.cache) {
    try {
      cachedData = readFileSync(`${file}.cache`);
    } catch {
      // No cache: compiled from the source alone.
    }
  }
  const script = new Script(Module.wrap(readFileSync(file, 'utf8')), { filename: file, cachedData });
  const module = { exports: {} as T };
  (script.runInThisContext() as (...args: unknown[]) => void).call(module.exports, module.exports, createRequire(file), module, file, __dirname);
  return { exports: module.exports, script };
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
    const { runCheck } = loadBundle<typeof import('./commands/profile-checks.js')>('checks.cjs').exports;
    return runCheck(route.command, route.options, route.globals);
  }
  const { runFront } = loadBundle<typeof import('./light.js')>('light.cjs').exports;
  await runFront(argv, handOff);
}
