import type { Command } from 'commander';
import { UserError } from '../../src/errors.js';
import { applyMigration, formatMigrationPlan, isNothingToDo, planMigration } from '../../src/state/migration.js';
import { action, configDirOf, globalsOf, isInteractive, print, type Globals } from '../context.js';
import { askYesNo } from '../prompt.js';
import { LATEST_RELEASE, OLDEST_RELEASE, unservable } from '../../src/infra/container-contract.js';

/** A word of a shell command, quoted when the shell would otherwise split or expand it. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A command to print as a hint, with the config folder this run used, so that it works as printed. */
function hintCommand(g: Globals, ...args: string[]): string {
  return ['benchling-deploy', ...(g.configDir ? ['--config-dir', g.configDir] : []), ...args].map(shellWord).join(' ');
}

export const migrateAction = action(async (opts: { imageTag?: string }, cmd: Command) => {
  const g = globalsOf(cmd);
  const plan = planMigration(configDirOf(g), { imageTag: opts.imageTag, images: { unservable, oldest: OLDEST_RELEASE, latest: LATEST_RELEASE } });
  for (const line of formatMigrationPlan(plan)) print(line);
  if (isNothingToDo(plan)) return 0;
  print();
  if (!g.yes) {
    if (!isInteractive()) {
      const again = hintCommand(g, 'migrate', ...(opts.imageTag !== undefined ? ['--image-tag', opts.imageTag] : []), '--yes');
      throw new UserError('migrate: nothing was written: there is no terminal to confirm on', `run \`${again}\` to apply this plan`);
    }
    if (!(await askYesNo('Write these files? [y/N] '))) {
      print('cancelled; nothing was written');
      return 1;
    }
  }
  const done = applyMigration(plan);
  for (const path of done.written) print(`wrote ${path}`);
  print(`kept the originals: ${done.kept.join(', ')}`);
  print(`next: \`${hintCommand(g, 'validate')}\`, then deploy as before`);
  return 0;
});

