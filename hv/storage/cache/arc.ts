/**
 * Adaptive Replacement Cache (N. Megiddo and D. S. Modha, "ARC: A Self-Tuning, Low Overhead
 * Replacement Cache", FAST 2003, figure 4). T1 holds blocks seen once recently, T2 blocks seen
 * at least twice; B1 and B2 remember keys recently evicted from each (ghosts, no data). A miss
 * that finds its key in B1 means T1 was too small, so the target size p of T1 grows; a miss in
 * B2 shrinks it. Cases I-IV below are the paper's.
 *
 * One deviation, for invalidation: REPLACE runs only when the cache is full (the paper assumes
 * it always is once warm; after remove() it need not be).
 */
import { InternalError } from '../../errors.ts';
import { type BlockKey, NO_KEY } from './key.ts';
import { NIL, NodePool } from './node-pool.ts';
import type { CachePolicy, LayerStats } from './policy.ts';

const T1 = 0;
const T2 = 1;
const B1 = 2;
const B2 = 3;

export class ArcPolicy implements CachePolicy {
  readonly name = 'arc';
  private readonly pool: NodePool;
  /** Target size of T1 (real-valued, as in the paper). */
  private p = 0;
  private hitsT1 = 0;
  private hitsT2 = 0;

  constructor(readonly capacity: number) {
    // |T1| + |T2| + |B1| + |B2| <= 2c.
    this.pool = new NodePool(2 * capacity, 4);
  }

  get size(): number {
    return this.pool.size(T1) + this.pool.size(T2);
  }

  get metadataBytes(): number {
    return this.pool.byteLength;
  }

  /** The adaptive target size of T1, for tests and reports. */
  get target(): number {
    return this.p;
  }

  lookup(key: BlockKey, _now: number): boolean {
    const node = this.pool.find(key);
    if (node === NIL) return false;
    const list = this.pool.list[node]!;
    if (list >= B1) return false;
    // Case I: a hit in T1 or T2 moves the block to the MRU end of T2.
    if (list === T1) this.hitsT1++;
    else this.hitsT2++;
    this.pool.moveToHead(T2, node);
    return true;
  }

  contains(key: BlockKey): boolean {
    const node = this.pool.find(key);
    return node !== NIL && this.pool.list[node]! < B1;
  }

  admit(key: BlockKey, _now: number, _references: number): BlockKey {
    const node = this.pool.find(key);
    if (node === NIL) return this.admitNew(key);
    const list = this.pool.list[node]!;
    if (list < B1) throw new InternalError(`arc: admit of resident key ${key}`);
    const b1 = this.pool.size(B1);
    const b2 = this.pool.size(B2);
    let evicted: BlockKey;
    if (list === B1) {
      // Case II: T1 was too small.
      this.p = Math.min(this.capacity, this.p + Math.max(b2 / b1, 1));
      evicted = this.replace(false);
    } else {
      // Case III: T2 was too small.
      this.p = Math.max(0, this.p - Math.max(b1 / b2, 1));
      evicted = this.replace(true);
    }
    this.pool.moveToHead(T2, node);
    return evicted;
  }

  remove(key: BlockKey): boolean {
    const node = this.pool.find(key);
    if (node === NIL || this.pool.list[node]! >= B1) return false;
    this.pool.release(node);
    return true;
  }

  setReferences(_key: BlockKey, _references: number): void {}

  forEachResident(visit: (key: BlockKey) => void): void {
    this.pool.forEachKey(T1, visit);
    this.pool.forEachKey(T2, visit);
  }

  layers(): LayerStats[] {
    const p = Math.round(this.p);
    return [
      { name: 'T1', blocks: this.pool.size(T1), capacity: p, hits: this.hitsT1 },
      { name: 'T2', blocks: this.pool.size(T2), capacity: this.capacity - p, hits: this.hitsT2 },
    ];
  }

  /** Sizes of T1, T2, B1, B2 (for tests). */
  listSizes(): [number, number, number, number] {
    return [this.pool.size(T1), this.pool.size(T2), this.pool.size(B1), this.pool.size(B2)];
  }

  /** Case IV: the key is in none of the four lists. */
  private admitNew(key: BlockKey): BlockKey {
    const c = this.capacity;
    const t1 = this.pool.size(T1);
    const l1 = t1 + this.pool.size(B1);
    let evicted = NO_KEY;
    if (l1 === c) {
      if (t1 < c) {
        this.pool.release(this.pool.tail(B1));
        evicted = this.replace(false);
      } else {
        const victim = this.pool.tail(T1);
        evicted = this.pool.keys[victim]!;
        this.pool.release(victim);
      }
    } else {
      const total = l1 + this.pool.size(T2) + this.pool.size(B2);
      if (total >= c) {
        if (total >= 2 * c && this.pool.size(B2) > 0) this.pool.release(this.pool.tail(B2));
        evicted = this.replace(false);
      }
    }
    this.pool.allocate(key, T1);
    return evicted;
  }

  /** REPLACE(x, p): moves the LRU block of T1 or T2 to its ghost list; returns its key. */
  private replace(keyInB2: boolean): BlockKey {
    if (this.size < this.capacity) return NO_KEY;
    const t1 = this.pool.size(T1);
    const fromT1 = t1 >= 1 && ((keyInB2 && t1 === this.p) || t1 > this.p || this.pool.size(T2) === 0);
    const victim = this.pool.tail(fromT1 ? T1 : T2);
    this.pool.moveToHead(fromT1 ? B1 : B2, victim);
    return this.pool.keys[victim]!;
  }
}
