/**
 * `io-aware`, hvlab's scheduling mechanism: each core runs its queue round-robin; a VM whose I/O
 * rate reaches `threshold` is moved to the driver VM's core, and while that core hosts moved VMs
 * its slice is shortened (`driverSlice`), so the driver VM and the I/O-heavy VMs take turns
 * quickly. When a moved VM's rate falls below `thresholdLow` it goes back to the core it came
 * from (its home). Two things keep VMs from bouncing: the gap between the two thresholds, and
 * `hold`, the time a VM stays where it was put before it may move again. The driver's core keeps
 * room for I/O: at most `maxVms` VMs are moved there at once (a crowded core would give every VM
 * there a long wait again; others above the threshold stay home until a place frees up), and
 * with `swap` a VM moving there trades places with a VM on the driver's core that does no I/O,
 * which goes to the mover's home core (so CPU-bound VMs do not pay the short slice). Pinned VMs
 * and the driver VM never move; a VM that may not run on a core (an in-context guest beyond the
 * driver's call records) is not moved there. The hypervisor charges each move (`vcpuMigrate`).
 */
import { freeRoles, type VcpuRoles } from './roles.ts';
import { QueuedPolicy } from './queued-policy.ts';
import type { Migration, SchedSignal, SchedulableVcpu } from './scheduler.ts';

export interface IoAwareOptions<V> {
  /** Slice of every core, and of the driver's core while it hosts no moved VM. */
  slice: number;
  /** Slice of the driver's core while it hosts moved VMs. */
  driverSlice: number;
  driverCore: number;
  /** Requests per virtual second at which a VM moves to the driver's core. */
  threshold: number;
  /** Requests per virtual second below which a moved VM goes home. */
  thresholdLow: number;
  /** Cycles a VM stays after a move before it may move again. */
  hold: number;
  /** Most VMs moved to the driver's core at once. */
  maxVms: number;
  /** A VM moving to the driver's core sends one without I/O from there to its home core. */
  swap: boolean;
  roles?: VcpuRoles<V>;
}

export class IoAwareScheduler<V extends SchedulableVcpu> extends QueuedPolicy<V> {
  readonly name = 'io-aware';
  private readonly rates = new Map<V, number>();
  /** VMs whose rate reached the threshold and has not fallen below the lower one since. */
  private readonly heavy = new Set<V>();
  /** Moved VMs and the core each came from. */
  private readonly home = new Map<V, number>();
  private readonly lastMove = new Map<V, number>();
  private readonly roles: VcpuRoles<V>;

  constructor(readonly o: IoAwareOptions<V>) {
    super();
    this.roles = o.roles ?? freeRoles<V>();
  }

  /** A VM that arrives on the driver's core remembers where it came from; one that leaves forgets. */
  protected override afterMove(vcpu: V, from: number, to: number): void {
    const driver = this.o.driverCore;
    if (to === driver && from !== driver) this.home.set(vcpu, from);
    else if (from === driver && to !== driver) this.home.delete(vcpu);
  }

  pick(core: number, now: number): V | undefined {
    return this.queues.rotate(core, now, this.sliceOf(core));
  }

  sliceEnd(core: number): number {
    return this.queues.sliceEnd(core);
  }

  /** The slice a new turn on `core` gets now: short on the driver's core while it hosts I/O-heavy VMs. */
  sliceOf(core: number): number {
    if (core !== this.o.driverCore) return this.o.slice;
    const busy = this.home.size > 0 || this.queues.queue(core).some((v) => this.heavy.has(v));
    return busy ? this.o.driverSlice : this.o.slice;
  }

  /** VMs that are on the driver's core because of their I/O rate. */
  moved(): readonly V[] {
    return [...this.home.keys()];
  }

  observe(signal: SchedSignal<V>): void {
    if (signal.kind === 'io-rate') {
      this.rates.set(signal.vcpu, signal.rate);
      if (signal.rate >= this.o.threshold) this.heavy.add(signal.vcpu);
      else if (signal.rate < this.o.thresholdLow) this.heavy.delete(signal.vcpu);
    } else if (signal.kind === 'stopped') {
      this.rates.delete(signal.vcpu);
      this.heavy.delete(signal.vcpu);
    }
  }

  /** Moves decided for the VMs queued on `core`: towards the driver's core, or back home. */
  rebalance(core: number, now: number): ReadonlyArray<Migration<V>> {
    const moves: Migration<V>[] = [];
    let free = this.o.maxVms - this.home.size;
    for (const vcpu of this.queues.queue(core)) {
      if (!vcpu.alive || this.roles.pinned(vcpu) || this.held(vcpu, now)) continue;
      const rate = this.rates.get(vcpu) ?? 0;
      const homeCore = this.home.get(vcpu);
      if (core === this.o.driverCore) {
        if (homeCore !== undefined && rate < this.o.thresholdLow) moves.push(this.decide(vcpu, homeCore, now));
      } else if (rate >= this.o.threshold && free > 0 && this.roles.allowed(vcpu, this.o.driverCore)) {
        moves.push(this.decide(vcpu, this.o.driverCore, now));
        free--;
        const room = this.o.swap ? this.swapPartner(core, now, moves) : undefined;
        if (room) moves.push(this.decide(room, core, now));
      }
    }
    return moves;
  }

  /** A VM on the driver's core that does no I/O and may go to `home` (and is not moving already). */
  private swapPartner(home: number, now: number, moves: readonly Migration<V>[]): V | undefined {
    return this.queues.queue(this.o.driverCore).find(
      (v) =>
        v.alive &&
        !this.roles.pinned(v) &&
        !this.home.has(v) &&
        !this.heavy.has(v) &&
        (this.rates.get(v) ?? 0) < this.o.thresholdLow &&
        this.roles.allowed(v, home) &&
        !this.held(v, now) &&
        !moves.some((m) => m.vcpu === v),
    );
  }

  private decide(vcpu: V, to: number, now: number): Migration<V> {
    this.lastMove.set(vcpu, now);
    return { vcpu, to };
  }

  private held(vcpu: V, now: number): boolean {
    const last = this.lastMove.get(vcpu);
    return last !== undefined && now - last < this.o.hold;
  }
}
