/**
 * `hv cache-sim --trace FILE`: replays a block trace (MSR Cambridge or hvlab CSV) against the
 * cache policies and prints one table: hit ratio, byte hit ratio, mean read latency in cycles
 * under the device cost model, and each policy's layers (mean occupancy, share of hits).
 */
import Table from 'cli-table3';
import { UsageError } from '../errors.ts';
import { type Command, Option } from 'commander';
import { statSync } from 'node:fs';
import { CLOCK_HZ, DISK_TIMINGS } from '../storage/cache/disk-timing.ts';
import type { LayeredOptions } from '../storage/cache/layered-options.ts';
import { MIN_CAPACITY, POLICY_NAMES, type PolicyName } from '../storage/cache/policy.ts';
import { Replay, type ReplayResult } from '../storage/sim/replay.ts';
import type { PolicyResult } from '../storage/sim/policy-sim.ts';
import { readTrace } from '../storage/sim/trace-file.ts';
import { TRACE_FORMATS, type TraceFormat } from '../storage/sim/trace.ts';
import { writeOutputFile } from './output-file.ts';
import { parseInteger } from './options.ts';
import { progressBar } from './progress.ts';
import { parseBlockSize, parseChoice, parseNumber, parseSize, type SizeValue, sizeInBlocks } from './cache-options.ts';

interface CacheSimOptions {
  trace: string;
  format?: TraceFormat;
  policy: PolicyName | 'all';
  size: SizeValue;
  block: number;
  device: string;
  layers?: number;
  layerShares?: number[];
  hotIntervalUs?: number | 'auto';
  sharedRefs?: number;
  json?: string;
}

/** Traces from this size on get a progress bar (when stderr is a terminal). */
const LONG_TRACE_BYTES = 16 << 20;

export function registerCacheSimCommand(program: Command, setStatus: (status: number) => void): void {
  program
    .command('cache-sim')
    .description('replay a block trace against cache policies and compare them')
    .requiredOption('--trace <FILE>', 'the trace: MSR Cambridge CSV or hvlab CSV (see hv/storage/cache/README.md)')
    .option('--format <FORMAT>', 'msr or csv (default: detected from the first line)', parseChoice('--format', TRACE_FORMATS))
    .option('--policy <NAME>', 'lru, arc, s3fifo, layered or all', parseChoice('--policy', [...POLICY_NAMES, 'all'] as const), 'all')
    .addOption(
      new Option('--size <BLOCKS|BYTES>', 'cache size: blocks, or bytes with a unit (64MiB)').argParser(parseSize('--size')).default({ bytes: 64 << 20 }, '64MiB'),
    )
    .option('--block <BYTES>', 'cache block size in bytes', parseBlockSize('--block'), 4096)
    .option('--device <NAME>', `device cost model: ${Object.keys(DISK_TIMINGS).join(', ')}`, parseChoice('--device', Object.keys(DISK_TIMINGS)), 'sd-spi')
    .option('--layers <N>', 'layered: number of layers (default 3)', parseInteger('--layers', 2))
    .option('--layer-shares <LIST>', 'layered: shares of the layers above the last, top first (default 0.45,0.45)', parseShares)
    .option('--hot-interval-us <US>', "layered: read interval that counts as hot, in us, or 'auto' (default)", parseHotInterval)
    .option('--shared-refs <N>', 'layered: image files referencing a block for it to count as shared (default 2)', parseInteger('--shared-refs', 1))
    .option('--json <FILE>', 'also write the full results (occupancy over time included) as JSON')
    .action((options: CacheSimOptions) => setStatus(runCacheSim(options)));
}

export function runCacheSim(options: CacheSimOptions): number {
  const capacity = sizeInBlocks('--size', options.size, options.block, MIN_CAPACITY);
  const timing = DISK_TIMINGS[options.device]!;
  const replay = new Replay({
    policies: options.policy === 'all' ? POLICY_NAMES : [options.policy],
    capacity,
    blockSize: options.block,
    timing,
    policyOptions: { layered: layeredOptions(options) },
  });
  const progress = progressBar('cache-sim', fileSize(options.trace), LONG_TRACE_BYTES, 'bytes');
  const format = readTrace(options.trace, replay, { format: options.format, progress: progress.update });
  progress.stop();
  const result = replay.result();
  if (options.json) writeOutputFile(options.json, `${JSON.stringify({ trace: options.trace, format, ...result }, null, 2)}\n`);
  process.stdout.write(report(options.trace, format, result));
  return 0;
}

/** The trace's size for the progress bar (0 when unreadable: reading it reports the error). */
function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

function layeredOptions(options: CacheSimOptions): LayeredOptions {
  const hot = options.hotIntervalUs;
  return {
    layers: options.layers,
    layerShares: options.layerShares,
    hotInterval: hot === undefined || hot === 'auto' ? hot : (hot * CLOCK_HZ) / 1e6,
    sharedReferences: options.sharedRefs,
  };
}

export function report(trace: string, format: TraceFormat, r: ReplayResult): string {
  const mib = (r.capacity * r.blockSize) / 2 ** 20;
  const lines = [
    `trace  ${trace} (${format}): ${r.requests} requests, ${r.reads} reads, ${r.writes} writes, ${r.images} images, ${r.vms} VMs`,
    `cache  ${r.capacity} blocks of ${r.blockSize} B (${Number(mib.toFixed(2))} MiB), device ${r.timing}`,
  ];
  const table = new Table({
    head: ['policy', 'hit ratio', 'byte hit ratio', 'mean read latency (cycles)', 'layers: mean occupancy, share of hits'],
    style: { head: [], border: [] },
  });
  for (const p of r.policies) {
    table.push([p.policy, percent(p.hitRatio), percent(p.byteHitRatio), p.meanReadCycles.toFixed(1), layersCell(p)]);
  }
  return `${lines.join('\n')}\n${table.toString()}\n`;
}

function layersCell(p: PolicyResult): string {
  return p.layers
    .map((l) => `${l.name} ${Math.round(l.meanBlocks)}/${l.capacity}, ${percent(p.hits === 0 ? 0 : l.hits / p.hits)}`)
    .join('\n');
}

function percent(ratio: number): string {
  return `${(100 * ratio).toFixed(2)}%`;
}

function parseShares(value: string): number[] {
  const shares = value.split(',').map((s) => parseNumber('--layer-shares', 0, 1)(s));
  if (shares.some((s) => s <= 0)) throw new UsageError(`--layer-shares: expected positive shares, got "${value}"`);
  return shares;
}

function parseHotInterval(value: string): number | 'auto' {
  return value === 'auto' ? 'auto' : parseNumber('--hot-interval-us', 0)(value);
}
