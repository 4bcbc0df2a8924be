/**
 * SysTick timer (ARMv7-M ARM B3.3), counting virtual cycles. Behaviour follows QEMU 7.2's
 * armv7m_systick as wired on mps2 (the oracle): CLKSOURCE=1 counts the processor clock,
 * CLKSOURCE=0 the 1 MHz reference clock; the period is RVR+1 ticks; a counter enabled at 0
 * reloads on its first tick; CSR reads clear COUNTFLAG; any CVR write clears the count and
 * COUNTFLAG. The counter is computed from an anchor (time, value) instead of being ticked. Wraps
 * are applied lazily (when a register is read or written); only a wrap that raises the SysTick
 * exception is an event on the virtual clock, so a wrap is an event only while TICKINT is set and
 * the exception is not pending already (the wraps in between change nothing the guest can see
 * but COUNTFLAG and the count, which are computed). A guest with a reload of 1 thus costs one
 * event per exception it takes, not one per two cycles, and an exception the hypervisor holds
 * back (its exception budget, exception-budget.ts) costs nothing while held.
 *
 * Registers: SYSTICK_REG, offsets from 0xE000E010.
 */
import type { ScheduledEvent } from '../../time/event-queue.ts';
import type { VirtualTime } from '../../time/virtual-time.ts';

/** Register offsets from 0xE000E010 (ARMv7-M ARM B3.3: SYST_CSR, SYST_RVR, SYST_CVR, SYST_CALIB). */
export const SYSTICK_REG = { CSR: 0x0, RVR: 0x4, CVR: 0x8, CALIB: 0xc } as const;

const CSR_ENABLE = 1 << 0;
const CSR_TICKINT = 1 << 1;
const CSR_CLKSOURCE = 1 << 2;
const CSR_COUNTFLAG = 1 << 16;
const VALUE_MASK = 0xffffff;

export interface SysTickOptions {
  /** Reference clock in Hz (CLKSOURCE = 0); 0 when there is none (CALIB.NOREF). */
  refHz: number;
}

export interface SysTickState {
  readonly control: number;
  readonly reload: number;
  readonly anchorTime: number;
  readonly anchorValue: number;
  readonly wrapAt: number | undefined;
}

export class SysTick {
  private control = 0;
  private reload = 0;
  private anchorTime = 0;
  private anchorValue = 0;
  private wrapEvent: ScheduledEvent | undefined;

  constructor(
    private readonly time: VirtualTime,
    private readonly options: SysTickOptions,
    private readonly pendException: () => void,
    /** Whether the SysTick exception is pending (a wrap then raises nothing new). */
    private readonly exceptionPending: () => boolean = () => false,
  ) {}

  /** The SysTick exception stopped being pending (taken or cleared): later wraps raise it again. */
  rearm(): void {
    // Wraps up to now happened while it was pending: they only set COUNTFLAG.
    this.sync(this.time.now(), false);
    this.scheduleWrap();
  }

  reset(): void {
    this.time.cancel(this.wrapEvent);
    this.wrapEvent = undefined;
    this.control = this.options.refHz > 0 ? 0 : CSR_CLKSOURCE;
    this.reload = 0;
    this.anchorTime = this.time.now();
    this.anchorValue = 0;
  }

  /** Registers, the count's anchor and the pending wrap's time (a checkpoint). */
  saveState(): SysTickState {
    return { control: this.control, reload: this.reload, anchorTime: this.anchorTime, anchorValue: this.anchorValue, wrapAt: this.wrapEvent?.at };
  }

  /** Re-creates the pending wrap at its saved time (the queue was emptied for the restore). */
  restoreState(s: SysTickState): void {
    ({ control: this.control, reload: this.reload, anchorTime: this.anchorTime, anchorValue: this.anchorValue } = s);
    this.wrapEvent = s.wrapAt === undefined ? undefined : this.time.schedule(s.wrapAt, 'systick', (when) => this.wrap(when));
  }

  get enabled(): boolean {
    return (this.control & CSR_ENABLE) !== 0;
  }

  /** Reads register `offset`; a CSR read clears COUNTFLAG. */
  read(offset: number): number {
    switch (offset) {
      case SYSTICK_REG.CSR: {
        this.sync(this.time.now(), true);
        const value = this.control;
        this.control &= ~CSR_COUNTFLAG;
        return value;
      }
      case SYSTICK_REG.RVR:
        return this.reload;
      case SYSTICK_REG.CVR:
        return this.currentValue();
      case SYSTICK_REG.CALIB:
        return this.calibration();
      default:
        return 0;
    }
  }

