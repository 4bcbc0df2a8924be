import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InternalError } from '../../../hv/errors.ts';
import { POLICY_NAMES } from '../../../hv/storage/cache/policy.ts';
import { FutureReads } from '../../../hv/storage/sim/future-reads.ts';
import { MinPolicy } from '../../../hv/storage/sim/min-policy.ts';
import { Prng } from '../../../hv/storage/sim/prng.ts';
import { simulate } from '../../../hv/storage/sim/simulate.ts';
import { readTrace } from '../../../hv/storage/sim/trace-file.ts';
import { makeTempDir } from '../../helpers/hv-cli.ts';

const tmp = makeTempDir('hvlab-min-');
afterAll(() => tmp.remove());

/** Replays `refs` against MIN with `frames` blocks; returns the misses in order. */
function minMisses(refs: number[], frames: number): number[] {
  const future = new FutureReads();
  for (const key of refs) future.record(key, 1);
  const min = new MinPolicy(frames, future.view(frames));
  const misses: number[] = [];
  for (const key of refs) {
    if (min.lookup(key, 0)) continue;
    misses.push(key);
    min.admit(key, 0, 1);
  }
  return misses;
}

describe('MinPolicy (Belady 1966)', () => {
  it("matches the textbook example: 9 faults on Silberschatz's reference string with 3 frames", () => {
    // Operating System Concepts, "Optimal page replacement": 7 0 1 2 0 3 0 4 2 3 0 3 2 1 2 0 1 7 0 1.
    const refs = [7, 0, 1, 2, 0, 3, 0, 4, 2, 3, 0, 3, 2, 1, 2, 0, 1, 7, 0, 1];
    expect(minMisses(refs, 3)).toEqual([7, 0, 1, 2, 3, 4, 0, 1, 7]);
    // Hand-computed with 4 frames: 3 evicts 7 (next read last), 4 evicts 1, 1 evicts 3 or 4
    // (neither read again), 7 evicts a block never read again.
    expect(minMisses(refs, 4)).toEqual([7, 0, 1, 2, 3, 4, 1, 7]);
  });

  it('refuses a replay that differs from the recorded reads', () => {
    const future = new FutureReads();
    future.record(1, 1);
    const min = new MinPolicy(8, future.view(8));
    expect(() => min.lookup(2, 0)).toThrow(InternalError);
  });

  it('is never beaten: on random multi-VM traces every policy hits at most as often as MIN', () => {
    const rng = new Prng(11);
    for (let t = 0; t < 6; t++) {
      const lines = ['#! chain vm1 vm1.qcow2 base.img', '#! chain vm2 vm2.qcow2 base.img'];
      const hot = 20 + rng.below(200);
      for (let i = 0; i < 4000; i++) {
        const vm = `vm${1 + rng.below(2)}`;
        const write = rng.chance(0.2);
        const block = rng.chance(0.7) ? rng.below(hot) : rng.below(5000);
        const image = write || rng.chance(0.2) ? `${vm}.qcow2` : 'base.img';
        lines.push(`${i},${vm},${write ? 'W' : 'R'},${image},${block * 4096},${4096 * (1 + rng.below(3))}`);
      }
      const file = join(tmp.dir, `random-${t}.csv`);
      writeFileSync(file, `${lines.join('\n')}\n`);
      const capacities = [8, 16 + rng.below(50), 100 + rng.below(400)];
      const result = simulate((consumer) => readTrace(file, consumer), { policies: [...POLICY_NAMES, 'min'] }, capacities);
      for (const size of result.sizes) {
        const min = size.policies.find((p) => p.policy === 'min')!;
        for (const p of size.policies) expect(p.hits, `${p.policy} at ${size.capacity}`).toBeLessThanOrEqual(min.hits);
      }
    }
  });
});
