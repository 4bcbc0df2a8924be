/**
 * `hv cache-sim --suite [--sizes 1%,...] [--seed N] [--workloads LIST] [--trace FILE ...]`: every
 * policy and MIN over every workload of the trace suite (hv/storage/sim/suite/suite.ts) plus the
 * traces given, at sizes from 1% to 50% of each working set. Prints the workloads, the ranking
 * (all, shared-base, unshared), the layered policy against the best baseline at every point, and
 * the hit ratios; writes results.json and mrc.svg (one panel per workload) to --out.
 */
import { basename, join } from 'node:path';
import { UsageError } from '../errors.ts';
import { generateWorkload, runWorkload, type WorkloadResult } from '../storage/sim/suite/run-suite.ts';
import { SUITE, SUITE_SIZES } from '../storage/sim/suite/suite.ts';
import { readTrace } from '../storage/sim/trace-file.ts';
import { type CacheSimOptions, checkPolicyOptions, simulationConfig } from './cache-sim-config.ts';
import { suiteReport } from './cache-suite-report.ts';
import { makeOutputDirectory, writeOutputFile } from './output-file.ts';
import { progressBar } from './progress.ts';

export async function runSuite(options: CacheSimOptions): Promise<number> {
  const percents = suitePercents(options);
  const config = simulationConfig({ ...options, min: true });
  checkPolicyOptions(config);
  const workloads = chosenWorkloads(options.workloads);
  // Before the suite runs (minutes): a directory that cannot be written is said at once.
  const out = options.out ?? join('out', 'cache-suite');
  makeOutputDirectory(out, '--out');
  const bar = progressBar('cache-sim --suite', workloads.length + options.trace.length, 1, 'workloads');
  const results: WorkloadResult[] = [];
  for (const workload of workloads) {
    const { trace, command } = generateWorkload(workload, options.seed, options.block);
    results.push(runWorkload(workload.name, workload.about, command, (consumer) => trace.replay(consumer), config, percents));
    bar.update(results.length, workloads.length + options.trace.length);
  }
  for (const file of options.trace) {
    const source = (consumer: Parameters<typeof readTrace>[1]) => void readTrace(file, consumer, { format: options.format });
    results.push(runWorkload(basename(file), 'a trace given with --trace', file, source, config, percents));
    bar.update(results.length, workloads.length + options.trace.length);
  }
  bar.stop();
  process.stdout.write(suiteReport(results, { seed: options.seed, percents, blockSize: options.block, device: options.device }));
  await writeSuiteFiles(out, results, options.seed);
  return 0;
}

function suitePercents(options: CacheSimOptions): number[] {
  if (options.size) throw new UsageError('--size: the suite takes --sizes, as percentages of each working set');
  if (!options.sizes) return [...SUITE_SIZES];
  return options.sizes.map((size) => {
    if (!('percent' in size)) throw new UsageError('--sizes: the suite takes percentages of each working set (1%,5%,...)');
    return size.percent;
  });
}

function chosenWorkloads(names: string[] | undefined): typeof SUITE {
  if (!names) return SUITE;
  const known = SUITE.map((w) => w.name);
  for (const name of names) if (!known.includes(name)) throw new UsageError(`--workloads: expected names among ${known.join(', ')}, got "${name}"`);
  return SUITE.filter((w) => names.includes(w.name));
}

async function writeSuiteFiles(out: string, results: readonly WorkloadResult[], seed: number): Promise<void> {
  writeOutputFile(join(out, 'results.json'), `${JSON.stringify({ seed, workloads: results }, null, 2)}\n`);
  const points = results.flatMap((w) =>
    w.result.sizes.flatMap((size, i) => size.policies.map((p) => ({ trace: w.name, policy: p.policy, sizePercent: w.sizePercents[i]!, missRatio: 1 - p.hitRatio }))),
  );
  const { missRatioChartSvg } = await import('../storage/sim/mrc-chart.ts'); // the charting library loads only for a chart
  writeOutputFile(join(out, 'mrc.svg'), await missRatioChartSvg(points, `miss ratio against cache size, trace suite (seed ${seed})`));
  process.stdout.write(`wrote ${join(out, 'results.json')} and ${join(out, 'mrc.svg')}\n`);
}
