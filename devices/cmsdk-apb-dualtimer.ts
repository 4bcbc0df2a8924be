/**
 * Arm CMSDK APB dual timer (Arm DDI 0479 section 4.5; two SP804 counters, Arm DDI 0271), with
 * QEMU 7.2's behaviour (hw/timer/cmsdk-apb-dualtimer.c). On mps2-an386 TIMCLK is 25 MHz and only
 * the combined output TIMINTC is wired (IRQ 10).
 *
 * Timer 1 at 0x00-0x1F, timer 2 at 0x20-0x3F (same layout):
 * | off  | name    | reset      | behaviour                                                    |
 * |------|---------|------------|--------------------------------------------------------------|
 * | 0x00 | LOAD    | 0          | write: LOAD and the count at once; read: the reload value    |
 * | 0x04 | VALUE   | 0xFFFFFFFF | current count (read-only)                                    |
 * | 0x08 | CONTROL | 0x20       | 0 ONESHOT, 1 SIZE (1 = 32-bit), 3:2 PRESCALE (/1, /16, /256, |
 * |      |         |            | 3 = /256), 5 INTEN, 6 MODE (1 = periodic), 7 ENABLE          |
 * | 0x0C | INTCLR  | -          | any write clears RIS (write-only)                            |
 * | 0x10 | RIS     | 0          | raw interrupt status, set at every expiry                    |
 * | 0x14 | MIS     | 0          | RIS && INTEN: the level of TIMINTn                           |
 * | 0x18 | BGLOAD  | 0          | sets the reload value, not the count; reads as LOAD          |
 * Shared:
 * | 0xF00 | TIMERITCR | 0 | bit 0: integration test mode, outputs driven from TIMERITOP      |
 * | 0xF04 | TIMERITOP | 0 | bit 0 TIMINT1, bit 1 TIMINT2 (write-only)                        |
 * | 0xFD0 | PID4..PID3, CID0..3 | | 04 00 00 00 23 B8 1B 00 0D F0 05 B1                      |
 *
 * Each expiry (a decrement to 0) sets RIS; one tick later free-running mode wraps to 0xFFFF or
 * 0xFFFFFFFF and periodic mode reloads LOAD (period LOAD+1, see DownCounter); one-shot stops at 0.
 * TIMINTC = TIMINT1 || TIMINT2, all levels. In 16-bit mode the upper halves of VALUE and LOAD read
 * back what was last written there (QEMU). Byte/halfword writes are zero-extended (QEMU).
 *
 * Deliberate differences from QEMU, following DDI 0271 instead:
 * - QEMU makes a LOAD write to an enabled periodic timer one-shot (the timer fires once and then
 *   sits at 0 until CONTROL is written); here it stays periodic (one-shot only if ONESHOT is set).
 * - QEMU does not restart an expired one-shot count in free-running mode on a LOAD write; the
 *   SP804 documents a LOAD write as the way to restart it, so it restarts here in both modes.
 *
 * Expiries are events on the virtual clock only while they can change an output (INTEN set,
 * RIS clear); otherwise RIS and VALUE are computed on access.
 */
import { type DeviceContext, type IrqLine, type MmioDevice, readIdRegister, sizeMask } from './device.ts';
import { DownCounter, type DownCounterState } from './down-counter.ts';
import { ExpiryEvent } from './expiry-event.ts';

/** Offsets of a timer module's registers (DDI 0479 section 4.5: TIMER1LOAD, ..., TIMER1BGLOAD). */
export const DUALTIMER_MODULE_REG = { LOAD: 0x00, VALUE: 0x04, CONTROL: 0x08, INTCLR: 0x0c, RIS: 0x10, MIS: 0x14, BGLOAD: 0x18 } as const;
/** Timer 2's registers follow timer 1's at this distance (TIMER2LOAD = 0x20 + LOAD, ...). */
export const DUALTIMER_TIMER2 = 0x20;
/** The registers the two modules share. */
export const DUALTIMER_REG = { TIMERITCR: 0xf00, TIMERITOP: 0xf04 } as const;

const REG = DUALTIMER_MODULE_REG;

const CTRL_ONESHOT = 1 << 0;
const CTRL_SIZE32 = 1 << 1;
const CTRL_PRESCALE = 3 << 2;
const CTRL_INTEN = 1 << 5;
const CTRL_PERIODIC = 1 << 6;
const CTRL_ENABLE = 1 << 7;
const CTRL_VALID = 0xef;
const IDS = [0x04, 0x00, 0x00, 0x00, 0x23, 0xb8, 0x1b, 0x00, 0x0d, 0xf0, 0x05, 0xb1];

/** QEMU's deposit32(high, 0, 16, low): the upper half of `high`, the lower half of `low`. */
function withLow16(high: number, low: number): number {
  return ((high & 0xffff0000) | (low & 0xffff)) >>> 0;
}

function prescaleDivisor(control: number): number {
  const field = (control & CTRL_PRESCALE) >> 2;
  return field === 0 ? 1 : field === 1 ? 16 : 256;
}

interface TimerModuleState {
  readonly control: number;
  readonly load: number;
  readonly highValue: number;
  readonly ris: boolean;
  readonly counter: DownCounterState;
}

