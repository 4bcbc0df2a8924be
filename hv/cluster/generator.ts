/**
 * The seeded workload generator: `count` workloads of the job image (firmware/job), each drawn
 * from a kind by the mix's shares and from one of the kind's templates, arriving as a Poisson
 * process whose rate offers `load` busy cores per core of the cluster:
 *
 *   rate = load · (cores of all slaves) / (mean CPU demand of a workload)
 *
 * Kinds: `cpu` (long computations, 16 MiB asked), `io` (short bursts between long waits: a vCPU
 * placed but little load, like a guest waiting for its disk), `latency` (short jobs whose
 * completion time is mostly queueing). A template's CPU demand is estimated from the job's
 * parameters (about 6 cycles per loop iteration, 1,000 iterations per unit of work).
 */
import { Prng } from '../storage/sim/prng.ts';
import type { GenerateEntry, WorkloadEntry } from './cluster-file.ts';

export type Kind = 'cpu' | 'io' | 'latency';
export const KINDS: readonly Kind[] = ['cpu', 'io', 'latency'];

export interface JobTemplate {
  readonly work: number;
  /** Microseconds asleep after each round. */
  readonly sleep: number;
  readonly rounds: number;
}

const MiB = 1 << 20;
export const TEMPLATES: Record<Kind, { memory: number; jobs: readonly JobTemplate[] }> = {
  cpu: {
    memory: 16 * MiB,
    jobs: [
      { work: 100, sleep: 0, rounds: 4 },
      { work: 200, sleep: 0, rounds: 4 },
      { work: 400, sleep: 0, rounds: 4 },
    ],
  },
  io: {
    memory: 8 * MiB,
    jobs: [
      { work: 10, sleep: 10_000, rounds: 10 },
      { work: 20, sleep: 5_000, rounds: 12 },
    ],
  },
  latency: {
    memory: 8 * MiB,
    jobs: [
      { work: 5, sleep: 0, rounds: 2 },
      { work: 10, sleep: 0, rounds: 2 },
    ],
  },
};

/** Cycles per unit of `work` (1,000 iterations of a 6-instruction loop). */
export const CYCLES_PER_WORK = 6_000;

export function jobCmdline(t: JobTemplate): string {
  return `work=${t.work} sleep=${t.sleep} rounds=${t.rounds}`;
}

/** Estimated CPU cycles a template uses. */
export function jobDemand(t: JobTemplate): number {
  return CYCLES_PER_WORK * t.work * t.rounds;
}

export interface GeneratorInput extends Omit<GenerateEntry, 'seed'> {
  seed: number;
  /** Cores of all slaves together. */
  cores: number;
  /** CPU demand of a template (default: the estimate); the experiment passes measured profiles. */
  demand?(kind: Kind, t: JobTemplate): number;
}

export function generateWorkloads(input: GeneratorInput): WorkloadEntry[] {
  const prng = new Prng(input.seed);
  const shares = KINDS.map((k) => input.mix[k]);
  const total = shares.reduce((a, b) => a + b, 0);
  const demand = input.demand ?? ((_k: Kind, t: JobTemplate) => jobDemand(t));
  const mean = KINDS.reduce((sum, k, i) => sum + (shares[i]! / total) * meanOf(TEMPLATES[k].jobs.map((t) => demand(k, t))), 0);
  const gap = mean / (input.load * input.cores);
  const width = String(input.count).length;
  let time = 0;
  return Array.from({ length: input.count }, (_, i) => {
    const kind = pickKind(prng.next() * total, shares);
    const jobs = TEMPLATES[kind].jobs;
    const template = jobs[prng.below(jobs.length)]!;
    time += prng.exponential(gap);
    return workloadEntry(`${kind}-${String(i + 1).padStart(width, '0')}`, kind, Math.round(time), template, input);
  });
}

/** A workload of template `t` of `kind` running `image` (the generator's, and the profiler's). */
export function workloadEntry(name: string, kind: Kind, arrival: number, t: JobTemplate, input: { image: string }): WorkloadEntry {
  return {
    name,
    image: input.image,
    kind,
    arrival,
    memory: TEMPLATES[kind].memory,
    cmdline: jobCmdline(t),
    'console-limit': 16 * 1024,
    semihosting: true,
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
