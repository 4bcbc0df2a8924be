/**
 * Round-robin time slicing per core, with static placement: the current vCPU keeps the core until
 * its slice ends or it stops being runnable; then the next runnable vCPU in queue order gets a
 * fresh slice. It never moves a vCPU itself (the hypervisor may, e.g. on request of a session).
 */
import { InternalError } from '../errors.ts';
import type { SchedulableVcpu, Scheduler } from './scheduler.ts';

interface CoreQueue<V> {
  vcpus: V[];
  current: number;
  sliceStart: number;
}

export class RoundRobinScheduler<V extends SchedulableVcpu> implements Scheduler<V> {
  readonly name = 'round-robin';
  private readonly cores = new Map<number, CoreQueue<V>>();
  private readonly placement = new Map<V, number>();

  constructor(readonly sliceCycles: number) {}

  assign(vcpu: V, core: number): void {
    this.queueOf(core).vcpus.push(vcpu);
    this.placement.set(vcpu, core);
  }

  move(vcpu: V, core: number): void {
    const from = this.coreOf(vcpu);
    const q = this.queueOf(from);
    const index = q.vcpus.indexOf(vcpu);
    q.vcpus.splice(index, 1);
    // Keep pointing at the vCPU that runs now, so that the rotation order stays as it was.
    if (q.current > index) q.current--;
    else if (q.current === index) q.current = index - 1;
    this.assign(vcpu, core);
  }

  coreOf(vcpu: V): number {
    const core = this.placement.get(vcpu);
    if (core === undefined) throw new InternalError(`vCPU ${vcpu.name} is in no run queue`);
    return core;
  }

  pick(core: number, now: number): V | undefined {
    const q = this.cores.get(core);
    if (!q || q.vcpus.length === 0) return undefined;
    const current = q.vcpus[q.current];
    if (current && now < q.sliceStart + this.sliceCycles && current.runnable(now)) return current;
    for (let i = 1; i <= q.vcpus.length; i++) {
      const index = (q.current + i) % q.vcpus.length;
      const candidate = q.vcpus[index]!;
      if (candidate.runnable(now)) {
        q.current = index;
        q.sliceStart = now;
        return candidate;
      }
    }
    return undefined;
  }

  sliceEnd(core: number): number {
    const q = this.cores.get(core);
    return q ? q.sliceStart + this.sliceCycles : 0;
  }

  queue(core: number): readonly V[] {
    return this.cores.get(core)?.vcpus ?? [];
  }

  private queueOf(core: number): CoreQueue<V> {
    let q = this.cores.get(core);
    if (!q) {
      q = { vcpus: [], current: -1, sliceStart: 0 };
      this.cores.set(core, q);
    }
    return q;
  }
}
