/**
 * The images the block cache knows: an id per image file (keys are built from it, so the same
 * file opened twice shares one id) and, per file, the registered top images (VM disks) whose
 * backing chain includes it: the candidates that may reference its blocks.
 */
import { InternalError } from '../../errors.ts';
import { type BlockImage, SECTOR_SIZE } from '../block-image.ts';

/**
 * The granularity at which `image`'s chain can change where data lives: a raw image never
 * changes it; an image with a numeric `clusterSize` (qcow2) changes it per cluster; anything
 * else is assumed to change it per sector. The smallest unit over the chain counts.
 */
export function chainAllocationUnit(image: BlockImage): number {
  let unit = Number.POSITIVE_INFINITY;
  for (let i: BlockImage | null = image; i !== null; i = i.backing) {
    if (i.format === 'raw' && i.backing === null) continue;
    const cluster = (i as { clusterSize?: unknown }).clusterSize;
    unit = Math.min(unit, typeof cluster === 'number' && cluster >= SECTOR_SIZE ? cluster : SECTOR_SIZE);
  }
  return unit;
}

export interface RegistryState {
  readonly images: readonly string[];
  readonly sharers: ReadonlyArray<readonly string[]>;
  readonly attached: readonly string[];
}

export class ImageRegistry {
  private readonly ids = new Map<string, number>();
  private readonly images: BlockImage[] = [];
  private readonly sharers: BlockImage[][] = [];
  private readonly attached = new Set<BlockImage>();
  private readonly units = new Map<BlockImage, number>();
  /** Files whose write-back handle was detached and maybe closed: the next handle seen replaces it. */
  private readonly stale = new Set<number>();

  /**
   * The ids, sharers and attached disks with images named through `names` (a checkpoint: image
   * files may have other paths after a restore, such as temporary overlays).
   */
  saveState(names: ReadonlyMap<BlockImage, string>): RegistryState {
    const name = (image: BlockImage) => {
      const n = names.get(image);
      if (n === undefined) throw new InternalError(`block cache: image ${image.file} has no name in the checkpoint`);
      return n;
    };
    return { images: this.images.map(name), sharers: this.sharers.map((list) => list.map(name)), attached: [...this.attached].map(name) };
  }

  restoreState(s: RegistryState, images: ReadonlyMap<string, BlockImage>): void {
    const image = (n: string) => {
      const found = images.get(n);
      if (!found) throw new InternalError(`block cache: the checkpoint names image ${n}, which the restored system does not have`);
      return found;
    };
    this.ids.clear();
    this.images.splice(0, this.images.length, ...s.images.map(image));
    this.images.forEach((img, id) => this.ids.set(img.file, id));
    this.sharers.splice(0, this.sharers.length, ...s.sharers.map((list) => list.map(image)));
    this.attached.clear();
    for (const n of s.attached) this.attached.add(image(n));
    this.units.clear();
    this.stale.clear();
  }

  /** The id of `image`'s file, assigned on first sight. */
  idOf(image: BlockImage): number {
    let id = this.ids.get(image.file);
    if (id === undefined) {
      id = this.images.length;
      this.ids.set(image.file, id);
      this.images.push(image);
      this.sharers.push([]);
    } else if (this.stale.delete(id) || (!image.readOnly && this.images[id]!.readOnly)) {
      // Keep a writable handle for write-backs when one is seen, and an open one for a file
      // whose handle left with its disk (the same file opened again by a later disk).
      this.images[id] = image;
    }
    return id;
  }

  /** The image object used for write-backs to file `id`. */
  image(id: number): BlockImage {
    return this.images[id]!;
  }

  isAttached(top: BlockImage): boolean {
    return this.attached.has(top);
  }

  /** Registers a VM disk: `top` and every image of its backing chain gain `top` as a sharer. */
  attach(top: BlockImage): void {
    if (this.attached.has(top)) return;
    this.attached.add(top);
    for (let image: BlockImage | null = top; image !== null; image = image.backing) {
      this.sharers[this.idOf(image)]!.push(top);
    }
  }

  /**
   * Unregisters a VM disk (written back before: its handles may be closed next). A file whose
   * write-back handle belonged to this chain takes a remaining sharer's handle of it, or the next
   * one seen.
   */
  detach(top: BlockImage): void {
    if (!this.attached.delete(top)) return;
    for (let image: BlockImage | null = top; image !== null; image = image.backing) {
      const id = this.idOf(image);
      const list = this.sharers[id]!;
      const at = list.indexOf(top);
      if (at >= 0) list.splice(at, 1);
      if (this.images[id] === image) this.replaceHandle(id, image.file);
    }
  }

  private replaceHandle(id: number, file: string): void {
    for (const sharer of this.sharers[id]!) {
      for (let image: BlockImage | null = sharer; image !== null; image = image.backing) {
        if (image.file === file) {
          this.images[id] = image;
          return;
        }
      }
    }
    this.stale.add(id);
  }

  /** Registered top images whose chain includes file `id`. */
  sharersOf(id: number): readonly BlockImage[] {
    return this.sharers[id] ?? [];
  }

  /** {@link chainAllocationUnit} of `image`, computed once per image object. */
  allocationUnit(image: BlockImage): number {
    let unit = this.units.get(image);
    if (unit === undefined) {
      unit = chainAllocationUnit(image);
      this.units.set(image, unit);
    }
    return unit;
  }

  /** Every image id known so far. */
  allIds(): number[] {
    return this.images.map((_, id) => id);
  }
}
