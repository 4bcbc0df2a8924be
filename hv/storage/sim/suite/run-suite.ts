/**
 * Runs one workload of the suite (or a trace a user brings): generates it into memory, learns its
 * working set and future reads in a first pass, and replays it against every policy at sizes that
 * are percentages of that working set.
 */
import { MIN_CAPACITY, MAX_CAPACITY } from '../../cache/policy.ts';
import { GENERATORS } from '../generators/registry.ts';
import { MemoryTrace } from '../memory-trace.ts';
import type { ReplayResult } from '../replay.ts';
import { firstPass, simulate, type SimulationConfig, type TraceSource } from '../simulate.ts';
import type { SuiteWorkload } from './suite.ts';

export interface WorkloadResult {
  readonly name: string;
  readonly about: string;
  /** How to make the trace again (`hv trace-gen ...`), or the file it came from. */
  readonly origin: string;
  /** Whether two or more VMs share an image: the workloads the layered policy is for. */
  readonly shared: boolean;
  readonly sizePercents: readonly number[];
  readonly result: ReplayResult;
}

/** The workload's trace in memory, with the command line that writes the same trace. */
export function generateWorkload(workload: SuiteWorkload, seed: number, blockSize: number): { trace: MemoryTrace; command: string } {
  const generator = GENERATORS[workload.generator];
  const options: Record<string, number> = { ...generator.defaults, ...workload.options };
  const trace = new MemoryTrace();
  generator.generate({ ...options, seed, blockSize }, trace);
  const flags = Object.entries(options).map(([name, value]) => `--${kebab(name)} ${value}`);
  return { trace, command: `hv trace-gen ${workload.generator} ${flags.join(' ')} --seed ${seed} --block ${blockSize}` };
}

/** Replays a workload at `percents` of its working set (at least MIN_CAPACITY, at most MAX_CAPACITY blocks). */
export function runWorkload(name: string, about: string, origin: string, source: TraceSource, config: SimulationConfig, percents: readonly number[]): WorkloadResult {
  const first = firstPass(source, config.blockSize);
  const workingSet = first.facts.workingSet;
  const capacities = percents.map((p) => Math.min(MAX_CAPACITY, Math.max(MIN_CAPACITY, Math.round((p / 100) * workingSet))));
  const result = simulate(source, config, capacities, first);
  return { name, about, origin, shared: result.sharedImages > 0, sizePercents: percents, result };
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
