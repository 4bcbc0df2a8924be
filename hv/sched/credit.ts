/**
 * `credit`: Xen's Credit scheduler (xen/common/sched/credit.c) as its users know it, on the
 * bookkeeping of credit-accounts.ts. Each core picks the queued vCPU with the highest priority
 * (BOOST > UNDER > OVER), the one that waited longest within a priority; it keeps the core for a
 * `slice` unless a vCPU of higher priority is waiting (a woken BOOST vCPU "tickles" the core:
 * it preempts once the running one has had `ratelimit` cycles). The policy decides again at
 * every `tick` (when BOOST ends and accounting happens). Work moves between cores as in Xen:
 * a core whose best is OVER (or nothing) steals an UNDER or BOOST vCPU waiting on another core,
 * and a vCPU waiting on a busy core goes to an idle one (Xen tickles the idle core, which
 * steals it; hvlab's loop only schedules cores that have work, so the busy core hands it over).
 * Pinned vCPUs and the driver VM never move.
 */
import { type CreditAccount, CreditAccounts, runsBefore } from './credit-accounts.ts';
import { freeRoles, type VcpuRoles } from './roles.ts';
import { QueuedPolicy } from './queued-policy.ts';
import type { Migration, SchedSignal, SchedulableVcpu } from './scheduler.ts';

export interface CreditOptions<V> {
  slice: number;
  tick: number;
  ratelimit: number;
  boost: boolean;
  /** Idle cores take waiting work from others. */
  steal: boolean;
  cores: number;
  weight?(vcpu: V): number;
  cap?(vcpu: V): number;
  roles?: VcpuRoles<V>;
}

interface Turn<V> {
  readonly vcpu: V;
  readonly start: number;
  /** End of the vCPU's slice. */
  readonly end: number;
  /** When the policy decides again (the slice end, the next tick or accounting, or a preemption). */
  decideAt: number;
}

export const CREDIT_DEFAULT_WEIGHT = 256;

export class CreditScheduler<V extends SchedulableVcpu> extends QueuedPolicy<V> {
  readonly name = 'credit';
  readonly preemptsOnWake = true;
  readonly accounts: CreditAccounts<V>;
  private readonly turns = new Map<number, Turn<V>>();
  /** vCPUs this policy moved that have not run since: not moved again (no ping-pong between cores). */
  private readonly unsettled = new Set<V>();
  private readonly roles: VcpuRoles<V>;

  constructor(readonly o: CreditOptions<V>) {
    super();
    this.roles = o.roles ?? freeRoles<V>();
    this.accounts = new CreditAccounts<V>({
      slice: o.slice,
      tick: o.tick,
      cores: o.cores,
      boost: o.boost,
      weight: o.weight ?? (() => CREDIT_DEFAULT_WEIGHT),
      cap: o.cap ?? (() => 0),
    });
  }

  protected override afterAssign(vcpu: V): void {
    this.accounts.open(vcpu);
  }

  protected override afterMove(vcpu: V, from: number): void {
    if (this.turns.get(from)?.vcpu === vcpu) this.turns.delete(from);
  }

  sliceEnd(core: number): number {
    return this.turns.get(core)?.decideAt ?? 0;
  }

  observe(signal: SchedSignal<V>): void {
    if (signal.kind === 'ran') {
      this.accounts.debit(signal.vcpu, signal.start, signal.cycles);
      this.unsettled.delete(signal.vcpu);
    } else if (signal.kind === 'woke') this.accounts.woke(signal.vcpu);
  }

  pick(core: number, now: number): V | undefined {
    this.accounts.accountUntil(now);
    const turn = this.turns.get(core);
    if (turn && this.canRun(turn.vcpu, now)) {
      const rival = this.best(core, now, turn.vcpu);
      const outranked = rival !== undefined && this.accounts.rank(rival) > this.accounts.rank(turn.vcpu);
      const preempt = outranked && now - turn.start >= this.o.ratelimit;
      if (now < turn.end && !preempt) {
        turn.decideAt = this.decisionTime(now, turn.end, outranked ? turn.start + this.o.ratelimit : Infinity);
        return turn.vcpu;
      }
      this.accounts.requeue(turn.vcpu);
    }
    const next = this.best(core, now, undefined);
    if (!next) {
      this.turns.delete(core);
      return undefined;
    }
    const end = now + this.o.slice;
    this.turns.set(core, { vcpu: next, start: now, end, decideAt: this.decisionTime(now, end, Infinity) });
    return next;
  }

