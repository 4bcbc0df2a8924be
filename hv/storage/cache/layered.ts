/**
 * The layered policy, hvlab's own cache mechanism. Two resident layers and a ghost list:
 *  - L0, protected: blocks that earned their place by their read interval or by being shared;
 *    LRU by last read, with read credits (below);
 *  - L1, probation: blocks read once, or pushed out of L0; LRU; the layer that evicts;
 *  - ghosts: evicted keys with their last read time, so that a block that comes back is judged by
 *    its interval, not treated as new.
 * Every block keeps the time of its last read, how often it was read, how many image files (VM
 * disks) reference it, and up to three read credits. Three signals move it:
 *
 *  - Read interval (promotion): a block read again moves to L0 when the interval since its
 *    previous read is shorter than the age of L0's tail, the block L0 would give up next (it will
 *    likely be read again before that one). This is LIRS's rule (Jiang and Zhang, SIGMETRICS
 *    2002) with recency measured in time: blocks read at short intervals stay, scans and loops
 *    longer than the cache pass through L1 without flushing L0.
 *  - Reads in L0 (frequency): a hit in L0 earns the block a credit (at most 3, a 2-bit counter as
 *    in CLOCK and S3-FIFO). When L0 must give up a block, a tail block with a credit spends it and
 *    goes back to L0's head instead (a second chance), so a popular block survives a burst of
 *    newcomers whose single short interval looks as good as its own. Credits start at zero when a
 *    block enters L0: they count reads while protected.
 *  - References (placement): a block read for the first time that several images reference (a
 *    base-image block under several overlays) goes straight to L0 while most shared blocks read
 *    once are read again (by another VM) within L0's tail age, as in a boot storm whose window
 *    fits; otherwise it waits in L1 like any new block, and its interval decides when it returns.
 *    The share is learned online (decayed counts over the last ~1000 shared first reads).
 *
 * Cold start: while L0 has room, new shared blocks enter it, and so do private ones until the
 * first shared block is seen (with nothing shared, every block is alike, and L0 fills as LIRS's
 * LIR set does). Once sharing is seen, private blocks must earn L0 by their interval: a boot
 * storm's private reads no longer fill L0 with blocks of VMs that finished booting. L1 uses the
 * room L0 leaves.
 *
 * Sizes adapt, as ARC moves its target between recency and frequency: L1 starts at its minimum
 * (1% of the cache, LIRS's recommendation) and grows by a block when blocks evicted from L1 come
 * back (within L0's tail age) at a higher rate than blocks demoted from L0 come back, and shrinks
 * when the reverse holds (layer-balance.ts). It never exceeds half the cache. Every step is O(1),
 * the second chances amortized (each spends a credit that a hit paid for). README.md in this folder
 * has the measurements.
 */
import { InternalError } from '../../errors.ts';
import { type BlockKey, NO_KEY } from './key.ts';
import { type LayeredOptions, type ResolvedLayeredOptions, resolveLayeredOptions } from './layered-options.ts';
import { LayerBalance } from './layer-balance.ts';
import { NIL, NodePool } from './node-pool.ts';
import type { CachePolicy, LayerStats } from './policy.ts';

const L0 = 0;
const L1 = 1;
const GHOST = 2;
/** Per shared first read, the weight kept by older observations of shared reuse (a memory of ~1000). */
const DECAY = 1 - 1 / 1024;
/** Read credits a block in L0 can hold (a 2-bit counter). */
const MAX_CREDITS = 3;

export class LayeredPolicy implements CachePolicy {
  readonly name = 'layered';
  readonly options: ResolvedLayeredOptions;
  private readonly pool: NodePool;
  private readonly lastRead: Float64Array;
  private readonly reads: Uint32Array;
  private readonly references: Uint32Array;
  /** 1 while a block pushed out of L0 has not been read again. */
  private readonly demoted: Uint8Array;
  /** Reads while in L0, spent on second chances (0..MAX_CREDITS). */
  private readonly credits: Uint8Array;
  private readonly balance: LayerBalance;
  /** Shared blocks read once (decayed count) and those of them read again within L0's tail age. */
  private sharedFirstReads = 0;
  private sharedRereads = 0;
  /** Whether a block referenced by several images was ever admitted. */
  private sharingSeen = false;
  private readonly hits = [0, 0];
  private promotions = 0;
  private demotions = 0;
  private sharedPlacements = 0;
  private secondChances = 0;

