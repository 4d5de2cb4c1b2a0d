import type { Command } from 'commander';
import { resolveStackProfiles } from '../../src/config/pairing.js';
import { UserError } from '../../src/errors.js';
import { estimateCost, money, type CostLine } from '../../src/config/cost.js';
import { describeTaskSize } from '../../src/config/task-size.js';
import { action, configDirOf, globalsOf, loadProfiles, print, printJson } from '../context.js';
import { formatTable } from './profiles.js';

export function registerCostCommand(program: Command): void {
  program
    .command('cost')
    .description('the monthly estimate per environment and shared, from list prices (offline, no AWS access)')
    .option('--json', 'print one object: region, pricesAsOf, environments, shared, monthly (USD)')
    .action(
      action((_opts: unknown, cmd: Command) => {
        const g = globalsOf(cmd);
        const dir = configDirOf(g);
        const loaded = loadProfiles(dir);
        if (loaded.length === 0) throw new UserError(`no profiles in ${dir}`, 'create the prod profile with `benchling-deploy setup-profile default`');
        const estimate = estimateCost(resolveStackProfiles(loaded, { region: g.region }));
        if (g.json) {
          printJson({
            region: estimate.region,
            pricesAsOf: estimate.pricesAsOf,
            source: estimate.source,
            environments: estimate.environments.map((e) => ({ name: e.name, tasks: e.tasks, cpu: e.cpu, memory: e.memory, monthly: e.monthly, lines: e.lines })),
            shared: estimate.shared,
            monthly: estimate.monthly,
            notes: estimate.notes,
          });
          return 0;
        }
        print(`Monthly estimate in ${estimate.region}, USD, at list prices as of ${estimate.pricesAsOf}`);
        for (const e of estimate.environments) {
          print();
          print(`${e.name}: ${e.tasks} task${e.tasks === 1 ? '' : 's'} (minCapacity, the steady desired count) of ${describeTaskSize(e)}`);
          for (const row of table(e.lines, `${e.name} total`, e.monthly)) print(`  ${row}`);
        }
        print();
        print('shared (once for the stack)');
        for (const row of table(estimate.shared.lines, 'shared total', estimate.shared.monthly)) print(`  ${row}`);
        print();
        print(`total: ${dollars(estimate.monthly)}/month (${money(estimate.monthly)})`);
        for (const note of estimate.notes) print(`note: ${note}`);
        return 0;
      }),
    );
}

function table(lines: readonly CostLine[], totalLabel: string, total: number): string[] {
  const rows = [['item', 'quantity', 'unit', 'unit price', 'monthly']];
  for (const l of lines) rows.push([l.item, String(l.quantity), l.unit, `$${l.unitPrice}`, dollars(l.monthly)]);
  rows.push([totalLabel, '', '', '', dollars(total)]);
  return formatTable(rows);
}

function dollars(usd: number): string {
  return `$${usd.toFixed(2)}`;
}
