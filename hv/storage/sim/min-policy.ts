/**
 * Belady's MIN (L. A. Belady, "A study of replacement algorithms for a virtual-storage computer",
 * IBM Systems Journal 5(2), 1966): on a miss, evict the resident block whose next read is
 * farthest in the future. It is the optimum for hits among policies that fetch on demand, so it
 * is the bound every other policy's hit ratio is read against. It follows the same admission
 * rules as the others: every missed block is admitted (no bypass of blocks never read again),
 * writes admit nothing, and requests larger than the cache bypass it (they never reach here).
 *
 * Offline: it replays the read sequence recorded in a first pass (future-reads.ts) and checks
 * that every lookup is the read it expects. Resident blocks sit in a binary max-heap on the
 * position of their next read; O(log capacity) per access.
 */
import { InternalError } from '../../errors.ts';
import { KeyIndex } from '../cache/key-index.ts';
import { type BlockKey, NO_KEY } from '../cache/key.ts';
import type { CachePolicy, LayerStats } from '../cache/policy.ts';
import type { FutureView } from './future-reads.ts';

export class MinPolicy implements CachePolicy {
  readonly name = 'min';
  private readonly keys: Float64Array;
  /** Per node: position of its block's next read. */
  private readonly nextRead: Float64Array;
  private readonly heap: Int32Array;
  /** Per node: its place in the heap. */
  private readonly place: Int32Array;
  private readonly index: KeyIndex;
  private readonly free: Int32Array;
  private freeCount: number;
  private count = 0;
  private cursor = 0;
  private hits = 0;

  constructor(
    readonly capacity: number,
    private readonly future: FutureView,
  ) {
    this.keys = new Float64Array(capacity);
    this.nextRead = new Float64Array(capacity);
    this.heap = new Int32Array(capacity);
    this.place = new Int32Array(capacity);
    this.index = new KeyIndex(this.keys, capacity);
    this.free = Int32Array.from({ length: capacity }, (_, i) => capacity - 1 - i);
    this.freeCount = capacity;
  }

  get size(): number {
    return this.count;
  }

  get metadataBytes(): number {
    return this.capacity * (8 + 8 + 4 + 4 + 4) + this.index.byteLength + this.future.keys.byteLength + this.future.next.byteLength;
  }

  lookup(key: BlockKey, _now: number): boolean {
    const at = this.expect(key);
    const node = this.index.find(key);
    if (node < 0) return false;
    this.cursor++;
    this.hits++;
    this.nextRead[node] = this.future.next[at]!;
    this.siftUp(this.place[node]!);
    return true;
  }

  contains(key: BlockKey): boolean {
    return this.index.find(key) >= 0;
  }

  admit(key: BlockKey, _now: number, _references: number): BlockKey {
    const at = this.expect(key);
    if (this.index.find(key) >= 0) throw new InternalError(`min: admit of resident key ${key}`);
    this.cursor++;
    const evicted = this.count >= this.capacity ? this.evictFarthest() : NO_KEY;
    const node = this.free[--this.freeCount]!;
    this.keys[node] = key;
    this.nextRead[node] = this.future.next[at]!;
    this.index.insert(node);
    this.heap[this.count] = node;
    this.place[node] = this.count++;
    this.siftUp(this.count - 1);
    return evicted;
  }

  remove(key: BlockKey): boolean {
    const node = this.index.find(key);
    if (node < 0) return false;
    this.detach(node);
    return true;
  }

  setReferences(_key: BlockKey, _references: number): void {}

  forEachResident(visit: (key: BlockKey) => void): void {
    for (let i = 0; i < this.count; i++) visit(this.keys[this.heap[i]!]!);
  }

  layers(): LayerStats[] {
    return [{ name: 'min', blocks: this.count, capacity: this.capacity, hits: this.hits }];
  }

  /** The position of the read `key` must be; a mismatch means the two passes differ (a bug). */
  private expect(key: BlockKey): number {
    const at = this.cursor;
    if (this.future.keys[at] !== key) throw new InternalError(`min: read ${at} is key ${this.future.keys[at]}, the replay asked for ${key}`);
    return at;
  }

  private evictFarthest(): BlockKey {
    const node = this.heap[0]!;
    const key = this.keys[node]!;
    this.detach(node);
    return key;
  }

  private detach(node: number): void {
    const at = this.place[node]!;
    const last = this.heap[--this.count]!;
    this.index.remove(this.keys[node]!);
    this.free[this.freeCount++] = node;
    if (last === node) return;
    this.heap[at] = last;
    this.place[last] = at;
    this.siftDown(at);
    this.siftUp(this.place[last]!);
  }

  private siftUp(at: number): void {
    const node = this.heap[at]!;
    const value = this.nextRead[node]!;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      const above = this.heap[parent]!;
      if (this.nextRead[above]! >= value) break;
      this.heap[at] = above;
      this.place[above] = at;
      at = parent;
    }
    this.heap[at] = node;
    this.place[node] = at;
  }

  private siftDown(at: number): void {
    const node = this.heap[at]!;
    const value = this.nextRead[node]!;
    for (;;) {
      let child = 2 * at + 1;
      if (child >= this.count) break;
      if (child + 1 < this.count && this.nextRead[this.heap[child + 1]!]! > this.nextRead[this.heap[child]!]!) child++;
      const below = this.heap[child]!;
      if (this.nextRead[below]! <= value) break;
      this.heap[at] = below;
      this.place[below] = at;
      at = child;
    }
    this.heap[at] = node;
    this.place[node] = at;
  }
}
