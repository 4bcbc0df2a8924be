/**
 * How many image files (VM disks) reference each block, as the simulator can know it from a
 * trace: the hypervisor knows its VMs' disk chains when it registers them, and the hvlab CSV
 * declares them (`#! chain`). A block of an image is referenced by every VM whose chain includes
 * the image, minus the VMs that have since written that block into their own overlay (copy-on-
 * write: they read their copy from then on). VMs without a declared chain count as sharers of
 * every image they are seen to use. MSR traces declare nothing and share nothing: all counts 1.
 */
import { type BlockKey, blockKey } from '../cache/key.ts';

export class ReferenceTracker {
  /** Declared chains by VM id, top image id first. */
  private readonly chains = new Map<number, readonly number[]>();
  /** Per image id: the VMs referencing it (declared chains and observed use). */
  private readonly sharers: Set<number>[] = [];
  /** Blocks of shared images that some VMs overwrote in their overlay: key -> those VMs. */
  private readonly overridden = new Map<BlockKey, Set<number>>();

  declareChain(vm: number, images: readonly number[]): void {
    this.chains.set(vm, images);
    for (const image of images) this.sharersOf(image).add(vm);
  }

  /** A request by `vm` on `image`: a VM using an image shares it. */
  observe(vm: number, image: number): void {
    const sharers = this.sharersOf(image);
    if (!sharers.has(vm)) sharers.add(vm);
  }

  /**
   * A write by `vm` to blocks first..last of `image`. When `image` is the VM's top, the VM stops
   * referencing those blocks of the images below it; returns the keys whose count changed.
   */
  recordWrite(vm: number, image: number, first: number, last: number): BlockKey[] {
    const chain = this.chains.get(vm);
    if (!chain || chain[0] !== image) return [];
    const changed: BlockKey[] = [];
    for (const lower of chain.slice(1)) {
      if (this.sharersOf(lower).size < 2) continue;
      for (let block = first; block <= last; block++) {
        const key = blockKey(lower, block);
        let vms = this.overridden.get(key);
        if (!vms) this.overridden.set(key, (vms = new Set()));
        if (vms.has(vm)) continue;
        vms.add(vm);
        changed.push(key);
      }
    }
    return changed;
  }

  count(image: number, block: number): number {
    const sharers = this.sharers[image]?.size ?? 0;
    if (sharers < 2) return 1;
    const gone = this.overridden.get(blockKey(image, block))?.size ?? 0;
    return Math.max(1, sharers - gone);
  }

  private sharersOf(image: number): Set<number> {
    let set = this.sharers[image];
    if (!set) this.sharers[image] = set = new Set();
    return set;
  }
}
