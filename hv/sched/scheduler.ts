/**
 * How cores choose which vCPU runs next. The run loop asks pick() whenever a core needs work and
 * runs the chosen vCPU until sliceEnd() at the latest; the policy is replaceable (round-robin
 * now; credit and I/O-aware policies build on the same interface).
 */

/** What a scheduler sees of a vCPU. */
export interface SchedulableVcpu {
  readonly name: string;
  /** Still alive (not halted or faulted). */
  readonly alive: boolean;
  /** Can run at `now` (alive and not waiting for an interrupt, after due events fired). */
  runnable(now: number): boolean;
}

export interface Scheduler<V extends SchedulableVcpu = SchedulableVcpu> {
  readonly name: string;
  /** Puts `vcpu` in `core`'s run queue. */
  assign(vcpu: V, core: number): void;
  /** The vCPU to run on `core` at `now`, or undefined when none can run. */
  pick(core: number, now: number): V | undefined;
  /** The cycle at which the scheduler wants to decide again for the vCPU it picked. */
  sliceEnd(core: number): number;
  /** All vCPUs queued on `core`. */
  queue(core: number): readonly V[];
}
