import { describe, expect, it } from 'vitest';
import { NO_KEY } from '../../../hv/storage/cache/key.ts';
import { LayeredPolicy } from '../../../hv/storage/cache/layered.ts';
import { LruPolicy } from '../../../hv/storage/cache/lru.ts';

/** 16 blocks in 3 layers of 4, 4 and 8; hot = read again within 100 cycles; shared = 2+ images. */
function small(): LayeredPolicy {
  return new LayeredPolicy(16, { layers: 3, layerShares: [0.25, 0.25], hotInterval: 100, sharedReferences: 2 });
}

describe('LayeredPolicy', () => {
  it('places a private new block in the last layer and a shared one a layer higher', () => {
    const p = small();
    expect(p.layers().map((l) => l.capacity)).toEqual([4, 4, 8]);
    p.admit(1, 0, 1);
    p.admit(2, 0, 20);
    expect(p.layerOf(1)).toBe(2);
    expect(p.layerOf(2)).toBe(1);
  });

  it('promotes on hits with a short read interval, one layer per hit', () => {
    const p = small();
    p.admit(1, 0, 1);
    p.lookup(1, 50); // interval 50 <= 100
    expect(p.layerOf(1)).toBe(1);
    p.lookup(1, 100); // smoothed (50 + 50) / 2 = 50
    expect(p.layerOf(1)).toBe(0);
    expect(p.moves.promotions).toBe(2);
  });

  it('does not promote a private block read at long intervals', () => {
    const p = small();
    p.admit(1, 0, 1);
    p.lookup(1, 1000);
    p.lookup(1, 2000);
    expect(p.layerOf(1)).toBe(2);
  });

  it('promotes a shared block on every hit whatever its interval', () => {
    const p = small();
    p.admit(1, 0, 5);
    p.lookup(1, 10_000);
    expect(p.layerOf(1)).toBe(0);
  });

  it('follows reference-count changes: a block no longer shared stops being promoted', () => {
    const p = small();
    p.admit(1, 0, 1);
    p.setReferences(1, 3);
    p.lookup(1, 5000);
    expect(p.layerOf(1)).toBe(1);
    p.setReferences(1, 1);
    p.lookup(1, 10_000);
    expect(p.layerOf(1)).toBe(1);
  });

  it('demotes the least recently read block of a full layer to the head of the layer below', () => {
    const p = small();
    for (let k = 1; k <= 5; k++) p.admit(k, 0, 2); // shared: all enter layer 1 (4 blocks)
    expect(p.layers().map((l) => l.blocks)).toEqual([0, 4, 1]);
    expect(p.layerOf(1)).toBe(2); // the oldest of the five went down
    for (let k = 2; k <= 5; k++) p.lookup(k, 1000); // all four up to layer 0
    expect(p.layers().map((l) => l.blocks)).toEqual([4, 0, 1]);
    p.lookup(1, 2000); // 1 climbs to layer 1
    p.lookup(1, 3000); // and to layer 0: its oldest (2) is demoted to layer 1
    expect(p.layerOf(1)).toBe(0);
    expect(p.layerOf(2)).toBe(1);
    expect(p.moves.demotions).toBe(2);
  });

  it('evicts only from the last layer, so shared blocks survive a flood of private ones', () => {
    const p = small();
    const lru = new LruPolicy(16);
    for (const policy of [p, lru]) {
      for (let k = 1; k <= 4; k++) policy.admit(k, 0, 20);
      for (let k = 100; k < 200; k++) if (!policy.lookup(k, k)) policy.admit(k, k, 1);
    }
    expect([1, 2, 3, 4].every((k) => p.contains(k))).toBe(true);
    expect([1, 2, 3, 4].some((k) => lru.contains(k))).toBe(false);
  });

  it('remembers evicted keys and places a quickly re-read one higher (hot merit)', () => {
    const p = small();
    for (let k = 1; k <= 16; k++) p.admit(k, k, 1);
    expect(p.admit(17, 17, 1)).toBe(1); // 1 evicted, remembered with its last read at 1
    expect(p.lookup(1, 60)).toBe(false);
    p.admit(1, 60, 1); // interval 59 <= 100: hot
    expect(p.layerOf(1)).toBe(1);
  });

  it("the 'auto' threshold of a layer is how long unread blocks survive in it", () => {
    const p = new LayeredPolicy(16); // 3 layers: 7, 7 and the rest
    expect(p.layers().map((l) => l.capacity)).toEqual([7, 7, 2]);
    expect(p.hotThreshold(2)).toBe(Number.POSITIVE_INFINITY); // room left: anything may enter
    for (let k = 1; k <= 16; k++) p.admit(k, k, 1); // the last layer holds what the others do not
    expect(p.admit(17, 17, 1)).toBe(1); // block 1 was last read 16 cycles ago
    expect(p.hotThreshold(2)).toBe(16);
    expect(p.hotThreshold(0)).toBe(Number.POSITIVE_INFINITY);
  });

  it('spares a hot block at the tail of a full layer once, then demotes it if unread', () => {
    const p = small();
    for (const s of [101, 102, 103]) p.admit(s, 0, 5); // shared: layer 1
    for (const s of [101, 102, 103]) p.lookup(s, 1000); // shared hits: layer 0 (interval 1000, not hot)
    p.admit(1, 1000, 1);
    p.lookup(1, 1010); // interval 10: hot, layer 1
    p.lookup(1, 1020); // layer 0
    for (const s of [101, 102, 103]) p.lookup(s, 2000); // block 1 is now layer 0's tail
    p.admit(104, 2000, 5);
    p.lookup(104, 3000); // layer 0 overflows: its tail (1) is hot, so 101 goes down instead
    expect(p.layerOf(1)).toBe(0);
    expect(p.layerOf(101)).toBe(1);
    // Spared once, block 1's interval was aged to 1980 cycles: the next overflow demotes it.
    for (const s of [102, 103, 104]) p.lookup(s, 3500);
    p.admit(105, 3500, 5);
    p.lookup(105, 4000);
    p.lookup(105, 4100); // 105 climbs to layer 0, which overflows again
    expect(p.layerOf(105)).toBe(0);
    expect(p.layerOf(1)).toBe(1);
  });

  it('keeps new shared blocks in the last layer while shared blocks come back late', () => {
    const p = small(); // hot = 100 cycles
    p.admit(1, 0, 5);
    expect(p.layerOf(1)).toBe(1);
    p.lookup(1, 10_000); // shared blocks are read again 10000 cycles after their first read
    p.admit(2, 10_000, 5);
    expect(p.layerOf(2)).toBe(2);
    p.lookup(2, 10_500); // a shared hit still promotes
    expect(p.layerOf(2)).toBe(1);
  });

  it('fills the whole capacity before evicting', () => {
    const p = small();
    for (let k = 1; k <= 16; k++) expect(p.admit(k, 0, k % 3 === 0 ? 4 : 1)).toBe(NO_KEY);
    expect(p.size).toBe(16);
    expect(p.admit(99, 0, 1)).not.toBe(NO_KEY);
    expect(p.size).toBe(16);
  });

  it('rejects impossible configurations with a ConfigError', () => {
    expect(() => new LayeredPolicy(16, { layers: 9 })).toThrow(/layers/);
    expect(() => new LayeredPolicy(16, { layerShares: [0.6, 0.5] })).toThrow(/shares/);
    expect(() => new LayeredPolicy(16, { sharedReferences: 0 })).toThrow(/shared references/);
  });

  it('readmits the oldest remembered key while the ghost list is full', () => {
    const p = new LayeredPolicy(16, { ghostRatio: 0.5 }); // 8 ghosts
    for (let k = 1; k <= 24; k++) p.admit(k, k, 1); // 1..8 evicted and remembered, 1 the oldest
    expect(p.admit(1, 30, 1)).not.toBe(-1);
    expect(p.contains(1)).toBe(true);
    expect(p.size).toBe(16);
  });
});
