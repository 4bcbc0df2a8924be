/**
 * The layered policy: hvlab's own cache mechanism. The cache's blocks are organised in N layers,
 * each an LRU list; layer 0 is the hottest and the last layer is the only one that evicts.
 * Every block (and every remembered evicted key, the ghosts) tracks
 *  - when it was last read and a smoothed interval between its reads (exponential average), and
 *  - how many image files reference it (a base-image block under 20 overlays has 20),
 * and those two signals drive its movement:
 *  - placement: a missed block enters the last layer, one layer higher if shared (references >=
 *    sharedReferences; a shared block read once so far only while shared blocks are typically
 *    read again before that layer would demote them), one more if its interval, known from its
 *    ghost, is hot for that layer;
 *  - promotion: a hit on a shared block, or on a block hot for the layer above, moves it one
 *    layer up; other hits move to the head of their own layer;
 *  - demotion: a layer over its size moves its least recently read block to the head of the
 *    layer below, after giving hot blocks at its tail one more pass; the last layer holds what
 *    remains of the capacity and evicts the same way.
 * "Hot for a layer" means a smoothed interval at most the layer's threshold: fixed, or ('auto')
 * how long unread blocks survive in that layer, i.e. the block will be read again before the
 * layer would push it out. Blocks read once by one VM thus pass through the last layer only,
 * while blocks that several VMs read (a boot storm) or that are read often stay in the upper
 * layers. Every step is O(1): a cascade of demotions is at most N-1 moves, each sparing at most
 * `secondChances` blocks. README.md in this folder has the parameters and measurements.
 */
import { InternalError } from '../../errors.ts';
import { type BlockKey, NO_KEY } from './key.ts';
import { type LayeredOptions, type ResolvedLayeredOptions, resolveLayeredOptions } from './layered-options.ts';
import { NIL, NodePool } from './node-pool.ts';
import type { CachePolicy, LayerStats } from './policy.ts';

const UNKNOWN = -1;
/** Weight of one demotion in a layer's running mean residency (the 'auto' hot threshold). */
const AGE_WEIGHT = 1 / 32;

export class LayeredPolicy implements CachePolicy {
  readonly name = 'layered';
  readonly options: ResolvedLayeredOptions;
  private readonly pool: NodePool;
  private readonly lastRead: Float64Array;
  /** Smoothed interval between reads in cycles, or UNKNOWN before the second read. */
  private readonly interval: Float64Array;
  private readonly references: Uint32Array;
  private readonly caps: Int32Array;
  private readonly bottom: number;
  private readonly ghost: number;
  private readonly hits: Float64Array;
  /**
   * Per layer, the running mean time since their last read of the blocks it demoted (or, for the
   * last layer, evicted): how long an unread block survives there. Infinite until the layer
   * first overflows: while it has room, anything may enter.
   */
  private readonly residency: Float64Array;
  /**
   * Running mean of the time from a shared block's first read to its second: whether a new
   * shared block will be read again before the layer above the last would demote it.
   */
  private sharedReuse = 0;
  private promotions = 0;
  private demotions = 0;

  constructor(
    readonly capacity: number,
    options: LayeredOptions = {},
  ) {
    this.options = resolveLayeredOptions(capacity, options);
    const layers = this.options.layerCapacities.length;
    const nodes = capacity + this.options.ghostCapacity;
    this.pool = new NodePool(nodes, layers + 1);
    this.lastRead = new Float64Array(nodes);
    this.interval = new Float64Array(nodes);
    this.references = new Uint32Array(nodes);
    this.caps = Int32Array.from(this.options.layerCapacities);
    this.bottom = layers - 1;
    this.ghost = layers;
    this.hits = new Float64Array(layers);
    this.residency = new Float64Array(layers).fill(Number.POSITIVE_INFINITY);
  }

  get size(): number {
    let n = 0;
    for (let l = 0; l <= this.bottom; l++) n += this.pool.size(l);
    return n;
  }

  get metadataBytes(): number {
    const perNode = 8 + 8 + 4;
    return this.pool.byteLength + this.pool.nodeCount * perNode;
  }

  /**
   * The read interval (cycles) at or below which a block is hot enough for `layer`: the fixed
   * `hotInterval`, or with 'auto' the layer's residency, i.e. whether the block will be read
   * again before the layer would push it out.
   */
  hotThreshold(layer: number): number {
    const fixed = this.options.hotInterval;
    return fixed === 'auto' ? this.residency[layer]! : fixed;
  }

  /** Promotions and demotions since construction (for reports). */
  get moves(): { promotions: number; demotions: number } {
    return { promotions: this.promotions, demotions: this.demotions };
  }

  lookup(key: BlockKey, now: number): boolean {
    const node = this.pool.find(key);
    if (node === NIL) return false;
    const layer = this.pool.list[node]!;
    if (layer === this.ghost) return false;
    this.hits[layer]!++;
    this.observeRead(node, now);
    if (layer > 0 && (this.isShared(node) || this.isHotFor(node, layer - 1))) {
      this.pool.moveToHead(layer - 1, node);
      this.promotions++;
      this.settle(layer - 1, now);
    } else {
      this.pool.moveToHead(layer, node);
    }
    return true;
  }

  contains(key: BlockKey): boolean {
    const node = this.pool.find(key);
    return node !== NIL && this.pool.list[node] !== this.ghost;
  }

