/**
 * The trace suite: seeded synthetic workloads, each a generator of generators/ with options, that
 * `hv cache-sim --suite` replays against every policy at sizes from 1% to 50% of each workload's
 * working set. The same seed gives the same traces (another --seed, other traces of the same
 * kind). README.md in hv/storage/cache describes each workload and its sources.
 */
import type { GeneratorName } from '../generators/registry.ts';

export interface SuiteWorkload {
  readonly name: string;
  readonly generator: GeneratorName;
  /** Overrides of the generator's defaults. */
  readonly options: Readonly<Record<string, number>>;
  readonly about: string;
}

/** Cache sizes, as percentages of a workload's working set (its distinct blocks read). */
export const SUITE_SIZES = [1, 2, 5, 10, 20, 30, 50] as const;

const SMALL_BOOT = { bootBlocks: 4096, privateBlocks: 8192 };

export const SUITE: readonly SuiteWorkload[] = [
  { name: 'boot-10x20ms', generator: 'boot-storm', options: { ...SMALL_BOOT, vms: 10, staggerUs: 20_000 }, about: '10 VMs boot 20 ms apart' },
  { name: 'boot-20x50ms', generator: 'boot-storm', options: {}, about: "20 VMs boot 50 ms apart (the generator's defaults)" },
  { name: 'boot-40x10ms', generator: 'boot-storm', options: { ...SMALL_BOOT, vms: 40, staggerUs: 10_000 }, about: '40 VMs boot 10 ms apart' },
  { name: 'boot-20x400ms', generator: 'boot-storm', options: { ...SMALL_BOOT, staggerUs: 400_000 }, about: '20 VMs boot one after another' },
  { name: 'vdi', generator: 'vdi', options: { requests: 300_000 }, about: '16 desktops over one base, Capo mix' },
  { name: 'linked-clones', generator: 'linked-clones', options: { requests: 300_000 }, about: '12 clones, base update, recompose' },
  { name: 'mixed', generator: 'mixed', options: { requests: 300_000 }, about: '8 VMs: shared Zipf reads, private scans, writes' },
  { name: 'zipf-8vm', generator: 'zipf', options: { vms: 8, blocks: 65_536, requests: 300_000 }, about: '8 VMs, Zipf 0.9 over a shared base' },
  { name: 'zipf-1vm', generator: 'zipf', options: { blocks: 65_536, requests: 300_000 }, about: 'one disk, Zipf 0.9' },
  { name: 'scan-hot', generator: 'scan-hot', options: { requests: 300_000 }, about: 'one disk: hot set and a reread region' },
  { name: 'loop', generator: 'scan', options: { blocks: 20_000, passes: 4 }, about: 'one disk read in a loop' },
];
