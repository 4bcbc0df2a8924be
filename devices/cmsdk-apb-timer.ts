/**
 * Arm CMSDK APB timer (Arm DDI 0479, section 4.4), with QEMU 7.2's behaviour (hw/timer/
 * cmsdk-apb-timer.c). mps2-an386 has two: timer0 (IRQ 8) and timer1 (IRQ 9), clocked by PCLK.
 *
 * | off   | name                | reset | behaviour                                                   |
 * |-------|---------------------|-------|-------------------------------------------------------------|
 * | 0x000 | CTRL                | 0     | 0 EN, 1 SELEXTEN, 2 SELEXTCLK, 3 IRQEN (stored & 0xF; EXTIN  |
 * |       |                     |       | is not modelled). EN=1 runs, one-shot if RELOAD = 0          |
 * | 0x004 | VALUE               | 0     | current count; write sets it (0 with RELOAD = 0 stops)       |
 * | 0x008 | RELOAD              | 0     | write sets RELOAD and VALUE; 0 stops, non-zero restarts if EN |
 * | 0x00C | INTSTATUS/INTCLEAR  | 0     | bit 0, W1C; the interrupt output is this level               |
 * | 0xFD0 | PID4..PID3, CID0..3 |       | 04 00 00 00 22 B8 1B 00 0D F0 05 B1                           |
 *
 * VALUE decrements once per PCLK tick; when it reaches 0 the timer expires, stays at 0 for one
 * tick and then reloads, so the period is RELOAD+1 ticks. At expiry INTSTATUS is set if CTRL.IRQEN
 * is set at that moment; clearing IRQEN later does not lower an asserted line, INTCLEAR does.
 *
 * Lazy model: the count is computed from an anchor (time, value); an expiry is an event on the
 * virtual clock only while it can change INTSTATUS (IRQEN set, INTSTATUS clear), so a running
 * timer nobody listens to costs nothing. Not reproduced from QEMU: its counter changes 1 ns after
 * each tick edge (hvlab's at the edge), and without -icount QEMU stretches periodic timers to at
 * least 10 µs (a host-speed throttle, not device behaviour).
 */
import { type DeviceContext, type IrqLine, type MmioDevice, sizeMask } from './device.ts';
import { DownCounter, type DownCounterState } from './down-counter.ts';
import { ExpiryEvent } from './expiry-event.ts';
import { RegisterMap } from './regmap.ts';

/** Register offsets (DDI 0479 section 4.4); INTCLEAR is the write side of INTSTATUS. */
export const TIMER_REG = { CTRL: 0x000, VALUE: 0x004, RELOAD: 0x008, INTSTATUS: 0x00c } as const;
type TimerRegister = keyof typeof TIMER_REG;

const CTRL_EN = 1 << 0;
const CTRL_EXTIN = (1 << 1) | (1 << 2);
const CTRL_IRQEN = 1 << 3;
const IDS = [0x04, 0x00, 0x00, 0x00, 0x22, 0xb8, 0x1b, 0x00, 0x0d, 0xf0, 0x05, 0xb1];

interface TimerState {
  readonly regs: Record<TimerRegister, number>;
  readonly counter: DownCounterState;
  readonly expiry: number | undefined;
}

export interface CmsdkApbTimerOptions {
  /** PCLK in Hz; defaults to the CPU clock (mps2 drives both at 25 MHz). */
  pclkHz?: number;
}

export class CmsdkApbTimer implements MmioDevice {
  readonly model = 'cmsdk-apb-timer';
  readonly size = 0x1000;
  private readonly regs: RegisterMap<TimerRegister>;
  /** CTRL and INTSTATUS as stored (VALUE and RELOAD live in the counter). */
  private readonly reg: Record<TimerRegister, number>;
  private readonly counter: DownCounter;
  private readonly expiry: ExpiryEvent;

