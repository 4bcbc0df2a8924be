/**
 * An in-memory BlockImage for unit tests: a raw image (every cluster allocated) or an overlay
 * whose unallocated clusters fall through to its backing image, with qcow2's copy-on-write (a
 * partial write to an unallocated cluster first copies the cluster from the backing chain).
 * Counts reads, writes and flushes so tests can see what reached the "file".
 */
import { type BlockImage, type BlockLocation, SECTOR_SIZE } from '../../../hv/storage/block-image.ts';

export class FakeImage implements BlockImage {
  readonly format: 'raw' | 'qcow2';
  readonly data: Uint8Array;
  readonly allocated: Uint8Array;
  readOnly = false;
  sectorReads = 0;
  sectorWrites = 0;
  flushes = 0;
  closed = false;

  constructor(
    readonly file: string,
    readonly size: number,
    readonly backing: BlockImage | null = null,
    readonly clusterSize = 4096,
  ) {
    this.format = backing ? 'qcow2' : 'raw';
    this.data = new Uint8Array(size);
    this.allocated = new Uint8Array(Math.ceil(size / clusterSize)).fill(backing ? 0 : 1);
  }

  /** A raw image filled with a byte pattern that differs per file and offset. */
  static patterned(file: string, size: number, salt: number): FakeImage {
    const image = new FakeImage(file, size);
    for (let i = 0; i < size; i++) image.data[i] = (i * 31 + (i >>> 9) * 7 + salt) & 0xff;
    return image;
  }

  readSectors(sector: number, count: number): Uint8Array {
    this.sectorReads += count;
    const out = new Uint8Array(count * SECTOR_SIZE);
    for (let i = 0; i < count; i++) out.set(this.sector(sector + i), i * SECTOR_SIZE);
    return out;
  }

  writeSectors(sector: number, data: Uint8Array): void {
    if (this.readOnly) throw new Error(`${this.file} is read-only`);
    this.sectorWrites += data.length / SECTOR_SIZE;
    for (let i = 0; i < data.length / SECTOR_SIZE; i++) {
      const offset = (sector + i) * SECTOR_SIZE;
      this.allocate(Math.floor(offset / this.clusterSize));
      this.data.set(data.subarray(i * SECTOR_SIZE, (i + 1) * SECTOR_SIZE), offset);
    }
  }

  flush(): void {
    this.flushes++;
  }

  locate(offset: number): BlockLocation {
    if (this.allocated[Math.floor(offset / this.clusterSize)]) return { image: this, offset, zero: false };
    if (this.backing && offset < this.backing.size) return this.backing.locate(offset);
    return { image: this, offset, zero: true };
  }

  close(): void {
    this.closed = true;
  }

  private sector(sector: number): Uint8Array {
    const offset = sector * SECTOR_SIZE;
    if (this.allocated[Math.floor(offset / this.clusterSize)]) return this.data.subarray(offset, offset + SECTOR_SIZE);
    if (this.backing && offset < this.backing.size) return this.backing.readSectors(sector, 1);
    return new Uint8Array(SECTOR_SIZE);
  }

  /** Copy-on-write: the cluster's current contents (from the chain) become this image's own. */
  private allocate(cluster: number): void {
    if (this.allocated[cluster]) return;
    const start = cluster * this.clusterSize;
    const sectors = Math.min(this.clusterSize, this.size - start) / SECTOR_SIZE;
    for (let i = 0; i < sectors; i++) this.data.set(this.sector(start / SECTOR_SIZE + i), start + i * SECTOR_SIZE);
    this.allocated[cluster] = 1;
  }
}

/** A base image and `count` overlays on it (vm0.qcow2 ...), all `size` bytes. */
export function fakeChain(count: number, size = 256 * 1024): { base: FakeImage; overlays: FakeImage[] } {
  const base = FakeImage.patterned('/images/base.img', size, 1);
  const overlays = Array.from({ length: count }, (_, i) => new FakeImage(`/images/vm${i}.qcow2`, size, base));
  return { base, overlays };
}
