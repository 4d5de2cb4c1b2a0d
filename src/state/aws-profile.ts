import { homedir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { AWS_FILE_MAX_BYTES, readUntrustedText, UntrustedFileError } from '../config/untrusted-file.js';

/** The shared AWS files as the SDK finds them: `AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/`. */
export function awsFiles(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): { config: string; credentials: string } {
  return {
    config: env.AWS_CONFIG_FILE || join(home, '.aws', 'config'),
    credentials: env.AWS_SHARED_CREDENTIALS_FILE || join(home, '.aws', 'credentials'),
  };
}

/** The profile sections of the file at `path`; none when it is missing or a folder (none to the SDK either); undefined when it is a pipe, which is not read. */
function sections(path: string): string[] | undefined {
  let text: string;
  try {
    text = readUntrustedText(path, AWS_FILE_MAX_BYTES);
  } catch (error) {
    // A FIFO (as `AWS_CONFIG_FILE=<(…)` gives) is read once: by the SDK, not here. Whether the profile is in it is the SDK's to say.
    if (error instanceof UntrustedFileError && error.found === 'FIFO or socket') return undefined;
    // A file (or device) past the bound: said, naming the file (the SDK would read it whole).
    if (error instanceof UntrustedFileError && error.found === 'too big') throw error;
    return [];
  }
  return [...text.matchAll(/^\s*\[([^\]\n]+)\]/gm)].map((m) => m[1].trim().replace(/\s+/g, ' '));
}

/**
 * Refuses an AWS profile that neither shared file defines, the way the SDK
 * reads them (`[profile NAME]` or `[default]` in config, `[NAME]` in
 * credentials). Without this the SDK's answer is "could not load credentials",
 * which reads like an expired login.
 */
export function assertAwsProfileExists(name: string, env: NodeJS.ProcessEnv = process.env, home: string = homedir()): void {
  const files = awsFiles(env, home);
  const config = sections(files.config);
  if (config === undefined || config.some((s) => s === `profile ${name}` || (name === 'default' && s === 'default'))) return;
  const credentials = sections(files.credentials);
  if (credentials === undefined || credentials.includes(name)) return;
  const shown = (p: string) => (p.startsWith(`${home}/`) ? `~/${p.slice(home.length + 1)}` : p);
  throw new UserError(
    `no AWS profile ${name} in ${shown(files.config)} (nor in ${shown(files.credentials)})`,
    '`aws configure list-profiles` lists the profiles there; give one of them with --aws-profile (or the config profile\'s awsProfile)',
  );
}

/** Where the SDK's one warning worth a word goes; null: nowhere (the dashboard, whose screen a stray line garbles). */
let warningSink: ((line: string) => void) | null = (line) => process.stderr.write(`warning: ${line}\n`);

export function setSdkWarningSink(sink: ((line: string) => void) | null): void {
  warningSink = sink;
}

/**
 * What an SDK client calls on its logger: `debug` and `warn` always, `info`, `error` and
 * `trace` only when the logger has them (`logger.info?.(…)`). The SDK's own type declares
 * all five; the calls in the bundled SDK are the ones above (test/state/sdk-logger.test.ts).
 */
export interface SdkLogger {
  debug(...content: unknown[]): void;
  warn(...content: unknown[]): void;
  info: (...content: unknown[]) => void;
  error: (...content: unknown[]) => void;
}

/**
 * The logger given to every SDK client. The SDK logs nothing by default
 * except through `console.warn`, where its credential chain prints a 9-line
 * warning when a profile and keys in the environment are both set; here that
 * becomes one line of ours, and nothing else is logged.
 *
 * It has no `info` and no `error`: with them, the SDK builds a log entry of
 * every call before calling them, copies of its request and of its whole
 * answer walked through their schemas (`schemaLogFilter`), for every call of
 * `status`, of each poll and of the log tail. The SDK calls them only
 * through `?.`, so without them nothing is built.
 */
export function sdkLogger(awsProfile: string | undefined): SdkLogger {
  const logger = {
    debug() {},
    warn(...args: unknown[]) {
      if (!/Multiple credential sources detected/.test(args.map(String).join(' '))) return;
      const profile = awsProfile ?? process.env.AWS_PROFILE ?? '?';
      warningSink?.(`AWS profile ${profile} is used; AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment are ignored`);
    },
  };
  // The type the SDK asks for; at run time the two are absent, as the SDK allows (above).
  return logger as SdkLogger;
}
