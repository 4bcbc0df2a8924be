/**
 * The figures of one cluster run, as `results.json` holds them per policy (times in cycles):
 * makespan (first arrival to last completion), completion and queueing time (mean, p99 by nearest
 * rank), utilisation per slave (its workloads' CPU cycles over its cores × makespan), imbalance
 * (the coefficient of variation of the utilisations), refused and unfinished workloads, protocol
 * messages per workload and the CPU cycles lost to node failures.
 */
import { maxOf, mean, minOf, percentile } from '../statistics.ts';
import type { ClusterRun } from './master/master.ts';
import type { WorkloadOutcome } from './master/outcomes.ts';

export interface Spread {
  readonly mean: number;
  readonly p99: number;
}

export interface PolicyResult {
  readonly name: string;
  readonly makespan: number;
  readonly completion: Spread;
  readonly queueing: Spread;
  readonly utilisation: number[];
  readonly imbalance: number;
  readonly refused: number;
  readonly unfinished: number;
  readonly messagesPerWorkload: number;
  readonly lostCycles: number;
}

export function policyResult(run: ClusterRun): PolicyResult {
  const done = run.outcomes.filter(completed);
  const firstArrival = minOf(run.outcomes.map((o) => o.arrival));
  const makespan = done.length === 0 ? 0 : maxOf(done.map((o) => o.end!)) - firstArrival;
  const utilisation = run.slaves.map((s) => round4(makespan > 0 ? s.busy / (s.cores * makespan) : 0));
  return {
    name: run.policy,
    makespan,
    completion: spread(done.map((o) => o.completion!)),
    queueing: spread(done.map((o) => o.queueing!)),
    utilisation,
    imbalance: round4(variation(utilisation)),
    refused: run.outcomes.filter((o) => o.status === 'refused').length,
    unfinished: run.outcomes.filter((o) => o.status === 'unfinished').length,
    messagesPerWorkload: round4(run.messages / Math.max(1, run.outcomes.length)),
    lostCycles: run.lostCycles,
  };
}

/** A workload that ran to its end (halted, budget used or faulted). */
export function completed(o: WorkloadOutcome): boolean {
  return o.status === 'halted' || o.status === 'ended' || o.status === 'faulted';
}

export function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { mean: 0, p99: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  return { mean: Math.round(mean(sorted)), p99: percentile(sorted, 99) };
}

/** Population standard deviation over the mean (0 when the mean is 0). */
export function variation(values: readonly number[]): number {
  const m = mean(values);
  if (m === 0) return 0;
  const variance = values.reduce((a, v) => a + (v - m) ** 2, 0) / values.length;
  return Math.sqrt(variance) / m;
}

function round4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
