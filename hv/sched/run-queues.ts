/**
 * Per-core run queues and the placement of every vCPU, shared by the policies, with the
 * round-robin turn they build on: the current vCPU keeps its core until its slice ends or it
 * cannot run; then the next runnable vCPU in queue order gets a fresh slice. Moving a vCPU
 * keeps the rotation of the queue it leaves where it was.
 */
import { InternalError } from '../errors.ts';
import type { SchedulableVcpu } from './scheduler.ts';

interface CoreQueue<V> {
  readonly vcpus: V[];
  /** Index of the vCPU that got the last turn (-1: none yet). */
  current: number;
  sliceEnd: number;
}

export class RunQueues<V extends SchedulableVcpu> {
  private readonly cores = new Map<number, CoreQueue<V>>();
  private readonly placement = new Map<V, number>();

  assign(vcpu: V, core: number): void {
    this.queueOf(core).vcpus.push(vcpu);
    this.placement.set(vcpu, core);
  }

  move(vcpu: V, core: number): void {
    const q = this.queueOf(this.coreOf(vcpu));
    const index = q.vcpus.indexOf(vcpu);
    q.vcpus.splice(index, 1);
    // Keep pointing at the vCPU that runs now, so that the rotation order stays as it was; when
    // the one that runs now leaves, its turn ends with it: the vCPU after it starts a fresh one.
    if (q.current > index) q.current--;
    else if (q.current === index) {
      q.current = index - 1;
      q.sliceEnd = -Infinity;
    }
    this.assign(vcpu, core);
  }

  coreOf(vcpu: V): number {
    const core = this.placement.get(vcpu);
    if (core === undefined) throw new InternalError(`vCPU ${vcpu.name} is in no run queue`);
    return core;
  }

  queue(core: number): readonly V[] {
    return this.cores.get(core)?.vcpus ?? [];
  }

  /** Cores that have (or had) a queue, in ascending order. */
  coreIndices(): number[] {
    return [...this.cores.keys()].sort((a, b) => a - b);
  }

  /** The vCPU that got the last turn on `core` (undefined if it left or none did). */
  current(core: number): V | undefined {
    const q = this.cores.get(core);
    return q && q.current >= 0 ? q.vcpus[q.current] : undefined;
  }

  /** A round-robin turn on `core` at `now`; a new turn lasts `slice` cycles. */
  rotate(core: number, now: number, slice: number): V | undefined {
    const q = this.cores.get(core);
    if (!q || q.vcpus.length === 0) return undefined;
    const current = q.vcpus[q.current];
    if (current && now < q.sliceEnd && current.runnable(now)) return current;
    const next = this.nextRunnable(core, now, () => true);
    if (next) this.startTurn(core, next, now + slice);
    return next;
  }

  /** The first vCPU after the current one in queue order that can run at `now` and passes `accept`. */
  nextRunnable(core: number, now: number, accept: (vcpu: V) => boolean): V | undefined {
    const q = this.cores.get(core);
    if (!q) return undefined;
    for (let i = 1; i <= q.vcpus.length; i++) {
      const candidate = q.vcpus[(q.current + i) % q.vcpus.length]!;
      if (accept(candidate) && candidate.runnable(now)) return candidate;
    }
    return undefined;
  }

  /** `vcpu` (queued on `core`) gets a turn until `sliceEnd`. */
  startTurn(core: number, vcpu: V, sliceEnd: number): void {
    const q = this.queueOf(core);
    q.current = q.vcpus.indexOf(vcpu);
    q.sliceEnd = sliceEnd;
  }

  sliceEnd(core: number): number {
    return this.cores.get(core)?.sliceEnd ?? 0;
  }

  private queueOf(core: number): CoreQueue<V> {
    let q = this.cores.get(core);
    if (!q) {
      q = { vcpus: [], current: -1, sliceEnd: 0 };
      this.cores.set(core, q);
    }
    return q;
  }
}
