/**
 * Snapshot mode, as QEMU's `-snapshot` / `snapshot=on`: the guest's disk file is opened
 * read-only as the backing image of a temporary qcow2 overlay that takes every write and is
 * deleted when the disk closes. A system file that boots from committed images can then run any
 * number of times without changing them, and several guests can share one base image the way
 * overlays do (the block cache sees the shared blocks).
 *
 * The overlay lives in its own temporary directory under a fixed name (`<name>.snapshot.qcow2`),
 * so that everything that prints image names (disk traces, stats) stays deterministic.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BlockImage, BlockLocation } from './block-image.ts';
import { type ImageFormat, detectFormat, openImage } from './open-image.ts';
import { createQcow2 } from './qcow2/create.ts';

/**
 * `name` names the overlay file; `owner` (e.g. `guest "a"`) names the user in lock conflicts;
 * `overlay`, when given, is the overlay file's contents to start from (a restored checkpoint's)
 * instead of an empty overlay over `file`.
 */
export function openSnapshot(file: string, name: string, format?: ImageFormat, owner = `guest "${name}"`, overlay?: Uint8Array): BlockImage {
  const base = resolve(file);
  const backingFormat = format ?? detectFormat(base);
  const dir = mkdtempSync(join(tmpdir(), 'hvlab-snapshot-'));
  try {
    const path = join(dir, `${name}.snapshot.qcow2`);
    if (overlay) writeFileSync(path, overlay);
    else createQcow2(path, { backing: base, backingFormat });
    return new SnapshotImage(openImage(path, { format: 'qcow2', owner }), dir);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** The overlay, which removes its temporary directory when it closes. */
class SnapshotImage implements BlockImage {
  constructor(
    private readonly overlay: BlockImage,
    private readonly dir: string,
  ) {}

  get file(): string {
    return this.overlay.file;
  }
  get format(): 'raw' | 'qcow2' {
    return this.overlay.format;
  }
  get size(): number {
    return this.overlay.size;
  }
  get backing(): BlockImage | null {
    return this.overlay.backing;
  }
  /** qcow2's cluster size, which the block cache uses as the chain's allocation unit. */
  get clusterSize(): number | undefined {
    return (this.overlay as { clusterSize?: number }).clusterSize;
  }
  get readOnly(): boolean {
    return this.overlay.readOnly;
  }
  readSectors(sector: number, count: number): Uint8Array {
    return this.overlay.readSectors(sector, count);
  }
  writeSectors(sector: number, data: Uint8Array): void {
    this.overlay.writeSectors(sector, data);
  }
  flush(): void {
    this.overlay.flush();
  }
  locate(offset: number): BlockLocation {
    const where = this.overlay.locate(offset);
    // The cache keys blocks by image: the overlay's own blocks must be keyed by this wrapper.
    return where.image === this.overlay ? { ...where, image: this } : where;
  }
  close(): void {
    try {
      this.overlay.close();
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
