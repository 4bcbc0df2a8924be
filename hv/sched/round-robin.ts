/**
 * Round-robin time slicing per core, with static placement: the current vCPU keeps the core until
 * its slice ends or it stops being runnable; then the next runnable vCPU in queue order gets a
 * fresh slice. It never moves a vCPU itself (the hypervisor may, e.g. on request of a session).
 */
import { QueuedPolicy } from './queued-policy.ts';
import type { SchedulableVcpu } from './scheduler.ts';

export class RoundRobinScheduler<V extends SchedulableVcpu> extends QueuedPolicy<V> {
  readonly name = 'round-robin';
  /** A slice end only rotates the queue: a lone vCPU is picked again. */
  readonly runsLonePastSlice = true;

  constructor(readonly sliceCycles: number) {
    super();
  }

  pick(core: number, now: number): V | undefined {
    return this.queues.rotate(core, now, this.sliceCycles);
  }

  sliceEnd(core: number): number {
    return this.queues.sliceEnd(core);
  }
}
