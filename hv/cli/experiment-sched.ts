/**
 * `hv experiment sched [--policies LIST] [--io-path split|in-context] [--cores N] [--io-vms N]
 * [--cpu-vms N] [--duration CYCLES] [--sweep PARAM=V1,V2,...] [--out DIR]`: the scheduling
 * policies on the same consolidated system (hv/experiments/sched.ts). Prints one table; writes
 * results.json (deterministic), host.json (host time), a Perfetto trace and a placement chart
 * per run, latency-cdf.svg and, with --sweep, sweep.svg into --out.
 */
import type { Command } from 'commander';
import { join, resolve } from 'node:path';
import { SCHEDULER_POLICIES } from '../core/scheduler-config.ts';
import { UsageError } from '../errors.ts';
import type { RunOutput } from '../experiments/sched.ts';
import { schedTable } from '../experiments/sched-report.ts';
import { DEFAULT_WORKLOAD, type Workload, checkWorkload, parsePolicies, parseSweep, workloadValue } from '../experiments/sched-spec.ts';
import { SCHED_IO_PATHS, type SchedIoPath } from '../experiments/sched-system.ts';
import { parseInteger } from './options.ts';
import { makeOutputDirectory, writeOutputFile } from './output-file.ts';

export interface SchedCliOptions {
  policies?: string;
  ioPath?: string;
  cores?: number;
  ioVms?: number;
  cpuVms?: number;
  duration?: number;
  sweep?: string;
  out?: string;
}

/** [flags, description, parser] of the options `sched` takes. */
const SCHED_OPTIONS: ReadonlyArray<readonly [string, string, ((value: string) => unknown) | undefined]> = [
  ['--policies <LIST>', `comma-separated NAME[:KEY=VALUE]... of ${SCHEDULER_POLICIES.join(', ')} (default: all four)`, undefined],
  ['--io-path <PATH>', 'split or in-context (default: both)', undefined],
  ['--cores <N>', `emulated cores; the driver VM is on the last (default ${DEFAULT_WORKLOAD.cores})`, parseInteger('--cores', 1)],
  ['--io-vms <N>', `I/O guests: iobound, latency, phased in turn (default ${DEFAULT_WORKLOAD['io-vms']})`, parseInteger('--io-vms', 0)],
  ['--cpu-vms <N>', `CPU-bound compute guests (default ${DEFAULT_WORKLOAD['cpu-vms']})`, parseInteger('--cpu-vms', 0)],
  ['--duration <CYCLES>', `virtual time of each run (default ${DEFAULT_WORKLOAD.duration})`, parseInteger('--duration', 100_000)],
  ['--sweep <PARAM=V1,V2,...>', 'run each value of a workload or scheduler parameter', undefined],
];

/** `hv experiment sched ...` under the `experiment` command. */
export function registerSchedExperiment(experiment: Command, firmwareDir: string): void {
  const command = experiment.command('sched').description('the scheduling policies on one consolidated system (round-robin, credit, micro-slice, io-aware)');
  for (const [flags, description, parse] of SCHED_OPTIONS) {
    if (parse) command.option(flags, description, parse);
    else command.option(flags, description);
  }
  command.option('--out <DIR>', 'where results.json, host.json, traces and charts go', 'out/sched');
  command.action((options: SchedCliOptions & { out: string }) => schedExperiment(options, firmwareDir));
}

