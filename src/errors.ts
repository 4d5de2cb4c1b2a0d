/**
 * The three kinds of failure the product distinguishes. Each carries what the
 * single error banner (CLI or dashboard) needs to tell the operator what to do.
 */

/** Wrong input: flags, profiles, pairing. Exit status 2. */
export class UserError extends Error {
  readonly kind = 'user' as const;
  readonly exitCode = 2;
  /** What the operator can do about it, e.g. the command that fixes it. */
  readonly hint?: string;
  constructor(message: string, hint?: string) {
    super(message);
    this.name = 'UserError';
    this.hint = hint;
  }
}

/** Several input problems found at once (a profile with many bad fields). Exit status 2. */
export class UserErrors extends UserError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[], hint?: string) {
    super(problems.join('\n'), hint);
    this.name = 'UserErrors';
    this.problems = problems;
  }
}

/** Something outside failed: AWS, cdk, the endpoint. Exit status 1. */
export class ExternalError extends Error {
  readonly kind = 'external' as const;
  readonly exitCode = 1;
  readonly hint?: string;
  /** The command or API call that failed. */
  readonly command?: string;
  readonly commandExitCode?: number;
  /** The last lines of the command's stderr, for context. */
  readonly stderrTail?: string;
  constructor(
    message: string,
    options: { hint?: string; command?: string; exitCode?: number; stderrTail?: string; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'ExternalError';
    this.hint = options.hint;
    this.command = options.command;
    this.commandExitCode = options.exitCode;
    this.stderrTail = options.stderrTail;
  }
}

export type ProductError = UserError | ExternalError;

export function isProductError(error: unknown): error is ProductError {
  return error instanceof UserError || error instanceof ExternalError;
}

/** Exit status for any thrown value: 2 for input, 1 for everything else. */
export function exitCodeOf(error: unknown): number {
  return error instanceof UserError ? 2 : 1;
}

/** One text rendering of an error for stderr; a bug keeps its stack. */
export function formatError(error: unknown): string {
  if (error instanceof UserError || error instanceof ExternalError) {
    const lines = [`error: ${error.message}`];
    if (error instanceof ExternalError) {
      if (error.command) lines.push(`  command: ${error.command}${error.commandExitCode !== undefined ? ` (exit ${error.commandExitCode})` : ''}`);
      if (error.stderrTail) lines.push(...error.stderrTail.split('\n').map((l) => `  | ${l}`));
    }
    if (error.hint) lines.push(`hint: ${error.hint}`);
    return lines.join('\n');
  }
  const e = error instanceof Error ? error : new Error(String(error));
  return `internal error (a bug in benchling-deploy; please report it):\n${e.stack ?? e.message}`;
}
