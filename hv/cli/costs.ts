/** `hv costs [system.yaml] [--costs FILE]`: prints the cost table in force, with sources. */
import type { Command } from 'commander';
import Table from 'cli-table3';
import { extname } from 'node:path';
import { loadSystemFile } from '../core/system-config.ts';
import { UsageError } from '../errors.ts';
import { loadCostFile } from '../time/cost-file.ts';
import { type CostTable, defaultCosts, derivedCosts } from '../time/cost-model.ts';

export function registerCostsCommand(program: Command): void {
  program
    .command('costs')
    .description('print the cycle cost of every hypervisor action, with its source')
    .argument('[system]', 'a system file whose cost overrides apply')
    .option('--costs <FILE>', 'a cost file (YAML: name: cycles) to apply')
    .action((system: string | undefined, options: { costs?: string }) => {
      process.stdout.write(costTableText(costsInForce(system, options.costs)));
    });
}

export function costsInForce(system: string | undefined, costFile: string | undefined): CostTable {
  if (system !== undefined && !['.yaml', '.yml'].includes(extname(system).toLowerCase())) {
    throw new UsageError(`${system}: expected a system file (.yaml or .yml) whose costs apply`);
  }
  // The system file is validated even when --costs replaces its cost file: a typo is still one.
  const config = system === undefined ? undefined : loadSystemFile(system);
  const file = costFile ?? config?.costs;
  return file === undefined ? defaultCosts() : loadCostFile(file);
}

export function costTableText(costs: CostTable): string {
  const table = new Table({ head: ['cost', 'cycles', 'source'], colWidths: [22, 9, 90], wordWrap: true, style: { head: [], border: [] } });
  for (const [name, entry] of Object.entries(costs)) table.push([name, entry.cycles, entry.source]);
  const derived = new Table({ head: ['derived', 'cycles', 'formula'], style: { head: [], border: [] } });
  for (const d of derivedCosts(costs)) derived.push([d.name, d.cycles, d.formula]);
  return `${table.toString()}\n${derived.toString()}\n`;
}
