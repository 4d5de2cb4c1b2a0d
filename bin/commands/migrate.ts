import type { Command } from 'commander';
import { UserError } from '../../src/errors.js';
import { applyMigration, formatMigrationPlan, isNothingToDo, planMigration } from '../../src/state/migration.js';
import { action, configDirOf, globalsOf, isInteractive, print } from '../context.js';
import { askYesNo } from '../prompt.js';

export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description("convert the older tool's (v0.6) default.json and deploy.json to this layout, keeping the originals as *.v0.6.json")
    .option('--image-tag <tag>', 'the image prod runs, when the v0.6 default.json has no imageTag or "latest"')
    .option('-y, --yes', 'apply the plan without asking')
    .action(
      action(async (opts: { imageTag?: string }, cmd: Command) => {
        const g = globalsOf(cmd);
        const plan = planMigration(configDirOf(g), { imageTag: opts.imageTag });
        for (const line of formatMigrationPlan(plan)) print(line);
        if (isNothingToDo(plan)) return 0;
        print();
        if (!g.yes) {
          if (!isInteractive()) {
            throw new UserError('migrate: nothing was written: there is no terminal to confirm on', 'run `benchling-deploy migrate --yes` to apply this plan');
          }
          if (!(await askYesNo('Write these files? [y/N] '))) {
            print('cancelled; nothing was written');
            return 1;
          }
        }
        const done = applyMigration(plan);
        for (const path of done.written) print(`wrote ${path}`);
        print(`kept the originals: ${done.kept.join(', ')}`);
        print('next: `benchling-deploy validate`, then deploy as before');
        return 0;
      }),
    );
}

