/**
 * A whole simulation over a trace source: when MIN is among the policies (or the caller needs
 * the working set before choosing sizes), a first pass records every block read, and the second
 * pass replays the trace against every policy and size, MIN reading the recorded future.
 */
import type { SimPolicyName } from '../cache/policy.ts';
import { FutureReads } from './future-reads.ts';
import { Replay, type ReplayConfig, type ReplayResult } from './replay.ts';
import { TraceIds } from './trace-ids.ts';
import type { TraceConsumer } from './trace.ts';

/** Feeds a trace to a consumer; called once per pass. */
export type TraceSource = (consumer: TraceConsumer, pass: number) => void;

export type SimulationConfig = Omit<ReplayConfig, 'ids' | 'future' | 'recorder' | 'capacities'>;

/** The first pass: the recorded reads and the trace's facts (working set, requests). */
export interface FirstPass {
  readonly ids: TraceIds;
  readonly future: FutureReads;
  readonly facts: ReplayResult;
}

export function firstPass(source: TraceSource, blockSize?: number): FirstPass {
  const ids = new TraceIds();
  const future = new FutureReads();
  const replay = new Replay({ policies: [], capacities: [], blockSize, ids, recorder: future });
  source(replay, 1);
  return { ids, future, facts: replay.result() };
}

/** Replays `source` against every policy at every size; `first` is reused when given. */
export function simulate(source: TraceSource, config: SimulationConfig, capacities: readonly number[], first?: FirstPass): ReplayResult {
  const needsFuture = config.policies.includes('min' as SimPolicyName);
  const known = first ?? (needsFuture ? firstPass(source, config.blockSize) : undefined);
  const replay = new Replay({ ...config, capacities, ids: known?.ids, future: known?.future });
  source(replay, known ? 2 : 1);
  return replay.result();
}
