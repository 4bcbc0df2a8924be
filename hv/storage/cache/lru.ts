/** Least recently used: one list, hits move to the head, the tail is evicted. The reference. */
import { InternalError } from '../../errors.ts';
import { type BlockKey, NO_KEY } from './key.ts';
import { NIL, NodePool } from './node-pool.ts';
import type { CachePolicy, LayerStats } from './policy.ts';

const LIST = 0;

export class LruPolicy implements CachePolicy {
  readonly name = 'lru';
  private readonly pool: NodePool;
  private hits = 0;

  constructor(readonly capacity: number) {
    this.pool = new NodePool(capacity, 1);
  }

  get size(): number {
    return this.pool.size(LIST);
  }

  get metadataBytes(): number {
    return this.pool.byteLength;
  }

  lookup(key: BlockKey, _now: number): boolean {
    const node = this.pool.find(key);
    if (node === NIL) return false;
    this.pool.moveToHead(LIST, node);
    this.hits++;
    return true;
  }

  contains(key: BlockKey): boolean {
    return this.pool.find(key) !== NIL;
  }

  admit(key: BlockKey, _now: number, _references: number): BlockKey {
    if (this.pool.find(key) !== NIL) throw new InternalError(`lru: admit of resident key ${key}`);
    let evicted = NO_KEY;
    if (this.pool.size(LIST) >= this.capacity) {
      const victim = this.pool.tail(LIST);
      evicted = this.pool.keys[victim]!;
      this.pool.release(victim);
    }
    this.pool.allocate(key, LIST);
    return evicted;
  }

  remove(key: BlockKey): boolean {
    const node = this.pool.find(key);
    if (node === NIL) return false;
    this.pool.release(node);
    return true;
  }

  setReferences(_key: BlockKey, _references: number): void {}

  forEachResident(visit: (key: BlockKey) => void): void {
    this.pool.forEachKey(LIST, visit);
  }

  layers(): LayerStats[] {
    return [{ name: 'lru', blocks: this.size, capacity: this.capacity, hits: this.hits }];
  }

  /** Resident keys from most to least recently used (for tests and reports). */
  keysByRecency(): BlockKey[] {
    const out: BlockKey[] = [];
    for (let n = this.pool.head(LIST); n !== NIL; n = this.pool.after(n)) out.push(this.pool.keys[n]!);
    return out;
  }
}
