import { describe, expect, it } from 'vitest';
import { ArcPolicy } from '../../../hv/storage/cache/arc.ts';
import { NO_KEY } from '../../../hv/storage/cache/key.ts';

describe('ArcPolicy (Megiddo & Modha, figure 4)', () => {
  it('puts new blocks in T1 and re-read blocks in T2', () => {
    const arc = new ArcPolicy(8);
    for (let k = 1; k <= 8; k++) arc.admit(k, 0, 1);
    expect(arc.listSizes()).toEqual([8, 0, 0, 0]);
    arc.lookup(1, 0);
    arc.lookup(2, 0);
    expect(arc.listSizes()).toEqual([6, 2, 0, 0]);
    // Case IV, |L1| < c, cache full: REPLACE sends T1's LRU (3) to B1.
    expect(arc.admit(9, 0, 1)).toBe(3);
    expect(arc.listSizes()).toEqual([6, 2, 1, 0]);
    expect(arc.contains(3)).toBe(false);
  });

  it('grows p on a B1 ghost hit and shrinks it on a B2 ghost hit', () => {
    const arc = new ArcPolicy(8);
    for (let k = 1; k <= 8; k++) arc.admit(k, 0, 1);
    for (let k = 1; k <= 8; k++) arc.lookup(k, 0); // T2 = 8,7,...,1 (MRU first)
    // Case IV: T1 is empty, so REPLACE takes T2's LRU (1) into B2.
    expect(arc.admit(9, 0, 1)).toBe(1);
    expect(arc.listSizes()).toEqual([1, 7, 0, 1]);
    // Case III: 1 is in B2; p = max(0, 0 - 1) = 0; REPLACE: |T1| = 1 > p, so 9 goes to B1.
    expect(arc.admit(1, 0, 1)).toBe(9);
    expect(arc.target).toBe(0);
    expect(arc.listSizes()).toEqual([0, 8, 1, 0]);
    // Case II: 9 is in B1; p = min(8, 0 + max(0/1, 1)) = 1; REPLACE: |T1| = 0, T2's LRU (2) to B2.
    expect(arc.admit(9, 0, 1)).toBe(2);
    expect(arc.target).toBe(1);
    expect(arc.listSizes()).toEqual([0, 8, 0, 1]);
    // Case III again: 2 is in B2; p = max(0, 1 - max(0/1, 1)) = 0.
    expect(arc.admit(2, 0, 1)).toBe(3);
    expect(arc.target).toBe(0);
  });

  it('case IV with |T1| = c evicts T1 LRU without a ghost', () => {
    const arc = new ArcPolicy(8);
    for (let k = 1; k <= 8; k++) arc.admit(k, 0, 1);
    expect(arc.admit(9, 0, 1)).toBe(1);
    expect(arc.listSizes()).toEqual([8, 0, 0, 0]);
    expect(arc.admit(1, 0, 1)).toBe(2); // 1 was forgotten: a plain new block again
  });

  it('does not evict while invalidations left room', () => {
    const arc = new ArcPolicy(8);
    for (let k = 1; k <= 8; k++) arc.admit(k, 0, 1);
    arc.remove(5);
    expect(arc.admit(20, 0, 1)).toBe(NO_KEY);
    expect(arc.size).toBe(8);
  });
});
