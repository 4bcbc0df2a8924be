import { describe, expect, it } from 'vitest';
import { LayerBalance } from '../../../hv/storage/cache/layer-balance.ts';
import { LayeredPolicy } from '../../../hv/storage/cache/layered.ts';
import { LruPolicy } from '../../../hv/storage/cache/lru.ts';
import { NO_KEY } from '../../../hv/storage/cache/key.ts';

/** 10 blocks: L0 holds 9, L1 (probation, 10%) 1; L1 may grow to 5. */
function small(): LayeredPolicy {
  return new LayeredPolicy(10, { probation: 0.1 });
}

/** Fills L0 with private blocks 1..9 read at times 1..9 (cold start). */
function filled(): LayeredPolicy {
  const p = small();
  for (let k = 1; k <= 9; k++) expect(p.admit(k, k, 1)).toBe(NO_KEY);
  expect(p.layers().map((l) => [l.blocks, l.capacity])).toEqual([[9, 9], [0, 1]]);
  return p;
}

describe('LayeredPolicy', () => {
  it('fills L0 first (cold start), then puts new private blocks in L1, which evicts', () => {
    const p = filled();
    expect(p.admit(100, 10, 1)).toBe(NO_KEY);
    expect(p.layerOf(100)).toBe(1);
    expect(p.admit(101, 11, 1)).toBe(100); // L1's only block goes
    expect([p.size, p.contains(100), p.layerOf(1)]).toEqual([10, false, 0]);
  });

  it('promotes a block read again before L0 would forget its tail (the interval signal)', () => {
    const p = filled();
    p.admit(100, 10, 1);
    // Read again after 2 cycles; L0's tail (block 1) was read 11 cycles ago: 100 earns L0.
    expect(p.lookup(100, 12)).toBe(true);
    expect(p.layerOf(100)).toBe(0);
    expect(p.layerOf(1)).toBe(1); // L0's tail dropped to L1
    expect(p.moves).toEqual({ promotions: 10, demotions: 1, sharedPlacements: 0, secondChances: 0 }); // 9 cold-start placements
  });

  it('leaves a block in L1 when every block of L0 was read since its previous read', () => {
    const p = filled();
    p.admit(100, 10, 1);
    for (let k = 1; k <= 9; k++) p.lookup(k, 10 + k); // all of L0 read after 100
    expect(p.lookup(100, 30)).toBe(true);
    expect(p.layerOf(100)).toBe(1);
  });

  it('judges a block that comes back from the ghost list by its interval', () => {
    const p = filled();
    p.admit(100, 10, 1);
    p.admit(101, 11, 1); // evicts 100 into the ghost list, remembered as read at 10
    expect(p.lookup(100, 12)).toBe(false);
    expect(p.admit(100, 12, 1)).toBe(101);
    expect(p.layerOf(100)).toBe(0); // interval 2 < L0 tail age 11
    expect(p.layerOf(1)).toBe(1);
  });

  it('keeps L0 through a long scan of blocks read once, where LRU loses everything', () => {
    const p = new LayeredPolicy(100);
    const lru = new LruPolicy(100);
    for (const policy of [p, lru]) {
      for (let k = 1; k <= 100; k++) policy.admit(k, k, 1);
      for (let k = 1000; k < 5000; k++) if (!policy.lookup(k, k)) policy.admit(k, k, 1);
    }
    expect(Array.from({ length: 99 }, (_, i) => i + 1).every((k) => p.contains(k))).toBe(true);
    expect(lru.contains(1)).toBe(false);
  });

  it('gives a block read while in L0 a second chance when L0 must give one up (the frequency signal)', () => {
    const p = filled();
    expect(p.lookup(1, 10)).toBe(true); // an L0 hit: block 1 earns a credit; L0's tail is now block 2
    expect(p.creditsOf(1)).toBe(1);
    // Eight private blocks each read twice 1 cycle apart: each promotion pushes L0's tail out (2, 3, ..., 9).
    for (let k = 0; k < 8; k++) {
      p.admit(100 + k, 20 + 2 * k, 1);
      p.lookup(100 + k, 21 + 2 * k);
    }
    expect([2, 3, 4, 5, 6, 7, 8, 9].map((k) => p.layerOf(k))).not.toContain(0);
    expect(p.layerOf(1)).toBe(0); // now L0's tail, with its credit
    p.admit(108, 40, 1);
    p.lookup(108, 41);
    // Block 1 spends its credit and goes back to L0's head; block 100, never read in L0, drops to L1.
    expect([p.layerOf(1), p.creditsOf(1), p.layerOf(100)]).toEqual([0, 0, 1]);
    expect(p.moves.secondChances).toBe(1);
  });

  it('counts credits only for reads while in L0, at most three', () => {
    const p = filled();
    p.admit(100, 10, 1);
    expect(p.lookup(100, 11)).toBe(true); // promoted by its interval: enters L0 without credits
    expect([p.layerOf(100), p.creditsOf(100)]).toEqual([0, 0]);
    for (let t = 12; t < 17; t++) p.lookup(100, t);
    expect(p.creditsOf(100)).toBe(3);
  });

  it('judges a block read again by its interval even while L0 has room', () => {
    const p = small();
    p.admit(1, 0, 5); // shared: L0
    p.admit(2, 1, 1); // private, sharing seen: L1
    p.lookup(1, 100); // L0's tail (block 1) was read 1 cycle before the next read
    expect(p.lookup(2, 101)).toBe(true);
    expect(p.layerOf(2)).toBe(1); // interval 100 is not shorter than L0's tail age 1
    expect(p.lookup(2, 101.5)).toBe(true);
    expect(p.layerOf(2)).toBe(0); // interval 0.5 < age 1.5
  });

  it('fills L0 with shared blocks only, once a shared block was seen (cold start of a boot storm)', () => {
    const p = small();
    p.admit(1, 1, 1); // no sharing seen yet: a private block fills L0 as in LIRS
    p.admit(2, 2, 20); // a base-image block under 20 overlays
    p.admit(3, 3, 1); // private, sharing seen: waits in L1
    p.admit(4, 4, 1);
    expect([1, 2, 3, 4].map((k) => p.layerOf(k))).toEqual([0, 0, 1, 1]);
    expect(p.size).toBe(4); // L1 uses the room L0 leaves: nothing evicted
    expect(p.moves.sharedPlacements).toBe(0); // cold-start placements are not counted as shared placements
  });

  it('places new shared blocks in L0 while most shared blocks are read again in time (the reference signal)', () => {
    const p = filled();
    // Two shared blocks, each read again right away: both successes.
    for (const [k, t] of [[201, 10], [202, 20]] as const) {
      p.admit(k, t, 5);
      expect(p.layerOf(k)).toBe(1); // not yet: no evidence
      p.lookup(k, t + 1);
    }
    expect(p.sharedRereadShare).toBeGreaterThan(0.5);
    p.admit(203, 30, 5);
    expect(p.layerOf(203)).toBe(0); // placed in L0 on its first read
    p.admit(300, 31, 1);
    expect(p.layerOf(300)).toBe(1); // a private block still waits in L1
    // A shared block that nobody reads again brings the share under half (2 of 4): placement stops.
    p.admit(204, 40, 5);
    expect(p.layerOf(204)).toBe(1);
    expect(p.sharedRereadShare).toBeLessThan(0.5);
    expect(p.moves.sharedPlacements).toBe(1);
  });

  it('follows reference-count changes: a block no longer shared counts as private', () => {
    const p = filled();
    for (const [k, t] of [[201, 10], [202, 20]] as const) {
      p.admit(k, t, 5);
      p.lookup(k, t + 1);
    }
    p.admit(203, 30, 1);
    expect(p.layerOf(203)).toBe(1);
  });

  it('remembers evicted keys and readmits the oldest one while the ghost list is full', () => {
    const p = new LayeredPolicy(16, { ghostRatio: 0.5 }); // 8 ghosts
    for (let k = 1; k <= 24; k++) p.admit(k, k, 1);
    expect(p.admit(16, 30, 1)).not.toBe(NO_KEY);
    expect(p.contains(16)).toBe(true);
    expect(p.size).toBe(16);
  });

  it('rejects impossible configurations with a ConfigError', () => {
    expect(() => new LayeredPolicy(16, { probation: 1 })).toThrow(/probation/);
    expect(() => new LayeredPolicy(16, { sharedReferences: 0 })).toThrow(/shared references/);
    expect(() => new LayeredPolicy(16, { ghostRatio: -1 })).toThrow(/ghost ratio/);
  });
});

describe('LayerBalance', () => {
  it('gives a block of capacity to the layer whose marginal blocks come back more often', () => {
    const balance = new LayerBalance(100, 1, 50);
    expect(balance.protectedCapacity).toBe(99);
    for (let i = 0; i < 10; i++) balance.evictedOne();
    for (let i = 0; i < 10; i++) balance.demotedOne();
    balance.probationReturned(); // L1: 1 of 10 back, L0: 0 of 10
    expect(balance.protectedCapacity).toBe(98);
    balance.demotedReturned(); // 1 of 10 each: no move
    expect(balance.protectedCapacity).toBe(98);
    balance.demotedReturned(); // L0: 2 of 10
    expect(balance.protectedCapacity).toBe(99);
    balance.demotedReturned();
    expect(balance.protectedCapacity).toBe(99); // never above capacity - minimum probation
    for (let i = 0; i < 200; i++) balance.probationReturned();
    expect(balance.protectedCapacity).toBe(50); // never below capacity - maximum probation
  });
});
