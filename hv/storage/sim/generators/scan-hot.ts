/**
 * A hot set with scans, on one VM's disk (nothing shared): most requests read (or now and then
 * write) blocks of a Zipf-popular hot set, while a sequential job (a backup, a virus scan, a
 * report) reads a large cold region from start to end, over and over, `requestBlocks` at a time.
 * A cache must keep the hot set through the scans, and may keep part of the region if it is
 * reread at a distance the cache can bridge.
 */
import { type GeneratorCommon, prngFor, reportEvery } from './common.ts';
import type { TraceSink } from './trace-sink.ts';
import { ZipfSampler } from './zipf-sampler.ts';

export interface ScanHotOptions extends GeneratorCommon {
  readonly requests: number;
  readonly hotBlocks: number;
  readonly alpha: number;
  /** Share of requests that are the scan's next read. */
  readonly scanShare: number;
  /** Blocks in the scanned region. */
  readonly scanBlocks: number;
  readonly requestBlocks: number;
  /** Share of hot-set requests that are writes. */
  readonly writeRatio: number;
  readonly intervalUs: number;
}

export const SCAN_HOT_DEFAULTS = {
  requests: 400_000,
  hotBlocks: 16_384,
  alpha: 0.9,
  scanShare: 0.3,
  scanBlocks: 65_536,
  requestBlocks: 8,
  writeRatio: 0.1,
  intervalUs: 100,
} as const;

const VM = 'vm01';
const DISK = 'disk.img';

export function generateScanHot(options: ScanHotOptions, out: TraceSink): void {
  out.chain(VM, [DISK]);
  out.header();
  const hot = new ZipfSampler(options.hotBlocks, options.alpha, prngFor(options, 0));
  const rng = prngFor(options, 1);
  const bs = options.blockSize;
  // The region lies past the hot set.
  const region = options.hotBlocks;
  let scanAt = 0;
  let time = 0;
  for (let i = 0; i < options.requests; i++) {
    time += rng.exponential(options.intervalUs);
    const now = Math.round(time);
    if (rng.chance(options.scanShare)) {
      const blocks = Math.min(options.requestBlocks, options.scanBlocks - scanAt);
      out.record(now, VM, false, DISK, (region + scanAt) * bs, blocks * bs);
      scanAt = (scanAt + blocks) % options.scanBlocks;
    } else {
      out.record(now, VM, rng.chance(options.writeRatio), DISK, hot.next(rng) * bs, bs);
    }
    reportEvery(options, i + 1, options.requests);
  }
}
