/**
 * A set of block keys as one bitmap per KeySpace chunk (8 KiB per 2^16 blocks, allocated when a
 * chunk is first used): counts the distinct blocks a trace reads, its working set, without a
 * hash-set entry per block.
 */
import { CHUNK_BLOCKS } from '../cache/key-space.ts';
import type { BlockKey } from '../cache/key.ts';

export class BlockSet {
  private readonly bitmaps: Uint8Array[] = [];
  size = 0;

  /** Adds the consecutive keys first..last (of one chunk run); returns how many were new. */
  addRange(first: BlockKey, count: number): number {
    let added = 0;
    for (let key = first; key < first + count; key++) added += this.add(key) ? 1 : 0;
    return added;
  }

  add(key: BlockKey): boolean {
    const chunk = Math.floor(key / CHUNK_BLOCKS);
    const bitmap = (this.bitmaps[chunk] ??= new Uint8Array(CHUNK_BLOCKS / 8));
    const bit = key - chunk * CHUNK_BLOCKS;
    const mask = 1 << (bit & 7);
    if ((bitmap[bit >>> 3]! & mask) !== 0) return false;
    bitmap[bit >>> 3]! |= mask;
    this.size++;
    return true;
  }
}
