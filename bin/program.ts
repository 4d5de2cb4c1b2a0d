import { Command, CommanderError } from 'commander';
import { registerCostCommand, registerDeployCommands, registerHistoryCommand, registerLogsCommand, registerMigrateCommand, registerProfileCommands, registerStatusCommand, registerSynthCommand } from './commands/registry.js';
import { displayLine } from '../src/display-text.js';
import { action, globalsOf } from './context.js';
import { canDrawDashboard } from './interactive.js';
import { VERSION } from './version.js';
import { writeErr } from './output.js';


/** Builds the command tree; exported so tests can parse arguments without spawning. */
export function buildProgram(): Command {
  const program = new Command('benchling-deploy')
    .description('Deploy and watch the Benchling webhook service on AWS: dev and prod side by side in one stack.')
    .version(VERSION, '-v, --version')
    .option('--config-dir <dir>', 'config folder (default: $XDG_CONFIG_HOME/benchling-webhook or ~/.config/benchling-webhook)')
    .option('--aws-profile <name>', 'AWS credentials profile (not the config profile; see --profile)')
    .option('--region <region>', 'AWS region of the stack (default: from the prod profile)')
    .option('--json', 'print data as JSON where the command prints data')
    .option('-y, --yes', 'answer yes to confirmations (nothing is asked)')
    .showHelpAfterError('(run `benchling-deploy --help` for usage)')
    .showSuggestionAfterError(true)
    .enablePositionalOptions(false)
    .exitOverride();
  program.configureHelp({ sortSubcommands: false });
  registerStatusCommand(program);
  registerProfileCommands(program);
  registerMigrateCommand(program);
  registerSynthCommand(program);
  registerDeployCommands(program);
  registerLogsCommand(program);
  registerHistoryCommand(program);
  registerCostCommand(program);
  refuseRepeatedValues(program);
  return program;
}

/**
 * An option that takes a value, given twice on one line with two values (`deploy -e prod -e
 * dev`, or `--region` in an alias and again on the line), is refused (exit 2), naming it:
 * commander would take the last, and which one was meant cannot be known. The same value twice,
 * or a flag without a value twice, means the same as once. Every command of the tree, nested
 * ones included.
 */
function refuseRepeatedValues(command: Command): void {
  const given = new Map<string, unknown>();
  for (const option of command.options) {
    if (!(option.required || option.optional) || option.variadic) continue;
    command.on(`option:${option.name()}`, (value: unknown) => {
      const key = option.attributeName();
      if (given.has(key) && given.get(key) !== value) command.error(`error: option '${option.flags}' given more than once, with two values: give it once`, { exitCode: 2, code: 'benchling-deploy.optionRepeated' });
      given.set(key, value);
    });
  }
  for (const sub of command.commands) refuseRepeatedValues(sub);
}

/**
 * Parses `argv` and runs what it asks for. `bind`, when given, sets the actions last (the
 * CommonJS front binds the commands it does not run itself to a hand-off, see bin/light.ts).
 */
export async function main(argv: string[], bind?: (program: Command) => void): Promise<void> {
  const program = buildProgram();
  program.action(
    action(async (_opts: unknown, cmd: typeof program) => {
      // No command and no terminal that can draw (a pipe, CI, TERM=dumb): `status` once. The front's route runs most such lines in status.cjs (bin/route.ts).
      if (!canDrawDashboard()) return (await import('./commands/status.js')).runStatus(globalsOf(cmd));
      // On a terminal that can draw (CI unset): the dashboard.
      return (await import('./commands/dashboard.js')).runDashboard(globalsOf(cmd));
    }),
  );
  bind?.(program);
  const first = argv[2];
  // `benchling-deploy help [command]` is the same as --help.
  if (first === 'help') return main([argv[0], argv[1], ...argv.slice(3), '--help'], bind);
  // The command is the first word that is not a global option or its value (`--config-dir C stauts`).
  const valued = new Set(program.options.filter((o) => o.required || o.optional).flatMap((o) => [o.long, o.short].filter((f): f is string => f !== undefined)));
  let word: string | undefined;
  for (let i = 2; i < argv.length && word === undefined; i++) {
    const arg = argv[i]!;
    if (arg === '--') break;
    if (!arg.startsWith('-')) word = arg;
    else if (valued.has(arg)) i++;
  }
  if (word !== undefined && word !== 'help' && !program.commands.some((c) => c.name() === word || c.aliases().includes(word))) {
    writeErr(`error: unknown command '${displayLine(word, 100)}'\n(run \`benchling-deploy --help\` for the commands)\n`);
    process.exitCode = 2;
    return;
  }
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // help and version are successes; anything else commander rejects is bad input.
      process.exitCode = error.exitCode === 0 || error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? 0 : 2;
      return;
    }
    throw error;
  }
}

