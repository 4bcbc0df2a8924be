/**
 * `hv trace-gen boot-storm|zipf|scan|mixed [options]`: writes a synthetic block trace in hvlab
 * CSV (to --out or standard output). Every generator is seeded: the same options and --seed give
 * a byte-identical trace. The first lines record the command that made the trace.
 */
import type { Command } from 'commander';
import { BOOT_STORM_DEFAULTS, generateBootStorm } from '../storage/sim/generators/boot-storm.ts';
import { COMMON_DEFAULTS, type GeneratorCommon } from '../storage/sim/generators/common.ts';
import { generateMixed, MIXED_DEFAULTS } from '../storage/sim/generators/mixed.ts';
import { generateScan, SCAN_DEFAULTS } from '../storage/sim/generators/scan.ts';
import { TraceWriter } from '../storage/sim/generators/trace-writer.ts';
import { generateZipf, ZIPF_DEFAULTS } from '../storage/sim/generators/zipf.ts';
import { parseInteger } from './options.ts';
import { progressBar } from './progress.ts';
import { parseBlockSize, parseNumber } from './cache-options.ts';

/** Runs with at least this many requests get a progress bar (when stderr is a terminal). */
const LONG_RUN_REQUESTS = 200_000;

type Generate<T> = (options: T, out: TraceWriter) => void;
type Raw = Record<string, unknown> & { out?: string };

/** One option of a generator: flag, help, parser and default. */
type Spec = readonly [flag: string, help: string, parse: (value: string) => number, fallback: number];

const int = (flag: string, min: number) => parseInteger(`--${flag}`, min);
const ratio = (flag: string) => parseNumber(`--${flag}`, 0, 1);
const num = (flag: string) => parseNumber(`--${flag}`, 0);

const BOOT_STORM: Spec[] = [
  ['vms', 'VMs booting from the same base image', int('vms', 1), BOOT_STORM_DEFAULTS.vms],
  ['boot-blocks', 'base-image blocks each VM reads while booting', int('boot-blocks', 1), BOOT_STORM_DEFAULTS.bootBlocks],
  ['base-blocks', 'size of the base image in blocks', int('base-blocks', 1), BOOT_STORM_DEFAULTS.baseBlocks],
  ['stagger-us', 'microseconds between VM starts', num('stagger-us'), BOOT_STORM_DEFAULTS.staggerUs],
  ['think-us', "mean microseconds between one VM's requests", num('think-us'), BOOT_STORM_DEFAULTS.thinkUs],
  ['jitter', 'share of boot reads swapped with one up to 8 places later', ratio('jitter'), BOOT_STORM_DEFAULTS.jitter],
  ['skip', 'share of boot reads a VM leaves out', ratio('skip'), BOOT_STORM_DEFAULTS.skip],
  ['private-ratio', "share of a VM's requests to its own data", ratio('private-ratio'), BOOT_STORM_DEFAULTS.privateRatio],
  ['write-ratio', 'share of those private requests that are writes', ratio('write-ratio'), BOOT_STORM_DEFAULTS.writeRatio],
  ['private-blocks', "size of each VM's own data area in blocks", int('private-blocks', 1), BOOT_STORM_DEFAULTS.privateBlocks],
  ['max-request-blocks', 'largest request in blocks', int('max-request-blocks', 1), BOOT_STORM_DEFAULTS.maxRequestBlocks],
];

const ZIPF: Spec[] = [
  ['blocks', 'blocks in the image', int('blocks', 1), ZIPF_DEFAULTS.blocks],
  ['requests', 'requests to generate', int('requests', 1), ZIPF_DEFAULTS.requests],
  ['alpha', 'Zipf exponent (0 = uniform)', num('alpha'), ZIPF_DEFAULTS.alpha],
  ['read-ratio', 'share of requests that are reads', ratio('read-ratio'), ZIPF_DEFAULTS.readRatio],
  ['vms', 'VMs (more than one: overlays on a shared image)', int('vms', 1), ZIPF_DEFAULTS.vms],
  ['interval-us', 'mean microseconds between requests', num('interval-us'), ZIPF_DEFAULTS.intervalUs],
];

const SCAN: Spec[] = [
  ['blocks', 'blocks in the scanned region', int('blocks', 1), SCAN_DEFAULTS.blocks],
  ['passes', 'passes over the region', int('passes', 1), SCAN_DEFAULTS.passes],
  ['request-blocks', 'blocks per request', int('request-blocks', 1), SCAN_DEFAULTS.requestBlocks],
  ['interval-us', 'mean microseconds between requests', num('interval-us'), SCAN_DEFAULTS.intervalUs],
];

