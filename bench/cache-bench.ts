/**
 * Block-cache benchmarks (printed by `npm run bench`, never asserted):
 *  - policy lookups per second (a lookup, plus an admit on a miss) for every policy, MIN included,
 *    4 KiB blocks in a 64 MiB cache (16384 blocks), on a Zipf(0.9) key stream over 1 Mi blocks:
 *    the policies run in turn in each of several rounds (alternating, so a slow moment of the host
 *    hits them all), the median per policy and its median ratio to LRU in the same rounds are
 *    printed; aim: layered >= 2 M lookups/s (PASS/MISS);
 *  - memory per cached block: the policy's metadata and the block cache's bookkeeping (data
 *    excluded), measured with process.memoryUsage() before and after filling, next to what the
 *    preallocated arrays add up to.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { BlockCache } from '../hv/storage/cache/block-cache.ts';
import { KeySpace } from '../hv/storage/cache/key-space.ts';
import { createPolicy } from '../hv/storage/cache/policies.ts';
import { type CachePolicy, POLICY_NAMES, type PolicyName, type SimPolicyName } from '../hv/storage/cache/policy.ts';
import { FutureReads, type FutureView } from '../hv/storage/sim/future-reads.ts';
import { MinPolicy } from '../hv/storage/sim/min-policy.ts';
import { Prng } from '../hv/storage/sim/prng.ts';
import { ZipfSampler } from '../hv/storage/sim/generators/zipf-sampler.ts';
import type { BlockImage } from '../hv/storage/block-image.ts';

const BLOCK = 4096;
const CAPACITY = (64 << 20) / BLOCK;
const UNIVERSE = 1 << 20;
const ACCESSES = 2_000_000;
const ROUNDS = 5;
const AIM_LAYERED = 2e6;
/**
 * Cache blocks of the memory measurement: the bookkeeping per block does not depend on the block
 * size, and a small cache memory keeps the lagging release of big buffers out of the numbers.
 */
const MEMORY_BLOCK = 512;
const POLICIES: readonly SimPolicyName[] = [...POLICY_NAMES, 'min'];

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function zipfKeys(): Float64Array {
  const rng = new Prng(42);
  const zipf = new ZipfSampler(UNIVERSE, 0.9, rng);
  const keys = new Float64Array(ACCESSES);
  const space = new KeySpace();
  for (let i = 0; i < ACCESSES; i++) keys[i] = space.key(3, zipf.next(rng));
  return keys;
}

function build(name: SimPolicyName, future: FutureView): CachePolicy {
  return name === 'min' ? new MinPolicy(CAPACITY, future) : createPolicy(name, CAPACITY);
}

function run(policy: CachePolicy, keys: Float64Array): number {
  let hits = 0;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const now = i * 25;
    if (policy.lookup(key, now)) hits++;
    else policy.admit(key, now, 1);
  }
  return hits;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function accessesPerSecond(keys: Float64Array): void {
  const recorded = new FutureReads();
  for (const key of keys) recorded.record(key, 1);
  const future = recorded.view(CAPACITY);
  console.log(`cache policies: ${ACCESSES / 1e6}M accesses (lookup, admit on miss), ${BLOCK / 1024} KiB blocks, 64 MiB cache (${CAPACITY} blocks), Zipf 0.9 over ${UNIVERSE} blocks; median of ${ROUNDS} rounds, policies in turn`);
  for (const name of POLICIES) run(build(name, future), keys.subarray(0, 200_000)); // warm up the JIT
  const rates = new Map<SimPolicyName, number[]>(POLICIES.map((n) => [n, []]));
  const ratios = new Map<SimPolicyName, number[]>(POLICIES.map((n) => [n, []]));
  const hits = new Map<SimPolicyName, number>();
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? POLICIES : [...POLICIES].reverse();
    const thisRound = new Map<SimPolicyName, number>();
    for (const name of order) {
      const policy = build(name, future);
      const started = process.hrtime.bigint();
      hits.set(name, run(policy, keys));
      thisRound.set(name, ACCESSES / (Number(process.hrtime.bigint() - started) / 1e9));
    }
    for (const name of POLICIES) {
      rates.get(name)!.push(thisRound.get(name)!);
      ratios.get(name)!.push(thisRound.get(name)! / thisRound.get('lru')!);
    }
  }
  for (const name of POLICIES) {
    const rate = median(rates.get(name)!);
    const aim = name === 'layered' ? `; aim >= ${AIM_LAYERED / 1e6} M/s: ${rate >= AIM_LAYERED ? 'PASS' : 'MISS'}` : '';
    console.log(
      `  ${name.padEnd(8)} ${(rate / 1e6).toFixed(1).padStart(6)} M lookups/s  (${(1e9 / rate).toFixed(0)} ns each, ${median(ratios.get(name)!).toFixed(2)} x LRU, ` +
        `hit ratio ${((100 * hits.get(name)!) / ACCESSES).toFixed(1)}%${aim})`,
    );
  }
  console.log(`  (min replays a recorded future: ${((future.keys.byteLength + future.next.byteLength) / ACCESSES).toFixed(0)} B per block read besides its arrays)`);
}

