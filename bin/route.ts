import type { Command, Option } from 'commander';
import { refreshMs } from '../src/state/poll-interval.js';

// Which bundle runs a command line, read without commander, so that a command of the ESM bundle
// pays nothing for the choice, and validate and profiles pay for no parser. The option table it
// reads is taken from the program itself when the front is built (scripts/build.mjs, routeTable
// below), and test/bin/route.test.ts holds the two readings equal.

/**
 * Commands the route runs in a CommonJS bundle of the front when it read the line whole, by
 * bundle: validate and profiles (they read the config folder and print) in dist/checks.cjs;
 * status (one poll of AWS, printed) in dist/status.cjs; synth (the stack, written offline) in
 * dist/synth.cjs. Each bundle exports runFrontCommand (bin/front.ts). A line the front's parser
 * reads runs status or synth in the ESM bundle.
 */
export const FRONT_BUNDLES: Readonly<Record<string, string>> = { profiles: 'checks.cjs', validate: 'checks.cjs', status: 'status.cjs', synth: 'synth.cjs' };

/** Commands the front's parser runs itself (bin/light.ts): those of dist/checks.cjs. */
export const FRONT_COMMANDS: readonly string[] = Object.keys(FRONT_BUNDLES).filter((c) => FRONT_BUNDLES[c] === 'checks.cjs');

/**
 * What may follow an option: nothing, any value, one of a few, or (`refresh`) a number of
 * seconds, read into milliseconds as commander's parser of `--refresh` reads it (refreshMs).
 */
export type OptionKind = 'flag' | 'value' | 'refresh' | readonly string[];

/** An option's spelling (`-e`, `--environment`) as the route reads it: where commander puts its value, and what that value may be. */
export interface OptionEntry {
  readonly key: string;
  readonly kind: OptionKind;
}

export interface CommandEntry {
  readonly options: Readonly<Record<string, OptionEntry>>;
  /** How many operands it takes, at least and at most. */
  readonly operands: readonly [number, number];
  /** The bundle of the front that runs it (FRONT_BUNDLES), or null: the ESM bundle does. */
  readonly front: string | null;
}

/**
 * The program's options as the route needs them. An option left out (help, version, one with a
 * default, or whose value a parser checks, such as --timeout) sends the line to the front's
 * parser, where commander reads it. `--refresh` is read here, by the same reading as its parser's.
 */
export interface RouteTable {
  /** The version option's spellings: alone on the line, it prints the version. */
  readonly version: readonly string[];
  readonly globals: Readonly<Record<string, OptionEntry>>;
  /** Every command, by name and alias. */
  readonly commands: Readonly<Record<string, CommandEntry>>;
}

function entries(options: readonly Option[]): Record<string, OptionEntry> {
  const table: Record<string, OptionEntry> = {};
  for (const o of options) {
    if (o.long === '--version' || o.optional || o.variadic || o.negate || o.defaultValue !== undefined || o.envVar !== undefined) continue;
    let kind: OptionKind;
    if (!o.required) kind = 'flag';
    else if (o.argChoices) kind = [...o.argChoices];
    else if (o.parseArg) {
      // A parser of its own: the route reads only the one it reads the same way (bin/numbers.ts parseRefresh).
      if ((o.parseArg as { route?: unknown }).route !== 'refresh') continue;
      kind = 'refresh';
    }
    else kind = 'value';
    for (const flag of [o.short, o.long]) if (flag) table[flag] = { key: o.attributeName(), kind };
  }
  return table;
}

/** The route's table of a program (bin/program.ts: buildProgram). */
export function routeTable(program: Command): RouteTable {
  const commands: Record<string, CommandEntry> = {};
  for (const c of program.commands) {
    const args = c.registeredArguments;
    if (args.some((a) => a.variadic)) continue;
    const entry: CommandEntry = { options: entries(c.options), operands: [args.filter((a) => a.required).length, args.length], front: Object.hasOwn(FRONT_BUNDLES, c.name()) ? FRONT_BUNDLES[c.name()] : null };
    for (const name of [c.name(), ...c.aliases()]) commands[name] = entry;
  }
  const version = program.options.find((o) => o.long === '--version');
  return { version: version ? [version.short, version.long].filter((f): f is string => f !== undefined) : [], globals: entries(program.options), commands };
}