const MIXED: Spec[] = [
  ['vms', 'VMs on overlays of one base image', int('vms', 1), MIXED_DEFAULTS.vms],
  ['requests', 'requests to generate', int('requests', 1), MIXED_DEFAULTS.requests],
  ['zipf-blocks', 'base-image blocks with Zipf popularity', int('zipf-blocks', 1), MIXED_DEFAULTS.zipfBlocks],
  ['alpha', 'Zipf exponent', num('alpha'), MIXED_DEFAULTS.alpha],
  ['zipf-weight', 'share of popular base-image reads', ratio('zipf-weight'), MIXED_DEFAULTS.zipfWeight],
  ['scan-weight', 'share of sequential scan reads of private data', ratio('scan-weight'), MIXED_DEFAULTS.scanWeight],
  ['scan-blocks', 'blocks per scan', int('scan-blocks', 1), MIXED_DEFAULTS.scanBlocks],
  ['private-blocks', "size of each VM's own data area in blocks", int('private-blocks', 1), MIXED_DEFAULTS.privateBlocks],
  ['interval-us', 'mean microseconds between requests', num('interval-us'), MIXED_DEFAULTS.intervalUs],
];

interface Generator {
  readonly name: string;
  readonly description: string;
  readonly options: readonly Spec[];
  /** Commander hands over the options camelCased from their flags: exactly the generator's fields. */
  readonly generate: Generate<never>;
  /** Requests the run will write, roughly (decides whether a progress bar is worth it). */
  readonly estimate: (options: Raw) => number;
}

const GENERATORS: readonly Generator[] = [
  {
    name: 'boot-storm',
    description: 'N VMs booting from one base image, staggered, with jitter and private overlay I/O',
    options: BOOT_STORM,
    generate: generateBootStorm as Generate<never>,
    estimate: (o) => ((o.vms as number) * (o.bootBlocks as number)) / 2,
  },
  { name: 'zipf', description: 'reads and writes with Zipf popularity', options: ZIPF, generate: generateZipf as Generate<never>, estimate: (o) => o.requests as number },
  {
    name: 'scan',
    description: 'sequential passes over a region',
    options: SCAN,
    generate: generateScan as Generate<never>,
    estimate: (o) => ((o.blocks as number) * (o.passes as number)) / (o.requestBlocks as number),
  },
  {
    name: 'mixed',
    description: 'popular shared reads, scans of private data and overlay writes',
    options: MIXED,
    generate: generateMixed as Generate<never>,
    estimate: (o) => o.requests as number,
  },
];

export function registerTraceGenCommand(program: Command, setStatus: (status: number) => void): void {
  const parent = program.command('trace-gen').description('write a synthetic, seeded block trace in hvlab CSV');
  for (const generator of GENERATORS) {
    const command = parent.command(generator.name).description(generator.description);
    for (const [flag, help, parse, fallback] of generator.options) command.option(`--${flag} <N>`, help, parse, fallback);
    command
      .option('--seed <N>', 'PRNG seed', parseInteger('--seed', 0), COMMON_DEFAULTS.seed)
      .option('--block <BYTES>', 'block size of the requests', parseBlockSize('--block'), COMMON_DEFAULTS.blockSize)
      .option('--out <FILE>', 'write the trace to FILE (default: standard output)')
      .action((raw: Raw) => setStatus(runGenerator(generator, raw)));
  }
}

function runGenerator(generator: Generator, raw: Raw): number {
  const out = new TraceWriter(raw.out);
  const bar = progressBar(`trace-gen ${generator.name}`, generator.estimate(raw), LONG_RUN_REQUESTS, 'requests');
  try {
    out.comment(`hv trace-gen ${generator.name} ${commandLine(generator.options, raw)}`);
    const common: GeneratorCommon = { seed: raw.seed as number, blockSize: raw.block as number, progress: bar.update };
    generator.generate({ ...raw, ...common } as never, out);
  } finally {
    bar.stop();
    out.close();
  }
  return 0;
}

/** The options as a command line, so that the trace says how to make it again. */
function commandLine(specs: readonly Spec[], raw: Raw): string {
  const flags = [...specs.map(([flag]) => flag), 'seed', 'block'];
  return flags.map((flag) => `--${flag} ${raw[camel(flag)]}`).join(' ');
}

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
