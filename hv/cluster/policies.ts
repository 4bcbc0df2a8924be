/**
 * Dispatch policies: filter, then score, as Nova's filter scheduler and Kubernetes' scheduler do.
 * The master filters (the slaves that are up and have a free vCPU and the memory); a policy picks
 * one of those candidates (never empty, in slave order). Policies are plain objects over
 * {@link ResourceRecord}s, deterministic given their seed, testable with fake records.
 *
 * resource-use (the mechanism) scores each candidate by the use state of its virtual resources
 * after placing the workload, lower is better, ties to the lowest slave index:
 *
 *   score = w_cpu · (load + starting + 1) / cores
 *         + w_vcpus · (vcpus + 1) / vcpuLimit
 *         + w_memory · (memory + asked) / memoryCapacity
 *         + w_io · (ioLoad + (ioGuests + 1) / ioLanes)        (only for a workload with I/O)
 *
 * load is the measured CPU use of the last quantum in busy cores, starting the vCPUs dispatched
 * since (counted as one busy core each until measured); ioLoad the measured I/O pressure (time the
 * slave's disk requests spent in the device over the quantum's length). Defaults w_cpu 0.5,
 * w_vcpus 0.3, w_memory 0.2, w_io 0.3.
 */
import { Prng } from '../storage/sim/prng.ts';
import type { Demand, ResourceRecord } from './resources.ts';

export const POLICY_NAMES = ['resource-use', 'round-robin', 'random', 'least-loaded', 'power-of-two', 'most-allocated'] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

export interface Weights {
  readonly cpu: number;
  readonly vcpus: number;
  readonly memory: number;
  readonly io: number;
}

export interface Choice {
  readonly slave: ResourceRecord;
  /** The policy's score of the chosen slave, where it has one (for the dispatch log). */
  readonly score?: number;
}

export interface DispatchPolicy {
  readonly name: PolicyName;
  /** Picks one of `candidates` (non-empty; each fits `demand`; in slave order). */
  choose(demand: Demand, candidates: readonly ResourceRecord[]): Choice;
}

export interface PolicyOptions {
  /** Seeds `random` and `power-of-two`. */
  seed: number;
  weights: Weights;
}

export function createPolicy(name: PolicyName, options: PolicyOptions): DispatchPolicy {
  switch (name) {
    case 'resource-use': return resourceUse(options.weights);
    case 'round-robin': return roundRobin();
    case 'random': return random(new Prng(options.seed));
    case 'least-loaded': return leastLoaded();
    case 'power-of-two': return powerOfTwo(new Prng(options.seed));
    case 'most-allocated': return mostAllocated();
  }
}

/** The resource-use score of placing `demand` on `r` (lower is better). */
export function resourceUseScore(r: ResourceRecord, demand: Demand, w: Weights): number {
  const cpu = (r.load + r.starting + 1) / r.capacity.cores;
  const vcpus = (r.vcpus + 1) / r.capacity.vcpus;
  const memory = (r.memory + demand.memory) / r.capacity.memory;
  const io = demand.io ? r.ioLoad + (r.ioGuests + 1) / r.capacity.io : 0;
  return w.cpu * cpu + w.vcpus * vcpus + w.memory * memory + w.io * io;
}

function resourceUse(weights: Weights): DispatchPolicy {
  return { name: 'resource-use', choose: (demand, candidates) => lowest(candidates, (r) => resourceUseScore(r, demand, weights)) };
}

/** The next slave in cluster-file order after the last one chosen that can take the workload. */
function roundRobin(): DispatchPolicy {
  let next = 0;
  return {
    name: 'round-robin',
    choose: (_demand, candidates) => {
      const slave = candidates.find((c) => c.index >= next) ?? candidates[0]!;
      next = slave.index + 1;
      return { slave };
    },
  };
}

function random(prng: Prng): DispatchPolicy {
  return { name: 'random', choose: (_demand, candidates) => ({ slave: candidates[prng.below(candidates.length)]! }) };
}

/** The fewest vCPUs placed (what a vCPU-count balancer sees; blind to their load and memory). */
function leastLoaded(): DispatchPolicy {
  return { name: 'least-loaded', choose: (_demand, candidates) => lowest(candidates, (r) => r.vcpus) };
}

/** Two distinct random candidates, the one with fewer vCPUs placed (Mitzenmacher's two choices). */
function powerOfTwo(prng: Prng): DispatchPolicy {
  return {
    name: 'power-of-two',
    choose: (_demand, candidates) => {
      if (candidates.length === 1) return { slave: candidates[0]!, score: candidates[0]!.vcpus };
      const i = prng.below(candidates.length);
      const j = (i + 1 + prng.below(candidates.length - 1)) % candidates.length;
      const [a, b] = [candidates[Math.min(i, j)]!, candidates[Math.max(i, j)]!];
      const slave = b.vcpus < a.vcpus ? b : a;
      return { slave, score: slave.vcpus };
    },
  };
}

/** Bin packing: the highest mean of vCPU and memory allocation after placing (Kubernetes' MostAllocated). */
function mostAllocated(): DispatchPolicy {
  const allocation = (r: ResourceRecord, demand: Demand) =>
    ((r.vcpus + 1) / r.capacity.vcpus + (r.memory + demand.memory) / r.capacity.memory) / 2;
  return { name: 'most-allocated', choose: (demand, candidates) => lowest(candidates, (r) => -allocation(r, demand), -1) };
}

/**
 * The candidate with the lowest score, the first one on a tie (so ties go to the lowest slave
 * index); `sign` -1 reports the negated score (for policies that maximise). No allocation per
 * candidate: this loop runs once per slave per dispatch.
 */
function lowest(candidates: readonly ResourceRecord[], score: (r: ResourceRecord) => number, sign = 1): Choice {
  let slave = candidates[0]!;
  let min = score(slave);
  for (let i = 1; i < candidates.length; i++) {
    const s = score(candidates[i]!);
    if (s < min) {
      min = s;
      slave = candidates[i]!;
    }
  }
  return { slave, score: sign * min };
}
