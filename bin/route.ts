import type { Command, Option } from 'commander';

// Which of the two bundles runs a command line, read without commander (like bin/bare.ts), so
// that a command of the ESM bundle pays nothing for the choice. The option table it reads is
// taken from the program itself when the front is built (scripts/build.mjs: routeTable).

/** Commands the CommonJS front runs itself: they read the config folder and print, nothing more. */
export const FRONT_COMMANDS: readonly string[] = ['profiles', 'validate'];

/** What may follow an option: nothing, any value, or one of a few. */
export type OptionKind = 'flag' | 'value' | readonly string[];

/**
 * The program's options as the route needs them: each spelling (`-e`, `--environment`) with
 * its kind. An option left out (help, version, one whose value a parser checks, such as
 * --timeout or --refresh) sends the line to the front, where commander checks it.
 */
export interface RouteTable {
  readonly globals: Readonly<Record<string, OptionKind>>;
  /** The commands of the ESM bundle, by name and alias: their options and how many operands they take. */
  readonly commands: Readonly<Record<string, { readonly options: Readonly<Record<string, OptionKind>>; readonly operands: readonly [number, number] }>>;
}

function kinds(options: readonly Option[]): Record<string, OptionKind> {
  const table: Record<string, OptionKind> = {};
  for (const o of options) {
    if (o.long === '--version' || o.optional || o.variadic) continue;
    let kind: OptionKind;
    if (!o.required) kind = 'flag';
    else if (o.argChoices) kind = [...o.argChoices];
    else if (o.parseArg) continue;
    else kind = 'value';
    for (const flag of [o.short, o.long]) if (flag) table[flag] = kind;
  }
  return table;
}

/** The route's table of a program (bin/program.ts: buildProgram). */
export function routeTable(program: Command): RouteTable {
  const commands: Record<string, RouteTable['commands'][string]> = {};
  for (const c of program.commands) {
    const args = c.registeredArguments;
    if (FRONT_COMMANDS.includes(c.name()) || args.some((a) => a.variadic)) continue;
    const entry = { options: kinds(c.options), operands: [args.filter((a) => a.required).length, args.length] as const };
    for (const name of [c.name(), ...c.aliases()]) commands[name] = entry;
  }
  return { globals: kinds(program.options), commands };
}

/**
 * `esm` when the line surely runs a command of the ESM bundle (the dashboard, status, synth,
 * deploy...) and commander would accept it: it goes there at once, and that bundle parses it as
 * before. `front` for all the rest: help, version, validate, profiles, an unknown command or
 * option, a value to check, and anything this scan cannot be sure of. The front parses it with
 * commander and hands a command it does not run to the ESM bundle (bin/light.ts), so a wrong
 * guess here costs time, never a different result.
 */
export function routeOf(args: readonly string[], table: RouteTable): 'front' | 'esm' {
  let command: RouteTable['commands'][string] | undefined;
  let operands = 0;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith('-')) {
      // The first operand names the command; the command's own follow.
      if (command) operands++;
      else if (!Object.hasOwn(table.commands, arg)) return 'front';
      else command = table.commands[arg];
      continue;
    }
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    // Commander gives a program option precedence over the command's, wherever it stands.
    const kind = Object.hasOwn(table.globals, name) ? table.globals[name] : command && Object.hasOwn(command.options, name) ? command.options[name] : undefined;
    if (kind === undefined) return 'front';
    if (kind === 'flag') {
      if (eq > 0) return 'front';
      continue;
    }
    const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
    if (value === undefined || value === '' || value.startsWith('-')) return 'front';
    if (kind !== 'value' && !kind.includes(value)) return 'front';
  }
  // No command: the dashboard on a terminal, else status once.
  if (!command) return 'esm';
  return operands >= command.operands[0] && operands <= command.operands[1] ? 'esm' : 'front';
}
