/**
 * One VM's disk seen through the shared block cache: a BlockImage whose sector reads and writes
 * go through {@link BlockCache}, so the I/O path can use it wherever it would use the image.
 * Flush (the guest's flush command) writes back this disk's dirty blocks and flushes the image.
 */
import type { BlockImage, BlockLocation } from '../block-image.ts';
import { SECTOR_SIZE } from '../block-image.ts';
import type { BlockCache } from './block-cache.ts';

export interface CachedDiskOptions {
  /** Close the top image when the disk is closed (default true: the disk owns it). */
  readonly closeImage?: boolean;
}

export class CachedDisk implements BlockImage {
  private closed = false;

  constructor(
    private readonly cache: BlockCache,
    readonly top: BlockImage,
    private readonly options: CachedDiskOptions = {},
  ) {
    cache.attach(top);
  }

  get file(): string {
    return this.top.file;
  }

  get format(): 'raw' | 'qcow2' {
    return this.top.format;
  }

  get size(): number {
    return this.top.size;
  }

  get backing(): BlockImage | null {
    return this.top.backing;
  }

  get readOnly(): boolean {
    return this.top.readOnly;
  }

  readSectors(sector: number, count: number): Uint8Array {
    return this.cache.read(this.top, sector * SECTOR_SIZE, count * SECTOR_SIZE);
  }

  writeSectors(sector: number, data: Uint8Array): void {
    this.cache.write(this.top, sector * SECTOR_SIZE, data);
  }

  flush(): void {
    this.cache.flush(this.top);
  }

  /** Where the image chain holds the bytes (dirty write-back blocks are not in any file yet). */
  locate(offset: number): BlockLocation {
    return this.top.locate(offset);
  }

  /** Writes back and flushes this disk's blocks, then (by default) closes the image. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.cache.detach(this.top);
    if (this.options.closeImage ?? true) this.top.close();
  }
}
