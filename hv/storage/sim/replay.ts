/**
 * The trace-driven simulator: replays block requests against one or more policies at once (one
 * parse of the trace feeds them all). Requests are split into cache blocks; reads count hits,
 * misses and bytes and cost cycles under the device model; writes are write-through (they reach
 * the device and update a cached copy in place, which changes no policy state) and tell the
 * reference tracker which base blocks an overlay stopped sharing.
 */
import { ConfigError } from '../../errors.ts';
import { type DiskTiming, SD_SPI } from '../cache/disk-timing.ts';
import { MAX_BLOCK_INDEX, MAX_IMAGE_ID, keyBlock, keyImageId } from '../cache/key.ts';
import { createPolicy, type PolicyOptions } from '../cache/policies.ts';
import type { PolicyName } from '../cache/policy.ts';
import { type PolicyResult, PolicySim } from './policy-sim.ts';
import { ReferenceTracker } from './reference-tracker.ts';
import type { TraceConsumer, TraceRecord } from './trace.ts';

export interface ReplayConfig {
  readonly policies: readonly PolicyName[];
  /** Cache blocks. */
  readonly capacity: number;
  /** Bytes per cache block (default 4096). */
  readonly blockSize?: number;
  readonly policyOptions?: PolicyOptions;
  readonly timing?: DiskTiming;
  /** Block reads between occupancy samples (default 4096). */
  readonly sampleEvery?: number;
}

export interface ReplayResult {
  readonly capacity: number;
  readonly blockSize: number;
  readonly timing: string;
  readonly requests: number;
  readonly reads: number;
  readonly writes: number;
  readonly images: number;
  readonly vms: number;
  readonly policies: readonly PolicyResult[];
}

export class Replay implements TraceConsumer {
  readonly blockSize: number;
  private readonly sims: PolicySim[];
  private readonly references = new ReferenceTracker();
  private readonly imageIds = new Map<string, number>();
  private readonly vmIds = new Map<string, number>();
  private reads = 0;
  private writes = 0;

  constructor(private readonly config: ReplayConfig) {
    this.blockSize = config.blockSize ?? 4096;
    const timing = config.timing ?? SD_SPI;
    this.sims = config.policies.map(
      (name) => new PolicySim(createPolicy(name, config.capacity, config.policyOptions), this.blockSize, timing, this.references, config.sampleEvery ?? 4096),
    );
  }

  chain(vm: string, images: readonly string[]): void {
    this.references.declareChain(this.vmId(vm), images.map((image) => this.imageId(image)));
  }

  record(r: TraceRecord): void {
    if (r.size === 0) return;
    const image = this.imageId(r.image);
    const vm = this.vmId(r.vm);
    const first = Math.floor(r.offset / this.blockSize);
    const last = Math.floor((r.offset + r.size - 1) / this.blockSize);
    if (last > MAX_BLOCK_INDEX) throw new ConfigError(`offset ${r.offset}: beyond the ${MAX_BLOCK_INDEX + 1} blocks an image may have`);
    this.references.observe(vm, image);
    if (r.write) {
      this.writes++;
      for (const key of this.references.recordWrite(vm, image, first, last)) {
        const count = this.references.count(keyImageId(key), keyBlock(key));
        for (const sim of this.sims) sim.policy.setReferences(key, count);
      }
      return;
    }
    this.reads++;
    const end = r.offset + r.size;
    for (const sim of this.sims) sim.read(image, r.offset, end, first, last, r.time);
  }

  result(): ReplayResult {
    return {
      capacity: this.config.capacity,
      blockSize: this.blockSize,
      timing: (this.config.timing ?? SD_SPI).name,
      requests: this.reads + this.writes,
      reads: this.reads,
      writes: this.writes,
      images: this.imageIds.size,
      vms: this.vmIds.size,
      policies: this.sims.map((sim) => sim.result()),
    };
  }

  private imageId(name: string): number {
    let id = this.imageIds.get(name);
    if (id === undefined) {
      id = this.imageIds.size;
      if (id > MAX_IMAGE_ID) throw new ConfigError(`more than ${MAX_IMAGE_ID + 1} images`);
      this.imageIds.set(name, id);
    }
    return id;
  }

  private vmId(name: string): number {
    let id = this.vmIds.get(name);
    if (id === undefined) this.vmIds.set(name, (id = this.vmIds.size));
    return id;
  }
}
