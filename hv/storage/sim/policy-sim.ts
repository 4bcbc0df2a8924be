/**
 * One policy under simulation: its hit and byte counters, the read latency under the cost model,
 * and its layers' occupancy over time (sampled every `sampleEvery` block reads; the series keeps
 * at most MAX_SAMPLES points by halving its resolution when full).
 */
import { type DiskTiming, ReadCostMeter } from '../cache/disk-timing.ts';
import { blockKey } from '../cache/key.ts';
import type { CachePolicy, PolicyName } from '../cache/policy.ts';
import type { ReferenceTracker } from './reference-tracker.ts';

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
  readonly policy: PolicyName;
  readonly reads: number;
  readonly blockReads: number;
  readonly hits: number;
  readonly misses: number;
  readonly requestedBytes: number;
  readonly hitBytes: number;
  readonly hitRatio: number;
  readonly byteHitRatio: number;
  /** Mean cycles per read request under the cost model. */
  readonly meanReadCycles: number;
  readonly layers: readonly LayerResult[];
  readonly occupancy: readonly OccupancySample[];
}

export class PolicySim {
  private reads = 0;
  private blockReads = 0;
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
    private readonly blockSize: number,
    timing: DiskTiming,
    private readonly references: ReferenceTracker,
    sampleEvery: number,
  ) {
    this.meter = new ReadCostMeter(timing, blockSize / 512);
    this.layerSums = policy.layers().map(() => 0);
    this.sampleEvery = sampleEvery;
    this.nextSample = sampleEvery;
  }

  /** A read request of bytes [offset, end) of image `image`, blocks first..last, at `now`. */
  read(image: number, offset: number, end: number, first: number, last: number, now: number): void {
    const bs = this.blockSize;
    const policy = this.policy;
    this.meter.begin();
    for (let block = first; block <= last; block++) {
      const key = blockKey(image, block);
      const bytes = Math.min(end, (block + 1) * bs) - Math.max(offset, block * bs);
      if (policy.lookup(key, now)) {
        this.hits++;
        this.hitBytes += bytes;
        this.meter.hit(bytes);
      } else {
        this.meter.miss(key, bytes);
        policy.admit(key, now, this.references.count(image, block));
      }
    }
    this.reads++;
    this.blockReads += last - first + 1;
    this.requestedBytes += end - offset;
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
