/**
 * A boot storm: N VMs on overlays of one base image start one after another and each reads the
 * base image's boot set in nearly the same order (the OS reads the same files when it boots),
 * with jitter (some reads swapped with one a few places later, a few left out), interleaved with
 * reads and writes of its own data in its overlay. The base blocks are shared by every VM; the
 * private traffic is what pushes them out of an LRU cache.
 */
import { type GeneratorCommon, prngFor, reportEvery, vmName } from './common.ts';
import type { TraceSink } from './trace-sink.ts';

export interface BootStormOptions extends GeneratorCommon {
  readonly vms: number;
  /** Blocks of the base image each VM reads while booting. */
  readonly bootBlocks: number;
  /** Size of the base image in blocks (the boot set is scattered over it). */
  readonly baseBlocks: number;
  /** Microseconds between VM starts. */
  readonly staggerUs: number;
  /** Mean microseconds between one VM's requests (exponentially distributed). */
  readonly thinkUs: number;
  /** Share of boot reads swapped with one up to 8 places later. */
  readonly jitter: number;
  /** Share of boot reads a VM leaves out. */
  readonly skip: number;
  /** Share of a VM's requests that go to its own data. */
  readonly privateRatio: number;
  /** Share of those private requests that are writes. */
  readonly writeRatio: number;
  /** Size of each VM's own data area in blocks. */
  readonly privateBlocks: number;
  /** Largest request in blocks. */
  readonly maxRequestBlocks: number;
}

export const BOOT_STORM_DEFAULTS = {
  vms: 20,
  bootBlocks: 8192,
  baseBlocks: 262_144,
  staggerUs: 50_000,
  thinkUs: 100,
  jitter: 0.1,
  skip: 0.02,
  privateRatio: 0.5,
  writeRatio: 0.3,
  privateBlocks: 16_384,
  maxRequestBlocks: 8,
} as const;

export const BASE_IMAGE = 'base.img';
const JITTER_WINDOW = 8;
/** Each VM's own data lives past the end of the base image in its overlay, clear of the boot set. */

interface Request {
  time: number;
  vm: number;
  seq: number;
  write: boolean;
  private: boolean;
  block: number;
  blocks: number;
}

type Extent = readonly [block: number, blocks: number];

export function generateBootStorm(options: BootStormOptions, out: TraceSink): void {
  const names = Array.from({ length: options.vms }, (_, i) => vmName(i, options.vms));
  names.forEach((vm) => out.chain(vm, [`${vm}.qcow2`, BASE_IMAGE]));
  out.header();
  const boot = bootSet(options);
  const requests = names.flatMap((_, vm) => vmRequests(options, vm, boot));
  requests.sort((a, b) => a.time - b.time || a.vm - b.vm || a.seq - b.seq);
  const bs = options.blockSize;
  requests.forEach((r, i) => {
    const image = r.private ? `${names[r.vm]}.qcow2` : BASE_IMAGE;
    out.record(r.time, names[r.vm]!, r.write, image, r.block * bs, r.blocks * bs);
    reportEvery(options, i + 1, requests.length);
  });
}

/** The base image's boot set: extents (files) scattered over the image, cut into requests. */
function bootSet(options: BootStormOptions): Extent[] {
  const rng = prngFor(options, 0);
  const out: Extent[] = [];
  for (let total = 0; total < options.bootBlocks; ) {
    const length = Math.min(rng.geometric(16), 64, options.bootBlocks - total);
    const start = rng.below(Math.max(1, options.baseBlocks - length));
    for (let done = 0; done < length; done += options.maxRequestBlocks) {
      out.push([start + done, Math.min(options.maxRequestBlocks, length - done)]);
    }
    total += length;
  }
  return out;
}

function vmRequests(options: BootStormOptions, vm: number, boot: readonly Extent[]): Request[] {
  const rng = prngFor(options, 1 + vm);
  const order = boot.filter(() => !rng.chance(options.skip));
  for (let i = 0; i < order.length; i++) {
    if (!rng.chance(options.jitter)) continue;
    const j = Math.min(order.length - 1, i + rng.between(1, JITTER_WINDOW));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const out: Request[] = [];
  let time = vm * options.staggerUs;
  for (let next = 0; next < order.length; ) {
    time += rng.exponential(options.thinkUs);
    const base = { time: Math.round(time), vm, seq: out.length };
    if (rng.chance(options.privateRatio)) {
      const write = rng.chance(options.writeRatio);
      const blocks = rng.between(1, write ? Math.min(4, options.maxRequestBlocks) : options.maxRequestBlocks);
      const block = options.baseBlocks + rng.below(Math.max(1, options.privateBlocks - blocks));
      out.push({ ...base, write, private: true, block, blocks });
    } else {
      const [block, blocks] = order[next++]!;
      out.push({ ...base, write: false, private: false, block, blocks });
    }
  }
  return out;
}
