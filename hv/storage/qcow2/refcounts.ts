/**
 * The two-level refcount structure: a contiguous refcount table (kept whole in memory) pointing
 * to cluster-sized refcount blocks (cached, written back). Refcount widths of 1 to 64 bits
 * (refcount_order 0-6) are supported; sub-byte entries start at the least significant bit.
 * Every table entry is validated when the image opens, so a corrupt table is reported before it
 * is used. Allocation policy lives in allocator.ts; this file only reads and stores counts.
 */
import { InternalError } from '../../errors.ts';
import { decodeRefcountTableEntry } from './entries.ts';
import type { Geometry } from './format.ts';
import { hex, type ImageFile } from './image-file.ts';
import { TableCache } from './table-cache.ts';

export interface RefcountTableLocation {
  readonly offset: number;
  readonly clusters: number;
}

export class Refcounts {
  /** Host offsets of the refcount blocks by table index (0: not allocated). */
  private blocks: number[];
  private location: RefcountTableLocation;
  private tableDirty = false;
  private readonly cache: TableCache;
  private readonly bits: number;
  readonly maxRefcount: number;

  constructor(
    private readonly file: ImageFile,
    private readonly g: Geometry,
    location: RefcountTableLocation,
    /** Names the fixed metadata (header, L1, refcount table) a host range overlaps, or null. */
    private readonly fixedOverlap: (offset: number, bytes: number) => string | null,
    cacheTables: number,
    writeBackAll: () => void,
  ) {
    this.bits = 2 ** g.refcountOrder;
    this.maxRefcount = this.bits >= 53 ? Number.MAX_SAFE_INTEGER : 2 ** this.bits - 1;
    this.location = location;
    this.blocks = this.readTable(location);
    this.cache = new TableCache(cacheTables, (offset) => file.read(offset, g.clusterSize, 'refcount block'), writeBackAll);
  }

  get table(): RefcountTableLocation {
    return this.location;
  }

  /** Number of refcount blocks the table can point to. */
  get tableEntries(): number {
    return this.blocks.length;
  }

  blockOffset(index: number): number {
    return this.blocks[index] ?? 0;
  }

  /** Refcount of host cluster `cluster` (0 beyond the table or in a missing block). */
  get(cluster: number): number {
    const index = Math.floor(cluster / this.g.refcountsPerBlock);
    const block = this.blockOffset(index);
    if (block === 0) return 0;
    return this.readEntry(this.cache.get(block), cluster % this.g.refcountsPerBlock);
  }

  /** Stores a refcount; the block covering `cluster` must exist (allocator.ts creates it). */
  set(cluster: number, value: number): void {
    if (value < 0 || value > this.maxRefcount) this.file.fail(`refcount of cluster ${hex(cluster * this.g.clusterSize)} would become ${value} (limit ${this.maxRefcount})`);
    const index = Math.floor(cluster / this.g.refcountsPerBlock);
    const block = this.blockOffset(index);
    if (block === 0) throw new InternalError(`no refcount block for cluster ${cluster}`);
    this.storeEntry(this.cache.get(block), cluster % this.g.refcountsPerBlock, value);
    this.cache.markDirty(block);
  }

  /** Points table entry `index` at a new, all-zero refcount block at `offset`. */
  installBlock(index: number, offset: number): void {
    this.cache.insert(offset, Buffer.alloc(this.g.clusterSize), true);
    this.blocks[index] = offset;
    this.tableDirty = true;
  }

  /** Switches to a new (larger) table that is already on disk; `blocks` lists its entries. */
  replaceTable(location: RefcountTableLocation, blocks: readonly number[], newBlocks: ReadonlyMap<number, Buffer>): void {
    this.location = location;
    this.blocks = [...blocks];
    this.tableDirty = false;
    for (const [offset, data] of newBlocks) this.cache.insert(offset, data, false);
  }

  /** The table as stored on disk (entries padded to the table's clusters). */
  encodeTable(blocks: readonly number[], clusters: number): Buffer {
    const out = Buffer.alloc(clusters * this.g.clusterSize);
    blocks.forEach((offset, i) => out.writeBigUInt64BE(BigInt(offset), i * 8));
    return out;
  }

  get blockList(): readonly number[] {
    return this.blocks;
  }

  get hasDirtyBlocks(): boolean {
    return this.cache.hasDirty;
  }

  get hasDirtyTable(): boolean {
    return this.tableDirty;
  }

  writeBackBlocks(): void {
    for (const [offset, data] of this.cache.dirtyTables()) this.file.write(offset, data);
    this.cache.markAllClean();
  }

  writeBackTable(): void {
    if (!this.tableDirty) return;
    this.file.write(this.location.offset, this.encodeTable(this.blocks, this.location.clusters));
    this.tableDirty = false;
  }

  private readTable(location: RefcountTableLocation): number[] {
    const raw = this.file.read(location.offset, location.clusters * this.g.clusterSize, 'refcount table');
    const blocks: number[] = [];
    for (let i = 0; i < raw.length / 8; i++) {
      const fail = (reason: string): never => this.file.fail(`refcount error: table entry ${i}: ${reason}`);
      const offset = decodeRefcountTableEntry(raw.readBigUInt64BE(i * 8), this.g, fail);
      if (offset !== 0) this.checkBlockPlacement(offset, fail);
      blocks.push(offset);
    }
    return blocks;
  }

  private checkBlockPlacement(offset: number, fail: (reason: string) => never): void {
    if (offset + this.g.clusterSize > this.file.size) fail(`refcount block at ${hex(offset)} is past the end of the file (${this.file.size} bytes)`);
    const overlap = this.fixedOverlap(offset, this.g.clusterSize);
    if (overlap) fail(`refcount block at ${hex(offset)} overlaps the ${overlap}`);
  }

  private readEntry(block: Buffer, index: number): number {
    const bits = this.bits;
    if (bits === 64) return Math.min(Number(block.readBigUInt64BE(index * 8)), Number.MAX_SAFE_INTEGER);
    if (bits >= 8) return block.readUIntBE(index * (bits / 8), bits / 8);
    const perByte = 8 / bits;
    return (block[Math.floor(index / perByte)]! >> ((index % perByte) * bits)) & (2 ** bits - 1);
  }

  /** Stores refcount `index` of a block buffer (for blocks built outside the cache). */
  storeEntry(block: Buffer, index: number, value: number): void {
    const bits = this.bits;
    if (bits === 64) block.writeBigUInt64BE(BigInt(value), index * 8);
    else if (bits >= 8) block.writeUIntBE(value, index * (bits / 8), bits / 8);
    else {
      const perByte = 8 / bits;
      const at = Math.floor(index / perByte);
      const shift = (index % perByte) * bits;
      const mask = (2 ** bits - 1) << shift;
      block[at] = (block[at]! & ~mask) | (value << shift);
    }
  }
}
