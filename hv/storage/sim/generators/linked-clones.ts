/**
 * Linked clones and an update of their base: `vms` desktops run on overlays of base-v1 (the Capo
 * mix of desktop.ts). At `updateAt` (a share of the requests) an updater writes a new base layer,
 * base-v2.qcow2 on top of base-v1, changing `changedShare` of the used base blocks; then the
 * desktops are recomposed one by one over the next `recomposeSpread` of the requests: each gets a
 * new, empty overlay on base-v2 (a new `#! chain`) and boots, reading `bootBlocks` of the most
 * used base blocks in order, before going back to work. Until it is recomposed a desktop still
 * reads the old blocks of base-v1; afterwards a changed block comes from base-v2, an unchanged one
 * still from base-v1, shared with every desktop.
 */
import type { Prng } from '../prng.ts';
import { type GeneratorCommon, prngFor, reportEvery, vmName } from './common.ts';
import { Desktop, DESKTOP_MIX_DEFAULTS, type DesktopMix } from './desktop.ts';
import type { TraceSink } from './trace-sink.ts';
import { ZipfSampler } from './zipf-sampler.ts';

export interface LinkedClonesOptions extends GeneratorCommon, DesktopMix {
  readonly vms: number;
  readonly requests: number;
  readonly baseBlocks: number;
  readonly hotBlocks: number;
  readonly alpha: number;
  /** When the update is written, as a share of the requests. */
  readonly updateAt: number;
  /** Over which share of the requests the desktops are recomposed after it. */
  readonly recomposeSpread: number;
  /** Share of the used base blocks the update changes. */
  readonly changedShare: number;
  /** Blocks a recomposed desktop reads while it boots. */
  readonly bootBlocks: number;
  readonly intervalUs: number;
}

export const LINKED_CLONES_DEFAULTS = {
  ...DESKTOP_MIX_DEFAULTS,
  vms: 12,
  requests: 400_000,
  baseBlocks: 262_144,
  hotBlocks: 32_768,
  alpha: 0.9,
  updateAt: 0.3,
  recomposeSpread: 0.4,
  changedShare: 0.2,
  bootBlocks: 4096,
  intervalUs: 50,
} as const;

const V1 = 'base-v1.img';
const V2 = 'base-v2.qcow2';
const UPDATER = 'updater';
const BOOT_REQUEST_BLOCKS = 8;

interface Clone {
  readonly desktop: Desktop;
  /** Boot reads still to do: first blocks of runs of the boot order. */
  boot: number[];
}

export function generateLinkedClones(options: LinkedClonesOptions, out: TraceSink): void {
  const names = Array.from({ length: options.vms }, (_, i) => vmName(i, options.vms));
  names.forEach((vm) => out.chain(vm, [`${vm}.qcow2`, V1]));
  out.header();
  const popular = new ZipfSampler(options.hotBlocks, options.alpha, prngFor(options, 0), options.baseBlocks);
  const changed = changedBlocks(options, popular, prngFor(options, 2));
  const clones: Clone[] = names.map((vm) => ({ desktop: new Desktop(vm, `${vm}.qcow2`, options, options.baseBlocks, () => V1), boot: [] }));
  const recomposeAt = names.map((_, i) => Math.floor(options.requests * (options.updateAt + (options.recomposeSpread * (i + 1)) / options.vms)));
  const rng = prngFor(options, 1);
  let time = 0;
  for (let i = 0; i < options.requests; i++) {
    time += rng.exponential(options.intervalUs);
    const now = Math.round(time);
    if (i === Math.floor(options.requests * options.updateAt)) writeUpdate(now, changed, out, options.blockSize);
    clones.forEach((clone, c) => {
      if (recomposeAt[c] === i) recompose(clone, names[c]!, changed, bootOrder(options, popular), out);
    });
    const clone = clones[rng.below(clones.length)]!;
    const boot = clone.boot.shift();
    if (boot === undefined) clone.desktop.step(now, rng, popular, out, options.blockSize);
    else clone.desktop.readRange(now, boot, BOOT_REQUEST_BLOCKS, out, options.blockSize);
    reportEvery(options, i + 1, options.requests);
  }
}

/** The used base blocks the update changes, drawn at random (popular ones included). */
function changedBlocks(options: LinkedClonesOptions, popular: ZipfSampler, rng: Prng): Set<number> {
  const changed = new Set<number>();
  const target = Math.floor(options.changedShare * options.hotBlocks);
  while (changed.size < target) changed.add(popular.block(rng.below(options.hotBlocks)));
  return changed;
}

/** The updater writes the changed blocks into the new layer, in runs of consecutive blocks. */
function writeUpdate(now: number, changed: Set<number>, out: TraceSink, blockSize: number): void {
  out.chain(UPDATER, [V2, V1]);
  const blocks = [...changed].sort((a, b) => a - b);
  for (let i = 0; i < blocks.length; ) {
    let j = i + 1;
    while (j < blocks.length && blocks[j] === blocks[j - 1]! + 1 && j - i < 64) j++;
    out.record(now, UPDATER, true, V2, blocks[i]! * blockSize, (j - i) * blockSize);
    i = j;
  }
}

function recompose(clone: Clone, vm: string, changed: Set<number>, boot: number[], out: TraceSink): void {
  const top = `${vm}-r1.qcow2`;
  out.chain(vm, [top, V2, V1]);
  clone.desktop.reset(top, (block) => (changed.has(block) ? V2 : V1));
  clone.boot = boot;
}

/** What a booting desktop reads: the most used base blocks, in runs, most popular first. */
function bootOrder(options: LinkedClonesOptions, popular: ZipfSampler): number[] {
  const starts: number[] = [];
  for (let rank = 0; rank < Math.min(options.bootBlocks, options.hotBlocks); rank += BOOT_REQUEST_BLOCKS) starts.push(popular.block(rank));
  return starts;
}
