/**
 * Round-robin time slicing per core, with static placement: the current vCPU keeps the core until
 * its slice ends or it stops being runnable; then the next runnable vCPU in queue order gets a
 * fresh slice. It never moves a vCPU itself (the hypervisor may, e.g. on request of a session).
 */
import { RunQueues } from './run-queues.ts';
import type { SchedulableVcpu, Scheduler } from './scheduler.ts';

export class RoundRobinScheduler<V extends SchedulableVcpu> implements Scheduler<V> {
  readonly name = 'round-robin';
  private readonly queues = new RunQueues<V>();

  constructor(readonly sliceCycles: number) {}

  assign(vcpu: V, core: number): void {
    this.queues.assign(vcpu, core);
  }

  move(vcpu: V, core: number): void {
    this.queues.move(vcpu, core);
  }

  coreOf(vcpu: V): number {
    return this.queues.coreOf(vcpu);
  }

  pick(core: number, now: number): V | undefined {
    return this.queues.rotate(core, now, this.sliceCycles);
  }

  sliceEnd(core: number): number {
    return this.queues.sliceEnd(core);
  }

  queue(core: number): readonly V[] {
    return this.queues.queue(core);
  }
}
