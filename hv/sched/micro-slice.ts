/**
 * `micro-slice`, after vSlicer (Xu et al., HPDC 2012): latency-sensitive VMs keep their core but
 * run more often, in shorter slices, at the same CPU share. A VM is latency-sensitive while its
 * I/O rate is high (from `threshold` up, until it falls below `thresholdLow`); the driver VM
 * always is (it serves the split path's I/O). On each core, turns alternate between the
 * latency-sensitive VMs (a micro-slice of `slice / microSlices` each) and the others (a full
 * `slice`), each class in queue order. In a round every VM has one slice of CPU time: one turn
 * for the others, `microSlices` micro-slice turns for a latency-sensitive VM (a turn counts
 * when it is given, used up or not); the round ends when no runnable VM of the core has a turn
 * left. So a latency-sensitive VM waits at most one full slice for its next turn instead of one
 * per VM on the core, and gets no more CPU than the others. It never moves a VM.
 */
import { freeRoles, type VcpuRoles } from './roles.ts';
import { QueuedPolicy } from './queued-policy.ts';
import type { SchedSignal, SchedulableVcpu } from './scheduler.ts';

export interface MicroSliceOptions<V> {
  slice: number;
  /** Micro-slices per slice for latency-sensitive VMs. */
  microSlices: number;
  threshold: number;
  thresholdLow: number;
  roles?: VcpuRoles<V>;
}

interface Turn<V> {
  readonly vcpu: V;
  readonly end: number;
}

export class MicroSliceScheduler<V extends SchedulableVcpu> extends QueuedPolicy<V> {
  readonly name = 'micro-slice';
  private readonly sensitive = new Set<V>();
  /** Turns each VM had in its core's round. */
  private readonly used = new Map<V, number>();
  private readonly turns = new Map<number, Turn<V>>();
  /** Per core: whether the last turn went to a latency-sensitive VM, and the last VM of each class. */
  private readonly lastWasSensitive = new Map<number, boolean>();
  private readonly lastOfClass = new Map<string, V>();
  private readonly roles: VcpuRoles<V>;

  constructor(readonly o: MicroSliceOptions<V>) {
    super();
    this.roles = o.roles ?? freeRoles<V>();
  }

  get microSlice(): number {
    return Math.max(1, Math.floor(this.o.slice / this.o.microSlices));
  }

  protected override afterAssign(vcpu: V): void {
    this.used.set(vcpu, 0);
  }

  protected override afterMove(vcpu: V, from: number): void {
    if (this.turns.get(from)?.vcpu === vcpu) this.turns.delete(from);
  }

  isSensitive(vcpu: V): boolean {
    return this.sensitive.has(vcpu) || this.roles.isDriver(vcpu);
  }

  pick(core: number, now: number): V | undefined {
    const turn = this.turns.get(core);
    if (turn && now < turn.end && turn.vcpu.runnable(now) && this.queues.coreOf(turn.vcpu) === core) return turn.vcpu;
    const next = this.choose(core, now);
    if (!next) {
      this.turns.delete(core);
      return undefined;
    }
    const sensitive = this.isSensitive(next);
    this.used.set(next, this.used.get(next)! + 1);
    this.turns.set(core, { vcpu: next, end: now + (sensitive ? this.microSlice : this.o.slice) });
    this.lastWasSensitive.set(core, sensitive);
    this.lastOfClass.set(classKey(core, sensitive), next);
    return next;
  }

  sliceEnd(core: number): number {
    return this.turns.get(core)?.end ?? 0;
  }

  observe(signal: SchedSignal<V>): void {
    if (signal.kind === 'io-rate') this.classify(signal.vcpu, signal.rate);
  }

  private classify(vcpu: V, rate: number): void {
    if (rate >= this.o.threshold) this.sensitive.add(vcpu);
    else if (rate < this.o.thresholdLow) this.sensitive.delete(vcpu);
  }

  /** The other class than the last turn's first; a new round when nobody runnable has a turn left. */
  private choose(core: number, now: number): V | undefined {
    const preferSensitive = !(this.lastWasSensitive.get(core) ?? false);
    for (let attempt = 0; attempt < 2; attempt++) {
      const next = this.nextOfClass(core, now, preferSensitive) ?? this.nextOfClass(core, now, !preferSensitive);
      if (next || attempt === 1) return next;
      if (!this.queues.queue(core).some((v) => v.runnable(now))) return undefined;
      for (const v of this.queues.queue(core)) this.used.set(v, 0);
    }
    return undefined;
  }

  /** The next runnable VM of the class with a turn left, after the class's last one in queue order. */
  private nextOfClass(core: number, now: number, sensitive: boolean): V | undefined {
    const vcpus = this.queues.queue(core);
    const last = this.lastOfClass.get(classKey(core, sensitive));
    const start = last === undefined ? -1 : vcpus.indexOf(last);
    for (let i = 1; i <= vcpus.length; i++) {
      const v = vcpus[(start + i + vcpus.length) % vcpus.length]!;
      const sensitiveNow = this.isSensitive(v);
      if (sensitiveNow === sensitive && this.used.get(v)! < (sensitiveNow ? this.o.microSlices : 1) && v.runnable(now)) return v;
    }
    return undefined;
  }
}

function classKey(core: number, sensitive: boolean): string {
  return `${core}:${sensitive ? 'ls' : 'cpu'}`;
}
