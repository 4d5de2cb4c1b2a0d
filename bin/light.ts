import type { Command } from 'commander';
import { isTerminal, writeDirectly, writeErr, writeOut } from './output.js';
import { buildProgram, main } from './program.js';
import { FRONT_COMMANDS, routeTable, type RouteTable } from './route.js';

// The CommonJS front's parser (dist/light.cjs): the option table, help, version and argument
// errors. A command of the ESM bundle is handed to it whole: that bundle parses the line again
// and runs it, errors included, so no class of this bundle (UserError, CommanderError) meets its
// twin of the other one. validate and profiles run in dist/checks.cjs.

export function runFront(argv: string[], handOff: () => Promise<void>): Promise<void> {
  writeDirectly();
  return main(argv, (program) => {
    program.action(handOff);
    for (const command of program.commands) if (!FRONT_COMMANDS.includes(command.name())) command.action(handOff);
    for (const command of [program, ...program.commands]) writeWithoutStreams(command);
  });
}

/**
 * Commander's output through bin/output.ts, and its questions about the terminal asked of the
 * descriptors: commander's own defaults build process.stdout and process.stderr to ask them.
 * They still answer on a terminal, or when the environment sets the colours.
 */
function writeWithoutStreams(command: Command): void {
  const defaults = command.configureOutput();
  const colourSet = () => ['NO_COLOR', 'FORCE_COLOR', 'CLICOLOR_FORCE'].some((name) => process.env[name] !== undefined);
  command.configureOutput({
    writeOut,
    writeErr,
    // Commander's own answer off a terminal is undefined too (its types say number).
    getOutHelpWidth: () => (isTerminal(1) ? defaults.getOutHelpWidth!() : (undefined as unknown as number)),
    getErrHelpWidth: () => (isTerminal(2) ? defaults.getErrHelpWidth!() : (undefined as unknown as number)),
    getOutHasColors: () => (isTerminal(1) || colourSet() ? defaults.getOutHasColors!() : false),
    getErrHasColors: () => (isTerminal(2) || colourSet() ? defaults.getErrHasColors!() : false),
  });
}

/** The route's option table, read by scripts/build.mjs and built into dist/front.cjs. */
export function programRouteTable(): RouteTable {
  return routeTable(buildProgram());
}
