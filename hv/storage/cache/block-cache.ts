/**
 * The block cache between the VMs' virtual disks and the image files. Its memory is divided into
 * fixed-size cache blocks; a replacement policy (layered by default, or lru/arc/s3fifo) decides
 * which blocks stay. A read resolves each block with the image's locate(), so a VM reading an
 * overlay block it never wrote hits the cached block of the base image, shared with every other
 * VM on that base: one key per block of an image file.
 *
 * Writes go to the top image (the VM's own overlay; copy-on-write is the image's job), never to
 * the backing base, so cached base blocks stay valid for the other VMs. Write-through (default)
 * writes the image at once and updates a cached copy of the top's block; write-back keeps the
 * block dirty in cache memory until it is evicted, flush() (guest flush) or close() (shutdown).
 *
 * A cache block must resolve to one place to be cached. That is free to know when the chain's
 * allocation unit (qcow2 cluster, 64 KiB by default) is a multiple of the block size; with
 * smaller clusters every unit is located, and a block split between files is read around the
 * cache (counted as `bypassed`).
 */
import { ImageError, InternalError } from '../../errors.ts';
import { applyState, captureState } from '../../object-state.ts';
import { type BlockImage, type BlockLocation, SECTOR_SIZE } from '../block-image.ts';
import { CacheMemory } from './cache-memory.ts';
import { type DiskTiming, ReadCostMeter, SD_SPI } from './disk-timing.ts';
import { ImageRegistry, type RegistryState } from './image-registry.ts';
import { type BlockKey, NO_KEY } from './key.ts';
import { KeySpace } from './key-space.ts';
import { createPolicy, type PolicyOptions } from './policies.ts';
import type { CachePolicy, PolicyName } from './policy.ts';

export type WriteMode = 'write-through' | 'write-back';

export interface BlockCacheOptions {
  /** Cache blocks. */
  readonly capacity: number;
  /** Bytes per cache block: a power of two, at least one sector (default 4096). */
  readonly blockSize?: number;
  /** A policy name (default 'layered') or a policy built by the caller with the same capacity. */
  readonly policy?: PolicyName | CachePolicy;
  readonly policyOptions?: PolicyOptions;
  readonly writeMode?: WriteMode;
  /** Virtual time in cycles for the policy's read intervals (default: a count of block reads). */
  readonly clock?: () => number;
  /** Cost model for `lastReadCycles` (default: SD card in SPI mode). */
  readonly timing?: DiskTiming;
}

export interface BlockCacheStats {
  reads: number;
  blockReads: number;
  hits: number;
  misses: number;
  /** Blocks no image in the chain holds (read as zeros, not cached). */
  zeroBlocks: number;
  /** Blocks read around the cache (they resolve to more than one place). */
  bypassed: number;
  writes: number;
  /** Dirty blocks written to their image (write-back). */
  writeBacks: number;
  evictions: number;
  /** Cycles of all reads and of the last one under the cost model. */
  readCycles: number;
  lastReadCycles: number;
}

export interface BlockCacheState {
  readonly registry: RegistryState;
  readonly data: unknown;
}

export class BlockCache {
  readonly blockSize: number;
  readonly writeMode: WriteMode;
  readonly policy: CachePolicy;
  readonly stats: BlockCacheStats = emptyStats();
  private readonly memory: CacheMemory;
  private readonly registry = new ImageRegistry();
  /** Keys of (image id, block) pairs: never shared between images, whatever their sizes. */
  private readonly keys = new KeySpace();
  private readonly meter: ReadCostMeter;
  private readonly clock: () => number;
  /** Dirty blocks per image id (write-back), to skip the override check when there are none. */
  private readonly dirtyPerImage = new Map<number, number>();
  /** Images written since their last flush. */
  private readonly unflushed = new Set<number>();
  private closed = false;

  constructor(options: BlockCacheOptions) {
    this.blockSize = options.blockSize ?? 4096;
    if (!(this.blockSize >= SECTOR_SIZE && Number.isInteger(Math.log2(this.blockSize)))) {
      throw new ImageError(`block cache: block size ${this.blockSize} is not a power of two >= ${SECTOR_SIZE}`);
    }
    this.writeMode = options.writeMode ?? 'write-through';
    const policy = options.policy ?? 'layered';
    this.policy = typeof policy === 'string' ? createPolicy(policy, options.capacity, options.policyOptions) : policy;
    this.memory = new CacheMemory(this.policy.capacity, this.blockSize);
    this.meter = new ReadCostMeter(options.timing ?? SD_SPI, this.blockSize / SECTOR_SIZE);
    let ticks = 0;
    this.clock = options.clock ?? (() => ticks++);
  }

