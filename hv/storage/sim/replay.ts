/**
 * The trace-driven simulator: replays block requests against several policies and cache sizes at
 * once (one parse of the trace feeds them all). Requests are split into cache blocks; reads count
 * hits, misses and bytes and cost cycles under the device model; writes are write-through (they
 * reach the device and update a cached copy in place, which changes no policy state) and tell the
 * reference tracker which base blocks an overlay stopped sharing.
 *
 * Admission rules, the same for every policy, MIN included: every missed block of a read is
 * admitted; writes admit nothing; a read request of more blocks than the cache holds bypasses it
 * (one device command, no lookups, no admissions, its blocks counted as misses), as a cache
 * would read around a transfer that would by itself flush it. That also keeps the cost of a
 * request bounded by the cache, not by its size: a single 1 TB request costs O(1).
 */
import { ConfigError } from '../../errors.ts';
import { type DiskTiming, SD_SPI } from '../cache/disk-timing.ts';
import { createPolicy, type PolicyOptions } from '../cache/policies.ts';
import { type CachePolicy, MAX_CAPACITY, type SimPolicyName } from '../cache/policy.ts';
import { BlockSet } from './block-set.ts';
import type { FutureReads } from './future-reads.ts';
import { MinPolicy } from './min-policy.ts';
import { type PolicyResult, PolicySim } from './policy-sim.ts';
import { type ReferenceChange, ReferenceTracker } from './reference-tracker.ts';
import { TraceIds } from './trace-ids.ts';
import type { TraceConsumer, TraceRecord } from './trace.ts';

/** Reference changes over at most this many blocks are pushed block by block, larger ones per resident key. */
const PER_BLOCK_UPDATES = 4096;

export interface ReplayConfig {
  readonly policies: readonly SimPolicyName[];
  /** Cache sizes in blocks. */
  readonly capacities: readonly number[];
  /** Bytes per cache block (default 4096). */
  readonly blockSize?: number;
  readonly policyOptions?: PolicyOptions;
  readonly timing?: DiskTiming;
  /** Block reads between occupancy samples (default 4096). */
  readonly sampleEvery?: number;
  /** Names and keys, shared with a first pass. */
  readonly ids?: TraceIds;
  /** The recorded future reads, for 'min' (from a first pass with `recorder`). */
  readonly future?: FutureReads;
  /** First pass: record every read that some cache size could see. */
  readonly recorder?: FutureReads;
}

export interface SizeResult {
  readonly capacity: number;
  readonly policies: readonly PolicyResult[];
}

export interface ReplayResult {
  readonly blockSize: number;
  readonly timing: string;
  readonly requests: number;
  readonly reads: number;
  readonly writes: number;
  readonly images: number;
  readonly vms: number;
  /** Distinct blocks read (by requests that fit some cache). */
  readonly workingSet: number;
  /** Images referenced by two or more VMs (0: nothing is shared). */
  readonly sharedImages: number;
  readonly sizes: readonly SizeResult[];
}

export class Replay implements TraceConsumer {
  readonly blockSize: number;
  private readonly sims: PolicySim[];
  private readonly ids: TraceIds;
  private readonly tracker = new ReferenceTracker();
  private readonly workingSet = new BlockSet();
  private readonly active: PolicySim[] = [];
  private reads = 0;
  private writes = 0;

  constructor(private readonly config: ReplayConfig) {
    this.blockSize = config.blockSize ?? 4096;
    this.ids = config.ids ?? new TraceIds();
    const timing = config.timing ?? SD_SPI;
    this.sims = config.capacities.flatMap((capacity) =>
      config.policies.map((name) => new PolicySim(this.policy(name, capacity), timing, this.blockSize, config.sampleEvery ?? 4096)),
    );
  }

  chain(vm: string, images: readonly string[]): void {
    this.push(this.tracker.declareChain(this.ids.vm(vm), images.map((image) => this.ids.image(image))));
  }

