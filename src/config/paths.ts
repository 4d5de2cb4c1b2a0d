import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export const CONFIG_FOLDER_NAME = 'benchling-webhook';

/**
 * Where profiles and deploy.json live: `--config-dir`, else
 * `$XDG_CONFIG_HOME/benchling-webhook`, else `~/.config/benchling-webhook`.
 */
export function resolveConfigDir(flag?: string, env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  if (flag) return resolve(flag);
  const xdg = env.XDG_CONFIG_HOME;
  if (xdg && xdg.trim() !== '') return join(resolve(xdg), CONFIG_FOLDER_NAME);
  return join(home, '.config', CONFIG_FOLDER_NAME);
}

export function profilePath(configDir: string, profile: string): string {
  return join(configDir, `${profile}.json`);
}

export function deployRecordPath(configDir: string): string {
  return join(configDir, 'deploy.json');
}