  /** Registers a VM disk (its top image) so that reference counts include it. Reads attach too. */
  attach(top: BlockImage): void {
    this.checkOpen();
    this.registry.attach(top);
  }

  /** Writes back the disk's dirty blocks and stops counting it as a sharer. */
  detach(top: BlockImage): void {
    if (this.closed) return;
    this.flush(top);
    this.registry.detach(top);
  }

  /** Reads `length` bytes at `offset` of `image` (a VM disk's top image) through the cache. */
  read(image: BlockImage, offset: number, length: number): Uint8Array {
    this.checkOpen();
    this.checkRange(image, offset, length);
    this.attach(image);
    const out = new Uint8Array(length);
    this.meter.begin();
    this.forEachBlock(offset, length, (block, within, n, at) => this.readBlock(image, block, within, n, out, at));
    this.stats.reads++;
    this.stats.lastReadCycles = this.meter.end();
    this.stats.readCycles += this.stats.lastReadCycles;
    return out;
  }

  /** Writes whole sectors at `offset` of `image` (the VM's top image, never its backing base). */
  write(image: BlockImage, offset: number, data: Uint8Array): void {
    this.checkOpen();
    if (image.readOnly) throw new ImageError(`${image.file}: image is read-only`);
    if (offset % SECTOR_SIZE !== 0 || data.length % SECTOR_SIZE !== 0) {
      throw new ImageError(`${image.file}: write of ${data.length} bytes at ${offset} is not whole sectors`);
    }
    this.checkRange(image, offset, data.length);
    this.attach(image);
    const topId = this.registry.idOf(image);
    const shared = this.sharedLocations(image, offset, data.length);
    if (this.writeMode === 'write-through') this.writeThrough(image, topId, offset, data);
    else this.writeBack(image, topId, offset, data);
    // The top no longer references the base blocks it just overwrote.
    for (const [key, location] of shared) this.policy.setReferences(key, this.references(location, this.keys.blockOf(key)));
    this.unflushed.add(topId);
    this.stats.writes++;
  }

  /** Writes back dirty blocks (of `image` only, or all) and makes the images durable. */
  flush(image?: BlockImage): void {
    this.checkOpen();
    const only = image === undefined ? undefined : this.registry.idOf(image);
    for (const slot of this.dirtySlots(only)) {
      this.writeBackSlot(slot);
    }
    for (const id of [...this.unflushed].sort((a, b) => a - b)) {
      if (only !== undefined && id !== only) continue;
      this.registry.image(id).flush();
      this.unflushed.delete(id);
    }
  }

