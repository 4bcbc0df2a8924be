/**
 * How many image files (VM disks) reference each block, as the simulator can know it from a
 * trace: the hypervisor knows its VMs' disk chains when it registers them, and the hvlab CSV
 * declares them (`#! chain`). A block of an image is referenced by every VM whose chain includes
 * the image, minus the VMs that have since written that block into their own overlay (copy-on-
 * write: they read their copy from then on). VMs without a declared chain count as sharers of
 * every image they are seen to use. MSR traces declare nothing and share nothing: all counts 1.
 *
 * A chain may be declared again later (a linked clone recomposed onto a new base): the VM stops
 * sharing the images it left, and its overwrites are forgotten (it starts with a new overlay).
 * Overwritten blocks are kept as ranges, so a write costs O(log ranges) whatever its size.
 */
import { IntervalSet, type Range, StepCounter } from './intervals.ts';

/** Blocks first..last of an image whose reference count changed. */
export interface ReferenceChange {
  readonly image: number;
  readonly first: number;
  readonly last: number;
}

export class ReferenceTracker {
  /** Declared chains by VM id, top image id first. */
  private readonly chains = new Map<number, readonly number[]>();
  /** Per image id: the VMs referencing it (declared chains and observed use). */
  private readonly sharers: Set<number>[] = [];
  /** Per VM, per lower image: the blocks it overwrote in its overlay. */
  private readonly overwrites = new Map<number, Map<number, IntervalSet>>();
  /** Per image: how many VMs overwrote each block. */
  private readonly overwriters: StepCounter[] = [];

  /**
   * Declares (or re-declares) a VM's chain; returns the images whose sharer count changed (every
   * block of them: first 0, last Infinity).
   */
  declareChain(vm: number, images: readonly number[]): ReferenceChange[] {
    const changed = new Set<number>();
    for (const image of this.chains.get(vm) ?? []) {
      if (!images.includes(image) && this.sharersOf(image).delete(vm)) changed.add(image);
    }
    this.forgetOverwrites(vm, changed);
    this.chains.set(vm, images);
    for (const image of images) {
      const sharers = this.sharersOf(image);
      if (!sharers.has(vm)) changed.add(image);
      sharers.add(vm);
    }
    return [...changed].sort((a, b) => a - b).map((image) => ({ image, first: 0, last: Number.POSITIVE_INFINITY }));
  }

  /** A request by `vm` on `image`: a VM using an image shares it. */
  observe(vm: number, image: number): void {
    const sharers = this.sharersOf(image);
    if (!sharers.has(vm)) sharers.add(vm);
  }

  /**
   * A write by `vm` to blocks first..last of `image`. When `image` is the VM's top, the VM stops
   * referencing those blocks of the images below it; returns the ranges whose count changed.
   */
  recordWrite(vm: number, image: number, first: number, last: number): ReferenceChange[] {
    const chain = this.chains.get(vm);
    if (!chain || chain[0] !== image) return [];
    const changed: ReferenceChange[] = [];
    for (const lower of chain.slice(1)) {
      for (const [f, l] of this.overwriteSet(vm, lower).add(first, last)) {
        this.counterOf(lower).add(f, l, 1);
        changed.push({ image: lower, first: f, last: l });
      }
    }
    return changed;
  }

  count(image: number, block: number): number {
    const sharers = this.sharers[image]?.size ?? 0;
    if (sharers < 2) return 1;
    return Math.max(1, sharers - (this.overwriters[image]?.get(block) ?? 0));
  }

  private forgetOverwrites(vm: number, changed: Set<number>): void {
    for (const [image, set] of this.overwrites.get(vm) ?? []) {
      for (const [f, l] of set.ranges() as Range[]) this.counterOf(image).add(f, l, -1);
      changed.add(image);
    }
    this.overwrites.delete(vm);
  }

  private overwriteSet(vm: number, image: number): IntervalSet {
    let perVm = this.overwrites.get(vm);
    if (!perVm) this.overwrites.set(vm, (perVm = new Map()));
    let set = perVm.get(image);
    if (!set) perVm.set(image, (set = new IntervalSet()));
    return set;
  }

  private counterOf(image: number): StepCounter {
    return (this.overwriters[image] ??= new StepCounter());
  }

  private sharersOf(image: number): Set<number> {
    return (this.sharers[image] ??= new Set());
  }
}
