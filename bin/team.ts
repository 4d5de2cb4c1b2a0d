import { UserError } from '../src/errors.js';
import type { StackPlace } from '../src/config/pairing.js';
import type { ParameterStore } from '../src/state/aws-clients.js';
import type { Team } from '../src/state/team-records.js';
import { VERSION } from './version.js';

/** Seconds a lock in the account lasts unless renewed: `BENCHLING_DEPLOY_LOCK_TTL_SECONDS`, 5 to 3600 (default 300). */
export const LOCK_TTL_ENV = 'BENCHLING_DEPLOY_LOCK_TTL_SECONDS';

export function lockTtlMs(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const text = env[LOCK_TTL_ENV];
  if (text === undefined || text === '') return undefined;
  const seconds = Number(text);
  if (!Number.isInteger(seconds) || seconds < 5 || seconds > 3600) throw new UserError(`${LOCK_TTL_ENV}: expected whole seconds from 5 to 3600, got "${text.slice(0, 40)}"`);
  return seconds * 1000;
}

/**
 * The command's team mode: the account's records and lock on the command's
 * clients. Notices go to stderr, each once.
 */
export async function teamFor(place: StackPlace, recordsPath: string, store: ParameterStore, who: () => Promise<string>, notice: (line: string) => void): Promise<Team> {
  const ttl = lockTtlMs();
  const { createTeam } = await import('../src/state/team-records.js');
  const said = new Set<string>();
  return createTeam({
    store,
    stackName: place.stackName,
    region: place.region,
    account: place.account,
    recordsPath,
    who,
    toolVersion: VERSION,
    lockTtlMs: ttl,
    notice: (line) => {
      if (said.has(line)) return;
      said.add(line);
      notice(line);
    },
  });
}
