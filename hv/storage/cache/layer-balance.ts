/**
 * How the layered policy splits its capacity between L0 (protected) and L1 (probation): the
 * marginal blocks of each layer are watched, those evicted from L1 and those demoted from L0, and
 * the share of each that is read again (decayed counts over the last ~1000 of each). A return
 * moves one block of capacity to the layer whose marginal blocks return more often, between
 * L1's minimum and maximum. Comparing rates rather than raw counts (as ARC's ghost hits are)
 * keeps a layer that simply sees more traffic from winning by volume.
 */

const DECAY = 1 - 1 / 1024;

export class LayerBalance {
  /** Blocks L0 may hold now; L1 has the rest. */
  protectedCapacity: number;
  private readonly most: number;
  private readonly least: number;
  private evicted = 0;
  private evictedBack = 0;
  private demoted = 0;
  private demotedBack = 0;

  constructor(
    capacity: number,
    probationMin: number,
    probationMax: number,
  ) {
    this.most = capacity - probationMin;
    this.least = capacity - Math.max(probationMin, probationMax);
    this.protectedCapacity = this.most;
  }

  /** A block left L1 without having been in L0 since it entered. */
  evictedOne(): void {
    this.evicted = this.evicted * DECAY + 1;
    this.evictedBack *= DECAY;
  }

  /** A block was pushed from L0 down to L1. */
  demotedOne(): void {
    this.demoted = this.demoted * DECAY + 1;
    this.demotedBack *= DECAY;
  }

  /** A block evicted from L1 was read again soon enough to have been worth keeping. */
  probationReturned(): void {
    this.evictedBack++;
    this.rebalance();
  }

  /** A block demoted from L0 was read again. */
  demotedReturned(): void {
    this.demotedBack++;
    this.rebalance();
  }

  private rebalance(): void {
    const probation = this.evictedBack / Math.max(1, this.evicted);
    const protectedRate = this.demotedBack / Math.max(1, this.demoted);
    if (probation > protectedRate) this.protectedCapacity = Math.max(this.least, this.protectedCapacity - 1);
    else if (protectedRate > probation) this.protectedCapacity = Math.min(this.most, this.protectedCapacity + 1);
  }
}
