import { describe, expect, it } from 'vitest';
import { NO_KEY } from '../../../hv/storage/cache/key.ts';
import { LruPolicy } from '../../../hv/storage/cache/lru.ts';

describe('LruPolicy', () => {
  it('keeps blocks in recency order and evicts the least recently used', () => {
    const lru = new LruPolicy(4);
    for (const key of [1, 2, 3, 4]) expect(lru.admit(key, 0, 1)).toBe(NO_KEY);
    expect(lru.keysByRecency()).toEqual([4, 3, 2, 1]);
    expect(lru.lookup(2, 0)).toBe(true);
    expect(lru.lookup(1, 0)).toBe(true);
    expect(lru.keysByRecency()).toEqual([1, 2, 4, 3]);
    expect(lru.lookup(9, 0)).toBe(false);
    expect(lru.admit(9, 0, 1)).toBe(3);
    expect(lru.admit(10, 0, 1)).toBe(4);
    expect(lru.keysByRecency()).toEqual([10, 9, 1, 2]);
    expect(lru.size).toBe(4);
  });

  it('removes invalidated keys and reuses their room without evicting', () => {
    const lru = new LruPolicy(3);
    for (const key of [1, 2, 3]) lru.admit(key, 0, 1);
    expect(lru.remove(2)).toBe(true);
    expect(lru.remove(2)).toBe(false);
    expect(lru.admit(4, 0, 1)).toBe(NO_KEY);
    expect(lru.keysByRecency()).toEqual([4, 3, 1]);
  });

  it('handles keys of large image ids (above 2^32) exactly', () => {
    const lru = new LruPolicy(8);
    const big = 2 ** 21 * 2 ** 32 - 5;
    lru.admit(big, 0, 1);
    lru.admit(big - 1, 0, 1);
    expect(lru.contains(big)).toBe(true);
    expect(lru.contains(big + 1)).toBe(false);
    expect(lru.lookup(big - 1, 0)).toBe(true);
  });

  it('rejects admitting a resident key (a caller bug)', () => {
    const lru = new LruPolicy(2);
    lru.admit(1, 0, 1);
    expect(() => lru.admit(1, 0, 1)).toThrow(/resident/);
  });
});