/** Live bytes (heap and array buffers) once garbage collection has settled. */
function used(): number {
  // Large array buffers are freed a collection or two after they die: collect until stable.
  let last = Number.NaN;
  for (let i = 0; i < 20; i++) {
    gc();
    const m = process.memoryUsage();
    const now = m.heapUsed + m.arrayBuffers;
    if (Math.abs(now - last) < 1024) return now;
    last = now;
  }
  return last;
}

/** Bytes that `build` leaves allocated (the result is kept alive until measured). */
function retained<T>(build: () => T): { bytes: number; value: T } {
  const before = used();
  const value = build();
  const bytes = used() - before;
  return { bytes, value };
}

/** A raw image that reads as zeros, for filling a BlockCache without I/O or garbage. */
function zeroImage(size: number): BlockImage {
  const zeros = new Uint8Array(BLOCK);
  const image: BlockImage = {
    file: '/bench/zero.img', format: 'raw', size, backing: null, readOnly: true,
    readSectors: (_sector, count) => zeros.subarray(0, count * 512),
    writeSectors: () => {}, flush: () => {}, close: () => {},
    locate: (offset) => ({ image, offset, zero: false }),
  };
  return image;
}

interface MemoryResult {
  policyBytes: number;
  policyArrays: number;
  cacheBytes: number;
  cacheArrays: number;
}

/** Per-block bytes of a filled policy, and of a filled BlockCache (data excluded). */
function measure(name: PolicyName, image: BlockImage, kept: unknown[]): MemoryResult {
  const policy = retained(() => {
    const p = createPolicy(name, CAPACITY);
    for (let i = 0; i < CAPACITY; i++) p.admit(i, i, 1);
    return p;
  });
  const cache = retained(() => {
    const c = new BlockCache({ capacity: CAPACITY, policy: name, blockSize: MEMORY_BLOCK });
    // One-byte reads fill whole cache blocks while leaving almost no garbage behind.
    for (let i = 0; i < CAPACITY; i++) c.read(image, i * MEMORY_BLOCK, 1);
    return c;
  });
  kept.push(policy.value, cache.value);
  return {
    policyBytes: policy.bytes / CAPACITY,
    policyArrays: policy.value.metadataBytes / CAPACITY,
    cacheBytes: (cache.bytes - CAPACITY * MEMORY_BLOCK) / CAPACITY,
    cacheArrays: cache.value.metadataBytes / CAPACITY,
  };
}

/** MIN's own arrays per block (its recorded future costs per block read, printed with the speeds). */
function minBytes(kept: unknown[]): { bytes: number; arrays: number } {
  const recorded = new FutureReads();
  for (let i = 0; i < CAPACITY; i++) recorded.record(i, 1);
  const future = recorded.view(CAPACITY);
  const futureBytes = future.keys.byteLength + future.next.byteLength;
  const min = retained(() => {
    const p = new MinPolicy(CAPACITY, future);
    for (let i = 0; i < CAPACITY; i++) p.admit(i, i, 1);
    return p;
  });
  kept.push(min.value, future);
  return { bytes: min.bytes / CAPACITY, arrays: (min.value.metadataBytes - futureBytes) / CAPACITY };
}

function memoryPerBlock(): void {
  console.log(`memory per cached block (process.memoryUsage before/after filling ${CAPACITY} blocks of ${MEMORY_BLOCK} B; data excluded)`);
  // Everything measured stays alive until the end: freeing a 64 MiB cache memory lags behind
  // garbage collection and would blur the next measurement.
  const kept: unknown[] = [];
  const image = zeroImage(CAPACITY * MEMORY_BLOCK);
  measure('lru', image, kept); // once unreported: the first run also allocates compiled code
  const n = (bytes: number) => bytes.toFixed(1).padStart(6);
  for (const name of POLICY_NAMES) {
    const m = measure(name, image, kept);
    console.log(
      `  ${name.padEnd(8)} policy ${n(m.policyBytes)} B/block (its arrays: ${m.policyArrays.toFixed(1)}), ` +
        `block cache with it ${n(m.cacheBytes)} B/block (arrays: ${m.cacheArrays.toFixed(1)})`,
    );
  }
  const min = minBytes(kept);
  console.log(`  min      policy ${n(min.bytes)} B/block (its arrays: ${min.arrays.toFixed(1)}), offline only: no block cache`);
  kept.length = 0;
}

export function cacheBench(): void {
  // Memory first, before the speed runs leave garbage whose late release would blur it.
  memoryPerBlock();
  accessesPerSecond(zipfKeys());
}