interface DualTimerState {
  readonly timers: readonly TimerModuleState[];
  readonly expiries: ReadonlyArray<number | undefined>;
  readonly itcr: number;
  readonly itop: number;
}

/** One of the two SP804 counters. */
class TimerModule {
  control = CTRL_INTEN;
  /** The LOAD register as written (the count limit lives in the counter). */
  private load = 0;
  /** Upper half of VALUE in 16-bit mode (QEMU's m->value). */
  private highValue = 0xffffffff;
  ris = false;
  readonly counter: DownCounter;

  constructor(
    private readonly ctx: DeviceContext,
    private readonly clockHz: number,
  ) {
    this.counter = new DownCounter(ctx.time, clockHz);
    this.reset();
  }

  reset(): void {
    this.control = CTRL_INTEN;
    this.ris = false;
    this.load = 0;
    this.highValue = 0xffffffff;
    // Free-running 16-bit, prescale /1: count and limit 0xFFFF, so it wraps at 16 bits.
    this.counter.setClock(this.clockHz, this.ctx.time.now());
    this.counter.clear(0xffff, this.ctx.time.now());
  }

  saveState(): TimerModuleState {
    return { control: this.control, load: this.load, highValue: this.highValue, ris: this.ris, counter: this.counter.saveState() };
  }

  restoreState(s: TimerModuleState): void {
    this.control = s.control;
    this.load = s.load;
    this.highValue = s.highValue;
    this.ris = s.ris;
    this.counter.restoreState(s.counter);
  }

  get masked(): boolean {
    return this.ris && (this.control & CTRL_INTEN) !== 0;
  }

  /** Applies the expiries up to `now`; true if RIS was set. */
  sync(now: number): boolean {
    if (this.counter.advance(now) === 0 || this.ris) return false;
    this.ris = true;
    return true;
  }

  /** The next expiry, if it can change the interrupt output. */
  nextEvent(): number | undefined {
    return this.control & CTRL_INTEN && !this.ris ? this.counter.expiryTime() : undefined;
  }

  read(reg: number, now: number): number | undefined {
    const size32 = (this.control & CTRL_SIZE32) !== 0;
    switch (reg) {
      case REG.LOAD:
      case REG.BGLOAD:
        if (!(this.control & CTRL_PERIODIC)) return this.load;
        return size32 ? this.counter.limit : withLow16(this.load, this.counter.limit);
      case REG.VALUE:
        return size32 ? this.counter.value(now) : withLow16(this.highValue, this.counter.value(now));
      case REG.CONTROL:
        return this.control;
      case REG.RIS:
        return this.ris ? 1 : 0;
      case REG.MIS:
        return this.masked ? 1 : 0;
      default:
        return undefined;
    }
  }

  /** Returns false for an offset that is not a writable register. */
  write(reg: number, value: number, now: number): boolean {
    switch (reg) {
      case REG.LOAD:
        this.writeLoad(value, now);
        return true;
      case REG.CONTROL:
        this.writeControl(value, now);
        return true;
      case REG.INTCLR:
        this.ris = false;
        return true;
      case REG.BGLOAD:
        this.writeBackgroundLoad(value, now);
        return true;
      default:
        return false;
    }
  }

  private width(value: number): number {
    return this.control & CTRL_SIZE32 ? value : value & 0xffff;
  }

  private writeLoad(value: number, now: number): void {
    this.load = value;
    this.highValue = value;
    const count = this.width(value);
    if (!(this.control & CTRL_PERIODIC)) {
      // Free-running: the limit stays at the wrap value; only the count changes.
      this.counter.setCount(count, now);
    } else {
      if (count === 0) this.counter.stop(now);
      this.counter.setLimit(count, true, now);
    }
    // Architectural (DDI 0271): keeps the mode CONTROL selects and restarts an expired one-shot.
    if (count !== 0 && this.control & CTRL_ENABLE) this.counter.run((this.control & CTRL_ONESHOT) !== 0, now);
  }

  private writeBackgroundLoad(value: number, now: number): void {
    this.load = value;
    // In free-running mode there is no limit to change.
    if (this.control & CTRL_PERIODIC) this.counter.setLimit(this.width(value), false, now);
  }

  /** QEMU's cmsdk_dualtimermod_write_control, step by step. */
  private writeControl(value: number, now: number): void {
    const next = value & CTRL_VALID;
    const changed = this.control ^ next;
    if (changed & ~next & CTRL_ENABLE) this.counter.stop(now);
    if (changed & CTRL_PRESCALE) this.counter.setClock(this.clockHz / prescaleDivisor(next), now);
    if (changed & CTRL_PERIODIC) this.switchMode(next, now);
    if (changed & CTRL_SIZE32) this.switchSize(next, now);
    // Started even if ENABLE did not change: an expired one-shot may now be periodic.
    if (next & CTRL_ENABLE) this.counter.run((next & CTRL_ONESHOT) !== 0, now);
    this.control = next;
  }

