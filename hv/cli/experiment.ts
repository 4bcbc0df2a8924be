/**
 * `hv experiment io-path [--requests N] [--size BYTES] [--out DIR] [--driver-core own|shared]`:
 * the same workload under the three I/O paths; prints a table per path and writes results.json (deterministic numbers),
 * host.json (host speed), a Perfetto trace per path and an SVG chart of the phases into --out.
 */
import Table from 'cli-table3';
import type { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.ts';
import { type HostResult, type PathResult, runExperiment } from '../experiments/io-path.ts';
import { phaseChartSvg } from '../experiments/phase-chart.ts';
import { type ClusterExperimentFlags, clusterExperiment, parseLoad } from './cluster-experiment.ts';
import { parseInteger } from './options.ts';
import { writeOutputFile } from './output-file.ts';

const FIRMWARE = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'firmware', 'build');

interface Options extends ClusterExperimentFlags {
  requests: number;
  size: number;
  out?: string;
  driverCore: 'own' | 'shared';
}

export function registerExperimentCommand(program: Command): void {
  program
    .command('experiment')
    .description('run an experiment; `io-path` compares the in-context, split and emulated I/O paths, `cluster` the dispatch policies')
    .argument('<name>', 'the experiment: io-path or cluster')
    .option('--requests <N>', 'requests per workload phase', parseInteger('--requests', 1), 64)
    .option('--size <BYTES>', 'request size in bytes, a multiple of 512; 0 is the mix of 512 B and 4 KiB', parseInteger('--size', 0), 0)
    .option('--out <DIR>', 'where results.json, host.json, traces and the charts go (default out/io-path, out/cluster-experiment)')
    .option('--driver-core <own|shared>', "the driver VM on a core of its own (core 1) or on the guest's core 0", 'own')
    .option('--slaves <N>', 'cluster: slaves (2 cores each)', parseInteger('--slaves', 1), 4)
    .option('--workloads <N>', 'cluster: generated workloads', parseInteger('--workloads', 1), 40)
    .option('--load <L>', 'cluster: offered CPU load (busy cores per core)', parseLoad, 0.8)
    .option('--policies <LIST>', 'cluster: comma-separated dispatch policies', 'resource-use,round-robin,random,least-loaded,power-of-two,most-allocated')
    .option('--mode <real|model>', 'cluster: emulated slaves, or slaves replaying measured profiles', 'real')
    .option('--seed <N>', 'cluster: seed of the workload generator and the random policies', parseInteger('--seed', 0), 1)
    .option('--threads <N>', 'cluster, real mode: worker threads (default: one per slave, at most the host cores)', parseInteger('--threads', 1))
    .action(async (name: string, options: Options) => {
      if (name === 'cluster') return clusterExperiment(options);
      if (name !== 'io-path') throw new UsageError(`unknown experiment "${name}" (known: io-path, cluster)`);
      if (options.driverCore !== 'own' && options.driverCore !== 'shared') {
        throw new UsageError(`--driver-core: expected own or shared, got "${String(options.driverCore)}"`);
      }
      if (options.size % 512 !== 0 || options.size > 65536) throw new UsageError('--size: expected a multiple of 512 up to 65536');
      await ioPathExperiment({ ...options, out: options.out ?? 'out/io-path' });
    });
}

async function ioPathExperiment(o: Options & { out: string }): Promise<void> {
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
