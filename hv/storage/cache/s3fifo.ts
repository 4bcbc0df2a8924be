/**
 * S3-FIFO (J. Yang, Y. Zhang, Z. Qiu, Y. Yue, K. V. Rashmi, "FIFO queues are all you need for
 * cache eviction", SOSP 2023, algorithm 1). A small FIFO S (10% of the cache) filters one-hit
 * wonders: a block leaves S for the main FIFO M only if it was read again while in S, otherwise
 * its key goes to the ghost FIFO G (as many entries as M holds blocks). A miss whose key is in G
 * enters M directly. M is a CLOCK with a 2-bit frequency counter: a block at M's tail with a
 * non-zero counter is reinserted with the counter decremented. Hits only bump the counter, so the
 * hit path touches no list.
 *
 * Choices where the paper leaves room:
 *  - leaving S needs freq >= 2 ("t.freq > 1" in algorithm 1; libCacheSim's S3FIFOv0, the SOSP
 *    code, defaults to the same threshold), configurable;
 *  - the counter is cleared when a block moves from S to M (as the paper's text describes);
 *  - one admit evicts exactly one block: eviction takes from S while S holds at least its 10%
 *    (algorithm 1), and blocks moving from S to M may overfill M, which simply makes M the
 *    source next time, instead of evicting a second block on the spot.
 */
import { InternalError } from '../../errors.ts';
import { type BlockKey, NO_KEY } from './key.ts';
import { NIL, NodePool } from './node-pool.ts';
import type { CachePolicy, LayerStats } from './policy.ts';

const S = 0;
const M = 1;
const G = 2;
const MAX_FREQ = 3;

export interface S3FifoOptions {
  /** Share of the capacity for the small FIFO (default 0.1). */
  readonly smallRatio?: number;
  /** Ghost entries as a share of the capacity (default 0.9: as many as M holds). */
  readonly ghostRatio?: number;
  /** Reads while in S needed to move to M (default 2). */
  readonly moveToMainThreshold?: number;
}

export class S3FifoPolicy implements CachePolicy {
  readonly name = 's3fifo';
  private readonly pool: NodePool;
  private readonly freq: Uint8Array;
  private readonly smallCapacity: number;
  private readonly ghostCapacity: number;
  private readonly threshold: number;
  private hitsS = 0;
  private hitsM = 0;

  constructor(
    readonly capacity: number,
    options: S3FifoOptions = {},
  ) {
    this.smallCapacity = Math.max(1, Math.floor(capacity * (options.smallRatio ?? 0.1)));
    this.ghostCapacity = Math.max(1, Math.floor(capacity * (options.ghostRatio ?? 0.9)));
    this.threshold = options.moveToMainThreshold ?? 2;
    this.pool = new NodePool(capacity + this.ghostCapacity, 3);
    this.freq = new Uint8Array(capacity + this.ghostCapacity);
  }

  get size(): number {
    return this.pool.size(S) + this.pool.size(M);
  }

  get metadataBytes(): number {
    return this.pool.byteLength + this.freq.byteLength;
  }

  lookup(key: BlockKey, _now: number): boolean {
    const node = this.pool.find(key);
    if (node === NIL) return false;
    const list = this.pool.list[node]!;
    if (list === G) return false;
    if (list === S) this.hitsS++;
    else this.hitsM++;
    if (this.freq[node]! < MAX_FREQ) this.freq[node]!++;
    return true;
  }

  contains(key: BlockKey): boolean {
    const node = this.pool.find(key);
    return node !== NIL && this.pool.list[node] !== G;
  }

  admit(key: BlockKey, _now: number, _references: number): BlockKey {
    const ghost = this.pool.find(key);
    if (ghost !== NIL && this.pool.list[ghost] !== G) throw new InternalError(`s3fifo: admit of resident key ${key}`);
    // Leave the ghost queue first: making room may drop the ghost queue's tail, which could be this key.
    if (ghost !== NIL) this.pool.release(ghost);
    const evicted = this.size >= this.capacity ? this.evict() : NO_KEY;
    const node = this.pool.allocate(key, ghost !== NIL ? M : S);
    this.freq[node] = 0;
    return evicted;
  }

  remove(key: BlockKey): boolean {
    const node = this.pool.find(key);
    if (node === NIL || this.pool.list[node] === G) return false;
    this.pool.release(node);
    return true;
  }

  setReferences(_key: BlockKey, _references: number): void {}

  forEachResident(visit: (key: BlockKey) => void): void {
    this.pool.forEachKey(S, visit);
    this.pool.forEachKey(M, visit);
  }

  layers(): LayerStats[] {
    return [
      { name: 'S', blocks: this.pool.size(S), capacity: this.smallCapacity, hits: this.hitsS },
      { name: 'M', blocks: this.pool.size(M), capacity: this.capacity - this.smallCapacity, hits: this.hitsM },
    ];
  }

  /** Which queue a key is in: 'S', 'M', 'G' or null (for tests). */
  queueOf(key: BlockKey): 'S' | 'M' | 'G' | null {
    const node = this.pool.find(key);
    return node === NIL ? null : (['S', 'M', 'G'] as const)[this.pool.list[node]!]!;
  }

  private evict(): BlockKey {
    if (this.pool.size(S) >= this.smallCapacity) {
      const evicted = this.evictSmall();
      if (evicted !== NO_KEY) return evicted;
    }
    return this.evictMain();
  }

  /** Moves re-read blocks from S's tail to M until one block leaves for G; NO_KEY if S empties. */
  private evictSmall(): BlockKey {
    for (let tail = this.pool.tail(S); tail !== NIL; tail = this.pool.tail(S)) {
      if (this.freq[tail]! >= this.threshold) {
        this.freq[tail] = 0;
        this.pool.moveToHead(M, tail);
        continue;
      }
      const key = this.pool.keys[tail]!;
      this.toGhost(tail);
      return key;
    }
    return NO_KEY;
  }

  /** CLOCK over M with the 2-bit counter: reinsert while the counter is non-zero. */
  private evictMain(): BlockKey {
    for (let tail = this.pool.tail(M); tail !== NIL; tail = this.pool.tail(M)) {
      if (this.freq[tail]! > 0) {
        this.freq[tail]!--;
        this.pool.moveToHead(M, tail);
        continue;
      }
      const key = this.pool.keys[tail]!;
      this.pool.release(tail);
      return key;
    }
    // M empty and S had nothing to give: evict S's tail whatever its count.
    const tail = this.pool.tail(S);
    const key = this.pool.keys[tail]!;
    this.toGhost(tail);
    return key;
  }

  private toGhost(node: number): void {
    if (this.pool.size(G) >= this.ghostCapacity) this.pool.release(this.pool.tail(G));
    this.pool.moveToHead(G, node);
  }
}