  constructor(
    readonly name: string,
    private readonly ctx: DeviceContext,
    private readonly irq: IrqLine,
    options: CmsdkApbTimerOptions = {},
  ) {
    const now = () => ctx.time.now();
    this.regs = new RegisterMap(name, ctx, [
      { offset: TIMER_REG.CTRL, name: 'CTRL', reset: 0, writable: 0xf, write: (v, size) => this.ctrlWritten(v, size, now()) },
      { offset: TIMER_REG.VALUE, name: 'VALUE', read: () => this.counter.value(now()), write: (v) => this.writeValue(v, now()) },
      { offset: TIMER_REG.RELOAD, name: 'RELOAD', read: () => this.counter.limit, write: (v) => this.writeReload(v, now()) },
      { offset: TIMER_REG.INTSTATUS, name: 'INTSTATUS', reset: 0, w1c: 1, write: () => this.irq(this.reg.INTSTATUS !== 0) },
    ], IDS);
    this.reg = this.regs.values;
    this.counter = new DownCounter(ctx.time, options.pclkHz ?? ctx.time.hz);
    this.counter.clear(0, ctx.time.now());
    this.expiry = new ExpiryEvent(ctx.time, `${name} expiry`, (when) => {
      this.sync(when);
      this.reschedule();
    });
  }

  reset(): void {
    this.expiry.cancel();
    this.regs.reset();
    this.counter.clear(0, this.ctx.time.now());
    this.irq(false);
  }

  saveState(): TimerState {
    return { regs: this.regs.saveValues(), counter: this.counter.saveState(), expiry: this.expiry.pending };
  }

  restoreState(state: unknown): void {
    const s = state as TimerState;
    this.regs.restoreValues(s.regs);
    this.counter.restoreState(s.counter);
    this.expiry.restore(s.expiry);
    this.irq(this.reg.INTSTATUS !== 0);
  }

  read(offset: number, size: number): number {
    if (this.sync(this.ctx.time.now())) this.reschedule();
    return sizeMask(this.regs.read(offset, size), size);
  }

  write(offset: number, size: number, value: number): void {
    this.sync(this.ctx.time.now());
    this.regs.write(offset, size, value >>> 0);
    this.reschedule();
  }

  /** CTRL was written: EN starts or stops the count. */
  private ctrlWritten(value: number, size: number, now: number): void {
    // The external clock and enable inputs (EXTIN) are not modelled: traced, stored, ignored.
    if (value & CTRL_EXTIN) this.ctx.unimplemented(this.name, TIMER_REG.CTRL, size, true);
    if (this.reg.CTRL & CTRL_EN) this.counter.run(this.counter.limit === 0, now);
    else this.counter.stop(now);
  }

  private writeValue(value: number, now: number): void {
    if (value === 0 && this.counter.limit === 0) this.counter.stop(now);
    this.counter.setCount(value, now);
    if (value !== 0 && this.reg.CTRL & CTRL_EN) this.counter.run(this.counter.limit === 0, now);
  }

  private writeReload(value: number, now: number): void {
    if (value === 0) this.counter.stop(now);
    this.counter.setLimit(value, true, now);
    // Restarts a one-shot count that had expired, now periodic.
    if (value !== 0 && this.reg.CTRL & CTRL_EN) this.counter.run(false, now);
  }

  /** Applies the expiries up to `now`; true if INTSTATUS was set. */
  private sync(now: number): boolean {
    const expiries = this.counter.advance(now);
    if (expiries === 0 || !(this.reg.CTRL & CTRL_IRQEN) || this.reg.INTSTATUS) return false;
    this.reg.INTSTATUS = 1;
    this.irq(true);
    return true;
  }

  /** Schedules the next expiry only while it can raise the interrupt. */
  private reschedule(): void {
    this.expiry.at(this.reg.CTRL & CTRL_IRQEN && !this.reg.INTSTATUS ? this.counter.expiryTime() : undefined);
  }
}