  record(r: TraceRecord): void {
    if (r.size === 0) return;
    if (r.offset + r.size > Number.MAX_SAFE_INTEGER) throw new ConfigError(`offset ${r.offset} + size ${r.size}: beyond 2^53 bytes`);
    const image = this.ids.image(r.image);
    const vm = this.ids.vm(r.vm);
    const first = Math.floor(r.offset / this.blockSize);
    const last = Math.floor((r.offset + r.size - 1) / this.blockSize);
    this.tracker.observe(vm, image);
    if (r.write) {
      this.writes++;
      this.push(this.tracker.recordWrite(vm, image, first, last));
    } else {
      this.reads++;
      this.read(image, r.offset, r.offset + r.size, first, last, r.time);
    }
  }

  result(): ReplayResult {
    return {
      blockSize: this.blockSize,
      timing: (this.config.timing ?? SD_SPI).name,
      requests: this.reads + this.writes,
      reads: this.reads,
      writes: this.writes,
      images: this.ids.imageCount,
      vms: this.ids.vmCount,
      workingSet: this.workingSet.size,
      sharedImages: this.tracker.sharedImages,
      sizes: this.config.capacities.map((capacity, i) => ({
        capacity,
        policies: this.sims.slice(i * this.config.policies.length, (i + 1) * this.config.policies.length).map((sim) => sim.result()),
      })),
    };
  }

  private policy(name: SimPolicyName, capacity: number): CachePolicy {
    if (name !== 'min') return createPolicy(name, capacity, this.config.policyOptions);
    if (!this.config.future) throw new ConfigError('min: needs the recorded future reads of a first pass');
    return new MinPolicy(capacity, this.config.future.view(capacity));
  }

  /** A read of bytes [offset, end) of `image`: blocks first..last. */
  private read(image: number, offset: number, end: number, first: number, last: number, now: number): void {
    const blocks = last - first + 1;
    const active = this.active;
    active.length = 0;
    for (const sim of this.sims) {
      sim.beginRead();
      if (sim.capacity >= blocks) active.push(sim);
      else sim.bypass(image, first, last, end - offset);
    }
    if (blocks <= MAX_CAPACITY) this.readBlocks(image, offset, end, first, last, now);
    for (const sim of this.sims) sim.endRead(blocks, end - offset);
  }

  private readBlocks(image: number, offset: number, end: number, first: number, last: number, now: number): void {
    const bs = this.blockSize;
    const keys = this.ids.keys;
    const blocks = last - first + 1;
    const recorder = this.config.recorder;
    for (let block = first; block <= last; block++) {
      const key = keys.key(image, block);
      this.workingSet.add(key);
      recorder?.record(key, blocks);
      const bytes = Math.min(end, (block + 1) * bs) - Math.max(offset, block * bs);
      for (const sim of this.active) sim.block(key, image, block, bytes, now, this.references);
    }
  }

  private readonly references = (image: number, block: number): number => this.tracker.count(image, block);

  /** Tells the policies the new reference counts of resident blocks in the changed ranges. */
  private push(changes: readonly ReferenceChange[]): void {
    if (this.sims.length === 0) return;
    for (const change of changes) {
      if (change.last - change.first < PER_BLOCK_UPDATES) this.pushBlocks(change);
      else for (const sim of this.sims) this.pushResident(sim.policy, change);
    }
  }

  private pushBlocks({ image, first, last }: ReferenceChange): void {
    for (let block = first; block <= last; block++) {
      const key = this.ids.keys.find(image, block);
      if (key < 0) continue;
      const count = this.tracker.count(image, block);
      for (const sim of this.sims) sim.policy.setReferences(key, count);
    }
  }

  private pushResident(policy: CachePolicy, { image, first, last }: ReferenceChange): void {
    const keys = this.ids.keys;
    const changed: number[] = [];
    policy.forEachResident((key) => {
      const block = keys.blockOf(key);
      if (keys.imageOf(key) === image && block >= first && block <= last) changed.push(key);
    });
    for (const key of changed) policy.setReferences(key, this.tracker.count(image, keys.blockOf(key)));
  }
}