export type Route =
  /** The ESM bundle: it parses the line itself (bin/cli.ts). */
  | { readonly to: 'esm' }
  /** The version, printed by the front (bin/front.ts). */
  | { readonly to: 'version' }
  /** The front's parser (dist/light.cjs): commander reads the line. */
  | { readonly to: 'parser' }
  /** The bare command on a terminal: the dashboard (bin/front.ts opens dist/dashboard.cjs), with the globals commander would give it. */
  | { readonly to: 'dashboard'; readonly globals: Readonly<Record<string, unknown>> }
  /** A bundle of the front (FRONT_BUNDLES), with the options commander would have given: the command's own and optsWithGlobals. */
  | { readonly to: 'checks'; readonly bundle: string; readonly command: string; readonly options: Readonly<Record<string, unknown>>; readonly globals: Readonly<Record<string, unknown>> };

/**
 * `esm` when the line surely runs a command of the ESM bundle (deploy, diff...) and commander
 * would accept it: it goes there at once, and that bundle parses it as before. `checks` when it
 * surely runs validate, profiles, status or synth, with the bundle of the front that runs it
 * (FRONT_BUNDLES) and what commander would have made of the line. The bare command is status
 * once where the run is not interactive (bin/program.ts), else the dashboard (`dashboard`):
 * `where.interactive` is asked for such a line only (reading stdin's kind makes its stream).
 * `version` for the version option alone. `parser` for all the rest: help, version, an unknown
 * command or option, a value to check, and anything this scan cannot be sure of. The front's
 * parser reads it with commander and hands a command it does not run to the ESM bundle
 * (bin/light.ts), so a wrong guess here costs time, never a different result.
 */
export function routeOf(args: readonly string[], table: RouteTable, where: { readonly interactive: () => boolean }): Route {
  const parser = { to: 'parser' } as const;
  if (args.length === 1 && table.version.includes(args[0])) return { to: 'version' };
  let name: string | undefined;
  let command: CommandEntry | undefined;
  let operands = 0;
  const globals: Record<string, unknown> = {};
  const options: Record<string, unknown> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith('-')) {
      // The first operand names the command; the command's own follow.
      if (command) operands++;
      else if (!Object.hasOwn(table.commands, arg)) return parser;
      else command = table.commands[(name = arg)];
      continue;
    }
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    // Commander gives a program option precedence over the command's, wherever it stands.
    const global = Object.hasOwn(table.globals, flag);
    const entry = global ? table.globals[flag] : command && Object.hasOwn(command.options, flag) ? command.options[flag] : undefined;
    if (entry === undefined) return parser;
    let value: string | number | true = true;
    if (entry.kind === 'flag') {
      if (eq > 0) return parser;
    } else {
      const given = eq > 0 ? arg.slice(eq + 1) : args[++i];
      if (given === undefined || given === '' || given.startsWith('-')) return parser;
      if (entry.kind === 'refresh') {
        // What commander keeps is its parser's milliseconds; a value it refuses is the parser's to say so.
        const ms = refreshMs(given);
        if (ms === undefined) return parser;
        value = ms;
      } else {
        if (entry.kind !== 'value' && !entry.kind.includes(given)) return parser;
        value = given;
      }
    }
    const into = global ? globals : options;
    // An option that takes a value, given twice: the parser reads it (commander refuses two values, bin/program.ts).
    if (entry.kind !== 'flag' && Object.hasOwn(into, entry.key)) return parser;
    into[entry.key] = value;
  }
  // No command: the dashboard on a terminal (bin/front.ts opens it); else status once, run as `status` is, with these globals.
  if (!command || name === undefined) {
    const status = table.commands.status;
    if (where.interactive()) return { to: 'dashboard', globals };
    return !status?.front ? { to: 'esm' } : { to: 'checks', bundle: status.front, command: 'status', options: {}, globals };
  }
  if (operands < command.operands[0] || operands > command.operands[1]) return parser;
  if (!command.front) return { to: 'esm' };
  return { to: 'checks', bundle: command.front, command: name, options, globals: { ...globals, ...options } };
}
