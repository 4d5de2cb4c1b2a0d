import type { Command } from 'commander';
import { assertAwsProfileExists } from '../../src/state/aws-profile.js';
import { resolveStackProfiles, resolveTarget } from '../../src/config/pairing.js';
import type { EnvironmentName } from '../../src/config/schema.js';
import { ExternalError, UserError } from '../../src/errors.js';
import { classifyAwsError, loginHint } from '../../src/state/aws-errors.js';
import { formatLogLine, logLineJson, statusChangeLines } from '../../src/state/log-format.js';
import { DEFAULT_SINCE_MS, LOG_READ_MAX_CHARS, LOG_READ_MAX_LINES, describeLogProblem, parseSince, readLogs, startLogTail, type LogGroupRef, type LogTail } from '../../src/state/log-tail.js';
import type { LogsApi } from '../../src/state/logs-api.js';
import type { LogLine, LogTailStatus } from '../../src/state/log-types.js';
import { action, configDirOf, globalsOf, print, printError, warn, type Globals } from '../context.js';
import { loadProfiles } from '../load-profiles.js';
import { displayLine } from '../../src/display-text.js';

interface LogsOptions {
  readonly environment?: string;
  readonly follow?: boolean;
  readonly filter?: string;
  readonly since?: string;
  readonly includeHealth?: boolean;
}

export const logsAction = action((opts: LogsOptions, cmd: Command) => runLogs(globalsOf(cmd), opts));

/** Exit 0 when the lines were printed (or --follow ended by a signal); 1 when AWS failed; 2 for bad flags or profiles. */
export async function runLogs(g: Globals, opts: LogsOptions): Promise<number> {
  if (!opts.environment) throw new UserError('--environment: required (dev, prod or all)');
  const wanted = opts.environment;
  if (wanted !== 'dev' && wanted !== 'prod' && wanted !== 'all') throw new UserError(`--environment: "${wanted}" is not an environment; expected dev, prod or all`);
  const sinceMs = opts.since !== undefined ? parseSince(opts.since) : DEFAULT_SINCE_MS;
  const since = opts.since?.trim() ?? '10m';
  if (opts.filter !== undefined && opts.filter.trim() === '') throw new UserError('--filter: empty; give a CloudWatch filter pattern, e.g. ERROR');
  const filterPattern = opts.filter?.trim();

  const profiles = loadProfiles(configDirOf(g));
  let environments: EnvironmentName[];
  let place: { stackName: string; region: string };
  let awsProfile: string | undefined;
  if (wanted === 'all') {
    const stack = resolveStackProfiles(profiles, { region: g.region });
    environments = stack.dev ? ['dev', 'prod'] : ['prod'];
    place = stack.place;
    awsProfile = g.awsProfile ?? stack.prod.awsProfile;
  } else {
    const target = resolveTarget(profiles, { environment: wanted, region: g.region });
    environments = [wanted];
    place = target.place;
    awsProfile = g.awsProfile ?? target.profile.awsProfile;
  }
  if (awsProfile) assertAwsProfileExists(awsProfile);

  // The SDK is loaded only now, after the flags and profiles were found valid.
  const [{ createStatusApi }, { createLogsApi }, { logGroupsOf }] = await Promise.all([
    import('../../src/state/aws-clients.js'),
    import('../../src/state/logs-aws.js'),
    import('../../src/state/log-groups.js'),
  ]);
  const stackApi = createStatusApi({ region: place.region, awsProfile });
  let groups: LogGroupRef[];
  try {
    const stack = await stackApi.describeStack(place.stackName).catch((error: unknown) => {
      throw awsFailure(error, `reading stack ${place.stackName}`, awsProfile);
    });
    if (!stack) {
      throw new ExternalError(`stack ${place.stackName} not found in ${place.region}: no such log group yet; has the environment been deployed?`, {
        hint: `deploy it: \`benchling-deploy deploy --environment ${environments[environments.length - 1]}\` (or check --region)`,
      });
    }
    groups = logGroupsOf(stack, environments);
  } finally {
    stackApi.close();
  }

  const api = createLogsApi({ region: place.region, awsProfile });
  const label = groups.length > 1;
  // A reader that goes away (`| head`) ends the output quietly, not with an EPIPE stack.
  let readerGone = false;
  const onPipeError = (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') readerGone = true;
  };
  process.stdout.on('error', onPipeError);
  const write = (line: LogLine) => {
    if (!readerGone) print(g.json ? logLineJson(line) : formatLogLine(line, { labelEnvironment: label }));
  };
  try {
    if (!opts.follow) {
      const startTime = Date.now() - sinceMs;
      const read = await Promise.allSettled(groups.map((group) => readLogs({ api, group, startTime, filterPattern, includeHealth: opts.includeHealth })));
      // What could be read is printed; then the first failure, if any, is the command's.
      const lines = mergeByTime(read.flatMap((r) => (r.status === 'fulfilled' ? [r.value.lines] : [])));
      for (const line of lines) write(line);
      for (const [i, r] of read.entries()) {
        if (r.status !== 'fulfilled' || r.value.shownFrom === null) continue;
        warn(`${groups[i].environment}: ${LOG_READ_MAX_LINES.toLocaleString('en-US')} lines or ${LOG_READ_MAX_CHARS / (1024 * 1024)} Mi characters or more in the last ${displayLine(since, 40)}: the newest are shown, back to ${new Date(r.value.shownFrom).toISOString()}; older ones were not read: a --filter narrows them`);
      }
      const failed = read.findIndex((r) => r.status === 'rejected');
      if (lines.length === 0 && failed < 0) process.stderr.write(`${noEvents(since, filterPattern)}\n`);
      if (failed >= 0) {
        const error = (read[failed] as PromiseRejectedResult).reason;
        const p = describeLogProblem(error, groups[failed], awsProfile);
        throw new ExternalError(`${groups[failed].environment}: ${p.message}`, { hint: p.hint ?? undefined, cause: error });
      }
      return 0;
    }
    return await follow(groups, { api, sinceMs, since, filterPattern, includeHealth: opts.includeHealth, awsProfile, write, label, readerGone: () => readerGone });
  } finally {
    process.stdout.off('error', onPipeError);
    api.close();
  }
}

