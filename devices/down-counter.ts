/**
 * The down-counter of the CMSDK timers (timer, dual timer, watchdog): QEMU's ptimer under the
 * policies those devices use, computed from an anchor on the virtual clock instead of ticked.
 */
import type { VirtualTime } from '../hv/time/virtual-time.ts';

type CountMode = 'stopped' | 'periodic' | 'oneshot';

/** A down-counter's state (a checkpoint). */
export interface DownCounterState {
  readonly mode: CountMode;
  readonly limit: number;
  readonly anchorTime: number;
  readonly anchorValue: number;
  readonly cyclesPerTick: number;
}

/**
 * A down-counter with the semantics of QEMU's ptimer under the policies all CMSDK timers use
 * (WRAP_AFTER_ONE_PERIOD, TRIGGER_ONLY_ON_DECREMENT, NO_IMMEDIATE_RELOAD, NO_COUNTER_ROUND_DOWN):
 * it expires when a decrement reaches 0 (never on a write of 0); periodic mode then holds 0 for one
 * tick and reloads `limit`; one-shot mode stops at 0; a periodic count with limit 0 stops at 0
 * without expiring. Started at 0, a periodic count reloads on its first tick.
 *
 * The owner must call {@link advance} at the access time before any other method, so that the
 * anchor is the start of the current tick and no expiry is lost. Unlike ptimer, a limit or mode
 * change in the tick right after an expiry applies to that tick's reload (ptimer's is already done).
 */
export class DownCounter {
  private mode: CountMode = 'stopped';
  private limitValue = 0;
  /** Start of a tick (fractional when the clock does not divide the CPU clock). */
  private anchorTime = 0;
  private anchorValue = 0;
  private cyclesPerTick: number;

  constructor(
    private readonly time: VirtualTime,
    clockHz: number,
  ) {
    this.cyclesPerTick = time.hz / clockHz;
  }

  get running(): boolean {
    return this.mode !== 'stopped';
  }

  get limit(): number {
    return this.limitValue;
  }

  saveState(): DownCounterState {
    return { mode: this.mode, limit: this.limitValue, anchorTime: this.anchorTime, anchorValue: this.anchorValue, cyclesPerTick: this.cyclesPerTick };
  }

  restoreState(s: DownCounterState): void {
    this.mode = s.mode;
    this.limitValue = s.limit;
    this.anchorTime = s.anchorTime;
    this.anchorValue = s.anchorValue;
    this.cyclesPerTick = s.cyclesPerTick;
  }

  /** Stops with limit and count `value`, as at device reset. */
  clear(value: number, now: number): void {
    this.mode = 'stopped';
    this.limitValue = value;
    this.anchorValue = value;
    this.anchorTime = now;
  }

  value(now: number): number {
    return this.valueAfter(this.ticksAt(now));
  }

  /**
   * Moves the anchor to the start of the tick containing `now` (keeping the tick phase) and
   * returns how many times the counter expired since the previous anchor.
   */
  advance(now: number): number {
    if (this.mode === 'stopped') return 0;
    const k = this.ticksAt(now);
    if (k === 0) return 0;
    const expiries = this.expiriesWithin(k);
    this.anchorValue = this.valueAfter(k);
    this.anchorTime += k * this.cyclesPerTick;
    this.settle();
    return expiries;
  }

  /** Cycle of the `n`-th expiry after the anchor, or undefined if there is none. */
  expiryTime(n = 1): number | undefined {
    const first = this.firstExpiry();
    if (first === Infinity || (n > 1 && this.mode === 'oneshot')) return undefined;
    const tick = first + (n - 1) * (this.limitValue + 1);
    return Math.ceil(this.anchorTime + tick * this.cyclesPerTick);
  }

  /** ptimer_run: starts from the current count (a new tick phase), or only changes the mode. */
  run(oneshot: boolean, now: number): void {
    if (this.mode === 'stopped') this.anchorTime = now;
    this.mode = oneshot ? 'oneshot' : 'periodic';
    this.settle();
  }

  /** ptimer_stop: freezes the count. */
  stop(now: number): void {
    this.anchorValue = this.value(now);
    this.mode = 'stopped';
  }

  /** ptimer_set_count: a running counter restarts from `value` with a new tick phase. */
  setCount(value: number, now: number): void {
    this.anchorValue = value;
    if (this.running) this.anchorTime = now;
    this.settle();
  }

  /** ptimer_set_limit: without `reload` the new limit is used from the next reload on. */
  setLimit(limit: number, reload: boolean, now: number): void {
    this.limitValue = limit;
    if (reload) this.setCount(limit, now);
    else this.settle();
  }

  /** ptimer_set_period: a running counter keeps its count but restarts its tick phase. */
  setClock(clockHz: number, now: number): void {
    this.anchorValue = this.value(now);
    if (this.running) this.anchorTime = now;
    this.cyclesPerTick = this.time.hz / clockHz;
  }

  private ticksAt(now: number): number {
    return Math.max(0, Math.floor((now - this.anchorTime) / this.cyclesPerTick));
  }

  /** Tick (counted from the anchor) of the first expiry, or Infinity. */
  private firstExpiry(): number {
    if (this.mode === 'stopped') return Infinity;
    const reloads = this.mode === 'periodic' && this.limitValue > 0;
    if (this.anchorValue > 0) return this.mode === 'oneshot' || reloads ? this.anchorValue : Infinity;
    return reloads ? this.limitValue + 1 : Infinity;
  }

  private expiriesWithin(k: number): number {
    const first = this.firstExpiry();
    if (k < first) return 0;
    if (this.mode === 'oneshot') return 1;
    return 1 + Math.floor((k - first) / (this.limitValue + 1));
  }

  private valueAfter(k: number): number {
    const v0 = this.anchorValue;
    if (this.mode === 'stopped') return v0;
    if (k < v0) return v0 - k;
    if (this.mode === 'oneshot' || this.limitValue === 0) return 0;
    const phase = (k - v0) % (this.limitValue + 1);
    return phase === 0 ? 0 : this.limitValue + 1 - phase;
  }

  /** A count at 0 that can never reload is a stopped counter (ptimer "delta zero, disabling"). */
  private settle(): void {
    if (this.anchorValue === 0 && (this.mode === 'oneshot' || this.limitValue === 0)) this.mode = 'stopped';
  }
}
