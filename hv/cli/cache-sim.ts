/**
 * `hv cache-sim --trace FILE`: replays a block trace (MSR Cambridge or hvlab CSV) against the
 * cache policies, with Belady's MIN beside them as the bound, and prints one table: hit ratio,
 * share of MIN, byte hit ratio, mean read latency in cycles under the device cost model, and each
 * policy's lists. `--sizes LIST` sweeps cache sizes instead: the miss-ratio curves as a table,
 * results.json and an SVG chart in --out. `--suite` ranks every policy over the trace suite
 * (cache-suite.ts).
 */
import { type Command, Option } from 'commander';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.ts';
import { DISK_TIMINGS } from '../storage/cache/disk-timing.ts';
import { MIN_CAPACITY, POLICY_NAMES, type PolicyName } from '../storage/cache/policy.ts';
import type { ReplayResult } from '../storage/sim/replay.ts';
import { firstPass, simulate, type TraceSource } from '../storage/sim/simulate.ts';
import { readTrace } from '../storage/sim/trace-file.ts';
import { TRACE_FORMATS, type TraceFormat } from '../storage/sim/trace.ts';
import { sizeReport, sweepReport } from './cache-report.ts';
import { runSuite } from './cache-suite.ts';
import { type CacheSimOptions, checkPolicyOptions, simulationConfig } from './cache-sim-config.ts';
import { isRelative, parseBlockSize, parseChoice, parseNumber, parseSize, parseSizes, type SizeValue, sizeInBlocks } from './cache-options.ts';
import { parseInteger } from './options.ts';
import { checkOutputPath, makeOutputDirectory, writeOutputFile } from './output-file.ts';
import { progressBar } from './progress.ts';

/** Traces from this size on get a progress bar (when stderr is a terminal). */
const LONG_TRACE_BYTES = 16 << 20;
const DEFAULT_SIZE: SizeValue = { bytes: 64 << 20 };

export function registerCacheSimCommand(program: Command, setStatus: (status: number) => void): void {
  program
    .command('cache-sim')
    .description('replay a block trace against cache policies and MIN, at one size or a sweep; --suite ranks them over the trace suite')
    .option('--trace <FILE>', 'the trace: MSR Cambridge CSV or hvlab CSV (see hv/storage/cache/README.md); with --suite, added to it (repeatable)', collect, [])
    .option('--suite', 'run every policy over the whole trace suite and a sweep of sizes, and rank them')
    .option('--format <FORMAT>', 'msr or csv (default: detected from the first line)', parseChoice('--format', TRACE_FORMATS))
    .option('--policy <LIST>', `comma-separated policies among ${POLICY_NAMES.join(', ')}, or all`, parsePolicies, [...POLICY_NAMES])
    .option('--no-min', 'leave out MIN, the optimum (it needs a first pass and 28 bytes per block read)')
    .addOption(new Option('--size <SIZE>', 'cache size: blocks, bytes with a unit (64MiB), or % of the working set').argParser(parseSize('--size')))
    .option('--sizes <LIST>', 'sweep these sizes (comma-separated, as --size): miss-ratio curves as a table, results.json and mrc.svg', parseSizes('--sizes'))
    .option('--block <BYTES>', 'cache block size in bytes', parseBlockSize('--block'), 4096)
    .option('--device <NAME>', `device cost model: ${Object.keys(DISK_TIMINGS).join(', ')}`, parseChoice('--device', Object.keys(DISK_TIMINGS)), 'sd-spi')
    .option('--shared-refs <N>', 'layered: image files referencing a block for it to count as shared (default 2)', parseInteger('--shared-refs', 1))
    .option('--probation <SHARE>', 'layered: share of the cache for the probation layer L1 (default 0.01)', parseNumber('--probation', 0, 1))
    .option('--json <FILE>', 'also write the full results (occupancy over time included) as JSON')
    .option('--out <DIR>', 'where --sizes and --suite write results.json and their charts (default out/cache-sim, out/cache-suite)')
    .option('--seed <N>', 'suite: seed of the generated traces', parseInteger('--seed', 0), 1)
    .option('--workloads <LIST>', 'suite: only these workloads (comma-separated)', (v: string) => v.split(',').map((s) => s.trim()))
    .action(async (options: CacheSimOptions) => setStatus(await runCacheSim(options)));
}

