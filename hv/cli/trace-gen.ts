/**
 * `hv trace-gen <generator> [options]`: writes a synthetic block trace in hvlab CSV (to --out or
 * standard output). Every generator is seeded: the same options and --seed give a byte-identical
 * trace. The first line records the command that made the trace.
 */
import type { Command } from 'commander';
import { COMMON_DEFAULTS } from '../storage/sim/generators/common.ts';
import { type GeneratorEntry, GENERATORS, type GeneratorName } from '../storage/sim/generators/registry.ts';
import { TraceWriter } from '../storage/sim/generators/trace-writer.ts';
import { parseBlockSize } from './cache-options.ts';
import { parseInteger } from './options.ts';
import { progressBar } from './progress.ts';
import { camel, GENERATOR_OPTIONS, type Spec } from './trace-gen-options.ts';

/** Runs with at least this many requests get a progress bar (when stderr is a terminal). */
const LONG_RUN_REQUESTS = 200_000;

type Raw = Record<string, number> & { out?: string };

export function registerTraceGenCommand(program: Command, setStatus: (status: number) => void): void {
  const parent = program.command('trace-gen').description('write a synthetic, seeded block trace in hvlab CSV');
  for (const name of Object.keys(GENERATORS) as GeneratorName[]) {
    const generator: GeneratorEntry = GENERATORS[name];
    const command = parent.command(name).description(generator.description);
    for (const [flag, help, parse] of GENERATOR_OPTIONS[name]) command.option(`--${flag} <N>`, help, parse, generator.defaults[camel(flag)]);
    command
      .option('--seed <N>', 'PRNG seed', parseInteger('--seed', 0), COMMON_DEFAULTS.seed)
      .option('--block <BYTES>', 'block size of the requests', parseBlockSize('--block'), COMMON_DEFAULTS.blockSize)
      .option('--out <FILE>', 'write the trace to FILE (default: standard output)')
      .action((raw: Raw) => setStatus(runGenerator(name, raw)));
  }
}

function runGenerator(name: GeneratorName, raw: Raw): number {
  const out = new TraceWriter(raw.out);
  const bar = progressBar(`trace-gen ${name}`, estimate(raw), LONG_RUN_REQUESTS, 'requests');
  try {
    out.comment(`hv trace-gen ${name} ${commandLine(GENERATOR_OPTIONS[name], raw)}`);
    const { out: _file, block, ...options } = raw;
    const generator: GeneratorEntry = GENERATORS[name];
    generator.generate({ ...options, seed: raw.seed!, blockSize: block!, progress: bar.update }, out);
  } finally {
    bar.stop();
    out.close();
  }
  return 0;
}

/** Requests the run will write, roughly (decides whether a progress bar is worth it). */
function estimate(o: Raw): number {
  if (o.requests !== undefined) return o.requests;
  if (o.passes !== undefined) return (o.blocks! * o.passes) / o.requestBlocks!;
  return (o.vms! * o.bootBlocks!) / 2;
}

/** The options as a command line, so that the trace says how to make it again. */
export function commandLine(specs: readonly Spec[], raw: Record<string, number | string | undefined>): string {
  const flags = [...specs.map(([flag]) => flag), 'seed', 'block'];
  return flags.map((flag) => `--${flag} ${raw[camel(flag)]}`).join(' ');
}