  admit(key: BlockKey, now: number, references: number): BlockKey {
    const ghost = this.pool.find(key);
    if (ghost !== NIL && this.pool.list[ghost] !== this.ghost) throw new InternalError(`layered: admit of resident key ${key}`);
    // Take the remembered read history out of the ghost list first: making room may drop the
    // ghost list's tail, which could be this key.
    const lastRead = ghost === NIL ? now : this.lastRead[ghost]!;
    const interval = ghost === NIL ? UNKNOWN : this.interval[ghost]!;
    if (ghost !== NIL) this.pool.release(ghost);
    const evicted = this.size >= this.capacity ? this.evict(now) : NO_KEY;
    const node = this.pool.allocate(key, this.bottom);
    this.lastRead[node] = lastRead;
    this.interval[node] = interval;
    this.references[node] = references;
    if (ghost !== NIL) this.observeRead(node, now);
    const layer = this.placement(node);
    this.pool.moveToHead(layer, node);
    this.settle(layer, now);
    return evicted;
  }

  remove(key: BlockKey): boolean {
    const node = this.pool.find(key);
    if (node === NIL || this.pool.list[node] === this.ghost) return false;
    this.pool.release(node);
    return true;
  }

  setReferences(key: BlockKey, references: number): void {
    const node = this.pool.find(key);
    if (node !== NIL) this.references[node] = references;
  }

  forEachResident(visit: (key: BlockKey) => void): void {
    for (let layer = 0; layer <= this.bottom; layer++) this.pool.forEachKey(layer, visit);
  }

  layers(): LayerStats[] {
    return Array.from(this.caps, (capacity, layer) => ({
      name: `L${layer}`,
      blocks: this.pool.size(layer),
      capacity,
      hits: this.hits[layer]!,
    }));
  }

  /** The layer a resident key is in, or null (for tests). */
  layerOf(key: BlockKey): number | null {
    const node = this.pool.find(key);
    return node === NIL || this.pool.list[node] === this.ghost ? null : this.pool.list[node]!;
  }

  /** Records a read at `now` in the block's smoothed interval. */
  private observeRead(node: number, now: number): void {
    const raw = Math.max(0, now - this.lastRead[node]!);
    const smoothed = this.interval[node]!;
    if (smoothed === UNKNOWN && this.isShared(node)) this.sharedReuse += AGE_WEIGHT * (raw - this.sharedReuse);
    this.interval[node] = smoothed === UNKNOWN ? raw : smoothed + this.options.smoothing * (raw - smoothed);
    this.lastRead[node] = now;
  }

  private isHotFor(node: number, layer: number): boolean {
    const smoothed = this.interval[node]!;
    return smoothed !== UNKNOWN && smoothed <= this.hotThreshold(layer);
  }

  private isShared(node: number): boolean {
    return this.references[node]! >= this.options.sharedReferences;
  }

  /**
   * The layer for an admitted block: the last, one higher if shared, one more if its known
   * interval is hot there. A shared block read only once so far goes up only while shared blocks
   * are typically read again before the layer above the last would demote them; otherwise it
   * waits in the last layer and its ghost brings it back up when the next VM reads it.
   */
  private placement(node: number): number {
    let layer = this.bottom;
    const known = this.interval[node] !== UNKNOWN;
    if (this.isShared(node) && (known || this.sharedReuse <= this.hotThreshold(layer - 1))) layer--;
    if (layer > 0 && this.isHotFor(node, layer - 1)) layer--;
    return Math.max(0, layer);
  }

  /** Demotes from `layer` downwards while a layer exceeds its size (the last layer has none). */
  private settle(layer: number, now: number): void {
    for (let l = layer; l < this.bottom && this.pool.size(l) > this.caps[l]!; l++) {
      this.pool.moveToHead(l + 1, this.leave(l, now));
      this.demotions++;
    }
  }

  /** Evicts the coldest block of the last layer into the ghost list; returns its key. */
  private evict(now: number): BlockKey {
    let layer = this.bottom;
    // The upper layers never exceed their sizes, so the last one is non-empty when the cache is
    // full; the loop only guards that invariant.
    while (this.pool.size(layer) === 0 && layer > 0) layer--;
    const victim = this.leave(layer, now);
    const key = this.pool.keys[victim]!;
    if (this.pool.size(this.ghost) >= this.options.ghostCapacity) this.pool.release(this.pool.tail(this.ghost));
    this.pool.moveToHead(this.ghost, victim);
    return key;
  }

  /**
   * The block to move out of `layer`: its least recently read one, unless that block is hot for
   * the layer (read at short intervals, just not lately); a hot tail gets a second chance at the
   * head with its interval aged by the time since its last read, so that a block whose reads
   * stopped loses the privilege after one more pass. At most `secondChances` blocks are spared
   * per call, which keeps the step O(1). Updates the layer's residency.
   */
  private leave(layer: number, now: number): number {
    let tail = this.pool.tail(layer);
    for (let spared = 0; spared < this.options.secondChances && this.isHotFor(tail, layer); spared++) {
      this.interval[tail] = Math.max(this.interval[tail]!, now - this.lastRead[tail]!);
      this.pool.moveToHead(layer, tail);
      tail = this.pool.tail(layer);
    }
    const age = now - this.lastRead[tail]!;
    const mean = this.residency[layer]!;
    this.residency[layer] = mean === Number.POSITIVE_INFINITY ? age : mean + AGE_WEIGHT * (age - mean);
    return tail;
  }
}
