/** A vCPU whose life the test controls, for driving policies without a hypervisor. */
import type { SchedSignal, SchedulableVcpu, Scheduler } from '../../hv/sched/scheduler.ts';

export class FakeVcpu implements SchedulableVcpu {
  alive = true;
  /** Not runnable before this time (waiting for an interrupt until then). */
  sleepingUntil = 0;

  constructor(readonly name: string) {}

  runnable(now: number): boolean {
    return this.alive && now >= this.sleepingUntil;
  }
}

export function fakes(...names: string[]): FakeVcpu[] {
  return names.map((n) => new FakeVcpu(n));
}

/** Tells `s` that `vcpu`'s I/O rate is `rate` at `at`. */
export function rate<V extends SchedulableVcpu>(s: Scheduler<V>, vcpu: V, rate: number, at = 0): void {
  s.observe?.({ kind: 'io-rate', vcpu, at, rate } as SchedSignal<V>);
}

/** Tells `s` that `vcpu` ran on `core` from `start` for `cycles`. */
export function ran<V extends SchedulableVcpu>(s: Scheduler<V>, vcpu: V, core: number, start: number, cycles: number): void {
  s.observe?.({ kind: 'ran', vcpu, core, start, cycles });
}

/** Carries out the migrations `s` wants before picking on `core` at `now` (as the hypervisor does). */
export function rebalance<V extends SchedulableVcpu>(s: Scheduler<V>, core: number, now: number): Array<[string, number]> {
  const moves = s.rebalance?.(core, now) ?? [];
  for (const m of moves) s.move(m.vcpu, m.to);
  return moves.map((m) => [m.vcpu.name, m.to]);
}

export function names(vcpus: readonly SchedulableVcpu[]): string[] {
  return vcpus.map((v) => v.name);
}
