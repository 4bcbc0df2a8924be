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
 * A write into an image that is in other VMs' chains (an update written into a new base layer)
 * hides the blocks below it from every VM whose chain has that image, including VMs that declare
 * such a chain later. Written blocks are kept as ranges, so a write costs O(log ranges) whatever
 * its size.
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
  /** Per image id: the VMs whose declared chain includes it. */
  private readonly members: Set<number>[] = [];
  /** Per image id: the blocks written into it. */
  private readonly holds: IntervalSet[] = [];
  /** Per VM, per lower image: the blocks an image above it in the VM's chain holds. */
  private readonly hidden = new Map<number, Map<number, IntervalSet>>();
  /** Per image: how many VMs see each block from an image above it. */
  private readonly hiders: StepCounter[] = [];

  /**
   * Declares (or re-declares) a VM's chain; returns the images whose counts changed (every
   * block of them: first 0, last Infinity).
   */
  declareChain(vm: number, images: readonly number[]): ReferenceChange[] {
    const changed = new Set<number>();
    for (const image of this.chains.get(vm) ?? []) {
      this.membersOf(image).delete(vm);
      if (!images.includes(image) && this.sharersOf(image).delete(vm)) changed.add(image);
    }
    this.forgetHidden(vm, changed);
    this.chains.set(vm, images);
    images.forEach((image, at) => {
      const sharers = this.sharersOf(image);
      if (!sharers.has(vm)) changed.add(image);
      sharers.add(vm);
      this.membersOf(image).add(vm);
      for (const range of this.holds[image]?.ranges() ?? []) for (const change of this.hide(vm, images.slice(at + 1), range)) changed.add(change.image);
    });
    return [...changed].sort((a, b) => a - b).map((image) => ({ image, first: 0, last: Number.POSITIVE_INFINITY }));
  }

  /** A request by `vm` on `image`: a VM using an image shares it. */
  observe(vm: number, image: number): void {
    const sharers = this.sharersOf(image);
    if (!sharers.has(vm)) sharers.add(vm);
  }

  /**
   * A write into blocks first..last of `image` (by any VM): every VM whose chain has `image`
   * stops referencing those blocks of the images below it; returns the ranges whose count changed.
   */
  recordWrite(_vm: number, image: number, first: number, last: number): ReferenceChange[] {
    const fresh = (this.holds[image] ??= new IntervalSet()).add(first, last);
    const changes: ReferenceChange[] = [];
    if (fresh.length === 0) return changes;
    for (const member of this.members[image] ?? []) {
      const chain = this.chains.get(member)!;
      const below = chain.slice(chain.indexOf(image) + 1);
      for (const range of fresh) changes.push(...this.hide(member, below, range));
    }
    return changes;
  }

  /** Images that two or more VMs reference: the trace shares a base. */
  get sharedImages(): number {
    return this.sharers.filter((s) => s !== undefined && s.size >= 2).length;
  }

  count(image: number, block: number): number {
    const sharers = this.sharers[image]?.size ?? 0;
    if (sharers < 2) return 1;
    return Math.max(1, sharers - (this.hiders[image]?.get(block) ?? 0));
  }

  /** `vm` now sees `range` from above each image of `below`; returns the newly hidden parts. */
  private hide(vm: number, below: readonly number[], [first, last]: Range): ReferenceChange[] {
    const changes: ReferenceChange[] = [];
    for (const lower of below) {
      for (const [f, l] of this.hiddenSet(vm, lower).add(first, last)) {
        this.counterOf(lower).add(f, l, 1);
        changes.push({ image: lower, first: f, last: l });
      }
    }
    return changes;
  }

  private forgetHidden(vm: number, changed: Set<number>): void {
    for (const [image, set] of this.hidden.get(vm) ?? []) {
      for (const [f, l] of set.ranges()) this.counterOf(image).add(f, l, -1);
      changed.add(image);
    }
    this.hidden.delete(vm);
  }

  private hiddenSet(vm: number, image: number): IntervalSet {
    let perVm = this.hidden.get(vm);
    if (!perVm) this.hidden.set(vm, (perVm = new Map()));
    let set = perVm.get(image);
    if (!set) perVm.set(image, (set = new IntervalSet()));
    return set;
  }

  private counterOf(image: number): StepCounter {
    return (this.hiders[image] ??= new StepCounter());
  }

  private membersOf(image: number): Set<number> {
    return (this.members[image] ??= new Set());
  }

  private sharersOf(image: number): Set<number> {
    return (this.sharers[image] ??= new Set());
  }
}
