/**
 * Guest cluster -> host mapping: the L1 table (kept whole in memory) and L2 tables (cached,
 * written back). Every entry is validated where it is used: reserved bits, alignment, and that
 * what it points at starts inside the file and is not the header, L1 or refcount table.
 */
import type { ClusterAllocator } from './allocator.ts';
import { type ClusterEntry, decodeL1, decodeL2, encodeL1, type Fail, UNALLOCATED } from './entries.ts';
import { FLAG_COPIED, type Geometry } from './format.ts';
import { hex, type ImageFile } from './image-file.ts';
import type { Refcounts } from './refcounts.ts';
import { TableCache } from './table-cache.ts';

/** Names the fixed metadata (header, L1, refcount table) a host range overlaps, or null. */
export type FixedOverlap = (offset: number, bytes: number) => string | null;

export class ClusterMap {
  private readonly l1: Buffer;
  private readonly dirtyL1 = new Set<number>();
  private readonly cache: TableCache;

  constructor(
    private readonly file: ImageFile,
    private readonly g: Geometry,
    readonly l1Offset: number,
    readonly l1Size: number,
    private readonly fixedOverlap: FixedOverlap,
    cacheTables: number,
    writeBackAll: () => void,
  ) {
    this.l1 = file.read(l1Offset, l1Size * 8, 'L1 table');
    this.cache = new TableCache(cacheTables, (offset) => file.read(offset, g.clusterSize, 'L2 table'), writeBackAll);
  }

  /** Host offset of the L2 table for L1 index `index` (0: none), validated. */
  l2Offset(index: number): number {
    const fail: Fail = (reason) => this.file.fail(`L1 entry ${index} (guest offset ${hex(index * this.g.l2Entries * this.g.clusterSize)}): ${reason}`);
    const offset = decodeL1(this.l1.readBigUInt64BE(index * 8), this.g, fail);
    if (offset === 0) return 0;
    if (offset + this.g.clusterSize > this.file.size) fail(`L2 table at ${hex(offset)} is past the end of the file (${this.file.size} bytes)`);
    const overlap = this.fixedOverlap(offset, this.g.clusterSize);
    if (overlap) fail(`L2 table at ${hex(offset)} overlaps the ${overlap}`);
    return offset;
  }

  /** What the L2 entry of guest cluster `guestCluster` says. */
  lookup(guestCluster: number): ClusterEntry {
    const l1Index = Math.floor(guestCluster / this.g.l2Entries);
    if (l1Index >= this.l1Size) return UNALLOCATED;
    const l2 = this.l2Offset(l1Index);
    if (l2 === 0) return UNALLOCATED;
    const raw = this.cache.get(l2).readBigUInt64BE((guestCluster % this.g.l2Entries) * 8);
    const fail: Fail = (reason) => this.file.fail(`L2 table at ${hex(l2)}, guest offset ${hex(guestCluster * this.g.clusterSize)}: ${reason}`);
    const entry = decodeL2(raw, this.g, fail);
    if (entry.kind === 'data' || entry.kind === 'compressed') this.checkTarget(entry.host, entry.kind, fail);
    return entry;
  }

  /**
   * The entry of `guestCluster`, after making sure its L2 table exists and belongs to this image
   * alone, so that setEntry may change it in place.
   */
  entryForWrite(guestCluster: number, allocator: ClusterAllocator, refcounts: Refcounts): ClusterEntry {
    const l1Index = Math.floor(guestCluster / this.g.l2Entries);
    const l2 = this.l2Offset(l1Index);
    if (l2 === 0) {
      const table = allocator.allocate('L2 table');
      // Written at once, so that the table lies inside the file; nothing points at it until the
      // L1 entry is written back, after the refcounts (qcow2-image.ts flush).
      const empty = Buffer.alloc(this.g.clusterSize);
      this.file.write(table, empty);
      this.cache.insert(table, empty, false);
      this.setL1(l1Index, encodeL1(table));
    } else if (!(this.l1.readBigUInt64BE(l1Index * 8) & FLAG_COPIED)) {
      const count = refcounts.get(l2 / this.g.clusterSize);
      if (count !== 1) this.file.fail(`L2 table at ${hex(l2)} is shared (refcount ${count}): writing to shared tables is not supported`);
      this.setL1(l1Index, encodeL1(l2));
    }
    return this.lookup(guestCluster);
  }

  /** Stores a raw L2 entry; the table must exist (entryForWrite). */
  setEntry(guestCluster: number, raw: bigint): void {
    const l2 = this.l2Offset(Math.floor(guestCluster / this.g.l2Entries));
    this.cache.get(l2).writeBigUInt64BE(raw, (guestCluster % this.g.l2Entries) * 8);
    this.cache.markDirty(l2);
  }

  get hasDirtyL2(): boolean {
    return this.cache.hasDirty;
  }

  get hasDirtyL1(): boolean {
    return this.dirtyL1.size > 0;
  }

  writeBackL2(): void {
    for (const [offset, data] of this.cache.dirtyTables()) this.file.write(offset, data);
    this.cache.markAllClean();
  }

  writeBackL1(): void {
    for (const index of this.dirtyL1) this.file.write(this.l1Offset + index * 8, this.l1.subarray(index * 8, index * 8 + 8));
    this.dirtyL1.clear();
  }

  private setL1(index: number, raw: bigint): void {
    this.l1.writeBigUInt64BE(raw, index * 8);
    this.dirtyL1.add(index);
  }

  private checkTarget(host: number, kind: string, fail: Fail): void {
    if (host >= this.file.size) fail(`${kind} cluster at ${hex(host)} is past the end of the file (${this.file.size} bytes)`);
    const overlap = this.fixedOverlap(host, kind === 'data' ? this.g.clusterSize : 1);
    if (overlap) fail(`${kind} cluster at ${hex(host)} overlaps the ${overlap}`);
  }
}