  /** Stealing: a core without UNDER work takes some; a waiting vCPU goes to an idle core. */
  rebalance(core: number, now: number): ReadonlyArray<Migration<V>> {
    if (!this.o.steal) return [];
    const local = this.best(core, now, undefined);
    if (!local || this.accounts.of(local).priority === 'over') {
      const stolen = this.stealFor(core, now, local);
      if (stolen) return [this.moved({ vcpu: stolen, to: core })];
      if (!local) return [];
    }
    const handed = this.handOver(core, now, local);
    return handed ? [this.moved(handed)] : [];
  }

  private moved(m: Migration<V>): Migration<V> {
    this.unsettled.add(m.vcpu);
    return m;
  }

  /** The best vCPU on `core` that can run at `now`, other than `except`. */
  private best(core: number, now: number, except: V | undefined): V | undefined {
    let best: V | undefined;
    let bestAccount: CreditAccount | undefined;
    for (const v of this.queues.queue(core)) {
      if (v === except) continue;
      const account = this.accounts.of(v);
      if (account.parked || !v.runnable(now)) continue;
      if (!bestAccount || runsBefore(account, bestAccount)) {
        best = v;
        bestAccount = account;
      }
    }
    return best;
  }

  /** A waiting UNDER or BOOST vCPU of another core that outranks `local`. */
  private stealFor(core: number, now: number, local: V | undefined): V | undefined {
    const floor = local && this.accounts.of(local);
    let best: V | undefined;
    let bestAccount: CreditAccount | undefined;
    for (let other = 0; other < this.o.cores; other++) {
      if (other === core) continue;
      const running = this.turns.get(other)?.vcpu;
      for (const v of this.queues.queue(other)) {
        if (v === running) continue;
        const account = this.accounts.of(v);
        if (account.priority === 'over' || account.parked || (floor && !runsBefore(account, floor))) continue;
        if (bestAccount && !runsBefore(account, bestAccount)) continue;
        if (!this.movable(v, core) || !v.runnable(now)) continue;
        best = v;
        bestAccount = account;
      }
    }
    return best;
  }

  /** The best vCPU waiting behind the one that runs on `core` (`best` is the core's best), to a core with nothing to run. */
  private handOver(core: number, now: number, best: V): Migration<V> | undefined {
    const turn = this.turns.get(core);
    const runner = turn && this.canRun(turn.vcpu, now) ? turn.vcpu : best;
    const waiting = this.best(core, now, runner);
    if (!waiting) return undefined;
    for (let to = 0; to < this.o.cores; to++) {
      if (to !== core && this.movable(waiting, to) && this.idle(to, now)) return { vcpu: waiting, to };
    }
    return undefined;
  }

  private idle(core: number, now: number): boolean {
    return !this.queues.queue(core).some((v) => this.canRun(v, now));
  }

  private movable(vcpu: V, to: number): boolean {
    return !this.roles.pinned(vcpu) && !this.unsettled.has(vcpu) && this.roles.allowed(vcpu, to);
  }

  private canRun(vcpu: V, now: number): boolean {
    return vcpu.runnable(now) && !this.accounts.of(vcpu).parked;
  }

  /**
   * The policy decides again at the earliest of `end`, `other`, the next tick and the next
   * accounting, and at least every `ratelimit` cycles: such a decision keeps the running vCPU
   * (nothing outranks it that has not preempted already), but it bounds each step, and so how
   * far the cores' clocks drift apart (the loop keeps them within a step of each other; a
   * device shared by the cores, such as the block controller, sees their requests in that order).
   */
  private decisionTime(now: number, end: number, other: number): number {
    const tick = this.o.tick;
    const nextTick = (Math.floor(now / tick) + 1) * tick;
    const quantum = this.o.ratelimit > 0 ? now + this.o.ratelimit : Infinity;
    return Math.min(end, other, nextTick, this.accounts.accountingAt, quantum);
  }
}
