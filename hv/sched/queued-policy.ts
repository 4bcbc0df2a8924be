/**
 * What every policy here shares: per-core run queues and the placement of each vCPU
 * (run-queues.ts). A policy adds its decisions (pick, sliceEnd, and what it observes), and may
 * keep its own state in step with placements through `afterAssign` and `afterMove`.
 */
import { RunQueues } from './run-queues.ts';
import type { SchedulableVcpu, Scheduler } from './scheduler.ts';

export abstract class QueuedPolicy<V extends SchedulableVcpu> implements Scheduler<V> {
  abstract readonly name: string;
  protected readonly queues = new RunQueues<V>();

  assign(vcpu: V, core: number): void {
    this.queues.assign(vcpu, core);
    this.afterAssign(vcpu);
  }

  move(vcpu: V, core: number): void {
    const from = this.queues.coreOf(vcpu);
    this.queues.move(vcpu, core);
    this.afterMove(vcpu, from, core);
  }

  coreOf(vcpu: V): number {
    return this.queues.coreOf(vcpu);
  }

  queue(core: number): readonly V[] {
    return this.queues.queue(core);
  }

  abstract pick(core: number, now: number): V | undefined;

  abstract sliceEnd(core: number): number;

  /** `vcpu` joined a queue (at boot). */
  protected afterAssign(_vcpu: V): void {}

  /** `vcpu` moved from core `from` to core `to`. */
  protected afterMove(_vcpu: V, _from: number, _to: number): void {}
}
