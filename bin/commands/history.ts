import type { Command } from 'commander';
import { deployRecordPath } from '../../src/config/paths.js';
import { resolveStackProfiles } from '../../src/config/pairing.js';
import { ENVIRONMENTS, type EnvironmentName } from '../../src/config/schema.js';
import { displayLine } from '../../src/display-text.js';
import { assertAwsProfileExists } from '../../src/state/aws-profile.js';
import { loadDeployRecords, type HistoryEntry } from '../../src/state/deploy-records.js';
import { action, configDirOf, globalsOf, print, printJson, warn } from '../context.js';
import { loadProfiles } from '../load-profiles.js';
import { teamFor } from '../team.js';
import { formatTable } from './profiles.js';

/** One deploy as `history` prints it. */
interface HistoryRow {
  readonly imageTag: string;
  readonly imageDigest: string | null;
  readonly deployedAt: string;
  readonly deployedBy: string | null;
  readonly operation: string | null;
  readonly toolVersion: string | null;
  /** The SSM parameter's version (account history); null for deploy.json's. */
  readonly version: number | null;
}

export const historyAction = action(async (opts: { environment?: EnvironmentName }, cmd: Command) => {
  const g = globalsOf(cmd);
  const dir = configDirOf(g);
  const recordsPath = deployRecordPath(dir);
  const stack = resolveStackProfiles(loadProfiles(dir), { region: g.region });
  // deploy.json is checked before anything: a bad one is named (exit 2), not overwritten by the mirror.
  loadDeployRecords(recordsPath);
  const envs = ENVIRONMENTS.filter((e) => (opts.environment ? e === opts.environment : e === 'prod' || stack.dev !== undefined));
  const awsProfile = g.awsProfile ?? stack.prod.awsProfile;
  if (awsProfile) assertAwsProfileExists(awsProfile);
  const { createStatusApi } = await import('../../src/state/aws-clients.js');
  const api = createStatusApi({ region: stack.place.region, awsProfile });
  let read;
  try {
    const team = await teamFor(stack.place, recordsPath, api, async () => (await api.getCallerIdentity()).arn, warn);
    read = await team.refresh(envs);
  } finally {
    api.close();
  }
  const local = loadDeployRecords(recordsPath);
  const environments = envs.map((name) => {
    const account = read[name];
    if (account?.source === 'account' && account.entries.length > 0) {
      return {
        name,
        source: 'account' as const,
        entries: account.entries.map((e): HistoryRow => ({ imageTag: e.imageTag, imageDigest: e.imageDigest ?? null, deployedAt: e.deployedAt, deployedBy: e.deployedBy ?? null, operation: e.operation ?? null, toolVersion: e.toolVersion ?? null, version: e.version })),
      };
    }
    const record = local[name];
    const entries: HistoryEntry[] = record ? [...(record.imageTag ? [record] : []), ...record.history] : [];
    return {
      name,
      source: 'deploy.json' as const,
      ...(account?.source === 'local' ? { accountError: account.reason } : {}),
      entries: entries.map((e): HistoryRow => ({ imageTag: e.imageTag, imageDigest: e.imageDigest ?? null, deployedAt: e.deployedAt, deployedBy: e.deployedBy ?? null, operation: null, toolVersion: null, version: null })),
    };
  });
  // An environment whose account records could not be read shows deploy.json's, said on stderr, and the command fails (1):
  // what it shows may be behind the account's. Team records off (no permission) is not a failure: they are the local ones.
  const unread = envs.flatMap((name) => {
    const account = read[name];
    return account?.source === 'local' && account.failed ? [{ name, reason: account.reason }] : [];
  });
  for (const u of unread) warn(`${u.name}: the account's records could not be read (${u.reason}); deploy.json's are shown, and may be behind them`);
  const status = unread.length > 0 ? 1 : 0;
  if (g.json) {
    printJson({ stackName: stack.place.stackName, region: stack.place.region, environments });
    return status;
  }
  for (const [i, env] of environments.entries()) {
    if (i > 0) print('');
    print(`${env.name} (${env.source === 'account' ? `the account: ${deployedParameterName(stack.place.stackName, env.name)}` : 'deploy.json'}), newest first`);
    if (env.entries.length === 0) {
      print('  no deploys recorded');
      continue;
    }
    const cell = (v: string | null, max = 200) => (v === null ? '-' : displayLine(v, max));
    const rows = [['WHEN', 'IMAGE', 'DIGEST', 'WHO', 'HOW'], ...env.entries.map((e) => [cell(e.deployedAt, 64), cell(e.imageTag), cell(e.imageDigest ? `${e.imageDigest.slice(0, 19)}…` : null), cell(e.deployedBy, 300), cell(e.operation, 20)])];
    for (const line of formatTable(rows)) print(`  ${line}`);
  }
  return status;
});

function deployedParameterName(stackName: string, env: EnvironmentName): string {
  return `/benchling-webhook/${stackName}/${env}/deployed`;
}
