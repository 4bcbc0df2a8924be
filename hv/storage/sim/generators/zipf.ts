/**
 * Zipf popularity: each request reads (or writes) a block drawn with P(rank k) ~ 1/k^alpha, the
 * classic model of skewed access. With several VMs the image is a shared base under one overlay
 * per VM; a VM's writes go to its overlay, and its later reads of those blocks too.
 */
import { type GeneratorCommon, prngFor, reportEvery, vmName } from './common.ts';
import type { TraceSink } from './trace-sink.ts';
import { ZipfSampler } from './zipf-sampler.ts';

export interface ZipfOptions extends GeneratorCommon {
  /** Blocks in the image (the popularity ranks). */
  readonly blocks: number;
  readonly requests: number;
  /** Zipf exponent (0 = uniform; ~0.8-1.2 in storage traces). */
  readonly alpha: number;
  /** Share of requests that are reads. */
  readonly readRatio: number;
  readonly vms: number;
  /** Mean microseconds between requests. */
  readonly intervalUs: number;
}

export const ZIPF_DEFAULTS = { blocks: 262_144, requests: 1_000_000, alpha: 0.9, readRatio: 0.9, vms: 1, intervalUs: 100 } as const;

export const ZIPF_IMAGE = 'disk.img';

export function generateZipf(options: ZipfOptions, out: TraceSink): void {
  const names = Array.from({ length: options.vms }, (_, i) => vmName(i, options.vms));
  const tops = names.map((vm) => (options.vms === 1 ? ZIPF_IMAGE : `${vm}.qcow2`));
  names.forEach((vm, i) => out.chain(vm, options.vms === 1 ? [ZIPF_IMAGE] : [tops[i]!, ZIPF_IMAGE]));
  out.header();
  const zipf = new ZipfSampler(options.blocks, options.alpha, prngFor(options, 0));
  const rng = prngFor(options, 1);
  const written = names.map(() => new Set<number>());
  const bs = options.blockSize;
  let time = 0;
  for (let i = 0; i < options.requests; i++) {
    time += rng.exponential(options.intervalUs);
    const vm = rng.below(options.vms);
    const block = zipf.next(rng);
    const write = !rng.chance(options.readRatio);
    if (write) written[vm]!.add(block);
    const image = write || written[vm]!.has(block) ? tops[vm]! : ZIPF_IMAGE;
    out.record(Math.round(time), names[vm]!, write, image, block * bs, bs);
    reportEvery(options, i + 1, options.requests);
  }
}
