/**
 * What Belady's MIN needs to know: every block read of the trace in order, recorded in a first
 * pass, and for each read the position of the next read of the same block. A read request of
 * more blocks than the cache holds bypasses the cache (replay.ts), so which reads reach the cache
 * depends on its size: a view keeps the reads of requests of at most `capacity` blocks (usually
 * all of them, and then every size shares one view).
 *
 * Memory: 12 bytes per block read while recording, 16 more per view.
 */
import type { BlockKey } from '../cache/key.ts';

export const NEVER = Number.POSITIVE_INFINITY;

export interface FutureView {
  /** The block reads that reach a cache of this size, in trace order. */
  readonly keys: Float64Array;
  /** Per read, the index (in `keys`) of the next read of the same block, or NEVER. */
  readonly next: Float64Array;
}

export class FutureReads {
  private keys = new Float64Array(1 << 16);
  private blocks = new Uint32Array(1 << 16);
  private length = 0;
  private readonly views = new Map<number, FutureView>();

  /** A block read that belongs to a request of `requestBlocks` blocks. */
  record(key: BlockKey, requestBlocks: number): void {
    if (this.length === this.keys.length) this.grow();
    this.keys[this.length] = key;
    this.blocks[this.length++] = Math.min(requestBlocks, 0xffffffff);
  }

  get reads(): number {
    return this.length;
  }

  /** The reads a cache of `capacity` blocks sees, with their next-use positions. */
  view(capacity: number): FutureView {
    // Which reads a capacity keeps grows with it, so their count names the set: capacities that
    // keep as many reads share one view (counted before anything is copied).
    let count = 0;
    for (let i = 0; i < this.length; i++) if (this.blocks[i]! <= capacity) count++;
    let view = this.views.get(count);
    if (!view) {
      const kept = this.keep(capacity, count);
      this.views.set(count, (view = { keys: kept, next: nextUses(kept) }));
    }
    return view;
  }

  private keep(capacity: number, count: number): Float64Array {
    if (count === this.length) return this.keys.subarray(0, this.length);
    const kept = new Float64Array(count);
    for (let i = 0, j = 0; i < this.length; i++) if (this.blocks[i]! <= capacity) kept[j++] = this.keys[i]!;
    return kept;
  }

  private grow(): void {
    const keys = new Float64Array(this.keys.length * 2);
    keys.set(this.keys);
    const blocks = new Uint32Array(this.blocks.length * 2);
    blocks.set(this.blocks);
    this.keys = keys;
    this.blocks = blocks;
  }
}

function nextUses(keys: Float64Array): Float64Array {
  const next = new Float64Array(keys.length);
  const seen = new Map<number, number>();
  for (let i = keys.length - 1; i >= 0; i--) {
    const key = keys[i]!;
    next[i] = seen.get(key) ?? NEVER;
    seen.set(key, i);
  }
  return next;
}
