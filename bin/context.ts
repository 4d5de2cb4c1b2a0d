import type { Command } from 'commander';
import { sep } from 'node:path';
import { REGION_RE, resolveConfigDir } from '../src/config/paths.js';
import { folderError, isFsError } from '../src/config/fs-errors.js';
import { displayLine, jsonForTerminal, terminalSafe } from '../src/display-text.js';
import { ExternalError, UserError, exitCodeOf, formatError, isProductError } from '../src/errors.js';
import { brokenInstallation, missingBundleFile } from '../src/broken-install.js';
import { awsFailure, looksLikeAwsError } from '../src/state/aws-errors.js';
import { writeErr, writeOut } from './output.js';

/** Options every command accepts (see PRODUCT.md section 6). */
export interface Globals {
  readonly configDir?: string;
  readonly awsProfile?: string;
  readonly region?: string;
  readonly json?: boolean;
  readonly yes?: boolean;
}

export function globalsOf(command: Command): Globals {
  return command.optsWithGlobals() as Globals;
}

/**
 * The config folder the globals name, once their values are checked: an empty one (an unset
 * variable in a script) would quietly mean the default (the user's real profiles, the SDK's
 * default credentials), and a region that is not one would reach AWS as a failure with the wrong
 * advice. Every command asks for the folder before anything else, so every command checks them.
 */
export function configDirOf(globals: Globals): string {
  const given: readonly [string, string | undefined, string][] = [
    ['--config-dir', globals.configDir, 'name the config folder, or leave --config-dir out for $XDG_CONFIG_HOME/benchling-webhook'],
    ['--aws-profile', globals.awsProfile, "name an AWS profile, or leave --aws-profile out for the profile's awsProfile or the SDK's default"],
    ['--region', globals.region, "name a region such as us-east-1, or leave --region out for the prod profile's"],
  ];
  for (const [flag, value, hint] of given) if (value !== undefined && value.trim() === '') throw new UserError(`${flag}: empty`, hint);
  if (globals.region !== undefined && !REGION_RE.test(globals.region)) {
    throw new UserError(`--region: "${displayLine(globals.region, 80)}" is not an AWS region`, "name a region such as us-east-1, or leave --region out for the prod profile's");
  }
  return resolveConfigDir(globals.configDir);
}

export { isCi, isInteractive } from './interactive.js';

/**
 * A command's human output. Fields from outside were made one line by the
 * door ({@link displayLine}) where they were put in; this is the last guard:
 * no control character reaches the terminal raw.
 */
export function print(line = ''): void {
  writeOut(`${terminalSafe(line)}\n`);
}

/** Like {@link print}, on stderr: errors and notes. */
export function printError(line: string): void {
  writeErr(`${terminalSafe(line)}\n`);
}

/** JSON for scripts: outside strings kept whole, escaped by JSON only (C1 controls too, see {@link jsonForTerminal}). */
export function printJson(value: unknown): void {
  writeOut(`${jsonForTerminal(value)}\n`);
}

export function warn(line: string): void {
  printError(`warning: ${line}`);
}

/**
 * Wraps a command's action: an error is printed once, by kind, and becomes
 * the exit status (2 input, 1 failure). A returned number is the exit status.
 */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<number | void> | number | void): (...args: A) => Promise<void> {
  return (...args: A) =>
    runCommand(
      () => fn(...args),
      () => {
        const last = args.at(-1);
        return last && typeof last === 'object' && 'optsWithGlobals' in last ? globalsOf(last as Command) : undefined;
      },
    );
}

/** What {@link action} does, for a command run without commander (the front's route): the globals come from the caller. */
export async function runCommand(body: () => Promise<number | void> | number | void, globalsOfRun: () => Globals | undefined): Promise<void> {
  try {
    const code = await body();
    process.exitCode = typeof code === 'number' ? code : 0;
  } catch (thrown) {
    // What the AWS SDK throws is an external failure with words, not a bug with a stack.
    const globals = globalsOfRun();
    const awsProfile = globals?.awsProfile;
    // A chunk of dist/ the command imports as it runs, missing: a broken installation, not a bug.
    const missing = missingBundleFile(thrown);
    const error =
      missing !== undefined
        ? new ExternalError(brokenInstallation(missing, thrown), { cause: thrown })
        : !isProductError(thrown) && looksLikeAwsError(thrown)
          ? awsFailure(thrown, { awsProfile })
          : inConfigFolder(thrown, globals);
    printError(formatError(error));
    process.exitCode = exitCodeOf(error);
  }
}

/** A file-system failure in the config folder that no caller put in words: said with its path and what to do, not as a bug. */
function inConfigFolder(thrown: unknown, globals: Globals | undefined): unknown {
  if (!isFsError(thrown) || typeof thrown.path !== 'string') return thrown;
  const dir = resolveConfigDir(globals?.configDir);
  return thrown.path === dir || thrown.path.startsWith(`${dir}${sep}`) ? folderError(thrown, 'use') : thrown;
}
