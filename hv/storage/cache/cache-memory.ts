/**
 * The cache memory: one buffer divided into fixed-size cache blocks (slots), a key-to-slot index
 * and a dirty flag per slot (write-back). Which keys stay resident is the policy's business; this
 * class only holds the bytes of the resident ones.
 */
import { InternalError } from '../../errors.ts';
import { KeyIndex } from './key-index.ts';
import type { BlockKey } from './key.ts';

export class CacheMemory {
  /** All cache blocks, slot after slot. */
  readonly bytes: Uint8Array;
  private readonly keys: Float64Array;
  private readonly index: KeyIndex;
  private readonly freeSlots: Int32Array;
  private freeCount: number;
  private readonly dirty: Uint8Array;

  constructor(
    readonly slots: number,
    readonly blockSize: number,
  ) {
    this.bytes = new Uint8Array(slots * blockSize);
    this.keys = new Float64Array(slots);
    this.index = new KeyIndex(this.keys, slots);
    this.freeSlots = new Int32Array(slots);
    for (let i = 0; i < slots; i++) this.freeSlots[i] = slots - 1 - i;
    this.freeCount = slots;
    this.dirty = new Uint8Array(slots);
  }

  /** The slot holding `key`, or -1. */
  find(key: BlockKey): number {
    return this.index.find(key);
  }

  /** Takes a free slot for `key` (the policy has made room). */
  allocate(key: BlockKey): number {
    if (this.freeCount === 0) throw new InternalError('cache memory full: the policy admitted more blocks than its capacity');
    const slot = this.freeSlots[--this.freeCount]!;
    this.keys[slot] = key;
    this.index.insert(slot);
    this.dirty[slot] = 0;
    return slot;
  }

  release(slot: number): void {
    this.index.remove(this.keys[slot]!);
    this.dirty[slot] = 0;
    this.freeSlots[this.freeCount++] = slot;
  }

  keyOf(slot: number): BlockKey {
    return this.keys[slot]!;
  }

  offsetOf(slot: number): number {
    return slot * this.blockSize;
  }

  /** Fills a slot with `data` (shorter data, at the end of an image, is padded with zeros). */
  store(slot: number, data: Uint8Array): void {
    const at = slot * this.blockSize;
    this.bytes.set(data.subarray(0, this.blockSize), at);
    if (data.length < this.blockSize) this.bytes.fill(0, at + data.length, at + this.blockSize);
  }

  isDirty(slot: number): boolean {
    return this.dirty[slot] === 1;
  }

  setDirty(slot: number, dirty: boolean): void {
    this.dirty[slot] = dirty ? 1 : 0;
  }

  /** Dirty slots whose key passes `filter`, in slot order (the caller orders the write-backs). */
  dirtySlots(filter: (key: BlockKey) => boolean = () => true): number[] {
    const out: number[] = [];
    for (let slot = 0; slot < this.slots; slot++) if (this.dirty[slot] === 1 && filter(this.keys[slot]!)) out.push(slot);
    return out;
  }

  get metadataBytes(): number {
    return this.keys.byteLength + this.index.byteLength + this.freeSlots.byteLength + this.dirty.byteLength;
  }
}