  private switchMode(next: number, now: number): void {
    let limit: number;
    if (next & CTRL_PERIODIC) {
      limit = this.load;
    } else {
      // Free-running: keep the old limit as LOAD and wrap at the counter width.
      const old = this.counter.limit;
      this.load = this.control & CTRL_SIZE32 ? old : withLow16(this.load, old);
      limit = 0xffffffff;
    }
    this.counter.setLimit(this.width(limit), false, now);
  }

  private switchSize(next: number, now: number): void {
    const to32 = (next & CTRL_SIZE32) !== 0;
    let value = this.counter.value(now);
    let limit = this.counter.limit;
    if (to32) {
      value = withLow16(this.highValue, value);
    } else {
      this.highValue = value;
      value &= 0xffff;
    }
    if (!(next & CTRL_PERIODIC)) {
      limit = to32 ? 0xffffffff : 0xffff;
    } else if (to32) {
      limit = withLow16(this.load, limit);
    } else {
      this.load = limit;
      limit &= 0xffff;
    }
    this.counter.setCount(value, now);
    this.counter.setLimit(limit, false, now);
  }
}

export interface DualTimerIrqs {
  timer1: IrqLine;
  timer2: IrqLine;
  combined: IrqLine;
}

export interface CmsdkApbDualTimerOptions {
  /** TIMCLK in Hz; defaults to the CPU clock (25 MHz on mps2). */
  clockHz?: number;
}

export class CmsdkApbDualTimer implements MmioDevice {
  readonly model = 'cmsdk-apb-dualtimer';
  readonly size = 0x1000;
  private readonly timers: readonly [TimerModule, TimerModule];
  /** Each module's next expiry, while it can raise that module's interrupt. */
  private readonly expiries: readonly ExpiryEvent[];
  private itcr = 0;
  private itop = 0;

  constructor(
    readonly name: string,
    private readonly ctx: DeviceContext,
    private readonly irqs: DualTimerIrqs,
    options: CmsdkApbDualTimerOptions = {},
  ) {
    const hz = options.clockHz ?? ctx.time.hz;
    this.timers = [new TimerModule(ctx, hz), new TimerModule(ctx, hz)];
    this.expiries = this.timers.map((t, i) => new ExpiryEvent(ctx.time, `${name} timer${i + 1} expiry`, (when) => {
      if (t.sync(when)) this.update();
      this.reschedule(i);
    }));
  }

  reset(): void {
    this.timers.forEach((t, i) => {
      this.expiries[i]!.cancel();
      t.reset();
    });
    this.itcr = 0;
    this.itop = 0;
    this.update();
  }

  saveState(): DualTimerState {
    return { timers: this.timers.map((t) => t.saveState()), expiries: this.expiries.map((e) => e.pending), itcr: this.itcr, itop: this.itop };
  }

  restoreState(state: unknown): void {
    const s = state as DualTimerState;
    this.timers.forEach((t, i) => t.restoreState(s.timers[i]!));
    this.expiries.forEach((e, i) => e.restore(s.expiries[i]));
    this.itcr = s.itcr;
    this.itop = s.itop;
    this.update();
  }

  read(offset: number, size: number): number {
    const now = this.ctx.time.now();
    if (this.sync(now)) this.afterChange();
    let value = this.moduleAt(offset)?.read(offset % DUALTIMER_TIMER2, now);
    if (offset === DUALTIMER_REG.TIMERITCR) value = this.itcr;
    value ??= readIdRegister(IDS, offset);
    if (value === undefined) {
      this.ctx.unimplemented(this.name, offset, size, false);
      return 0;
    }
    return sizeMask(value, size);
  }

  write(offset: number, size: number, value: number): void {
    const now = this.ctx.time.now();
    this.sync(now);
    value = sizeMask(value, size);
    const handled = this.moduleAt(offset)?.write(offset % DUALTIMER_TIMER2, value, now) ?? false;
    if (offset === DUALTIMER_REG.TIMERITCR) this.itcr = value & 1;
    else if (offset === DUALTIMER_REG.TIMERITOP) this.itop = value & 3;
    else if (!handled) this.ctx.unimplemented(this.name, offset, size, true);
    this.afterChange();
  }

  /** The module whose registers are at `offset` (timer 1 below 0x20, timer 2 below 0x40). */
  private moduleAt(offset: number): TimerModule | undefined {
    return offset < DUALTIMER_REG.TIMERITCR ? this.timers[Math.floor(offset / DUALTIMER_TIMER2)] : undefined;
  }

  private sync(now: number): boolean {
    return this.timers.map((t) => t.sync(now)).some(Boolean);
  }

  private afterChange(): void {
    this.timers.forEach((_, i) => this.reschedule(i));
    this.update();
  }

  /** Drives TIMINT1, TIMINT2 and TIMINTC as levels. */
  private update(): void {
    const t1 = this.itcr ? (this.itop & 1) !== 0 : this.timers[0].masked;
    const t2 = this.itcr ? (this.itop & 2) !== 0 : this.timers[1].masked;
    this.irqs.timer1(t1);
    this.irqs.timer2(t2);
    this.irqs.combined(t1 || t2);
  }

  private reschedule(index: number): void {
    this.expiries[index]!.at(this.timers[index]!.nextEvent());
  }
}