  write(offset: number, value: number): void {
    this.sync(this.time.now(), true);
    if (offset === SYSTICK_REG.CSR) this.writeControl(value);
    else if (offset === SYSTICK_REG.RVR) this.writeReload(value);
    else if (offset === SYSTICK_REG.CVR) this.writeCurrent();
  }

  /** CALIB: TENMS = ticks of the reference clock in 10 ms, minus one (QEMU's value). */
  private calibration(): number {
    if (this.options.refHz <= 0) return (1 << 31) >>> 0;
    const tenms = Math.round(this.options.refHz / 100);
    return (tenms - 1) & VALUE_MASK;
  }

  private cyclesPerTick(): number {
    if (this.control & CSR_CLKSOURCE) return 1;
    return Math.max(1, Math.round(this.time.hz / this.options.refHz));
  }

  /** Ticks elapsed since the anchor. */
  private elapsedTicks(): number {
    return Math.floor((this.time.now() - this.anchorTime) / this.cyclesPerTick());
  }

  private currentValue(): number {
    if (!this.enabled) return this.anchorValue;
    const k = this.elapsedTicks();
    if (this.anchorValue > 0 && k < this.anchorValue) return this.anchorValue - k;
    if (this.reload === 0) return 0;
    const sinceZero = this.anchorValue > 0 ? k - this.anchorValue : k;
    const phase = sinceZero % (this.reload + 1);
    return phase === 0 ? 0 : this.reload + 1 - phase;
  }

  /**
   * Moves the anchor to the last tick boundary, keeping the count and the phase of the tick in
   * progress (a reload change then applies from the next reload on, as on the hardware).
   */
  private reanchor(): void {
    if (!this.enabled) return;
    const ticks = this.elapsedTicks();
    this.anchorValue = this.currentValue();
    this.anchorTime += ticks * this.cyclesPerTick();
  }

  /** Only ENABLE and CLKSOURCE change the counting; TICKINT decides whether a wrap is an event. */
  private writeControl(value: number): void {
    const changes = (this.control ^ value) & (CSR_ENABLE | CSR_CLKSOURCE);
    if (changes !== 0) {
      this.reanchor();
      if (changes & CSR_ENABLE && value & CSR_ENABLE) this.anchorTime = this.time.now();
      if (changes & CSR_CLKSOURCE) this.anchorTime = this.time.now();
    }
    this.control = (this.control & ~7) | (value & 7);
    this.scheduleWrap();
  }

  private writeReload(value: number): void {
    this.reanchor();
    this.reload = value & VALUE_MASK;
    this.scheduleWrap();
  }

  private writeCurrent(): void {
    this.anchorTime = this.time.now();
    this.anchorValue = 0;
    this.control &= ~CSR_COUNTFLAG;
    this.scheduleWrap();
  }

  /** When the count next reaches 0 from the anchor on, or undefined when it never does. */
  private firstWrap(): number | undefined {
    if (this.anchorValue === 0 && this.reload === 0) return undefined;
    const ticks = this.anchorValue > 0 ? this.anchorValue : this.reload + 1;
    return this.anchorTime + ticks * this.cyclesPerTick();
  }

  /**
   * Applies the wraps up to `now`: COUNTFLAG, the exception (with `raise` and TICKINT), and the
   * anchor moved to the last wrap.
   */
  private sync(now: number, raise: boolean): void {
    if (!this.enabled) return;
    const first = this.firstWrap();
    if (first === undefined || first > now) return;
    const period = (this.reload + 1) * this.cyclesPerTick();
    const last = this.reload === 0 ? first : first + Math.floor((now - first) / period) * period;
    this.control |= CSR_COUNTFLAG;
    if (raise && this.control & CSR_TICKINT) this.pendException();
    this.anchorTime = last;
    this.anchorValue = 0;
  }

  private scheduleWrap(): void {
    this.time.cancel(this.wrapEvent);
    this.wrapEvent = undefined;
    if (!this.enabled || !(this.control & CSR_TICKINT) || this.exceptionPending()) return;
    const at = this.firstWrap();
    if (at === undefined) return;
    this.wrapEvent = this.time.schedule(at, 'systick', (when) => this.wrap(when));
  }

  private wrap(at: number): void {
    this.wrapEvent = undefined;
    this.sync(at, true);
    this.scheduleWrap();
  }
}
