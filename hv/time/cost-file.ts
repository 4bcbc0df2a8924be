/**
 * Cost overrides from a YAML file: a mapping from cost name to cycles (a number) or to
 * `{ cycles, source }` to cite where a figure comes from. Names not in the table are errors.
 */
import * as z from 'zod/mini'; // a namespace import: esbuild then bundles only the parts used
import { useEnglishMessages } from '../schema-messages.ts';
import { ConfigError } from '../errors.ts';
import { loadYamlFile } from '../yaml-file.ts';
import { type CostName, type CostTable, DEFAULT_COSTS, defaultCosts } from './cost-model.ts';

/** A cost: cycles, or cycles with the source of the figure (zod/mini, as the system file's schema). */
function entrySchema() {
  const cycles = z.number().check(z.gte(0), z.lte(1e9));
  return z.union([cycles, z.strictObject({ cycles, source: z.string().check(z.minLength(1)) })]);
}

export function loadCostFile(file: string): CostTable {
  return applyCostOverrides(loadYamlFile(file, 'cost file') ?? {}, file);
}

export function applyCostOverrides(data: unknown, file: string): CostTable {
  const names = Object.keys(DEFAULT_COSTS) as CostName[];
  useEnglishMessages();
  const schema = z.partialRecord(z.enum(names as [CostName, ...CostName[]]), entrySchema());
  const result = schema.safeParse(data);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${file}: ${i.path.join('.') || '(top level)'}: ${i.message}`);
    throw new ConfigError(`${problems.join('\n')}\n(cost names: ${names.join(', ')})`);
  }
  const table = defaultCosts();
  for (const [name, value] of Object.entries(result.data) as Array<[CostName, z.infer<ReturnType<typeof entrySchema>>]>) {
    table[name] = typeof value === 'number' ? { cycles: value, source: `${file} (overrides the default)` } : value;
  }
  return table;
}