export async function runCacheSim(options: CacheSimOptions): Promise<number> {
  if (options.suite) return runSuite(options);
  const trace = oneTrace(options);
  const sizes = options.sizes ?? [options.size ?? DEFAULT_SIZE];
  const option = options.sizes ? '--sizes' : '--size';
  // Absolute sizes are checked before the trace is read.
  for (const size of sizes) if (!isRelative(size)) sizeInBlocks(option, size, options.block, MIN_CAPACITY);
  let format: TraceFormat = options.format ?? 'csv';
  const source: TraceSource = (consumer, pass) => {
    const bar = progressBar(`cache-sim pass ${pass}`, fileSize(trace), LONG_TRACE_BYTES, 'bytes');
    format = readTrace(trace, consumer, { format: options.format, progress: bar.update });
    bar.stop();
  };
  const config = simulationConfig(options);
  checkPolicyOptions(config);
  // Before the replay: outputs that cannot be written are said at once.
  if (options.json) checkOutputPath(options.json, '--json');
  const out = options.out ?? join('out', 'cache-sim');
  if (options.sizes) makeOutputDirectory(out, '--out');
  const first = options.min || sizes.some(isRelative) ? firstPass(source, options.block) : undefined;
  const capacities = sizes.map((size) => sizeInBlocks(option, size, options.block, MIN_CAPACITY, first?.facts.workingSet));
  const result = simulate(source, config, capacities, first);
  const json = `${JSON.stringify({ trace, format, ...result }, null, 2)}\n`;
  if (options.json) writeOutputFile(options.json, json);
  if (!options.sizes) {
    process.stdout.write(sizeReport(trace, format, result));
    return 0;
  }
  process.stdout.write(sweepReport(trace, format, result));
  await writeSweepFiles(out, trace, json, result);
  return 0;
}

/** The one trace of a run without --suite (--size and --sizes exclude each other). */
function oneTrace(options: CacheSimOptions): string {
  if (options.trace.length !== 1) throw new UsageError(`--trace: expected one trace file${options.trace.length > 1 ? ' (several only with --suite)' : ''}`);
  if (options.size && options.sizes) throw new UsageError('--size and --sizes: give one or the other');
  return options.trace[0]!;
}

async function writeSweepFiles(out: string, trace: string, json: string, result: ReplayResult): Promise<void> {
  writeOutputFile(join(out, 'results.json'), json);
  const points = result.sizes.flatMap((size) =>
    size.policies.map((p) => ({ trace, policy: p.policy, sizePercent: (100 * size.capacity) / Math.max(1, result.workingSet), missRatio: 1 - p.hitRatio })),
  );
  const { missRatioChartSvg } = await import('../storage/sim/mrc-chart.ts'); // the charting library loads only for a chart
  writeOutputFile(join(out, 'mrc.svg'), await missRatioChartSvg(points, 'miss ratio against cache size'));
  process.stdout.write(`wrote ${join(out, 'results.json')} and ${join(out, 'mrc.svg')}\n`);
}

/** The trace's size for the progress bar (0 when unreadable: reading it reports the error). */
function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parsePolicies(value: string): PolicyName[] {
  if (value === 'all') return [...POLICY_NAMES];
  const names = value.split(',').map((name) => parseChoice('--policy', [...POLICY_NAMES, 'all'] as const)(name.trim()));
  if (names.includes('all')) throw new UsageError(`--policy: "all" cannot be combined with other names, got "${value}"`);
  return [...new Set(names as PolicyName[])];
}

