/**
 * One policy at one cache size under simulation: its hit and byte counters, the read latency
 * under the cost model, and its layers' occupancy over time (sampled every `sampleEvery` block
 * reads; the series keeps at most MAX_SAMPLES points by halving its resolution when full).
 */
import { type DiskTiming, ReadCostMeter } from '../cache/disk-timing.ts';
import type { BlockKey } from '../cache/key.ts';
import type { CachePolicy, SimPolicyName } from '../cache/policy.ts';

const MAX_SAMPLES = 256;

export interface LayerResult {
  readonly name: string;
  readonly capacity: number;
  /** Mean occupancy in blocks over the samples (the final occupancy when there are none). */
  readonly meanBlocks: number;
  readonly finalBlocks: number;
  /** Read hits served from this layer. */
  readonly hits: number;
}

export interface OccupancySample {
  /** Block reads replayed when the sample was taken. */
  readonly blockReads: number;
  /** Resident blocks per layer, top first. */
  readonly blocks: readonly number[];
}

export interface PolicyResult {
  readonly policy: SimPolicyName;
  readonly reads: number;
  readonly blockReads: number;
  readonly hits: number;
  readonly misses: number;
  /** Block reads of requests larger than the cache, read around it. */
  readonly bypassedBlocks: number;
  readonly requestedBytes: number;
  readonly hitBytes: number;
  readonly hitRatio: number;
  readonly byteHitRatio: number;
  /** Mean cycles per read request under the cost model. */
  readonly meanReadCycles: number;
  readonly layers: readonly LayerResult[];
  readonly occupancy: readonly OccupancySample[];
}

/** The reference count of a block, asked only on a miss. */
export type ReferenceSource = (image: number, block: number) => number;

export class PolicySim {
  private reads = 0;
  private blockReads = 0;
  private bypassedBlocks = 0;
  private hits = 0;
  private requestedBytes = 0;
  private hitBytes = 0;
  private readCycles = 0;
  private readonly meter: ReadCostMeter;
  private readonly layerSums: number[];
  private sampleCount = 0;
  private sampleEvery: number;
  private nextSample: number;
  private samples: OccupancySample[] = [];

  constructor(
    readonly policy: CachePolicy,
    timing: DiskTiming,
    blockSize: number,
    sampleEvery: number,
  ) {
    this.meter = new ReadCostMeter(timing, blockSize / 512);
    this.layerSums = policy.layers().map(() => 0);
    this.sampleEvery = sampleEvery;
    this.nextSample = sampleEvery;
  }

  get capacity(): number {
    return this.policy.capacity;
  }

  beginRead(): void {
    this.meter.begin();
  }

  /** One block of the read: true on a hit; on a miss the block is admitted with its references. */
  block(key: BlockKey, image: number, block: number, bytes: number, now: number, references: ReferenceSource): void {
    if (this.policy.lookup(key, now)) {
      this.hits++;
      this.hitBytes += bytes;
      this.meter.hit(bytes);
    } else {
      this.meter.miss(image, block, bytes);
      this.policy.admit(key, now, references(image, block));
    }
  }

  /** A read request larger than the cache: one device command around it, nothing looked up. */
  bypass(image: number, first: number, last: number, bytes: number): void {
    this.meter.bypass(image, first, last, bytes);
    this.bypassedBlocks += last - first + 1;
  }

  endRead(blocks: number, bytes: number): void {
    this.reads++;
    this.blockReads += blocks;
    this.requestedBytes += bytes;
    this.readCycles += this.meter.end();
    if (this.blockReads >= this.nextSample) this.sample();
  }

  result(): PolicyResult {
    const layers = this.policy.layers();
    return {
      policy: this.policy.name,
      reads: this.reads,
      blockReads: this.blockReads,
      hits: this.hits,
      misses: this.blockReads - this.hits,
      bypassedBlocks: this.bypassedBlocks,
      requestedBytes: this.requestedBytes,
      hitBytes: this.hitBytes,
      hitRatio: ratio(this.hits, this.blockReads),
      byteHitRatio: ratio(this.hitBytes, this.requestedBytes),
      meanReadCycles: ratio(this.readCycles, this.reads),
      layers: layers.map((l, i) => ({
        name: l.name,
        capacity: l.capacity,
        meanBlocks: this.sampleCount > 0 ? this.layerSums[i]! / this.sampleCount : l.blocks,
        finalBlocks: l.blocks,
        hits: l.hits,
      })),
      occupancy: this.samples,
    };
  }

  private sample(): void {
    const blocks = this.policy.layers().map((l) => l.blocks);
    blocks.forEach((b, i) => (this.layerSums[i]! += b));
    this.sampleCount++;
    this.samples.push({ blockReads: this.blockReads, blocks });
    if (this.samples.length >= MAX_SAMPLES) {
      this.samples = this.samples.filter((_, i) => i % 2 === 1);
      this.sampleEvery *= 2;
    }
    this.nextSample = this.blockReads + this.sampleEvery;
  }
}

function ratio(a: number, b: number): number {
  return b === 0 ? 0 : a / b;
}
