/**
 * The hypervisor's disk-image cache in the I/O path: every unit of the block controller reads
 * and writes through one shared BlockCache (hv/storage/cache), so that a block of a base image
 * read by several guests through their overlays is cached once, and the block controller charges
 * a read what the cache says it cost (a hit is a copy, a miss goes to the device).
 */
import type { BlockController } from '../../devices/block-controller.ts';
import { runAll } from '../cleanup.ts';
import type { BlockImage } from '../storage/block-image.ts';
import { BlockCache, type WriteMode } from '../storage/cache/block-cache.ts';
import { CachedDisk } from '../storage/cache/cached-disk.ts';
import type { DiskTiming } from '../storage/cache/disk-timing.ts';
import type { PolicyName } from '../storage/cache/policy.ts';

export interface DiskCacheOptions {
  policy: PolicyName | 'none';
  /** Cache memory in bytes. */
  size: number;
  blockSize: number;
  writeMode: WriteMode;
  timing: DiskTiming;
}

export class DiskCache {
  readonly cache: BlockCache | undefined;
  private readonly disks: BlockImage[] = [];
  private controller: BlockController | undefined;

  constructor(readonly options: DiskCacheOptions) {
    if (options.policy === 'none') return;
    this.cache = new BlockCache({
      capacity: Math.max(1, Math.floor(options.size / options.blockSize)),
      blockSize: options.blockSize,
      policy: options.policy,
      writeMode: options.writeMode,
      timing: options.timing,
      clock: () => this.controller?.commandTime ?? 0,
    });
  }

  /** The disks the block controller serves: each image through the cache (or as it is). */
  wrap(images: readonly BlockImage[]): BlockImage[] {
    for (const image of images) this.disks.push(this.cache ? new CachedDisk(this.cache, image) : image);
    return [...this.disks];
  }

  /** Lets the controller charge reads what the cache says they cost (the cache's clock is its time). */
  attach(controller: BlockController): void {
    this.controller = controller;
    const cache = this.cache;
    if (cache) controller.readCost = () => cache.stats.lastReadCycles;
  }

  /** Writes back and flushes every open disk (a failing disk does not keep the others from flushing). */
  flush(): void {
    runAll(this.disks.map((disk) => () => disk.flush()));
  }

  /** Closes one disk (its guest stopped and was released): written back, flushed, no longer served. */
  release(disk: BlockImage): void {
    const index = this.disks.indexOf(disk);
    if (index >= 0) this.disks.splice(index, 1);
    disk.close();
  }

  /** Writes back and closes every disk, then the cache; a failing disk does not keep the others open. */
  close(): void {
    runAll([...this.disks.map((disk) => () => disk.close()), () => this.cache?.close()]);
  }
}
