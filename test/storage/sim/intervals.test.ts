import { describe, expect, it } from 'vitest';
import { IntervalSet, StepCounter } from '../../../hv/storage/sim/intervals.ts';
import { Prng } from '../../../hv/storage/sim/prng.ts';

describe('IntervalSet', () => {
  it('merges touching ranges and returns only the blocks that are new', () => {
    const set = new IntervalSet();
    expect(set.add(10, 19)).toEqual([[10, 19]]);
    expect(set.add(20, 29)).toEqual([[20, 29]]);
    expect(set.ranges()).toEqual([[10, 29]]);
    expect(set.add(40, 49)).toEqual([[40, 49]]);
    expect(set.add(0, 100)).toEqual([[0, 9], [30, 39], [50, 100]]);
    expect(set.ranges()).toEqual([[0, 100]]);
    expect(set.add(5, 6)).toEqual([]);
  });

  it('agrees with a set of blocks on random ranges', () => {
    const rng = new Prng(5);
    const set = new IntervalSet();
    const blocks = new Set<number>();
    for (let op = 0; op < 2000; op++) {
      const first = rng.below(500);
      const last = first + rng.below(rng.chance(0.1) ? 100 : 5);
      const fresh = set.add(first, last).flatMap(([f, l]) => Array.from({ length: l - f + 1 }, (_, i) => f + i));
      const expected = [];
      for (let b = first; b <= last; b++) if (!blocks.has(b)) expected.push(b);
      expect(fresh).toEqual(expected);
      for (let b = first; b <= last; b++) blocks.add(b);
      const probe = rng.below(620);
      expect(set.has(probe)).toBe(blocks.has(probe));
    }
  });
});

describe('StepCounter', () => {
  it('agrees with per-block counters on random range updates, huge ranges included', () => {
    const rng = new Prng(9);
    const steps = new StepCounter();
    const counts = new Map<number, number>();
    for (let op = 0; op < 3000; op++) {
      const first = rng.below(300);
      const last = first + rng.below(40);
      const delta = rng.chance(0.3) ? -1 : 1;
      steps.add(first, last, delta);
      for (let b = first; b <= last; b++) counts.set(b, (counts.get(b) ?? 0) + delta);
      const probe = rng.below(360);
      expect(steps.get(probe)).toBe(counts.get(probe) ?? 0);
    }
    const big = new StepCounter();
    big.add(5, 2 ** 40, 1);
    big.add(2 ** 39, 2 ** 41, 1);
    expect([big.get(4), big.get(5), big.get(2 ** 39), big.get(2 ** 41), big.get(2 ** 41 + 1)]).toEqual([0, 1, 2, 1, 0]);
  });
});
