import { describe, expect, it } from 'vitest';
import { NO_KEY } from '../../../hv/storage/cache/key.ts';
import { SievePolicy } from '../../../hv/storage/cache/sieve.ts';

describe('SievePolicy (Zhang et al., NSDI 2024)', () => {
  /**
   * Hand-computed, capacity 3 (queue shown head first):
   *   admit A B C      C B A, hand at none (starts at the tail)
   *   hit A            A visited
   *   admit D          hand A: visited, cleared, moves to B; B unvisited: evicted; hand -> C; D C A
   *   hit C, hit D     both visited
   *   admit E          hand C: cleared -> D: cleared -> head passed, wraps to the tail A: unvisited,
   *                    evicted; hand -> C; E D C
   *   admit F          hand C: unvisited (cleared on the last pass): evicted; hand -> D; F E D
   *   admit G          hand D: unvisited: evicted; hand -> E; G F E
   */
  it('follows a hand-computed trace: the hand keeps its place, clears bits and wraps', () => {
    const [A, B, C, D, E, F, G] = [1, 2, 3, 4, 5, 6, 7];
    const sieve = new SievePolicy(3);
    for (const k of [A, B, C]) expect(sieve.admit(k, 0, 1)).toBe(NO_KEY);
    expect(sieve.lookup(A, 0)).toBe(true);
    expect(sieve.admit(D, 0, 1)).toBe(B);
    expect(sieve.keysInOrder()).toEqual([D, C, A]);
    expect(sieve.lookup(C, 0) && sieve.lookup(D, 0)).toBe(true);
    expect(sieve.admit(E, 0, 1)).toBe(A);
    expect(sieve.keysInOrder()).toEqual([E, D, C]);
    expect(sieve.admit(F, 0, 1)).toBe(C);
    expect(sieve.admit(G, 0, 1)).toBe(D);
    expect(sieve.keysInOrder()).toEqual([G, F, E]);
    expect(sieve.lookup(B, 0)).toBe(false);
  });

  it('keeps the hand valid when the block under it is removed', () => {
    const sieve = new SievePolicy(3);
    for (const k of [1, 2, 3]) sieve.admit(k, 0, 1);
    sieve.lookup(1, 0);
    expect(sieve.admit(4, 0, 1)).toBe(2); // hand now on 3
    expect(sieve.remove(3)).toBe(true); // the hand moves to the block before it, 4
    sieve.admit(5, 0, 1); // room left: nothing evicted
    expect(sieve.admit(6, 0, 1)).toBe(4);
    expect(sieve.size).toBe(3);
  });
});
