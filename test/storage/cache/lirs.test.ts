import { describe, expect, it } from 'vitest';
import { NO_KEY } from '../../../hv/storage/cache/key.ts';
import { LirsPolicy } from '../../../hv/storage/cache/lirs.ts';
import { LruPolicy } from '../../../hv/storage/cache/lru.ts';

const [A, B, C, D, E] = [1, 2, 3, 4, 5];

/**
 * The worked example of the LIRS paper (Jiang and Zhang, SIGMETRICS 2002, table 1 and figure 3):
 * L_lirs = 2, L_hirs = 1; at virtual time 10 the LIR set is {A, B}, E is the one resident HIR
 * block, and S holds (top first) E, A, D (non-resident HIR), B. The accesses B A D A E reach that
 * state: B and A fill the LIR set (cold start), D enters as resident HIR, A moves to the top of S,
 * and E's miss evicts D, which stays in S as non-resident.
 */
function atTimeTen(): LirsPolicy {
  const lirs = new LirsPolicy(3); // 1% HIR rounds up to one block: L_lirs = 2, L_hirs = 1
  expect(lirs.admit(B, 1, 1)).toBe(NO_KEY);
  expect(lirs.admit(A, 2, 1)).toBe(NO_KEY);
  expect(lirs.admit(D, 3, 1)).toBe(NO_KEY);
  expect(lirs.lookup(A, 4)).toBe(true);
  expect(lirs.lookup(E, 5)).toBe(false);
  expect(lirs.admit(E, 5, 1)).toBe(D);
  return lirs;
}

describe('LirsPolicy (Jiang and Zhang, SIGMETRICS 2002)', () => {
  it('reaches the state of the paper at time 10', () => {
    const lirs = atTimeTen();
    expect(lirs.stackKeys()).toEqual([E, A, D, B]);
    expect([A, B, D, E].map((k) => lirs.statusOf(k))).toEqual(['LIR', 'LIR', 'non-resident', 'HIR']);
    expect(lirs.layers().map((l) => [l.name, l.blocks, l.capacity])).toEqual([['LIR', 2, 2], ['HIR', 1, 1]]);
  });

  it('figure 3(b): D, non-resident but in S, is read: it becomes LIR and B leaves the LIR set', () => {
    const lirs = atTimeTen();
    expect(lirs.lookup(D, 10)).toBe(false);
    expect(lirs.admit(D, 10, 1)).toBe(E); // E, the resident HIR block, is evicted and stays in S
    expect(lirs.stackKeys()).toEqual([D, E, A]); // B went to Q; the stack was pruned down to A
    expect([A, B, D, E].map((k) => lirs.statusOf(k))).toEqual(['LIR', 'HIR', 'LIR', 'non-resident']);
  });

  it('figure 3(c): C, not in S, is read: it becomes a resident HIR block on top of S', () => {
    const lirs = atTimeTen();
    expect(lirs.admit(C, 10, 1)).toBe(E);
    expect(lirs.stackKeys()).toEqual([C, E, A, D, B]);
    expect([A, B, C, D, E].map((k) => lirs.statusOf(k))).toEqual(['LIR', 'LIR', 'HIR', 'non-resident', 'non-resident']);
  });

  it('a resident HIR block read again while in S becomes LIR; one read after leaving S stays HIR', () => {
    const lirs = atTimeTen();
    expect(lirs.lookup(E, 10)).toBe(true); // E is in S: LIR now, B (bottom) demoted to HIR
    expect(lirs.statusOf(E)).toBe('LIR');
    expect(lirs.statusOf(B)).toBe('HIR');
    expect(lirs.stackKeys()).toEqual([E, A]); // D (non-resident) pruned with B gone from the bottom
    expect(lirs.lookup(B, 11)).toBe(true); // B is resident HIR but not in S: stays HIR, enters S
    expect(lirs.statusOf(B)).toBe('HIR');
    expect(lirs.stackKeys()).toEqual([B, E, A]);
  });

  it('keeps its LIR set through a long scan of blocks read once, where LRU loses everything', () => {
    const lirs = new LirsPolicy(100);
    const lru = new LruPolicy(100);
    for (const p of [lirs, lru]) {
      for (let k = 1; k <= 100; k++) p.admit(k, 0, 1);
      for (let k = 1000; k < 5000; k++) if (!p.lookup(k, 0)) p.admit(k, 0, 1);
    }
    expect(Array.from({ length: 99 }, (_, i) => i + 1).every((k) => lirs.contains(k))).toBe(true);
    expect(lru.contains(1)).toBe(false);
    expect(lirs.size).toBe(100);
  });

  it('forgets the oldest non-resident entries beyond the capacity and can remove any block', () => {
    const lirs = new LirsPolicy(10);
    for (let k = 1; k <= 500; k++) if (!lirs.lookup(k % 37, k)) lirs.admit(k % 37, k, 1);
    let known = 0;
    for (let k = 0; k < 37; k++) if (lirs.statusOf(k) !== null) known++;
    expect(known).toBeLessThanOrEqual(20);
    const resident = Array.from({ length: 37 }, (_, k) => k).filter((k) => lirs.contains(k));
    expect(resident).toHaveLength(10);
    for (const k of resident) expect(lirs.remove(k)).toBe(true);
    expect(lirs.size).toBe(0);
    expect(lirs.admit(99, 600, 1)).toBe(NO_KEY);
    expect(lirs.statusOf(99)).toBe('LIR');
  });
});