interface FollowContext {
  readonly api: LogsApi;
  readonly sinceMs: number;
  /** `--since` as given, for what is said when nothing matched. */
  readonly since: string;
  readonly filterPattern?: string;
  readonly includeHealth?: boolean;
  readonly awsProfile?: string;
  readonly write: (line: LogLine) => void;
  readonly label: boolean;
  readonly readerGone: () => boolean;
}

/**
 * Prints lines as the tails deliver them until SIGINT or SIGTERM (exit 0).
 * Problems go to stderr once each, as they start and end, and the tails keep
 * trying; refused credentials end the command (exit 1), since retrying cannot
 * log in.
 */
async function follow(groups: readonly LogGroupRef[], ctx: FollowContext): Promise<number> {
  let finish: (code: number) => void = () => {};
  const finished = new Promise<number>((resolve) => (finish = resolve));
  const onSignal = () => finish(0);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let failure: ExternalError | undefined;
  // The first reads (the past --since) are held until every environment's is in, then shown merged by time.
  const held: LogLine[][] = groups.map(() => []);
  const firstReadOver = groups.map(() => false);
  let written = 0;
  const writeAll = (lines: readonly LogLine[]) => {
    for (const line of lines) ctx.write(line);
    written += lines.length;
  };
  const endFirstRead = (i: number) => {
    if (firstReadOver[i]) return;
    firstReadOver[i] = true;
    if (!firstReadOver.every(Boolean)) return;
    writeAll(mergeByTime(held.splice(0)));
    if (written === 0) process.stderr.write(`${noEvents(ctx.since, ctx.filterPattern)}; waiting for new ones\n`);
    if (ctx.readerGone()) finish(0);
  };
  const tails: LogTail[] = groups.map((group, i) => {
    let shown: LogTailStatus | undefined;
    const prefix = ctx.label ? `${group.environment}: ` : '';
    return startLogTail({
      api: ctx.api,
      group,
      sinceMs: ctx.sinceMs,
      // The window's newest lines only, read newest first: a busy group's whole --since is not held before the first line.
      backfillLimit: LOG_READ_MAX_LINES,
      filterPattern: ctx.filterPattern,
      includeHealth: ctx.includeHealth,
      awsProfile: ctx.awsProfile,
      onLines: (lines) => {
        // One by one: the first read can bring 200,000 lines, too many to spread as call arguments.
        if (!firstReadOver[i]) for (const line of lines) held[i].push(line);
        else writeAll(lines);
        if (ctx.readerGone()) finish(0);
      },
      onFirstRead: () => endFirstRead(i),
      onStatus: (status) => {
        for (const line of statusChangeLines(shown, status, prefix)) printError(line);
        shown = status;
        // A first read that fails (said above) holds the others' lines no longer.
        if (status.error) endFirstRead(i);
        if (status.errorKind === 'credentials' && !failure) {
          failure = new ExternalError(`${prefix}${status.error}`, { hint: status.hint ?? undefined });
          finish(1);
        }
      },
    });
  });
  const code = await finished;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  await Promise.all(tails.map((t) => t.stop()));
  if (failure) {
    // Already shown on stderr as it happened; the exit status says the rest.
    return 1;
  }
  return code;
}

/** What is said on stderr when nothing matched, so an empty output is not taken for a hang or a fault. */
function noEvents(since: string, filterPattern: string | undefined): string {
  return `no events in the last ${since}${filterPattern ? ` (filter ${filterPattern})` : ''}`;
}

function mergeByTime(lists: readonly LogLine[][]): LogLine[] {
  return lists.flat().sort((a, b) => a.timestamp - b.timestamp);
}

function awsFailure(error: unknown, doing: string, awsProfile: string | undefined): ExternalError {
  const p = classifyAwsError(error);
  if (p.kind === 'credentials') return new ExternalError(`${doing}: the AWS credentials were refused (${p.message}): log in again`, { hint: loginHint(awsProfile), cause: error });
  return new ExternalError(`${doing}: ${p.message}`, { cause: error });
}
