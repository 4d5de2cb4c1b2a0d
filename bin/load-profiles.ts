import { inspectAllProfiles, type LoadedProfile } from '../src/config/store.js';
import { warn } from './context.js';

/**
 * The config folder's profiles for a command that uses them, with their
 * warnings (a readable file holding the client secret) said on stderr.
 */
export function loadProfiles(configDir: string): LoadedProfile[] {
  const all = inspectAllProfiles(configDir);
  for (const p of all) for (const w of p.warnings) warn(w);
  return all;
}
