/**
 * A policy with the hypervisor's scheduling measurements around it: it turns the I/O signals
 * into each vCPU's I/O rate (an {@link IoRateMeter}) and passes every change on to the policy as
 * an `io-rate` signal, re-evaluated whenever the vCPU does something (it runs, blocks, wakes,
 * submits or completes an I/O), so a rate also falls while the vCPU only computes. It measures
 * the scheduling delay (from an I/O completion to the vCPU's next run) and reports placements.
 * Everything else goes straight to the policy, which stays a pure decision object.
 */
import type { IoRateMeter } from './io-rate.ts';
import type { Migration, SchedSignal, SchedulableVcpu, Scheduler } from './scheduler.ts';

export interface MeterListener<V> {
  /** `vcpu`'s I/O rate is `rate` requests per virtual second from `at` on. */
  rate?(vcpu: V, at: number, rate: number): void;
  /** `vcpu` ran again `delay` cycles after one of its I/Os completed (0: it was running). */
  schedDelay?(vcpu: V, delay: number): void;
  /** `vcpu` was put in `core`'s queue: at boot (`moved` false), or moved there. */
  placed?(vcpu: V, core: number, moved: boolean): void;
}

export class MeteredScheduler<V extends SchedulableVcpu> implements Scheduler<V> {
  private readonly reported = new Map<V, number>();
  private readonly completions = new Map<V, number[]>();

  constructor(
    readonly policy: Scheduler<V>,
    readonly meter: IoRateMeter<V>,
    private readonly listener: MeterListener<V> = {},
  ) {}

  get name(): string {
    return this.policy.name;
  }

  get preemptsOnWake(): boolean {
    return this.policy.preemptsOnWake ?? false;
  }

  assign(vcpu: V, core: number): void {
    this.policy.assign(vcpu, core);
    this.listener.placed?.(vcpu, core, false);
  }

  move(vcpu: V, core: number): void {
    this.policy.move(vcpu, core);
    this.listener.placed?.(vcpu, core, true);
  }

  coreOf(vcpu: V): number {
    return this.policy.coreOf(vcpu);
  }

  pick(core: number, now: number): V | undefined {
    return this.policy.pick(core, now);
  }

  sliceEnd(core: number): number {
    return this.policy.sliceEnd(core);
  }

  queue(core: number): readonly V[] {
    return this.policy.queue(core);
  }

  rebalance(core: number, now: number): ReadonlyArray<Migration<V>> {
    return this.policy.rebalance?.(core, now) ?? [];
  }

  observe(signal: SchedSignal<V>): void {
    this.measure(signal);
    this.policy.observe?.(signal);
    if (signal.kind === 'io-rate') return;
    const at = signal.kind === 'ran' ? signal.start + signal.cycles : signal.at;
    this.update(signal.vcpu, at);
  }

  private measure(signal: SchedSignal<V>): void {
    switch (signal.kind) {
      case 'io-submitted':
        this.meter.add(signal.vcpu, signal.at, 1);
        break;
      case 'io-completed':
        // The notification was counted as one request when it trapped.
        this.meter.add(signal.vcpu, signal.at, signal.requests - 1);
        this.pending(signal.vcpu).push(signal.at);
        break;
      case 'ran':
        this.ranAgain(signal.vcpu, signal.start);
        break;
      case 'stopped':
        this.completions.delete(signal.vcpu);
        break;
    }
  }

  /** Completions before `start` end their scheduling delay; those inside the step (in-context) had none. */
  private ranAgain(vcpu: V, start: number): void {
    const pending = this.completions.get(vcpu);
    if (!pending || pending.length === 0) return;
    for (const at of pending) this.listener.schedDelay?.(vcpu, Math.max(0, start - at));
    pending.length = 0;
  }

  private update(vcpu: V, at: number): void {
    const rate = this.meter.rate(vcpu, at);
    if (rate === (this.reported.get(vcpu) ?? 0)) return;
    this.reported.set(vcpu, rate);
    this.listener.rate?.(vcpu, at, rate);
    this.policy.observe?.({ kind: 'io-rate', vcpu, at, rate });
  }

  private pending(vcpu: V): number[] {
    let list = this.completions.get(vcpu);
    if (!list) {
      list = [];
      this.completions.set(vcpu, list);
    }
    return list;
  }
}
