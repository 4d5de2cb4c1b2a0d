import type { Command } from 'commander';
import { deployRecordPath } from '../../src/config/paths.js';
import { resolveStackProfiles } from '../../src/config/pairing.js';
import { ENVIRONMENTS } from '../../src/config/schema.js';
import { ExternalError } from '../../src/errors.js';
import { assertAwsProfileExists } from '../../src/state/aws-profile.js';
import { readDeployRecords } from '../../src/state/deploy-records.js';
import { stackStatusWords } from '../../src/state/health.js';
import { alarmRollbackText } from '../../src/state/alarm-rollback.js';
import { createStatusPoller, type PolledEnvironment } from '../../src/state/status-poller.js';
import type { EnvironmentStatus, StatusSnapshot } from '../../src/state/status-types.js';
import { displayLine } from '../../src/display-text.js';
import { span } from '../../src/state/team-records.js';
import { openStackPartsCache } from '../../src/state/stack-parts-cache.js';
import { action, configDirOf, globalsOf, print, printError, printJson, warn, type Globals } from '../context.js';
import { loadProfiles } from '../load-profiles.js';
import { formatTable } from './profile-checks.js';
import { teamFor } from '../team.js';

export const statusAction = action((_opts: unknown, cmd: Command) => runStatus(globalsOf(cmd)));

/**
 * One snapshot of the stack's environments, printed. Exit 0 when every
 * environment is healthy, 1 otherwise (or when AWS could not be read), 2 for
 * bad profiles. Also what the bare command runs when there is no terminal.
 */
export async function runStatus(g: Globals): Promise<number> {
  const dir = configDirOf(g);
  const stack = resolveStackProfiles(loadProfiles(dir), { region: g.region });
  const read = readDeployRecords(deployRecordPath(dir));
  if (read.state === 'malformed') warn(`${read.error} (the last deploys are not shown)`);
  let records = read.state === 'malformed' ? {} : read.records;
  const awsProfile = g.awsProfile ?? stack.prod.awsProfile;
  if (awsProfile) assertAwsProfileExists(awsProfile);
  const environments: PolledEnvironment[] = ENVIRONMENTS.flatMap((name) => {
    const profile = name === 'prod' ? stack.prod : stack.dev;
    return profile ? [{ name, profile: profile.profile }] : [];
  });

  // The SDK is loaded only now, after the profiles were found valid.
  const { createStatusApi, preloadStatusClients } = await import('../../src/state/aws-clients.js');
  // Every client the poll calls loads now, together, rather than each when its turn comes.
  preloadStatusClients();
  const api = createStatusApi({ region: stack.place.region, awsProfile });
  const parts = openStackPartsCache({ ...stack.place, awsProfile });
  let snapshot: StatusSnapshot;
  try {
    // Team mode: the account's records, mirrored into deploy.json before the poll reads it; the stack's reads do not wait for them.
    const team = read.state === 'malformed' ? null : await teamFor(stack.place, deployRecordPath(dir), api, async () => (await api.getCallerIdentity()).arn, warn);
    const refreshRecords = team
      ? async () => {
          await team.refresh(environments.map((e) => e.name));
          const again = readDeployRecords(deployRecordPath(dir));
          if (again.state !== 'malformed') records = again.records;
        }
      : undefined;
    const poller = createStatusPoller({
      api,
      stackName: stack.place.stackName,
      region: stack.place.region,
      account: stack.place.account,
      environments,
      deployRecords: () => records,
      refreshRecords,
      awsProfile,
      // The table shows neither metrics nor the API's stages: only --json, which carries them, reads them
      // (a CloudWatch and an API Gateway call fewer, and their clients, made at their first call).
      readMetrics: g.json === true,
      readStages: g.json === true,
      // The parts the last run read: the reads that follow from them go out with the stack's (a round trip less).
      lastParts: parts.parts,
      onStackParts: parts.save,
    });
    snapshot = await poller.snapshot();
  } finally {
    api.close();
  }

  const allHealthy = !snapshot.error && snapshot.environments.every((e) => e.health === 'healthy');
  if (g.json) {
    printJson(snapshot);
    if (snapshot.errorKind === 'credentials') printError(`error: ${displayLine(snapshot.error)}\nhint: ${displayLine(snapshot.hint)}`);
    return allHealthy ? 0 : 1;
  }
  if (snapshot.errorKind === 'credentials') {
    throw new ExternalError(snapshot.error ?? 'AWS credentials expired or missing', { hint: snapshot.hint ?? undefined });
  }
  for (const line of formatStatus(snapshot)) print(line);
  if (snapshot.error) {
    printError(`error: ${displayLine(snapshot.error)}${snapshot.hint ? `\nhint: ${displayLine(snapshot.hint)}` : ''}`);
  }
  return allHealthy ? 0 : 1;
}

