/**
 * A qcow2 image (versions 2 and 3) as a BlockImage. Reads follow the L1/L2 mapping and fall
 * through to the backing image for unallocated clusters; writes allocate clusters and copy on
 * write (writer.ts). Metadata changes are cached and written back by `flush` in the order that
 * keeps the file consistent at every step:
 *
 *   data clusters -> refcount blocks -> refcount table -> L2 tables -> L1 table -> freed refcounts
 *
 * with an fsync after each step that had something to write. Refcounts reach the disk before any
 * table points at the clusters they count, and references are dropped only after the tables
 * stopped using them, so an interruption at any point can leak clusters but never lose data or
 * leave a table pointing at a free cluster.
 */
import { type BlockImage, type BlockLocation, SECTOR_SIZE } from '../block-image.ts';
import { ClusterAllocator } from './allocator.ts';
import { ClusterMap } from './cluster-map.ts';
import { inflateCluster } from './compressed.ts';
import type { ClusterEntry } from './entries.ts';
import { hasLazyRefcounts } from './features.ts';
import { type Geometry, HEADER_OFFSET, INCOMPAT } from './format.ts';
import type { Qcow2Header } from './header.ts';
import type { ImageFile } from './image-file.ts';
import { scanMetadata } from './metadata-scan.ts';
import { type RefcountTableLocation, Refcounts } from './refcounts.ts';
import { type WriteContext, writeGuestCluster } from './writer.ts';

/** Default metadata cache size per kind (L2 tables, refcount blocks). */
export const DEFAULT_CACHE_BYTES = 4 * 1024 * 1024;
/** At least this many tables per cache, whatever the cluster size. */
const MIN_CACHE_TABLES = 4;

export interface Qcow2Info {
  readonly version: 2 | 3;
  readonly clusterSize: number;
  readonly refcountBits: number;
  readonly lazyRefcounts: boolean;
  readonly dirty: boolean;
  readonly snapshots: number;
  /** The backing file name as stored in the header, or null. */
  readonly backingFile: string | null;
  readonly backingFormat: string | null;
}

export class Qcow2Image implements BlockImage {
  readonly format = 'qcow2';
  readonly file: string;
  readonly size: number;
  readonly info: Qcow2Info;
  /** Allocation unit: where data lives can change per cluster (block caches key on this). */
  readonly clusterSize: number;
  private readonly g: Geometry;
  private readonly refcounts: Refcounts;
  private readonly map: ClusterMap;
  private readonly allocator: ClusterAllocator;
  private readonly writer: WriteContext;
  private readonly l1: { offset: number; bytes: number };
  private readonly initialRefcountTable: RefcountTableLocation;
  /** The last inflated compressed cluster, for sequential reads inside it. */
  private inflated: { host: number; data: Buffer } | null = null;

  /** Takes ownership of `io` and `backing` (closes them with the image); validated header in. */
  constructor(
    private readonly io: ImageFile,
    header: Qcow2Header,
    readonly backing: BlockImage | null,
    readonly readOnly: boolean,
    cacheBytes = DEFAULT_CACHE_BYTES,
  ) {
    this.file = io.path;
    this.g = header.geometry;
    this.size = this.g.size;
    this.clusterSize = this.g.clusterSize;
    this.info = describe(header);
    const cacheTables = Math.max(MIN_CACHE_TABLES, Math.floor(cacheBytes / this.g.clusterSize));
    const writeBack = (): void => this.writeBack();
    const overlap = (offset: number, bytes: number): string | null => this.fixedOverlap(offset, bytes);
    this.l1 = { offset: header.l1TableOffset, bytes: header.l1Size * 8 };
    this.initialRefcountTable = { offset: header.refcountTableOffset, clusters: header.refcountTableClusters };
    this.refcounts = new Refcounts(io, this.g, this.initialRefcountTable, overlap, cacheTables, writeBack);
    this.map = new ClusterMap(io, this.g, header.l1TableOffset, header.l1Size, overlap, cacheTables, writeBack);
    this.allocator = new ClusterAllocator(io, this.g, this.refcounts);
    const readCluster = (gc: number, entry: ClusterEntry, dest: Buffer): void => this.readPiece(gc, entry, 0, dest);
    this.writer = { file: io, g: this.g, map: this.map, allocator: this.allocator, refcounts: this.refcounts, readCluster };
    if (!readOnly) this.prepareForWriting(header);
  }

  readSectors(sector: number, count: number): Uint8Array {
    this.checkRange(sector, count);
    const out = Buffer.alloc(count * SECTOR_SIZE);
    this.forEachPiece(sector * SECTOR_SIZE, out.length, (gc, inCluster, at, length) => {
      this.readPiece(gc, this.map.lookup(gc), inCluster, out.subarray(at, at + length));
    });
    return out;
  }

  writeSectors(sector: number, data: Uint8Array): void {
    if (this.readOnly) this.io.fail('image is read-only');
    if (data.length % SECTOR_SIZE !== 0) this.io.fail(`write of ${data.length} bytes is not whole sectors`);
    this.checkRange(sector, data.length / SECTOR_SIZE);
    this.inflated = null;
    this.forEachPiece(sector * SECTOR_SIZE, data.length, (gc, inCluster, at, length) => {
      writeGuestCluster(this.writer, gc, inCluster, data.subarray(at, at + length));
    });
  }

  flush(): void {
    if (this.io.closed) this.io.fail('image is closed');
    if (!this.readOnly) this.writeBack();
  }

