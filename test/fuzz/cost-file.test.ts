/**
 * Seeded fuzzing of cost files: valid overrides get data mutations (boundary and huge numbers,
 * wrong types, unknown names, nested objects) and YAML text mutations (aliases, tags, broken
 * syntax). loadCostFile may only return a table of finite costs within its limits or throw a
 * ConfigError; one case in 10 also goes through `hv costs --costs FILE` (exit 0 or 2).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../hv/errors.ts';
import { loadCostFile } from '../../hv/time/cost-file.ts';
import { DEFAULT_COSTS } from '../../hv/time/cost-model.ts';
import { makeTempDir } from '../helpers/hv-cli.ts';
import { STACK_TRACE, hvInProcess } from '../helpers/hv-in-process.ts';
import { campaign, campaignTimeout, pick } from './fuzz.ts';
import { type ValuePools, mutateYaml } from './yaml-mutation.ts';

const tmp = makeTempDir('hvlab-fuzz-costs-');
afterAll(() => tmp.remove());
const NAMES = Object.keys(DEFAULT_COSTS);

const SEEDS: readonly unknown[] = [
  { hypercall: 30, trapEntry: { cycles: 14, source: 'measured on the bench' } },
  { grantCopyPerByte: 0.5, exceptionEntry: 12, exceptionReturn: 10 },
  Object.fromEntries(NAMES.map((n, i) => [n, i])),
  {},
];

const POOLS: ValuePools = {
  choices: [0, 1, 12, 1e9, 0.5625, { cycles: 3, source: 'x' }, { cycles: 1e9, source: 'limit' }],
  strings: ['', 'x', 'cycles', '12', NAMES[0]!],
  keys: [...NAMES, 'cycles', 'source', 'warpDrive', '__proto__', 'constructor', ''],
  maxListLength: 8,
};

function check(file: string): string {
  try {
    const table = loadCostFile(file);
    for (const [name, entry] of Object.entries(table)) {
      if (!Number.isFinite(entry.cycles) || entry.cycles < 0 || entry.cycles > 1e9) throw new Error(`${name}: cost ${entry.cycles} accepted`);
      if (typeof entry.source !== 'string' || entry.source === '') throw new Error(`${name}: no source`);
    }
    return 'accepted';
  } catch (error) {
    if (error instanceof ConfigError) return 'refused';
    throw error;
  }
}

describe('cost file fuzzing', () => {
  it('mutated cost files only ever load within limits or raise a ConfigError', { timeout: campaignTimeout(10) }, async () => {
    const result = await campaign('cost file', async (rng, i) => {
      const file = join(tmp.dir, 'costs.yaml');
      writeFileSync(file, mutateYaml(pick(rng, SEEDS), rng, POOLS));
      const outcome = check(file);
      if (i % 10 !== 0) return outcome;
      const r = await hvInProcess(['costs', '--costs', file]);
      const expected = outcome === 'accepted' ? 0 : 2;
      if (r.status !== expected || STACK_TRACE.test(r.stderr)) throw new Error(`hv costs --costs ${file}: exit ${r.status}, expected ${expected}\n${r.stderr}`);
      return `${outcome} (hv costs)`;
    });
    expect(result.failures).toEqual([]);
    expect(result.counts.get('refused') ?? 0).toBeGreaterThan(0);
    expect(result.counts.get('accepted') ?? 0).toBeGreaterThan(0);
  });
});