/**
 * The compact table of `status`: a header line, one row per environment, then
 * the reasons. Every field from AWS or a file passes the door: one line each
 * (a CR/LF in a stop reason cannot forge a row), escaped, bounded; the whole
 * text is in `status --json`.
 */
export function formatStatus(s: StatusSnapshot): string[] {
  const header = [s.stackName, s.region, s.account ? `account ${s.account}` : null, stackStatusWords(s)].filter(Boolean).map((f) => displayLine(f as string)).join('  ');
  const rows = [
    ['ENV', 'PROFILE', 'HEALTH', 'TASKS', 'ROLLOUT', 'TARGETS', 'IMAGE', 'ENDPOINT'],
    ...s.environments.map((e) => [e.name, e.profile, e.health, tasks(e), e.service?.rolloutState ?? '-', targets(e), e.imageTag ?? '-', e.endpoint ?? '-']),
  ];
  const notes = s.environments.flatMap((e) => [
    ...(e.rolledBackByAlarm ? [`${e.name}: ${displayLine(alarmRollbackText(e.rolledBackByAlarm), REASON_MAX)} (${displayLine(e.rolledBackByAlarm.at, 40)})`] : []),
    ...(e.reason ? [`${e.name}: ${displayLine(e.reason, REASON_MAX)}`] : []),
    ...(e.error && e.error !== e.reason ? [`${e.name}: could not read: ${displayLine(e.error, REASON_MAX)}`] : []),
  ]);
  const deployed = s.environments.flatMap((e) => (e.lastDeploy ? [`deployed ${e.name}: ${deployedText(e.lastDeploy, Date.parse(s.fetchedAt))}`] : []));
  return [header, ...formatTable(rows), ...(notes.length > 0 ? ['', ...notes] : []), ...(deployed.length > 0 ? ['', ...deployed] : [])];
}

/** `0.7.10 at 2026-11-01T00:00:00.000Z (3 min ago) by arn:...`: the record's fields through the door. */
export function deployedText(last: NonNullable<EnvironmentStatus['lastDeploy']>, now: number): string {
  const at = Date.parse(last.deployedAt);
  const ago = Number.isNaN(at) ? '' : ` (${span(now - at)} ago)`;
  return `${displayLine(last.imageTag, 200)} at ${displayLine(last.deployedAt, 64)}${ago}${last.deployedBy ? ` by ${displayLine(last.deployedBy, 300)}` : ''}`;
}

/** Characters of a reason `status` prints (the rest: `status --json`). */
const REASON_MAX = 1000;

function tasks(e: EnvironmentStatus): string {
  if (!e.service) return '-';
  return `${e.service.running}/${e.service.desired}${e.service.pending > 0 ? ` +${e.service.pending} pending` : ''}`;
}

function targets(e: EnvironmentStatus): string {
  if (!e.targets) return '-';
  const total = e.targets.healthy + e.targets.unhealthy + e.targets.other;
  return `${e.targets.healthy}/${total} healthy`;
}
