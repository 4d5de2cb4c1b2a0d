import { buildProgram, main } from './program.js';
import { FRONT_COMMANDS, routeTable, type RouteTable } from './route.js';

// The CommonJS front's parser (dist/light.cjs): the option table, help, version and argument
// errors, and the commands that only read the config folder. A command of the ESM bundle is
// handed to it whole: that bundle parses the line again and runs it, errors included, so no
// class of this bundle (UserError, CommanderError) meets its twin of the other one.

export function runFront(argv: string[], handOff: () => Promise<void>): Promise<void> {
  return main(argv, (program) => {
    program.action(handOff);
    for (const command of program.commands) if (!FRONT_COMMANDS.includes(command.name())) command.action(handOff);
  });
}

/** The route's option table, read by scripts/build.mjs and built into dist/front.cjs. */
export function programRouteTable(): RouteTable {
  return routeTable(buildProgram());
}
