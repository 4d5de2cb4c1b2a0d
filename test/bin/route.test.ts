/**
 * The route of a command line (bin/route.ts), read without commander: `esm` sends it to the ESM
 * bundle straight away and `checks` runs validate or profiles with the options it read, so each
 * must only be said of a line commander accepts as a run of that command, with the same
 * options; anything else goes to the front's parser (commander).
 */
import { CommanderError, type Command } from 'commander';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../bin/program.js';
import { FRONT_BUNDLES, FRONT_COMMANDS, routeOf, routeTable } from '../../bin/route.js';
import { CHECKS, runFrontCommand } from '../../bin/commands/profile-checks.js';
import { runFrontCommand as runStatusFront } from '../../bin/commands/status-front.js';
import { runFrontCommand as runSynthFront } from '../../bin/commands/synth-front.js';
import { VERSION } from '../../bin/version.js';

const table = routeTable(buildProgram());

interface Ran {
  readonly command: string;
  readonly options: Record<string, unknown>;
  readonly globals: Record<string, unknown>;
}

/** What commander printed for the version option. */
interface Version {
  readonly version: string;
}

/** What commander makes of the line: the command whose action it runs ('' for the program's own) and its options, or null when it refuses it or prints help or version. */
function commanderRuns(args: string[]): Ran | Version | null {
  const program = buildProgram();
  let ran: Ran | null = null;
  let out = '';
  const silent = (c: Command) => c.configureOutput({ writeOut: (text) => void (out += text), writeErr: () => {} });
  silent(program).action(() => void (ran = { command: '', options: program.opts(), globals: program.opts() }));
  for (const c of program.commands) silent(c).action(() => void (ran = { command: c.name(), options: c.opts(), globals: c.optsWithGlobals() }));
  try {
    program.parse(['node', 'benchling-deploy', ...args]);
  } catch (error) {
    if (error instanceof CommanderError && error.code === 'commander.version') return { version: out };
    if (error instanceof CommanderError) return null;
    throw error;
  }
  return ran;
}

/** For a line that is not the bare command: the route must not ask whether the run is interactive. */
const NOT_ASKED = {
  interactive: (): boolean => {
    throw new Error('asked whether the run is interactive');
  },
};

/**
 * The route agrees with commander, on a terminal and off one: `esm` and `checks` only for what
 * commander runs so, with the same options. The bare line (commander's program action) runs the
 * dashboard on a terminal and status once off one (bin/program.ts): there the route runs status
 * with the globals commander gives that action.
 */
function agrees(args: string[]): void {
  for (const interactive of [true, false]) {
    const route = routeOf(args, table, { interactive: () => interactive });
    if (route.to === 'parser') continue;
    const ran = commanderRuns(args);
    expect(ran, JSON.stringify(args)).not.toBeNull();
    if (route.to === 'version') {
      expect(ran, JSON.stringify(args)).toEqual({ version: `${VERSION}\n` });
    } else if (route.to === 'dashboard') {
      expect((ran as Ran).command, JSON.stringify(args)).toBe('');
      expect(interactive, JSON.stringify(args)).toBe(true);
      // The dashboard's globals, as commander gives its action (bin/program.ts: globalsOf).
      expect(route.globals, JSON.stringify(args)).toEqual((ran as Ran).globals);
    } else if (route.to === 'esm') {
      expect(ran).toHaveProperty('command');
      expect(Object.keys(FRONT_BUNDLES), JSON.stringify(args)).not.toContain((ran as Ran).command);
      expect((ran as Ran).command, JSON.stringify(args)).not.toBe('');
    } else if ((ran as Ran).command === '') {
      expect(interactive, JSON.stringify(args)).toBe(false);
      expect({ command: route.command, options: route.options, globals: route.globals }, JSON.stringify(args)).toEqual({ command: 'status', options: {}, globals: (ran as Ran).globals });
    } else {
      expect({ command: route.command, options: route.options, globals: route.globals }, JSON.stringify(args)).toEqual(ran);
    }
  }
}

