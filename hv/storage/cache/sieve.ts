/**
 * SIEVE (Y. Zhang, J. Yang, Y. Yue, Y. Vigfusson, K. V. Rashmi, "SIEVE is Simpler than LRU: an
 * Efficient Turn-Key Eviction Algorithm for Web Caches", NSDI 2024). One FIFO queue and a visited
 * bit per block. A hit only sets the bit (no list move). To evict, a "hand" walks from where it
 * last stopped (at first the tail) towards the head, clearing set bits, and evicts the first
 * block whose bit is clear; the hand then rests on the block before it, and wraps from the head
 * back to the tail. New blocks always enter at the head, so blocks that survived a pass stay
 * behind the newcomers. No ghosts.
 */
import { InternalError } from '../../errors.ts';
import { type BlockKey, NO_KEY } from './key.ts';
import { NIL, NodePool } from './node-pool.ts';
import type { CachePolicy, LayerStats } from './policy.ts';

const QUEUE = 0;

export class SievePolicy implements CachePolicy {
  readonly name = 'sieve';
  private readonly pool: NodePool;
  private readonly visited: Uint8Array;
  private hand = NIL;
  private hits = 0;

  constructor(readonly capacity: number) {
    this.pool = new NodePool(capacity, 1);
    this.visited = new Uint8Array(capacity);
  }

  get size(): number {
    return this.pool.size(QUEUE);
  }

  get metadataBytes(): number {
    return this.pool.byteLength + this.visited.byteLength;
  }

  lookup(key: BlockKey, _now: number): boolean {
    const node = this.pool.find(key);
    if (node === NIL) return false;
    this.visited[node] = 1;
    this.hits++;
    return true;
  }

  contains(key: BlockKey): boolean {
    return this.pool.find(key) !== NIL;
  }

  admit(key: BlockKey, _now: number, _references: number): BlockKey {
    if (this.pool.find(key) !== NIL) throw new InternalError(`sieve: admit of resident key ${key}`);
    const evicted = this.size >= this.capacity ? this.evict() : NO_KEY;
    this.visited[this.pool.allocate(key, QUEUE)] = 0;
    return evicted;
  }

  remove(key: BlockKey): boolean {
    const node = this.pool.find(key);
    if (node === NIL) return false;
    if (node === this.hand) this.hand = this.pool.before(node);
    this.pool.release(node);
    return true;
  }

  setReferences(_key: BlockKey, _references: number): void {}

  forEachResident(visit: (key: BlockKey) => void): void {
    this.pool.forEachKey(QUEUE, visit);
  }

  layers(): LayerStats[] {
    return [{ name: 'queue', blocks: this.size, capacity: this.capacity, hits: this.hits }];
  }

  /** Resident keys from head (newest) to tail (for tests). */
  keysInOrder(): BlockKey[] {
    const out: BlockKey[] = [];
    this.pool.forEachKey(QUEUE, (key) => out.push(key));
    return out;
  }

  private evict(): BlockKey {
    let node = this.hand === NIL ? this.pool.tail(QUEUE) : this.hand;
    while (this.visited[node] === 1) {
      this.visited[node] = 0;
      node = this.pool.before(node);
      if (node === NIL) node = this.pool.tail(QUEUE);
    }
    this.hand = this.pool.before(node);
    const key = this.pool.keys[node]!;
    this.pool.release(node);
    return key;
  }
}
