/**
 * Round-robin time slicing per core: the current vCPU keeps the core until its slice ends or it
 * stops being runnable; then the next runnable vCPU in queue order gets a fresh slice.
 */
import type { SchedulableVcpu, Scheduler } from './scheduler.ts';

interface CoreQueue<V> {
  vcpus: V[];
  current: number;
  sliceStart: number;
}

export class RoundRobinScheduler<V extends SchedulableVcpu> implements Scheduler<V> {
  readonly name = 'round-robin';
  private readonly cores = new Map<number, CoreQueue<V>>();

  constructor(readonly sliceCycles: number) {}

  assign(vcpu: V, core: number): void {
    let q = this.cores.get(core);
    if (!q) {
      q = { vcpus: [], current: -1, sliceStart: 0 };
      this.cores.set(core, q);
    }
    q.vcpus.push(vcpu);
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
}
