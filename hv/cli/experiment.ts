/**
 * `hv experiment io-path [--requests N] [--size BYTES] [--out DIR] [--driver-core own|shared]`:
 * the same workload under the three I/O paths; prints a table per path and writes results.json (deterministic numbers),
 * host.json (host speed), a Perfetto trace per path and an SVG chart of the phases into --out.
 * `hv experiment sched [...]`: the scheduling policies compared (experiment-sched.ts).
 */
import Table from 'cli-table3';
import type { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.ts';
import { type HostResult, type PathResult, runExperiment } from '../experiments/io-path.ts';
import { phaseChartSvg } from '../experiments/phase-chart.ts';
import { SCHED_OPTIONS, type SchedCliOptions, schedExperiment } from './experiment-sched.ts';
import { parseInteger } from './options.ts';
import { writeOutputFile } from './output-file.ts';

const FIRMWARE = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'firmware', 'build');

interface Options extends SchedCliOptions {
  requests: number;
  size: number;
  out: string;
  driverCore: 'own' | 'shared';
}

const IO_PATH_OPTIONS = ['requests', 'size', 'driverCore'];

export function registerExperimentCommand(program: Command): void {
  const command = program
    .command('experiment')
    .description('run an experiment; `io-path` compares the in-context, split and emulated I/O paths, `sched` the scheduling policies')
    .argument('<name>', 'the experiment: io-path or sched')
    .option('--requests <N>', 'io-path: requests per workload phase', parseInteger('--requests', 1), 64)
    .option('--size <BYTES>', 'io-path: request size in bytes, a multiple of 512; 0 is the mix of 512 B and 4 KiB', parseInteger('--size', 0), 0)
    .option('--out <DIR>', 'where results.json, host.json, traces and charts go (default out/<name>)')
    .option('--driver-core <own|shared>', "io-path: the driver VM on a core of its own (core 1) or on the guest's core 0", 'own');
  for (const [flags, description, parse] of SCHED_OPTIONS) {
    if (parse) command.option(flags, `sched: ${description}`, parse);
    else command.option(flags, `sched: ${description}`);
  }
  command.action(async (name: string, options: Options) => {
    const given = (keys: readonly string[]) => keys.filter((k) => command.getOptionValueSource(k) === 'cli');
    if (name === 'sched') {
      const wrong = given(IO_PATH_OPTIONS);
      if (wrong.length > 0) throw new UsageError(`--${kebab(wrong[0]!)}: an option of the io-path experiment, not of sched`);
      return schedExperiment({ ...options, out: options.out ?? 'out/sched' }, FIRMWARE);
    }
    if (name !== 'io-path') throw new UsageError(`unknown experiment "${name}" (known: io-path, sched)`);
    const wrong = given(SCHED_OPTIONS.map(([flags]) => camel(flags)));
    if (wrong.length > 0) throw new UsageError(`--${kebab(wrong[0]!)}: an option of the sched experiment, not of io-path`);
    await ioPathExperiment({ ...options, out: options.out ?? 'out/io-path' });
  });
}

/** `--io-vms <N>` -> ioVms (commander's attribute name). */
function camel(flags: string): string {
  return flags.split(' ')[0]!.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

async function ioPathExperiment(o: Options): Promise<void> {
  if (o.driverCore !== 'own' && o.driverCore !== 'shared') throw new UsageError(`--driver-core: expected own or shared, got "${String(o.driverCore)}"`);
  if (o.size % 512 !== 0 || o.size > 65536) throw new UsageError('--size: expected a multiple of 512 up to 65536');
  const outDir = resolve(o.out);
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (cause) {
    throw new UsageError(`${o.out}: cannot create the output directory: ${(cause as Error).message}`);
  }
  const sharedCore = o.driverCore === 'shared';
  const { results, host } = await runExperiment({ requests: o.requests, size: o.size, outDir, firmwareDir: FIRMWARE, sharedCore });
  process.stdout.write(resultTables(results, host));
  writeOutputFile(join(outDir, 'results.json'), `${JSON.stringify({ requests: o.requests, size: o.size, driverCore: o.driverCore, paths: results }, null, 2)}\n`);
  writeOutputFile(join(outDir, 'host.json'), `${JSON.stringify({ note: 'host speed varies between runs', paths: host }, null, 2)}\n`);
  const bars = results.flatMap((r) => Object.entries(r.phases).map(([phase, cycles]) => ({ path: r.path, phase, cycles })));
  writeOutputFile(join(outDir, 'phases.svg'), await phaseChartSvg(bars, `mean cycles per I/O by phase (${o.requests} requests per phase)`));
  process.stdout.write(`wrote ${join(o.out, 'results.json')}, host.json, phases.svg and trace-<path>.json\n`);
}

export function resultTables(results: readonly PathResult[], host: readonly HostResult[]): string {
  const summary = new Table({
    head: ['path', 'I/Os', 'latency p50', 'latency p99', 'traps/I/O', 'world switches/I/O', 'I/Os per virtual s', 'host I/Os per s', 'read checksum'],
    style: { head: [], border: [] },
  });
  for (const r of results) {
    const h = host.find((x) => x.path === r.path)!;
    summary.push([r.path, r.ios, r.latency.p50, r.latency.p99, r.trapsPerIo, r.worldSwitchesPerIo, r.iosPerVirtualSecond, Math.round(h.iosPerSecond), r.readChecksum ?? '-']);
  }
  const phaseNames = [...new Set(results.flatMap((r) => Object.keys(r.phases)))].sort();
  const phases = new Table({ head: ['phase (mean cycles per I/O)', ...results.map((r) => r.path)], style: { head: [], border: [] } });
  for (const name of phaseNames) phases.push([name, ...results.map((r) => r.phases[name] ?? '-')]);
  return `${summary.toString()}\n${phases.toString()}\n`;
}
