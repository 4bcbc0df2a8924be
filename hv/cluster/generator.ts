/**
 * The seeded workload generator: `count` workloads, each drawn from a kind by the mix's shares and
 * from one of the kind's templates, arriving as a Poisson process whose rate offers `load` busy
 * cores per core of the cluster:
 *
 *   rate = load · (cores of all slaves) / (mean CPU demand of a workload)
 *
 * Kinds: `cpu` (firmware/job computing for a long time, 16 MiB asked), `io` (firmware/ioload:
 * writes and reads back its own blank 1 MiB disk through virtio-blk on the emulated path, mostly
 * waiting for the device; needs slaves with I/O lanes), `latency` (short jobs whose completion time
 * is mostly queueing). A template's CPU demand is what a run alone measured (the `demand` figures
 * below, or the experiment's fresh profiles).
 */
import { join } from 'node:path';
import { Prng } from '../storage/sim/prng.ts';
import type { WorkloadEntry } from './cluster-file.ts';

export type Kind = 'cpu' | 'io' | 'latency';
export const KINDS: readonly Kind[] = ['cpu', 'io', 'latency'];

export interface Template {
  readonly kind: Kind;
  /** The image in the firmware directory. */
  readonly image: 'job.elf' | 'ioload.elf';
  readonly cmdline: string;
  readonly memory: number;
  /** Blank disk for an I/O template. */
  readonly disk?: number;
  /** CPU cycles a run alone used (measured with timing: instruction). */
  readonly demand: number;
}

const MiB = 1 << 20;
const job = (work: number, rounds: number, demand: number, kind: Kind, memory: number): Template => ({ kind, image: 'job.elf', cmdline: `work=${work} sleep=0 rounds=${rounds}`, memory, demand });
const ioload = (requests: number, demand: number): Template => ({ kind: 'io', image: 'ioload.elf', cmdline: `requests=${requests}`, memory: 8 * MiB, disk: MiB, demand });

export const TEMPLATES: Record<Kind, readonly Template[]> = {
  cpu: [job(100, 4, 2_409_105, 'cpu', 16 * MiB), job(200, 4, 4_809_105, 'cpu', 16 * MiB), job(400, 4, 9_609_105, 'cpu', 16 * MiB)],
  io: [ioload(4, 682_448), ioload(8, 1_303_696)],
  latency: [job(5, 2, 68_784, 'latency', 8 * MiB), job(10, 2, 128_933, 'latency', 8 * MiB)],
};

export interface GeneratorInput {
  count: number;
  load: number;
  seed: number;
  /** The directory with job.elf and ioload.elf. */
  firmware: string;
  mix: Readonly<Record<Kind, number>>;
  /** Cores of all slaves together. */
  cores: number;
  /** CPU demand of a template (default: its `demand`); the experiment passes fresh profiles. */
  demand?(t: Template): number;
}

export function generateWorkloads(input: GeneratorInput): WorkloadEntry[] {
  const prng = new Prng(input.seed);
  const shares = KINDS.map((k) => input.mix[k]);
  const total = shares.reduce((a, b) => a + b, 0);
  const demand = input.demand ?? ((t: Template) => t.demand);
  const mean = KINDS.reduce((sum, k, i) => sum + (shares[i]! / total) * meanOf(TEMPLATES[k].map(demand)), 0);
  const gap = mean / (input.load * input.cores);
  const width = String(input.count).length;
  let time = 0;
  return Array.from({ length: input.count }, (_, i) => {
    const kind = pickKind(prng.next() * total, shares);
    const template = TEMPLATES[kind][prng.below(TEMPLATES[kind].length)]!;
    time += prng.exponential(gap);
    return templateEntry(`${kind}-${String(i + 1).padStart(width, '0')}`, Math.round(time), template, input.firmware);
  });
}

/** A workload of template `t` (the generator's, and the profiler's). */
export function templateEntry(name: string, arrival: number, t: Template, firmware: string): WorkloadEntry {
  return {
    name,
    image: join(firmware, t.image),
    kind: t.kind,
    arrival,
    memory: t.memory,
    cmdline: t.cmdline,
    'console-limit': 16 * 1024,
    semihosting: true,
    ...(t.disk ? { 'io-path': 'emulated' as const, 'disk-size': t.disk } : {}),
  };
}

function pickKind(x: number, shares: readonly number[]): Kind {
  let acc = 0;
  for (let i = 0; i < KINDS.length; i++) {
    acc += shares[i]!;
    if (x < acc) return KINDS[i]!;
  }
  // Rounding can leave x at the very top: the last kind with a share.
  let last = 0;
  shares.forEach((s, i) => s > 0 && (last = i));
  return KINDS[last]!;
}

function meanOf(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}