  locate(offset: number): BlockLocation {
    if (this.io.closed) this.io.fail('image is closed');
    if (!(offset >= 0 && offset < this.size)) this.io.fail(`offset ${offset} is beyond the end (${this.size} bytes)`);
    const entry = this.map.lookup(Math.floor(offset / this.g.clusterSize));
    if (entry.kind === 'data' || entry.kind === 'compressed') return { image: this, offset, zero: false };
    if (entry.kind === 'unallocated' && this.backing && offset < this.backing.size) return this.backing.locate(offset);
    return { image: this, offset, zero: true };
  }

  close(): void {
    if (this.io.closed) return;
    try {
      if (!this.readOnly) this.writeBack();
    } finally {
      this.io.close();
      this.backing?.close();
    }
  }

  /** Writes every cached metadata change back, in the consistency order described above. */
  private writeBack(): void {
    this.io.sync();
    this.step(this.refcounts.hasDirtyBlocks, () => this.refcounts.writeBackBlocks());
    this.step(this.refcounts.hasDirtyTable, () => this.refcounts.writeBackTable());
    this.step(this.map.hasDirtyL2, () => this.map.writeBackL2());
    this.step(this.map.hasDirtyL1, () => this.map.writeBackL1());
    if (this.allocator.hasDeferredFrees) {
      this.allocator.applyDeferredFrees();
      this.step(this.refcounts.hasDirtyBlocks, () => this.refcounts.writeBackBlocks());
    }
  }

  private step(needed: boolean, write: () => void): void {
    if (!needed) return;
    write();
    this.io.sync();
  }

  private prepareForWriting(header: Qcow2Header): void {
    scanMetadata(this.io, this.g, this.map, this.refcounts, this.allocator);
    // hvlab does not maintain what autoclear features describe (bitmaps), so it must clear their
    // bits before changing the image: QEMU then knows that data is stale.
    if (header.autoclearFeatures !== 0n) {
      this.io.write(HEADER_OFFSET.autoclearFeatures, Buffer.alloc(8));
      this.io.sync();
    }
  }

  /** Fills `dest` with guest cluster `gc` from byte `inCluster` on. */
  private readPiece(gc: number, entry: ClusterEntry, inCluster: number, dest: Buffer): void {
    switch (entry.kind) {
      case 'data':
        this.io.readInto(dest, entry.host + inCluster);
        return;
      case 'compressed':
        dest.set(this.inflate(entry).subarray(inCluster, inCluster + dest.length));
        return;
      case 'zero':
        dest.fill(0);
        return;
      case 'unallocated':
        this.readBacking(gc * this.g.clusterSize + inCluster, dest);
    }
  }

  /** Backing data at guest `offset`; zeros where there is no backing image or it is shorter. */
  private readBacking(offset: number, dest: Buffer): void {
    const available = this.backing ? Math.max(0, Math.min(dest.length, this.backing.size - offset)) : 0;
    if (available > 0) dest.set(this.backing!.readSectors(offset / SECTOR_SIZE, available / SECTOR_SIZE));
    dest.fill(0, available);
  }

  private inflate(entry: { host: number; sectors: number }): Buffer {
    if (this.inflated?.host !== entry.host) this.inflated = { host: entry.host, data: inflateCluster(this.io, this.g, entry) };
    return this.inflated.data;
  }

  /** Splits [offset, offset + length) at cluster boundaries. */
  private forEachPiece(offset: number, length: number, visit: (gc: number, inCluster: number, at: number, length: number) => void): void {
    for (let at = 0; at < length; ) {
      const pos = offset + at;
      const inCluster = pos % this.g.clusterSize;
      const n = Math.min(this.g.clusterSize - inCluster, length - at);
      visit(Math.floor(pos / this.g.clusterSize), inCluster, at, n);
      at += n;
    }
  }

  private checkRange(sector: number, count: number): void {
    if (this.io.closed) this.io.fail('image is closed');
    if (!Number.isInteger(sector) || !Number.isInteger(count) || sector < 0 || count < 0 || (sector + count) * SECTOR_SIZE > this.size) {
      this.io.fail(`sectors ${sector}..${sector + count - 1} are beyond the end (${this.size / SECTOR_SIZE} sectors)`);
    }
  }

  /** Which fixed metadata (header, L1, refcount table) a host range overlaps. */
  private fixedOverlap(offset: number, bytes: number): string | null {
    const overlaps = (start: number, length: number): boolean => length > 0 && offset < start + length && start < offset + bytes;
    if (overlaps(0, this.g.clusterSize)) return 'header cluster';
    if (overlaps(this.l1.offset, this.l1.bytes)) return 'L1 table';
    // Called while the refcount table is being loaded too, before `refcounts` exists.
    const table = (this.refcounts as Refcounts | undefined)?.table ?? this.initialRefcountTable;
    if (overlaps(table.offset, table.clusters * this.g.clusterSize)) return 'refcount table';
    return null;
  }
}

function describe(h: Qcow2Header): Qcow2Info {
  return {
    version: h.geometry.version,
    clusterSize: h.geometry.clusterSize,
    refcountBits: 2 ** h.geometry.refcountOrder,
    lazyRefcounts: hasLazyRefcounts(h),
    dirty: ((h.incompatibleFeatures >> BigInt(INCOMPAT.dirty)) & 1n) !== 0n,
    snapshots: h.nbSnapshots,
    backingFile: h.backingFile,
    backingFormat: h.extensions.backingFormat,
  };
}
