/**
 * A mixture, closer to a host running many VMs for a while: every request picks a VM and then
 *  - with weight `zipfWeight` a Zipf-popular read of the shared base image (libraries, binaries),
 *  - with weight `scanWeight` the next read of a sequential scan of the VM's own data (a backup,
 *    a log replay; each scan `scanBlocks` long, then a new one starts elsewhere),
 *  - otherwise a write: half to popular base blocks (copy-on-write into the overlay; the VM
 *    reads its own copy from then on), half to its own data area.
 */
import { type GeneratorCommon, prngFor, reportEvery, vmName } from './common.ts';
import type { TraceSink } from './trace-sink.ts';
import { ZipfSampler } from './zipf-sampler.ts';

export interface MixedOptions extends GeneratorCommon {
  readonly vms: number;
  readonly requests: number;
  /** Blocks of the base image with Zipf popularity. */
  readonly zipfBlocks: number;
  readonly alpha: number;
  readonly zipfWeight: number;
  readonly scanWeight: number;
  /** Blocks per scan. */
  readonly scanBlocks: number;
  /** Size of each VM's own data area in blocks. */
  readonly privateBlocks: number;
  /** Mean microseconds between requests. */
  readonly intervalUs: number;
}

export const MIXED_DEFAULTS = {
  vms: 8,
  requests: 500_000,
  zipfBlocks: 65_536,
  alpha: 0.9,
  zipfWeight: 0.6,
  scanWeight: 0.25,
  scanBlocks: 4096,
  privateBlocks: 65_536,
  intervalUs: 100,
} as const;

const BASE = 'base.img';
/** Each VM's own data lives from 1 GiB on in its overlay, clear of the base's popular blocks. */
const PRIVATE_AREA_BYTES = 1 << 30;
const SCAN_REQUEST_BLOCKS = 8;

export function generateMixed(options: MixedOptions, out: TraceSink): void {
  const names = Array.from({ length: options.vms }, (_, i) => vmName(i, options.vms));
  names.forEach((vm) => out.chain(vm, [`${vm}.qcow2`, BASE]));
  out.header();
  const zipf = new ZipfSampler(options.zipfBlocks, options.alpha, prngFor(options, 0));
  const rng = prngFor(options, 1);
  const written = names.map(() => new Set<number>());
  const scanAt = names.map(() => -1);
  const scanEnd = names.map(() => -1);
  const bs = options.blockSize;
  const privateArea = Math.floor(PRIVATE_AREA_BYTES / bs);
  let time = 0;
  for (let i = 0; i < options.requests; i++) {
    time += rng.exponential(options.intervalUs);
    const vm = rng.below(options.vms);
    const name = names[vm]!;
    const overlay = `${name}.qcow2`;
    const pick = rng.next();
    if (pick < options.zipfWeight) {
      const block = zipf.next(rng);
      out.record(Math.round(time), name, false, written[vm]!.has(block) ? overlay : BASE, block * bs, bs);
    } else if (pick < options.zipfWeight + options.scanWeight) {
      if (scanAt[vm]! >= scanEnd[vm]!) {
        scanAt[vm] = privateArea + rng.below(Math.max(1, options.privateBlocks - options.scanBlocks));
        scanEnd[vm] = scanAt[vm]! + options.scanBlocks;
      }
      const blocks = Math.min(SCAN_REQUEST_BLOCKS, scanEnd[vm]! - scanAt[vm]!);
      out.record(Math.round(time), name, false, overlay, scanAt[vm]! * bs, blocks * bs);
      scanAt[vm]! += blocks;
    } else {
      const block = rng.chance(0.5) ? zipf.next(rng) : privateArea + rng.below(options.privateBlocks);
      written[vm]!.add(block);
      out.record(Math.round(time), name, true, overlay, block * bs, bs);
    }
    reportEvery(options, i + 1, options.requests);
  }
}