async function schedExperiment(o: SchedCliOptions & { out: string }, firmwareDir: string): Promise<void> {
  const policies = parsePolicies(o.policies ?? SCHEDULER_POLICIES.join(','));
  const ioPaths = parseIoPaths(o.ioPath);
  const workload = workloadOf(o, ioPaths);
  const sweep = o.sweep === undefined ? undefined : parseSweep(o.sweep, policies);
  if (sweep?.target === 'workload') {
    for (const value of sweep.values) checkWorkload({ ...workload, [sweep.param]: value }, ioPaths, () => `--sweep ${sweep.param}=${value}`);
  }
  const outDir = resolve(o.out);
  makeOutputDirectory(outDir, '--out', o.out);
  // The system and the charts load when the experiment runs, not with every hv command.
  const { runSchedExperiment } = await import('../experiments/sched.ts');
  const outputs = await runSchedExperiment({
    policies,
    ioPaths,
    workload,
    sweep,
    outDir,
    firmwareDir,
    onRun: (label, i, n) => process.stderr.write(`sched: run ${i} of ${n}: ${label}\n`),
  });
  const results = outputs.map((x) => x.result);
  process.stdout.write(schedTable(results));
  const document = { experiment: 'sched', workload, ioPaths, ...(sweep ? { sweep: { param: sweep.param, values: sweep.values } } : {}), policies: results };
  writeOutputFile(join(outDir, 'results.json'), `${JSON.stringify(document, null, 2)}\n`);
  const host = outputs.map((x) => ({ name: x.result.name, ioPath: x.result.ioPath, sweep: x.result.sweep, seconds: round(x.hostSeconds) }));
  const total = round(outputs.reduce((sum, x) => sum + x.hostSeconds, 0));
  writeOutputFile(join(outDir, 'host.json'), `${JSON.stringify({ note: 'host time varies between runs', totalSeconds: total, runs: host }, null, 2)}\n`);
  await writeCharts(outputs, workload, outDir, sweep !== undefined);
  process.stdout.write(`wrote ${join(o.out, 'results.json')}, host.json, latency-cdf.svg${sweep ? ', sweep.svg' : ''}, trace-<run>.json and placement-<run>.svg (host time ${total.toFixed(1)} s)\n`);
}

async function writeCharts(outputs: readonly RunOutput[], workload: Workload, outDir: string, swept: boolean): Promise<void> {
  const [{ runTag }, { latencyCdfSvg, placementSvg, sweepSvg }] = await Promise.all([import('../experiments/sched.ts'), import('../experiments/sched-charts.ts')]);
  const label = (x: RunOutput) => (x.result.sweep ? `${x.result.name} ${x.result.sweep.param}=${x.result.sweep.value}` : x.result.name);
  const series = outputs.map((x) => ({ name: label(x), ioPath: x.result.ioPath, latencies: x.latencies }));
  writeOutputFile(join(outDir, 'latency-cdf.svg'), await latencyCdfSvg(series, `I/O latency CDF (${workload.duration} cycles per run)`));
  for (const x of outputs) {
    const title = `placement: ${label(x)}, ${x.result.ioPath} path`;
    writeOutputFile(join(outDir, `placement-${runTag(x.result)}.svg`), await placementSvg(x.placements, workload.cores, title));
  }
  if (!swept) return;
  const points = outputs.map((x) => ({
    series: `${x.result.name} (${x.result.ioPath})`,
    value: x.result.sweep ? String(x.result.sweep.value) : '',
    cpuInstructionsPerSecond: x.result.cpuInstructionsPerSecond,
    p50: x.result.ioLatency.p50,
    p99: x.result.ioLatency.p99,
  }));
  const param = outputs.find((x) => x.result.sweep)?.result.sweep?.param ?? '';
  writeOutputFile(join(outDir, 'sweep.svg'), await sweepSvg(points, `I/O latency against CPU throughput over ${param}`));
}

function parseIoPaths(value: string | undefined): readonly SchedIoPath[] {
  if (value === undefined) return SCHED_IO_PATHS;
  if (!(SCHED_IO_PATHS as readonly string[]).includes(value)) throw new UsageError(`--io-path: expected split or in-context, got "${value}"`);
  return [value as SchedIoPath];
}

function workloadOf(o: SchedCliOptions, ioPaths: readonly SchedIoPath[]): Workload {
  const w: Workload = { ...DEFAULT_WORKLOAD };
  const given: Array<[keyof Workload, number | undefined, string]> = [
    ['cores', o.cores, '--cores'],
    ['io-vms', o.ioVms, '--io-vms'],
    ['cpu-vms', o.cpuVms, '--cpu-vms'],
    ['duration', o.duration, '--duration'],
  ];
  for (const [key, value, option] of given) if (value !== undefined) w[key] = workloadValue(key, value, option);
  checkWorkload(w, ioPaths, (param) => `--${param}`);
  return w;
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
