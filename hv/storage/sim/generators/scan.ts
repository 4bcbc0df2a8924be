/**
 * Scans: one VM reads a region of its disk from start to end, request after request, several
 * passes over. A region larger than the cache defeats LRU completely (every block is evicted
 * just before it is read again); the case scan-resistant policies are built for.
 */
import { type GeneratorCommon, prngFor, reportEvery } from './common.ts';
import type { TraceSink } from './trace-sink.ts';

export interface ScanOptions extends GeneratorCommon {
  /** Blocks in the scanned region. */
  readonly blocks: number;
  readonly passes: number;
  /** Blocks per request. */
  readonly requestBlocks: number;
  /** Mean microseconds between requests. */
  readonly intervalUs: number;
}

export const SCAN_DEFAULTS = { blocks: 65_536, passes: 3, requestBlocks: 8, intervalUs: 100 } as const;

export const SCAN_VM = 'vm01';
export const SCAN_IMAGE = 'disk.img';

export function generateScan(options: ScanOptions, out: TraceSink): void {
  out.chain(SCAN_VM, [SCAN_IMAGE]);
  out.header();
  const rng = prngFor(options, 0);
  const perPass = Math.ceil(options.blocks / options.requestBlocks);
  const total = perPass * options.passes;
  const bs = options.blockSize;
  let time = 0;
  let done = 0;
  for (let pass = 0; pass < options.passes; pass++) {
    for (let block = 0; block < options.blocks; block += options.requestBlocks) {
      time += rng.exponential(options.intervalUs);
      const blocks = Math.min(options.requestBlocks, options.blocks - block);
      out.record(Math.round(time), SCAN_VM, false, SCAN_IMAGE, block * bs, blocks * bs);
      reportEvery(options, ++done, total);
    }
  }
}
