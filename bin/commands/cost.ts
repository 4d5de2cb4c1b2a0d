import type { Command } from 'commander';
import { resolveStackProfiles } from '../../src/config/pairing.js';
import { UserError } from '../../src/errors.js';
import { estimateCost, money, requirePrices, type CostLine, type CostTraffic } from '../../src/config/cost.js';
import type { StackProfiles } from '../../src/config/pairing.js';
import { describeTaskSize } from '../../src/config/task-size.js';
import { action, configDirOf, globalsOf, print, printJson } from '../context.js';
import { loadProfiles } from '../load-profiles.js';
import { formatTable } from './profiles.js';

export const costAction = action(async (_opts: unknown, cmd: Command) => {
  const g = globalsOf(cmd);
  const dir = configDirOf(g);
  const loaded = loadProfiles(dir);
  if (loaded.length === 0) throw new UserError(`no profiles in ${dir}`, 'create the prod profile with `benchling-deploy setup-profile default`');
  const profiles = resolveStackProfiles(loaded, { region: g.region });
  // Refused before any AWS call: a region the price table lacks (exit 2).
  requirePrices(profiles.place.region);
  const traffic = await measuredTraffic(profiles, g.awsProfile ?? profiles.prod.awsProfile);
  const estimate = estimateCost(profiles, traffic);
  if (g.json) {
    printJson({
      region: estimate.region,
      pricesAsOf: estimate.pricesAsOf,
      source: estimate.source,
      environments: estimate.environments.map((e) => ({ name: e.name, tasks: e.tasks, cpu: e.cpu, memory: e.memory, monthly: e.monthly, lines: e.lines })),
      shared: estimate.shared,
      monthly: estimate.monthly,
      traffic: estimate.traffic,
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
});

/**
 * The last 7 days' requests per environment from CloudWatch, with the
 * credentials `status` would use; without them (or without permission, or
 * no answer in time) the estimate assumes no traffic and says why.
 */
async function measuredTraffic(profiles: StackProfiles, awsProfile: string | undefined): Promise<CostTraffic> {
  const [{ createStatusApi }, { readTraffic }] = await Promise.all([import('../../src/state/aws-clients.js'), import('../../src/state/traffic.js')]);
  const api = createStatusApi({ region: profiles.place.region, awsProfile, requestTimeoutMs: 5_000 });
  try {
    const environments = [...(profiles.dev ? (['dev'] as const) : []), 'prod' as const];
    return await readTraffic(api, profiles.place.stackName, environments);
  } catch (error) {
    // The AWS profile named does not exist: a file of the machine, not AWS; the estimate still stands.
    return { source: 'none', why: error instanceof Error ? error.message.split('\n')[0] : String(error) };
  } finally {
    api.close();
  }
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
