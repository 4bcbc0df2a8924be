/**
 * The master's queue and its decisions at a quantum boundary: workloads in arrival order; each is
 * dispatched to the slave its policy picks among those it fits on now, waits when it fits nowhere
 * now (later workloads may still go: no head-of-line blocking), and is refused when no slave that
 * is up could ever take it.
 */
import type { DispatchPolicy } from '../policies.ts';
import { type ResourceRecord, couldEverFit, fits, reserve } from '../resources.ts';
import { type Workload, byArrival } from '../workload.ts';

export interface Decision {
  readonly workload: Workload;
  readonly slave: ResourceRecord;
  readonly score: number | undefined;
}

export interface Refusal {
  readonly workload: Workload;
  readonly reason: string;
}

export class Dispatcher {
  private queue: Workload[] = [];
  private readonly scratch: ResourceRecord[] = [];

  constructor(
    private readonly policy: DispatchPolicy,
    private readonly records: readonly ResourceRecord[],
  ) {}

  get waiting(): number {
    return this.queue.length;
  }

  /** Adds arrivals (or workloads back from a failed node), keeping arrival order. */
  enqueue(workloads: readonly Workload[]): void {
    if (workloads.length === 0) return;
    this.queue.push(...workloads);
    this.queue.sort(byArrival); // nearly sorted already: linear for TimSort
  }

  /** Decides for the whole queue: what goes where (resources reserved), what is refused. */
  decide(): { decisions: Decision[]; refusals: Refusal[] } {
    const decisions: Decision[] = [];
    const refusals: Refusal[] = [];
    const up = this.records.filter((r) => r.up);
    const waiting: Workload[] = [];
    for (const workload of this.queue) {
      const refusal = this.refusal(workload, up);
      if (refusal) {
        refusals.push(refusal);
        continue;
      }
      const candidates = this.candidates(up, workload);
      if (candidates.length === 0) {
        waiting.push(workload);
        continue;
      }
      const choice = this.policy.choose(workload.demand, candidates);
      reserve(choice.slave, workload.demand);
      decisions.push({ workload, slave: choice.slave, score: choice.score });
    }
    this.queue = waiting;
    return { decisions, refusals };
  }

  /** The slaves `workload` fits on now (in a reused array: this runs once per queued workload). */
  private candidates(up: readonly ResourceRecord[], workload: Workload): readonly ResourceRecord[] {
    const fitting = this.scratch;
    fitting.length = 0;
    for (const r of up) if (fits(r, workload.demand)) fitting.push(r);
    return fitting;
  }

  private refusal(workload: Workload, up: readonly ResourceRecord[]): Refusal | undefined {
    if (up.length === 0) return { workload, reason: 'every slave is down' };
    if (up.some((r) => couldEverFit(r, workload.demand))) return undefined;
    if (workload.demand.io && !up.some((r) => r.capacity.io > 0)) return { workload, reason: 'needs an I/O lane, and no slave that is up has one' };
    const largest = Math.max(...up.map((r) => r.capacity.memory));
    return { workload, reason: `asks for ${workload.demand.memory} bytes of memory, the largest slave that is up offers ${largest}` };
  }
}
