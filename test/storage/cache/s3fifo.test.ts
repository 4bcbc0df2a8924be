import { describe, expect, it } from 'vitest';
import { NO_KEY } from '../../../hv/storage/cache/key.ts';
import { LruPolicy } from '../../../hv/storage/cache/lru.ts';
import { S3FifoPolicy } from '../../../hv/storage/cache/s3fifo.ts';

describe('S3FifoPolicy (Yang et al., SOSP 2023)', () => {
  it('sends one-hit wonders from S to the ghost queue and re-read blocks to M', () => {
    const s3 = new S3FifoPolicy(10); // S = 1 block, M = 9, ghost = 9 entries
    for (let k = 1; k <= 10; k++) expect(s3.admit(k, 0, 1)).toBe(NO_KEY);
    s3.lookup(2, 0);
    s3.lookup(2, 0);
    s3.lookup(3, 0); // read once more only: not enough to leave S for M
    expect(s3.admit(11, 0, 1)).toBe(1);
    expect(s3.queueOf(1)).toBe('G');
    // S's tail is now 2 (freq 2): moved to M; then 3 (freq 1) goes to the ghost queue.
    expect(s3.admit(12, 0, 1)).toBe(3);
    expect(s3.queueOf(2)).toBe('M');
    expect(s3.queueOf(3)).toBe('G');
    // A ghost hit enters M directly.
    expect(s3.admit(1, 0, 1)).toBe(4);
    expect(s3.queueOf(1)).toBe('M');
  });

  it('keeps a re-read block through a scan of one-time blocks, where LRU loses it', () => {
    const s3 = new S3FifoPolicy(100);
    const lru = new LruPolicy(100);
    for (const p of [s3, lru]) {
      for (let k = 1; k <= 100; k++) p.admit(k, 0, 1);
      p.lookup(7, 0);
      p.lookup(7, 0);
      for (let k = 1000; k < 3000; k++) if (!p.lookup(k, 0)) p.admit(k, 0, 1);
    }
    expect(s3.contains(7)).toBe(true);
    expect(lru.contains(7)).toBe(false);
  });

  it('reinserts M blocks with a non-zero counter, decrementing it (2-bit CLOCK)', () => {
    const s3 = new S3FifoPolicy(10);
    for (let k = 1; k <= 10; k++) s3.admit(k, 0, 1);
    for (let k = 1; k <= 9; k++) {
      s3.lookup(k, 0);
      s3.lookup(k, 0);
    }
    // Admitting 11..19 moves 1..9 to M (counters cleared) and evicts 10 and newcomers from S.
    for (let k = 11; k <= 19; k++) s3.admit(k, 0, 1);
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9].every((k) => s3.queueOf(k) === 'M')).toBe(true);
    s3.lookup(1, 0); // in M, 1 now has counter 1 and the others 0
    // New blocks keep evicting: when M's tail is 1 it is reinserted (counter back to 0), not evicted.
    const evicted: number[] = [];
    for (let k = 30; k < 40; k++) evicted.push(s3.admit(k, 0, 1));
    expect(evicted).not.toContain(1);
    expect(s3.size).toBe(10);
  });

  it('readmits the oldest ghost while the ghost queue is full', () => {
    const s3 = new S3FifoPolicy(10); // ghost queue: 9 entries
    for (let k = 1; k <= 19; k++) s3.admit(k, 0, 1); // 1..9 go to the ghost queue, 1 is its oldest
    expect(s3.queueOf(1)).toBe('G');
    expect(s3.admit(1, 0, 1)).toBe(10); // making room pushes 10 into a full ghost queue
    expect(s3.queueOf(1)).toBe('M');
    expect(s3.size).toBe(10);
  });
});
