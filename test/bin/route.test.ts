/**
 * The route of a command line (bin/route.ts), read without commander: `esm` sends it to the ESM
 * bundle straight away, so it must only say so for a line commander accepts as a run of one of
 * that bundle's commands; anything else goes to the CommonJS front, which parses it.
 */
import { CommanderError, type Command } from 'commander';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../bin/program.js';
import { FRONT_COMMANDS, routeOf, routeTable } from '../../bin/route.js';

const table = routeTable(buildProgram());

/** What commander makes of the line: the command whose action it runs ('' for the program's own), or null when it refuses it or prints help or version. */
function commanderRuns(args: string[]): string | null {
  const program = buildProgram();
  let ran: string | null = null;
  const silent = (c: Command) => c.configureOutput({ writeOut: () => {}, writeErr: () => {} });
  silent(program).action(() => void (ran = ''));
  for (const c of program.commands) silent(c).action(() => void (ran = c.name()));
  try {
    program.parse(['node', 'benchling-deploy', ...args]);
  } catch (error) {
    if (error instanceof CommanderError) return null;
    throw error;
  }
  return ran;
}

describe('routeOf', () => {
  it.each([
    [[]],
    [['--config-dir', 'x']],
    [['--json', '--yes']],
    [['status']],
    [['--config-dir', 'x', 'status', '--json']],
    [['status', '--config-dir=x', '--aws-profile', 'p']],
    [['synth', '--out', 'o']],
    [['deploy', '-e', 'dev', '--image-tag', '1.0', '-y']],
    [['deploy', '--environment=prod', '--allow-replacement']],
    [['setup-profile', 'dev', '--tenant', 'acme', '--no-webhook-verification']],
    [['logs', '--environment', 'all', '-f', '--filter', 'ERROR']],
    [['history', '-e', 'prod']],
  ])('%j goes to the ESM bundle, and commander runs that command', (args) => {
    expect(routeOf(args, table)).toBe('esm');
    const ran = commanderRuns(args);
    expect(ran).not.toBeNull();
    expect(FRONT_COMMANDS).not.toContain(ran);
  });

  it.each([
    [['--help']],
    [['-h']],
    [['status', '--help']],
    [['deploy', '-yh']],
    [['-v']],
    [['--version']],
    [['help']],
    [['help', 'deploy']],
    [['validate']],
    [['--config-dir', 'x', 'profiles', '--json']],
    [['no-such-command']],
    [['deploy', '--no-such-flag']],
    [['deploy', '-e', 'staging']],
    [['deploy', '-e']],
    [['deploy', '--image-tag']],
    [['deploy', '--image-tag', '--yes']],
    [['status', 'extra']],
    [['setup-profile']],
    [['setup-profile', 'a', 'b']],
    [['test', '--timeout', '5']],
    [['--refresh', '2']],
    [['--config-dir']],
    [['--config-dir', '']],
    [['--json=1', 'status']],
    [['deploy', '-edev']],
    [['status', '--', 'x']],
  ])('%j goes to the front', (args) => {
    expect(routeOf(args, table)).toBe('front');
  });

  it('says `esm` only for lines commander accepts as a run of a command of the ESM bundle (random lines)', () => {
    const words = ['status', 'deploy', 'setup-profile', 'validate', 'profiles', 'help', 'logs', 'test', 'synth', 'nope', 'dev', 'prod', 'all', 'x', '5', '0', '', '-', '--'];
    const flags = ['--config-dir', '--region', '--json', '-y', '--yes', '-e', '--environment', '--image-tag', '--out', '--timeout', '--refresh', '--help', '-h', '-v', '--version', '-f', '--tenant', '--no-webhook-verification', '--stack-name', '--environment=dev', '--out=', '-ey', '--nope'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...words, ...flags), { maxLength: 6 }), (args) => {
        if (routeOf(args, table) !== 'esm') return;
        const ran = commanderRuns(args);
        expect(ran, JSON.stringify(args)).not.toBeNull();
        expect(FRONT_COMMANDS).not.toContain(ran);
      }),
      { numRuns: 2000 },
    );
  });

  it("the table holds every command of the program but the front's, and only options commander would take as the table says", () => {
    const program = buildProgram();
    expect(Object.keys(table.commands).sort()).toEqual(program.commands.map((c) => c.name()).filter((n) => !FRONT_COMMANDS.includes(n)).sort());
    for (const name of FRONT_COMMANDS) expect(program.commands.some((c) => c.name() === name)).toBe(true);
    expect(table.globals['--config-dir']).toBe('value');
    expect(table.globals['--json']).toBe('flag');
    expect(table.commands.deploy.options['-e']).toEqual(['dev', 'prod']);
    expect(table.commands['setup-profile'].operands).toEqual([1, 1]);
    // Checked by a parser of their own, version: left to the front.
    expect(table.globals['--refresh']).toBeUndefined();
    expect(table.globals['--version']).toBeUndefined();
    expect(table.commands.test.options['--timeout']).toBeUndefined();
  });
});
