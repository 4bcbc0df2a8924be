import { describe, expect, it } from 'vitest';
import type { PolicyResult } from '../../../hv/storage/sim/policy-sim.ts';
import { aimCheck, rank } from '../../../hv/storage/sim/suite/ranking.ts';
import type { WorkloadResult } from '../../../hv/storage/sim/suite/run-suite.ts';

function policy(name: PolicyResult['policy'], hitRatio: number, meanReadCycles = 100): PolicyResult {
  return { policy: name, reads: 1, blockReads: 100, hits: 100 * hitRatio, misses: 0, bypassedBlocks: 0, requestedBytes: 1, hitBytes: 0, hitRatio, byteHitRatio: hitRatio / 2, meanReadCycles, layers: [], occupancy: [] };
}

function workload(name: string, shared: boolean, sizes: [number, number, number][]): WorkloadResult {
  return {
    name,
    about: '',
    origin: '',
    shared,
    sizePercents: sizes.map((_, i) => i + 1),
    result: {
      blockSize: 4096, timing: 'sd-spi', requests: 1, reads: 1, writes: 0, images: 1, vms: 1, workingSet: 100, sharedImages: shared ? 1 : 0,
      sizes: sizes.map(([lru, layered, min], i) => ({ capacity: 10 * (i + 1), policies: [policy('lru', lru), policy('layered', layered), policy('min', min)] })),
    },
  };
}

describe('suite ranking', () => {
  it('averages hit ratios and shares of MIN over every point, and counts wins', () => {
    const rows = rank([workload('a', true, [[0.2, 0.3, 0.4], [0.5, 0.4, 0.5]])]);
    expect(rows.map((r) => r.policy)).toEqual(['min', 'layered', 'lru']);
    const layered = rows.find((r) => r.policy === 'layered')!;
    expect(layered.hitRatio).toBeCloseTo(0.35, 12);
    expect(layered.byteHitRatio).toBeCloseTo(0.175, 12);
    expect(layered.shareOfMin).toBeCloseTo((0.75 + 0.8) / 2, 12);
    expect([layered.wins, rows.find((r) => r.policy === 'lru')!.wins]).toEqual([1, 1]);
  });

  it('holds the layered policy to the best baseline with sharing and to 2 points below it without', () => {
    const rows = aimCheck([workload('shared', true, [[0.3, 0.3, 0.5], [0.3, 0.29, 0.5]]), workload('alone', false, [[0.3, 0.281, 0.5], [0.3, 0.279, 0.5]])]);
    expect(rows.map((r) => r.cells.map((c) => c.met))).toEqual([[true, false], [true, false]]);
    expect(rows[1]!.tolerancePoints).toBe(2);
    expect(rows[0]!.cells[1]!.gapPoints).toBeCloseTo(-1, 9);
    expect(rows[0]!.cells[1]!.bestBaseline).toBe('lru');
  });

  it('checks no aim when the layered policy or every baseline is left out', () => {
    const only = (w: WorkloadResult, keep: string[]): WorkloadResult => ({
      ...w,
      result: { ...w.result, sizes: w.result.sizes.map((s) => ({ ...s, policies: s.policies.filter((p) => keep.includes(p.policy)) })) },
    });
    const w = workload('shared', true, [[0.3, 0.3, 0.5]]);
    expect(aimCheck([only(w, ['layered', 'min'])])).toEqual([]);
    expect(aimCheck([only(w, ['lru', 'min'])])).toEqual([]);
    expect(aimCheck([only(w, ['lru', 'layered'])])).toHaveLength(1);
  });
});
