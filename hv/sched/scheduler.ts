/**
 * How cores choose which vCPU runs next, and where each vCPU lives. The run loop tells the policy
 * what happened (observe: a vCPU ran, blocked, woke, submitted or completed an I/O), asks it which
 * vCPU runs next on a core (pick) and until when (sliceEnd), and lets it move vCPUs between cores
 * (rebalance). Policies are pure decision objects over {@link SchedulableVcpu}s, testable with fake
 * vCPUs; the hypervisor carries out their decisions (a migration charges its cost, is traced and
 * keeps every clock monotonic).
 */

/** What a scheduler sees of a vCPU. */
export interface SchedulableVcpu {
  readonly name: string;
  /** Still alive (not halted or faulted). */
  readonly alive: boolean;
  /**
   * Can run at `now`: alive, not waiting for an interrupt, and not in its own future (a vCPU that
   * migrated from a core ahead in time cannot run before the time it left). Has no side effects:
   * the run loop fires due device events before it asks.
   */
  runnable(now: number): boolean;
}

/** Why a blocked vCPU became runnable. */
export type WakeReason = 'interrupt';

/** What the hypervisor tells a policy; `at` is virtual time in cycles. */
export type SchedSignal<V> =
  /** `vcpu` ran on `core` from `start` for `cycles` cycles (guest work and charged hypervisor work). */
  | { readonly kind: 'ran'; readonly vcpu: V; readonly core: number; readonly start: number; readonly cycles: number }
  /** `vcpu` waits for an interrupt (WFI/WFE). */
  | { readonly kind: 'blocked'; readonly vcpu: V; readonly core: number; readonly at: number }
  /** A blocked `vcpu` can run again. */
  | { readonly kind: 'woke'; readonly vcpu: V; readonly core: number; readonly at: number; readonly reason: WakeReason }
  /** `vcpu` notified a queue: an I/O carrying `requests` requests (known once it is served, 0 here). */
  | { readonly kind: 'io-submitted'; readonly vcpu: V; readonly at: number }
  /** An I/O of `vcpu` completed after `latency` cycles, serving `requests` requests. */
  | { readonly kind: 'io-completed'; readonly vcpu: V; readonly at: number; readonly latency: number; readonly requests: number }
  /** `vcpu` stopped for good (halted or faulted). */
  | { readonly kind: 'stopped'; readonly vcpu: V; readonly at: number }
  /**
   * `vcpu`'s I/O rate changed: `rate` requests per virtual second over the measuring window
   * ending at `at` (hv/sched/io-rate.ts; sent only when the system file has a `scheduler`).
   */
  | { readonly kind: 'io-rate'; readonly vcpu: V; readonly at: number; readonly rate: number };

/** A move the policy asks for: `vcpu` to core `to`. */
export interface Migration<V> {
  readonly vcpu: V;
  readonly to: number;
}

export interface Scheduler<V extends SchedulableVcpu = SchedulableVcpu> {
  readonly name: string;
  /** Puts `vcpu` in `core`'s run queue (at boot, or when a vCPU is added to a running system). */
  assign(vcpu: V, core: number): void;
  /** Moves `vcpu` from its queue to `core`'s (the hypervisor calls it when it migrates a vCPU). */
  move(vcpu: V, core: number): void;
  /** The core whose queue holds `vcpu`. */
  coreOf(vcpu: V): number;
  /** The vCPU to run on `core` at `now`, or undefined when none can run. */
  pick(core: number, now: number): V | undefined;
  /** The cycle at which the scheduler wants to decide again for the vCPU it picked on `core`. */
  sliceEnd(core: number): number;
  /** All vCPUs queued on `core`. */
  queue(core: number): readonly V[];
  /**
   * True when a vCPU that wakes on `core` may preempt the running one: the run loop then stops a
   * step at the next device event of any vCPU queued on the core (not only the running one's),
   * and at the floor of one that arrived from a core ahead in time (when it can first run here).
   */
  readonly preemptsOnWake?: boolean;
  /**
   * True when the policy decides nothing at a slice end of a vCPU that is alone on the only core
   * (it would pick it again, and keeps no accounts, caps or samples by slice): the run loop then
   * lets such a vCPU run past its slice ends. Default false.
   */
  readonly runsLonePastSlice?: boolean;
  /** What happened (default: ignored). */
  observe?(signal: SchedSignal<V>): void;
  /** Moves the policy wants before `core` picks at `now` (default: none). */
  rebalance?(core: number, now: number): ReadonlyArray<Migration<V>>;
}
