/**
 * The bookkeeping of the Credit scheduler (Xen's xen/common/sched/credit.c, as its users know
 * it), in cycles of CPU time instead of Xen's credits (Xen counts 10 credits per ms; the unit
 * does not change any decision):
 *  - every accounting period (one `slice`) the CPU time of the period, `slice` x cores, is shared
 *    among the active vCPUs in proportion to their weights; a capped vCPU gets at most
 *    `cap`% of `slice`;
 *  - a running vCPU is debited the cycles it runs;
 *  - after an accounting a vCPU with credit is UNDER, one without is OVER; credit never falls
 *    below -slice; a vCPU whose credit passes one slice is not using its share: it stops earning
 *    (inactive, until it is running when a tick comes) and keeps half of it;
 *  - a capped vCPU whose credit is below -cap% of a slice is parked (not run) until an
 *    accounting lifts it;
 *  - a vCPU that wakes while UNDER is BOOSTed, until the next tick passes while it runs.
 */
import { InternalError } from '../errors.ts';

export type CreditPriority = 'boost' | 'under' | 'over';

/** Higher runs first. */
export const PRIORITY_RANK: Readonly<Record<CreditPriority, number>> = { boost: 2, under: 1, over: 0 };

export interface CreditAccount {
  credit: number;
  priority: CreditPriority;
  active: boolean;
  parked: boolean;
  /** Queue position within a priority: lower runs first (a vCPU that waits longer). */
  seq: number;
}

export interface CreditParameters<V> {
  slice: number;
  tick: number;
  cores: number;
  boost: boolean;
  weight(vcpu: V): number;
  /** Percent of one core, 0 for none. */
  cap(vcpu: V): number;
}

export class CreditAccounts<V> {
  private readonly accounts = new Map<V, CreditAccount>();
  private seq = 0;
  private nextAccounting: number;

  constructor(private readonly p: CreditParameters<V>) {
    this.nextAccounting = p.slice;
  }

  open(vcpu: V): void {
    if (!this.accounts.has(vcpu)) this.accounts.set(vcpu, { credit: 0, priority: 'under', active: true, parked: false, seq: this.seq++ });
  }

  of(vcpu: V): CreditAccount {
    const account = this.accounts.get(vcpu);
    if (!account) throw new InternalError('a vCPU without a credit account');
    return account;
  }

  rank(vcpu: V): number {
    return PRIORITY_RANK[this.of(vcpu).priority];
  }

  /** The time of the next accounting. */
  get accountingAt(): number {
    return this.nextAccounting;
  }

  /** Runs the accountings due at `now`. */
  accountUntil(now: number): void {
    while (now >= this.nextAccounting) {
      this.account();
      this.nextAccounting += this.p.slice;
    }
  }

  /**
   * `vcpu` ran `cycles` cycles from `start`: debited. As in Xen, where the tick samples the
   * running vCPU, a run across a tick makes it active (earning again) and ends its BOOST; a vCPU
   * that only runs briefly between ticks stays inactive and leaves its share to the others.
   */
  debit(vcpu: V, start: number, cycles: number): void {
    const a = this.of(vcpu);
    a.credit -= cycles;
    const tick = this.p.tick;
    if (Math.floor((start + cycles) / tick) === Math.floor(start / tick)) return;
    a.active = true;
    if (a.priority === 'boost') a.priority = 'under';
  }

  /** `vcpu` woke: BOOST if it has credit; to the tail of its priority's queue. */
  woke(vcpu: V): void {
    const a = this.of(vcpu);
    if (this.p.boost && a.priority === 'under' && !a.parked) a.priority = 'boost';
    this.requeue(vcpu);
  }

  /** `vcpu` goes to the tail of its priority's queue (it lost the core, or woke). */
  requeue(vcpu: V): void {
    this.of(vcpu).seq = this.seq++;
  }

  /** Runs before `other`: higher priority, then the one that waits longer. */
  before(vcpu: V, other: V): boolean {
    return runsBefore(this.of(vcpu), this.of(other));
  }

  private account(): void {
    const active = [...this.accounts.entries()].filter(([, a]) => a.active);
    const weights = active.reduce((sum, [v]) => sum + this.p.weight(v), 0);
    const total = this.p.slice * this.p.cores;
    for (const [vcpu, a] of active) {
      const cap = this.p.cap(vcpu);
      const capCredit = (cap * this.p.slice) / 100;
      let fair = weights > 0 ? (total * this.p.weight(vcpu)) / weights : 0;
      if (cap > 0) fair = Math.min(fair, capCredit);
      a.credit = Math.max(-this.p.slice, Math.round(a.credit + fair));
      this.settle(a, cap > 0 ? capCredit : undefined);
    }
  }

  private settle(a: CreditAccount, capCredit: number | undefined): void {
    if (a.credit < 0) {
      a.priority = 'over';
      a.parked = capCredit !== undefined && a.credit < -capCredit;
      return;
    }
    a.priority = 'under';
    a.parked = false;
    if (a.credit > this.p.slice) {
      a.active = false;
      a.credit = Math.floor(a.credit / 2);
    }
  }
}

/** Account `a` runs before account `b`: higher priority, then the one that waits longer. */
export function runsBefore(a: CreditAccount, b: CreditAccount): boolean {
  const ra = PRIORITY_RANK[a.priority];
  const rb = PRIORITY_RANK[b.priority];
  return ra !== rb ? ra > rb : a.seq < b.seq;
}
