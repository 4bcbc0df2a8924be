/**
 * Steady-state VDI: `vms` desktops on overlays of one base image, each doing the Capo mix of
 * desktop.ts (65% of operations writes, 65% of bytes reads, half the written bytes rewritten),
 * with Zipf popularity over the base's `hotBlocks` used blocks. Requests come from a random
 * desktop, `intervalUs` apart on average.
 */
import { type GeneratorCommon, prngFor, reportEvery, vmName } from './common.ts';
import { Desktop, DESKTOP_MIX_DEFAULTS, type DesktopMix } from './desktop.ts';
import type { TraceSink } from './trace-sink.ts';
import { ZipfSampler } from './zipf-sampler.ts';

export interface VdiOptions extends GeneratorCommon, DesktopMix {
  readonly vms: number;
  readonly requests: number;
  /** Size of the base image in blocks; the VMs' data areas start past it. */
  readonly baseBlocks: number;
  /** Base blocks the desktops read, with Zipf popularity (scattered over the base). */
  readonly hotBlocks: number;
  readonly alpha: number;
  /** Mean microseconds between requests (of all desktops together). */
  readonly intervalUs: number;
}

export const VDI_DEFAULTS = {
  ...DESKTOP_MIX_DEFAULTS,
  vms: 16,
  requests: 400_000,
  baseBlocks: 262_144,
  hotBlocks: 32_768,
  alpha: 0.9,
  intervalUs: 50,
} as const;

export const VDI_BASE = 'base.img';

export function generateVdi(options: VdiOptions, out: TraceSink): void {
  const names = Array.from({ length: options.vms }, (_, i) => vmName(i, options.vms));
  names.forEach((vm) => out.chain(vm, [`${vm}.qcow2`, VDI_BASE]));
  out.header();
  const popular = new ZipfSampler(options.hotBlocks, options.alpha, prngFor(options, 0), options.baseBlocks);
  const desktops = names.map((vm) => new Desktop(vm, `${vm}.qcow2`, options, options.baseBlocks, () => VDI_BASE));
  const rng = prngFor(options, 1);
  let time = 0;
  for (let i = 0; i < options.requests; i++) {
    time += rng.exponential(options.intervalUs);
    desktops[rng.below(desktops.length)]!.step(Math.round(time), rng, popular, out, options.blockSize);
    reportEvery(options, i + 1, options.requests);
  }
}