  constructor(
    readonly capacity: number,
    options: LayeredOptions = {},
  ) {
    this.options = resolveLayeredOptions(capacity, options);
    const nodes = capacity + this.options.ghostCapacity;
    this.pool = new NodePool(nodes, 3);
    this.lastRead = new Float64Array(nodes);
    this.reads = new Uint32Array(nodes);
    this.references = new Uint32Array(nodes);
    this.demoted = new Uint8Array(nodes);
    this.credits = new Uint8Array(nodes);
    this.balance = new LayerBalance(capacity, this.options.probationCapacity, Math.floor(capacity / 2));
  }

  get size(): number {
    return this.pool.size(L0) + this.pool.size(L1);
  }

  get metadataBytes(): number {
    return this.pool.byteLength + this.pool.nodeCount * (8 + 4 + 4 + 1 + 1);
  }

  /** Moves between the layers: promotions into L0, demotions out of it, shared first reads placed there, second chances. */
  get moves(): { promotions: number; demotions: number; sharedPlacements: number; secondChances: number } {
    return { promotions: this.promotions, demotions: this.demotions, sharedPlacements: this.sharedPlacements, secondChances: this.secondChances };
  }

  /** The share of shared blocks read once that were read again within L0's tail age (NaN before any). */
  get sharedRereadShare(): number {
    return this.sharedRereads / this.sharedFirstReads;
  }

  /** The current size of L1 (for tests and reports). */
  get probationTarget(): number {
    return this.capacity - this.balance.protectedCapacity;
  }

  lookup(key: BlockKey, now: number): boolean {
    const node = this.pool.find(key);
    if (node === NIL) return false;
    const layer = this.pool.list[node]!;
    if (layer === GHOST) return false;
    this.hits[layer]!++;
    const interval = this.observeRead(node, now);
    if (layer === L0) {
      this.pool.moveToHead(L0, node);
      if (this.credits[node]! < MAX_CREDITS) this.credits[node]!++;
    } else if (interval < this.protectedAge(now)) {
      this.promote(node);
    } else {
      this.pool.moveToHead(L1, node);
    }
    return true;
  }

  contains(key: BlockKey): boolean {
    const node = this.pool.find(key);
    return node !== NIL && this.pool.list[node] !== GHOST;
  }

  admit(key: BlockKey, now: number, references: number): BlockKey {
    const ghost = this.pool.find(key);
    if (ghost !== NIL && this.pool.list[ghost] !== GHOST) throw new InternalError(`layered: admit of resident key ${key}`);
    // Take the history out of the ghost list first: making room may drop its tail, maybe this key.
    const known = ghost !== NIL;
    const lastRead = known ? this.lastRead[ghost]! : now;
    const reads = known ? this.reads[ghost]! : 0;
    const demoted = known ? this.demoted[ghost]! : 0;
    if (known) this.pool.release(ghost);
    const evicted = this.size >= this.capacity ? this.evict() : NO_KEY;
    const node = this.pool.allocate(key, L1);
    this.lastRead[node] = lastRead;
    this.reads[node] = reads;
    this.references[node] = references;
    this.demoted[node] = demoted;
    this.credits[node] = 0;
    const interval = this.observeRead(node, now);
    const protectedAge = this.protectedAge(now);
    if (known && demoted === 0 && interval < protectedAge) this.balance.probationReturned();
    if (known ? interval < protectedAge : this.placedInL0(node)) this.promote(node);
    return evicted;
  }

  remove(key: BlockKey): boolean {
    const node = this.pool.find(key);
    if (node === NIL || this.pool.list[node] === GHOST) return false;
    this.pool.release(node);
    return true;
  }

  setReferences(key: BlockKey, references: number): void {
    const node = this.pool.find(key);
    if (node !== NIL) this.references[node] = references;
  }

  forEachResident(visit: (key: BlockKey) => void): void {
    this.pool.forEachKey(L0, visit);
    this.pool.forEachKey(L1, visit);
  }

