import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
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

export async function start(argv: string[]): Promise<void> {
  const route = routeOf(argv.slice(2), ROUTE_TABLE);
  if (route.to === 'esm') return handOff();
  if (route.to === 'version') {
    writeDirectly();
    writeOut(`${VERSION}\n`);
    return;
  }
  if (route.to === 'checks') {
    const { runCheck } = require('./checks.cjs') as typeof import('./commands/profile-checks.js');
    return runCheck(route.command, route.options, route.globals);
  }
  const { runFront } = require('./light.cjs') as typeof import('./light.js');
  await runFront(argv, handOff);
}