  /** Shutdown: writes back every dirty block and flushes the images (which stay open). */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
  }

  /**
   * Everything the cache holds (a checkpoint): its blocks with their data and dirty bits, the
   * policy's lists, the keys, the statistics; images are named through `names`.
   */
  saveState(names: ReadonlyMap<BlockImage, string>): BlockCacheState {
    this.checkOpen();
    return { registry: this.registry.saveState(names), data: captureState(this.stateParts()) };
  }

  /** Puts back a saved state into a cache built with the same options over the same disks. */
  restoreState(s: BlockCacheState, images: ReadonlyMap<string, BlockImage>): void {
    this.registry.restoreState(s.registry, images);
    applyState(this.stateParts(), s.data);
  }

  private stateParts(): object {
    const { policy, memory, keys, meter, stats, dirtyPerImage, unflushed } = this;
    return { policy, memory, keys, meter, stats, dirtyPerImage, unflushed };
  }

  /** Whether the block of `image` at `offset` (as resolved now) is in cache memory. */
  isCached(image: BlockImage, offset: number): boolean {
    const block = Math.floor(offset / this.blockSize);
    if (this.memory.find(this.keys.find(this.registry.idOf(image), block)) >= 0) return true;
    const location = image.locate(block * this.blockSize);
    return !location.zero && this.memory.find(this.locationKey(location, false)) >= 0;
  }

  /** Bytes of bookkeeping arrays (policy and cache memory index), cache data excluded. */
  get metadataBytes(): number {
    return this.policy.metadataBytes + this.memory.metadataBytes;
  }

  /** Dirty blocks waiting for write-back. */
  get dirtyBlocks(): number {
    let n = 0;
    for (const count of this.dirtyPerImage.values()) n += count;
    return n;
  }

  private readBlock(image: BlockImage, block: number, within: number, n: number, out: Uint8Array, at: number): void {
    this.stats.blockReads++;
    const now = this.clock();
    const own = this.ownDirtySlot(image, block);
    if (own >= 0) {
      this.policy.lookup(this.memory.keyOf(own), now);
      this.copyOut(own, within, n, out, at);
      return;
    }
    const start = block * this.blockSize;
    const location = image.locate(start);
    if (location.zero) {
      this.stats.zeroBlocks++;
      this.meter.hit(n);
      return;
    }
    if (!this.resolvesToOnePlace(image, start, location)) {
      this.stats.bypassed++;
      out.set(this.readBytes(image, start, this.blockSize).subarray(within, within + n), at);
      this.meter.miss(this.registry.idOf(image), block, n);
      return;
    }
    const key = this.locationKey(location);
    if (this.policy.lookup(key, now)) {
      this.stats.hits++;
      this.meter.hit(n);
      this.copyOut(this.memory.find(key), within, n, out, at);
      return;
    }
    this.stats.misses++;
    this.meter.miss(this.keys.imageOf(key), this.keys.blockOf(key), n);
    const slot = this.fill(key, this.readBytes(location.image, location.offset, this.blockSize), location, now);
    this.copyOut(slot, within, n, out, at);
  }

  /** Dirty slots (of image `only`, or all) in (image, block) order, so write-backs are reproducible. */
  private dirtySlots(only: number | undefined): number[] {
    const keys = this.keys;
    const image = (slot: number) => keys.imageOf(this.memory.keyOf(slot));
    const block = (slot: number) => keys.blockOf(this.memory.keyOf(slot));
    const slots = this.memory.dirtySlots((key) => only === undefined || keys.imageOf(key) === only);
    return slots.sort((a, b) => image(a) - image(b) || block(a) - block(b));
  }

  /** Write-back: the top's own dirty copy of a block overrides whatever its chain resolves to. */
  private ownDirtySlot(image: BlockImage, block: number): number {
    const id = this.registry.idOf(image);
    if ((this.dirtyPerImage.get(id) ?? 0) === 0) return -1;
    const slot = this.memory.find(this.keys.find(id, block));
    return slot >= 0 && this.memory.isDirty(slot) ? slot : -1;
  }

  /** Admits `key` with its data; frees (writing back when dirty) the block the policy evicts. */
  private fill(key: BlockKey, data: Uint8Array, location: BlockLocation, now: number): number {
    const evicted = this.policy.admit(key, now, this.references(location, this.keys.blockOf(key)));
    if (evicted !== NO_KEY) {
      const victim = this.memory.find(evicted);
      if (victim < 0) throw new InternalError(`block cache: evicted key ${evicted} has no cache block`);
      if (this.memory.isDirty(victim)) this.writeBackSlot(victim);
      this.memory.release(victim);
      this.stats.evictions++;
    }
    const slot = this.memory.allocate(key);
    this.memory.store(slot, data);
    return slot;
  }

  private writeThrough(image: BlockImage, topId: number, offset: number, data: Uint8Array): void {
    image.writeSectors(offset / SECTOR_SIZE, data);
    this.forEachBlock(offset, data.length, (block, within, n, at) => {
      const slot = this.memory.find(this.keys.find(topId, block));
      if (slot >= 0) this.memory.bytes.set(data.subarray(at, at + n), this.memory.offsetOf(slot) + within);
    });
  }

  private writeBack(image: BlockImage, topId: number, offset: number, data: Uint8Array): void {
    this.forEachBlock(offset, data.length, (block, within, n, at) => {
      const key = this.keys.key(topId, block);
      let slot = this.memory.find(key);
      if (slot < 0) {
        const whole = within === 0 && n === this.blockSize;
        const current = whole ? new Uint8Array(this.blockSize) : this.currentBlock(image, block);
        const own: BlockLocation = { image, offset: block * this.blockSize, zero: false };
        slot = this.fill(key, current, own, this.clock());
      }
      this.memory.bytes.set(data.subarray(at, at + n), this.memory.offsetOf(slot) + within);
      if (!this.memory.isDirty(slot)) {
        this.memory.setDirty(slot, true);
        this.dirtyPerImage.set(topId, (this.dirtyPerImage.get(topId) ?? 0) + 1);
      }
    });
  }

  private writeBackSlot(slot: number): void {
    const key = this.memory.keyOf(slot);
    const id = this.keys.imageOf(key);
    const image = this.registry.image(id);
    const start = this.keys.blockOf(key) * this.blockSize;
    const length = Math.min(this.blockSize, image.size - start);
    const at = this.memory.offsetOf(slot);
    image.writeSectors(start / SECTOR_SIZE, this.memory.bytes.slice(at, at + length));
    this.memory.setDirty(slot, false);
    this.dirtyPerImage.set(id, this.dirtyPerImage.get(id)! - 1);
    this.unflushed.add(id);
    this.stats.writeBacks++;
  }

  /** The block's bytes as `image` sees them now (for a partial write-back write). */
  private currentBlock(image: BlockImage, block: number): Uint8Array {
    const start = block * this.blockSize;
    const location = image.locate(start);
    if (location.zero) return new Uint8Array(this.blockSize);
    const slot = this.memory.find(this.locationKey(location, false));
    if (slot >= 0) return this.memory.bytes.slice(this.memory.offsetOf(slot), this.memory.offsetOf(slot) + this.blockSize);
    return this.readBytes(image, start, this.blockSize);
  }

  /**
   * How many registered VM disks reference the block at `location`: those whose chain includes
   * its file and still resolves the block there (not overwritten in their own overlay). One
   * locate() per candidate disk, on misses and writes only.
   */
  private references(location: BlockLocation, block: number): number {
    const id = this.registry.idOf(location.image);
    const candidates = this.registry.sharersOf(id);
    if (candidates.length <= 1) return 1;
    let count = 0;
    for (const top of candidates) {
      const topId = this.registry.idOf(top);
      if (topId !== id && this.ownDirtySlot(top, block) >= 0) continue;
      const there = top.locate(block * this.blockSize);
      if (!there.zero && there.image.file === location.image.file && there.offset === location.offset) count++;
    }
    return Math.max(1, count);
  }

  /** Cached blocks of other files that the range of `image` resolves to before a write. */
  private sharedLocations(image: BlockImage, offset: number, length: number): [BlockKey, BlockLocation][] {
    const out: [BlockKey, BlockLocation][] = [];
    this.forEachBlock(offset, length, (block) => {
      const location = image.locate(block * this.blockSize);
      if (location.zero || location.image.file === image.file) return;
      const key = this.locationKey(location, false);
      if (this.memory.find(key) >= 0) out.push([key, location]);
    });
    return out;
  }

  /** The key of the block at `location`; with `create` false, NO_KEY for a block never keyed. */
  private locationKey(location: BlockLocation, create = true): BlockKey {
    const block = location.offset / this.blockSize;
    if (!Number.isInteger(block)) throw new ImageError(`${location.image.file}: offset ${location.offset} is not a cache block boundary`);
    const id = this.registry.idOf(location.image);
    return create ? this.keys.key(id, block) : this.keys.find(id, block);
  }

  /**
   * Whether the whole cache block resolves to one contiguous place. Free when the chain's
   * allocation unit (qcow2 cluster) covers the block; otherwise one locate() per unit.
   */
  private resolvesToOnePlace(image: BlockImage, start: number, location: BlockLocation): boolean {
    if (location.offset % this.blockSize !== 0) return false;
    const unit = this.registry.allocationUnit(image);
    if (unit >= this.blockSize && unit % this.blockSize === 0) return true;
    const end = Math.min(start + this.blockSize, image.size);
    for (let at = start + unit; at < end; at += unit) {
      const there = image.locate(at);
      if (there.zero || there.image.file !== location.image.file || there.offset !== location.offset + (at - start)) return false;
    }
    return true;
  }

  /** Up to `length` bytes at `offset` of `image`, zero-padded to `length` past its end. */
  private readBytes(image: BlockImage, offset: number, length: number): Uint8Array {
    const available = Math.max(0, Math.min(length, image.size - offset));
    const sectors = Math.ceil(available / SECTOR_SIZE);
    const data = sectors > 0 ? image.readSectors(offset / SECTOR_SIZE, sectors) : new Uint8Array(0);
    if (data.length === length) return data;
    const out = new Uint8Array(length);
    out.set(data.subarray(0, Math.min(length, data.length)));
    return out;
  }

  private copyOut(slot: number, within: number, n: number, out: Uint8Array, at: number): void {
    const from = this.memory.offsetOf(slot) + within;
    out.set(this.memory.bytes.subarray(from, from + n), at);
  }

  private forEachBlock(offset: number, length: number, visit: (block: number, within: number, n: number, at: number) => void): void {
    const end = offset + length;
    for (let pos = offset; pos < end; ) {
      const block = Math.floor(pos / this.blockSize);
      const within = pos - block * this.blockSize;
      const n = Math.min(this.blockSize - within, end - pos);
      visit(block, within, n, pos - offset);
      pos += n;
    }
  }

  private checkRange(image: BlockImage, offset: number, length: number): void {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > image.size) {
      throw new ImageError(`${image.file}: bytes ${offset}..${offset + length - 1} are beyond the end (${image.size} bytes)`);
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new InternalError('block cache used after close()');
  }
}

function emptyStats(): BlockCacheStats {
  return { reads: 0, blockReads: 0, hits: 0, misses: 0, zeroBlocks: 0, bypassed: 0, writes: 0, writeBacks: 0, evictions: 0, readCycles: 0, lastReadCycles: 0 };
}