  layers(): LayerStats[] {
    const protectedCapacity = this.balance.protectedCapacity;
    return [
      { name: 'L0', blocks: this.pool.size(L0), capacity: protectedCapacity, hits: this.hits[L0]! },
      { name: 'L1', blocks: this.pool.size(L1), capacity: this.capacity - protectedCapacity, hits: this.hits[L1]! },
    ];
  }

  /** The layer a resident key is in, or null (for tests). */
  layerOf(key: BlockKey): number | null {
    const node = this.pool.find(key);
    return node === NIL || this.pool.list[node] === GHOST ? null : this.pool.list[node]!;
  }

  /** The read credits of a resident key, or null (for tests). */
  creditsOf(key: BlockKey): number | null {
    const node = this.pool.find(key);
    return node === NIL || this.pool.list[node] === GHOST ? null : this.credits[node]!;
  }

  /** Records a read; returns the interval since the previous one (Infinity for a first read). */
  private observeRead(node: number, now: number): number {
    const reads = this.reads[node]!;
    const interval = reads === 0 ? Number.POSITIVE_INFINITY : Math.max(0, now - this.lastRead[node]!);
    if (reads <= 1 && this.isShared(node)) this.observeSharedReuse(reads === 0, interval, now);
    if (this.demoted[node] === 1) {
      this.demoted[node] = 0;
      this.balance.demotedReturned();
    }
    this.reads[node] = reads + 1;
    this.lastRead[node] = now;
    return interval;
  }

  /** A shared block's first read is a trial; its second read within L0's tail age, a success. */
  private observeSharedReuse(first: boolean, interval: number, now: number): void {
    if (first) {
      this.sharedFirstReads = this.sharedFirstReads * DECAY + 1;
      this.sharedRereads *= DECAY;
    } else if (interval < this.protectedAge(now)) {
      this.sharedRereads++;
    }
  }

  /** Whether a block read for the first time goes to L0: cold start, or shared while sharing pays. */
  private placedInL0(node: number): boolean {
    const shared = this.isShared(node);
    if (shared) this.sharingSeen = true;
    // Cold start: L0 has room; with sharing around, only shared blocks are placed without proof.
    if (this.pool.size(L0) < this.balance.protectedCapacity && (shared || !this.sharingSeen)) return true;
    // At least half of the shared blocks read once were read again in time.
    if (!shared || !(2 * this.sharedRereads >= this.sharedFirstReads)) return false;
    this.sharedPlacements++;
    return true;
  }

  /** How long ago L0's tail, the block it would give up next, was read (Infinity when L0 is empty). */
  private protectedAge(now: number): number {
    const tail = this.pool.tail(L0);
    return tail === NIL ? Number.POSITIVE_INFINITY : now - this.lastRead[tail]!;
  }

  /** Moves a block to the head of L0 without credits; L0 gives up blocks while over its size. */
  private promote(node: number): void {
    this.pool.moveToHead(L0, node);
    this.credits[node] = 0;
    this.promotions++;
    while (this.pool.size(L0) > this.balance.protectedCapacity) this.demoteOne();
  }

  /** L0's tail drops to the head of L1; a tail block with a credit spends it and goes back to L0's head. */
  private demoteOne(): void {
    for (let tail = this.pool.tail(L0); this.credits[tail]! > 0; tail = this.pool.tail(L0)) {
      this.credits[tail]!--;
      this.pool.moveToHead(L0, tail);
      this.secondChances++;
    }
    const tail = this.pool.tail(L0);
    this.pool.moveToHead(L1, tail);
    this.demoted[tail] = 1;
    this.balance.demotedOne();
    this.demotions++;
  }

  /** Evicts L1's tail (L0's when L1 is empty) into the ghost list; returns its key. */
  private evict(): BlockKey {
    const victim = this.pool.size(L1) > 0 ? this.pool.tail(L1) : this.pool.tail(L0);
    if (this.demoted[victim] === 0) this.balance.evictedOne();
    const key = this.pool.keys[victim]!;
    if (this.pool.size(GHOST) >= this.options.ghostCapacity) this.pool.release(this.pool.tail(GHOST));
    this.pool.moveToHead(GHOST, victim);
    return key;
  }

  private isShared(node: number): boolean {
    return this.references[node]! >= this.options.sharedReferences;
  }
}