describe('routeOf', () => {
  it.each([
    [[], {}],
    [['--config-dir', 'x'], { configDir: 'x' }],
    [['--json', '--yes'], { json: true, yes: true }],
    [['--config-dir', '/x', '--aws-profile=acme', '--region', 'eu-west-1', '-y', '--json'], { configDir: '/x', awsProfile: 'acme', region: 'eu-west-1', yes: true, json: true }],
    // --refresh in milliseconds, as its parser gives it (bin/numbers.ts parseRefresh).
    [['--refresh', '7'], { refresh: 7000 }],
    [['--refresh=2.5', '--config-dir', 'x'], { refresh: 2500, configDir: 'x' }],
    [['--refresh', '3600'], { refresh: 3_600_000 }],
    [['--refresh', ' 1 '], { refresh: 1000 }],
  ])('%j, the bare command: the dashboard on a terminal with these globals; off one, status once in status.cjs with them', (args, globals) => {
    expect(routeOf(args, table, { interactive: () => true })).toEqual({ to: 'dashboard', globals });
    expect(routeOf(args, table, { interactive: () => false })).toEqual({ to: 'checks', bundle: 'status.cjs', command: 'status', options: {}, globals });
    agrees(args);
  });

  it.each([
    [['deploy', '-e', 'dev', '--image-tag', '1.0', '-y']],
    [['deploy', '--environment=prod', '--allow-replacement']],
    [['setup-profile', 'dev', '--tenant', 'acme', '--client-id', 'c']],
    [['logs', '--environment', 'all', '-f', '--filter', 'ERROR']],
    [['history', '-e', 'prod']],
  ])('%j goes to the ESM bundle, and commander runs that command', (args) => {
    expect(routeOf(args, table, NOT_ASKED)).toEqual({ to: 'esm' });
    agrees(args);
  });

  it.each([
    [['validate'], 'validate', 'checks.cjs', {}, {}],
    [['--config-dir', 'x', 'validate', '--profile', 'dev'], 'validate', 'checks.cjs', { profile: 'dev' }, { configDir: 'x', profile: 'dev' }],
    [['validate', '--json', '--config-dir=x'], 'validate', 'checks.cjs', {}, { configDir: 'x', json: true }],
    [['profiles', '--json'], 'profiles', 'checks.cjs', {}, { json: true }],
    [['--aws-profile', 'p', 'profiles'], 'profiles', 'checks.cjs', {}, { awsProfile: 'p' }],
    [['status'], 'status', 'status.cjs', {}, {}],
    [['--config-dir', 'x', 'status', '--json'], 'status', 'status.cjs', {}, { configDir: 'x', json: true }],
    [['status', '--config-dir=x', '--aws-profile', 'p', '--region', 'eu-west-1'], 'status', 'status.cjs', {}, { configDir: 'x', awsProfile: 'p', region: 'eu-west-1' }],
    [['synth'], 'synth', 'synth.cjs', {}, {}],
    [['synth', '--out', 'o'], 'synth', 'synth.cjs', { out: 'o' }, { out: 'o' }],
    [['--config-dir', 'x', 'synth', '--out=o', '--json'], 'synth', 'synth.cjs', { out: 'o' }, { configDir: 'x', out: 'o', json: true }],
  ])('%j runs %s in the front (%s), with what commander would give it', (args, command, bundle, options, globals) => {
    expect(routeOf(args, table, NOT_ASKED)).toEqual({ to: 'checks', bundle, command, options, globals });
    agrees(args);
  });

  it.each([[['--version']], [['-v']]])('%j prints the version in the front, as commander would', (args) => {
    expect(routeOf(args, table, NOT_ASKED)).toEqual({ to: 'version' });
    agrees(args);
  });

  it.each([
    [['--help']],
    [['-h']],
    [['--version', '--help']],
    [['--config-dir', 'x', '--version']],
    [['status', '--help']],
    [['validate', '--help']],
    [['deploy', '-yh']],
    [['help']],
    [['help', 'deploy']],
    [['no-such-command']],
    [['deploy', '--no-such-flag']],
    [['validate', '--no-such-flag']],
    [['validate', '--profile']],
    [['validate', 'extra']],
    [['deploy', '-e', 'staging']],
    [['deploy', '-e']],
    [['deploy', '--image-tag']],
    [['deploy', '--image-tag', '--yes']],
    [['status', 'extra']],
    [['setup-profile']],
    [['setup-profile', 'a', 'b']],
    [['setup-profile', 'dev', '--no-webhook-verification']],
    [['test', '--timeout', '5']],
    [['--refresh', '0']],
    [['--refresh', '3601']],
    [['--refresh', 'soon']],
    [['--refresh=']],
    [['--refresh', '2', '--refresh', '2']],
    [['-yy']],
    [['constructor', 'x']],
    [['toString']],
    [['--config-dir']],
    [['--config-dir', '']],
    [['--json=1', 'status']],
    [['deploy', '-edev']],
    [['status', '--', 'x']],
    [['status', '--config-dir', 'a', '--config-dir', 'b']],
    [['--config-dir', 'a', 'validate', '--config-dir=b']],
    [['validate', '--profile', 'dev', '--profile', 'default']],
    [['deploy', '-e', 'prod', '--environment', 'dev']],
  ])('%j goes to the front parser', (args) => {
    expect(routeOf(args, table, NOT_ASKED)).toEqual({ to: 'parser' });
  });

  it.each([
    [['deploy', '-e', 'prod', '-e', 'dev'], "'-e, --environment <env>'"],
    [['deploy', '--environment=prod', '-y', '-e', 'dev'], "'-e, --environment <env>'"],
    [['--config-dir', 'a', 'status', '--config-dir', 'b'], "'--config-dir <dir>'"],
    [['--region', 'us-east-1', '--region=eu-west-1'], "'--region <region>'"],
    [['logs', '--since', '1h', '--since', '2h'], "'--since <duration>'"],
    [['setup-profile', 'dev', '--tenant', 'a', '--tenant', 'b'], "'--tenant <value>'"],
  ])('%j: commander refuses an option with a value given twice (exit 2), naming it', (args, flags) => {
    const program = buildProgram();
    let err = '';
    for (const c of [program, ...program.commands]) c.configureOutput({ writeOut: () => {}, writeErr: (text) => void (err += text) }).action(() => {});
    let refused: unknown;
    try {
      program.parse(['node', 'benchling-deploy', ...args]);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(CommanderError);
    expect((refused as CommanderError).exitCode).toBe(2);
    expect(err).toContain(`option ${flags} given more than once, with two values`);
    expect(commanderRuns(args)).toBeNull();
  });

  it('the same value given twice means once, as on the line `--config-dir x status --config-dir x`', () => {
    expect(commanderRuns(['--config-dir', 'x', 'status', '--config-dir', 'x'])).toMatchObject({ command: 'status', globals: { configDir: 'x' } });
    expect(commanderRuns(['deploy', '-e', 'dev', '--environment=dev'])).toMatchObject({ command: 'deploy', options: { environment: 'dev' } });
  });

  it('a flag without a value, given twice, means once', () => {
    expect(commanderRuns(['deploy', '-e', 'dev', '-y', '--yes'])).toMatchObject({ command: 'deploy', options: { environment: 'dev' }, globals: { environment: 'dev', yes: true } });
    expect(routeOf(['status', '--json', '--json'], table, NOT_ASKED)).toMatchObject({ to: 'checks', command: 'status' });
    agrees(['status', '--json', '--json']);
  });

  it('agrees with commander on random lines', () => {
    const words = ['status', 'deploy', 'setup-profile', 'validate', 'profiles', 'help', 'logs', 'test', 'synth', 'nope', 'dev', 'prod', 'staging', 'x', '5', '0', '2.5', '3600', '3601', '1e3', ' 7', '0x10', 'Infinity', '', '-', '--'];
    const flags = ['--config-dir', '--region', '--aws-profile', '--json', '-y', '--yes', '-e', '--environment', '--image-tag', '--out', '--profile', '--profile=dev', '--timeout', '--refresh', '--refresh=9', '--refresh=0.5', '--help', '-h', '-v', '--version', '-f', '--tenant', '--no-webhook-verification', '--stack-name', '--environment=dev', '--out=', '-ey', '--nope'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...words, ...flags), { maxLength: 6 }), (args) => agrees(args)),
      { numRuns: 3000 },
    );
  });

  it("the table holds every command of the program, the front's marked, and options as commander reads them", () => {
    const program = buildProgram();
    expect(Object.keys(table.commands).sort()).toEqual(program.commands.map((c) => c.name()).sort());
    expect(Object.fromEntries(Object.keys(table.commands).flatMap((n) => (table.commands[n].front ? [[n, table.commands[n].front]] : [])))).toEqual(FRONT_BUNDLES);
    for (const command of FRONT_COMMANDS) expect(FRONT_BUNDLES[command]).toBe('checks.cjs');
    expect(table.globals['--config-dir']).toEqual({ key: 'configDir', kind: 'value' });
    expect(table.globals['--json']).toEqual({ key: 'json', kind: 'flag' });
    expect(table.commands.deploy.options['-e']).toEqual({ key: 'environment', kind: ['dev', 'prod'] });
    expect(table.commands['setup-profile'].operands).toEqual([1, 1]);
    // --refresh: read as its parser reads it (refreshMs), marked by that parser.
    expect(table.globals['--refresh']).toEqual({ key: 'refresh', kind: 'refresh' });
    // Checked by a parser of their own, with a default, negated, or version: left to the parser.
    expect(table.globals['--version']).toBeUndefined();
    expect(table.commands.test.options['--timeout']).toBeUndefined();
    expect(table.commands.rollback.options['--environment']).toBeUndefined();
    expect(table.commands['setup-profile'].options['--no-webhook-verification']).toBeUndefined();
  });
});

describe("the front's checks", () => {
  it('runs each command the route sends it by its own name, and refuses a name it does not know rather than run another', () => {
    expect(Object.keys(CHECKS).sort()).toEqual([...FRONT_COMMANDS].sort());
    expect(() => runFrontCommand('validat', {}, {})).toThrow(/no check named "validat"/);
    expect(() => runFrontCommand('__proto__', {}, {})).toThrow(/no check named/);
    expect(() => runStatusFront('statu', {}, {})).toThrow(/no command named "statu"/);
    expect(() => runStatusFront('validate', {}, {})).toThrow(/no command named "validate"/);
    expect(() => runSynthFront('synt', {}, {})).toThrow(/no command named "synt"/);
    expect(() => runSynthFront('status', {}, {})).toThrow(/no command named "status"/);
    expect(() => runSynthFront('synth', { out: true }, {})).toThrow(/--out that is not a string/);
  });
});
