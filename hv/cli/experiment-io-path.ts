/**
 * `hv experiment io-path [--requests N] [--size BYTES] [--out DIR] [--driver-core own|shared]`:
 * the same workload under the three I/O paths; prints a table per path and writes results.json
 * (deterministic numbers), host.json (host speed), a Perfetto trace per path, an SVG chart of the
 * phases and a self-contained report.html into --out.
 */
import Table from 'cli-table3';
import type { Command } from 'commander';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors.ts';
import type { HostResult, PathResult } from '../experiments/io-path.ts';
import { MPS2_AN386 } from '../../devices/platforms/mps2-an386.ts';
import { parseInteger } from './options.ts';
import { makeOutputDirectory, writeOutputFile, writingToAsync } from './output-file.ts';

const CLOCK_HZ = MPS2_AN386.clockHz;

/** Requests per phase: 10,000 already take minutes and a trace of millions of events per path. */
const MAX_REQUESTS = 10_000;

interface Options {
  requests: number;
  size: number;
  out: string;
  driverCore: 'own' | 'shared';
}

export function registerIoPathExperiment(experiment: Command, firmwareDir: string): void {
  experiment
    .command('io-path')
    .description('the in-context, split and emulated I/O paths on the same workload')
    .option('--requests <N>', `requests per workload phase (at most ${MAX_REQUESTS})`, parseInteger('--requests', 1, MAX_REQUESTS), 64)
    .option('--size <BYTES>', 'request size in bytes, a multiple of 512; 0 is the mix of 512 B and 4 KiB', parseInteger('--size', 0), 0)
    .option('--out <DIR>', 'where results.json, host.json, traces and the chart go', 'out/io-path')
    .option('--driver-core <own|shared>', "the driver VM on a core of its own (core 1) or on the guest's core 0", 'own')
    .action(async (options: Options) => {
      if (options.driverCore !== 'own' && options.driverCore !== 'shared') {
        throw new UsageError(`--driver-core: expected own or shared, got "${String(options.driverCore)}"`);
      }
      if (options.size % 512 !== 0 || options.size > 65536) throw new UsageError('--size: expected a multiple of 512 up to 65536');
      await ioPathExperiment(options, firmwareDir);
    });
}

async function ioPathExperiment(o: Options, firmwareDir: string): Promise<void> {
  // The system and the charts load when the experiment runs, not with every hv command.
  const [{ runExperiment }, { ioPathArtifacts }] = await Promise.all([import('../experiments/io-path.ts'), import('../experiments/io-path-report.ts')]);
  const outDir = resolve(o.out);
  makeOutputDirectory(outDir, '--out', o.out);
  const sharedCore = o.driverCore === 'shared';
  // The experiment writes disk images and traces into --out as it goes: a full disk is the --out's.
  const { results, host } = await writingToAsync(o.out, '--out', () => runExperiment({ requests: o.requests, size: o.size, outDir, firmwareDir, sharedCore }));
  process.stdout.write(resultTables(results, host));
  writeOutputFile(join(outDir, 'results.json'), `${JSON.stringify({ requests: o.requests, size: o.size, driverCore: o.driverCore, paths: results }, null, 2)}\n`, '--out');
  writeOutputFile(join(outDir, 'host.json'), `${JSON.stringify({ note: 'host speed varies between runs', paths: host }, null, 2)}\n`, '--out');
  const { svg, html } = await ioPathArtifacts(results, { requests: o.requests, size: o.size, driverCore: o.driverCore, clockHz: CLOCK_HZ });
  writeOutputFile(join(outDir, 'phases.svg'), svg, '--out');
  writeOutputFile(join(outDir, 'report.html'), html, '--out');
  process.stdout.write(`wrote ${join(o.out, 'report.html')}, results.json, host.json, phases.svg and trace-<path>.json\n`);
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
