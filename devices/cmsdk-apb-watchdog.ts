/**
 * Arm CMSDK APB watchdog (Arm DDI 0479 section 4.6, an SP805), with QEMU 7.2's behaviour
 * (hw/watchdog/cmsdk-apb-watchdog.c). On mps2-an386 WDOGCLK is 25 MHz and WDOGINT drives the NMI.
 *
 * | off   | name      | reset      | behaviour                                                  |
 * |-------|-----------|------------|------------------------------------------------------------|
 * | 0x000 | LOAD      | 0xFFFFFFFF | write: LOAD and the count, and (re)starts counting           |
 * | 0x004 | VALUE     | 0xFFFFFFFF | current count (read-only), counting from reset               |
 * | 0x008 | CONTROL   | 0          | 0 INTEN, 1 RESEN                                             |
 * | 0x00C | INTCLR    | -          | any write clears RIS and reloads the count (write-only)      |
 * | 0x010 | RIS       | 0          | set at the first expiry                                      |
 * | 0x014 | MIS       | 0          | RIS && INTEN: the WDOGINT level                              |
 * | 0xC00 | LOCK      | 0          | writing 0x1ACCE551 unlocks, any other value locks; reads 0/1 |
 * | 0xF00 | ITCR      | 0          | bit 0: integration test mode, outputs driven from ITOP       |
 * | 0xF04 | ITOP      | 0          | bit 0 WDOGRES, bit 1 WDOGINT (write-only)                    |
 * | 0xFD0 | PID4..PID3, CID0..3 |  | 04 00 00 00 24 B8 1B 00 0D F0 05 B1                          |
 *
 * While locked, writes to every register but LOCK are ignored. The count runs from reset whatever
 * CONTROL says (QEMU; the Arm documentation only counts while INTEN is set): the first expiry
 * sets RIS, a second expiry with RIS still set sets the reset status and stops the count, and
 * the board is asked for a reset while that status and RESEN are both set (QEMU's default watchdog
 * action). The period is LOAD+1 ticks after the first LOAD ticks; LOAD = 0 stops the count.
 * Accesses are 32-bit registers; byte and halfword accesses are zero-extended / truncated.
 *
 * An idle guest must not be kept alive by a watchdog that can never act: an expiry is scheduled
 * on the virtual clock only when it can raise the NMI (INTEN set, RIS clear) or a reset (RESEN
 * set); otherwise VALUE and RIS are computed on access.
 */
import { type DeviceContext, type IrqLine, type MmioDevice, sizeMask } from './device.ts';
import { DownCounter, type DownCounterState } from './down-counter.ts';
import { ExpiryEvent } from './expiry-event.ts';
import { RegisterMap } from './regmap.ts';

/** Register offsets (DDI 0479 section 4.6; the SP805 names without their WDOG prefix). */
export const WDOG_REG = {
  LOAD: 0x000,
  VALUE: 0x004,
  CONTROL: 0x008,
  INTCLR: 0x00c,
  RIS: 0x010,
  MIS: 0x014,
  LOCK: 0xc00,
  ITCR: 0xf00,
  ITOP: 0xf04,
} as const;
type WatchdogRegister = keyof typeof WDOG_REG;

const CONTROL_INTEN = 1 << 0;
const CONTROL_RESEN = 1 << 1;
const ITOP_WDOGRES = 1 << 0;
const ITOP_WDOGINT = 1 << 1;
const UNLOCK_KEY = 0x1acce551;
const IDS = [0x04, 0x00, 0x00, 0x00, 0x24, 0xb8, 0x1b, 0x00, 0x0d, 0xf0, 0x05, 0xb1];

interface WatchdogState {
  readonly regs: Record<WatchdogRegister, number>;
  readonly ris: boolean;
  readonly resetStatus: boolean;
  readonly locked: boolean;
  readonly itop: number;
  readonly counter: DownCounterState;
  readonly expiry: number | undefined;
}

export class CmsdkApbWatchdog implements MmioDevice {
  readonly model = 'cmsdk-apb-watchdog';
  readonly size = 0x1000;
  private readonly regs: RegisterMap<WatchdogRegister>;
  /** CONTROL and ITCR as stored. */
  private readonly reg: Record<WatchdogRegister, number>;
  private ris = false;
  /** Second expiry happened (QEMU's resetstatus); cleared only by reset. */
  private resetStatus = false;
  private locked = false;
  private itop = 0;
  private readonly counter: DownCounter;
  private readonly expiry: ExpiryEvent;

  constructor(
    readonly name: string,
    private readonly ctx: DeviceContext,
    /** WDOGINT; on mps2 the NMI. */
    private readonly irq: IrqLine,
    private readonly resetRequest: () => void,
  ) {
    const now = () => ctx.time.now();
    this.regs = new RegisterMap(name, ctx, [
      { offset: WDOG_REG.LOAD, name: 'LOAD', read: () => this.counter.limit, write: (v) => this.writeLoad(v, now()) },
      { offset: WDOG_REG.VALUE, name: 'VALUE', read: () => this.counter.value(now()) },
      { offset: WDOG_REG.CONTROL, name: 'CONTROL', reset: 0, writable: CONTROL_INTEN | CONTROL_RESEN },
      { offset: WDOG_REG.INTCLR, name: 'INTCLR', write: () => this.kick(now()) },
      { offset: WDOG_REG.RIS, name: 'RIS', read: () => (this.ris ? 1 : 0) },
      { offset: WDOG_REG.MIS, name: 'MIS', read: () => (this.ris && this.reg.CONTROL & CONTROL_INTEN ? 1 : 0) },
      // LOCK writes are handled before the map: they are the only writes a locked watchdog takes.
      { offset: WDOG_REG.LOCK, name: 'LOCK', read: () => (this.locked ? 1 : 0) },
      { offset: WDOG_REG.ITCR, name: 'ITCR', reset: 0, writable: 1 },
      { offset: WDOG_REG.ITOP, name: 'ITOP', write: (v) => (this.itop = v & (ITOP_WDOGRES | ITOP_WDOGINT)) },
    ], IDS);
    this.reg = this.regs.values;
    this.counter = new DownCounter(ctx.time, ctx.time.hz);
    this.expiry = new ExpiryEvent(ctx.time, `${name} expiry`, (when) => {
      if (this.sync(when)) this.afterChange();
      else this.reschedule();
    });
    this.restart();
  }

  reset(): void {
    this.expiry.cancel();
    this.restart();
    this.irq(false);
  }

  saveState(): WatchdogState {
    const { ris, resetStatus, locked, itop } = this;
    return { regs: this.regs.saveValues(), ris, resetStatus, locked, itop, counter: this.counter.saveState(), expiry: this.expiry.pending };
  }

  /** Drives WDOGINT only: a reset output that was active asked for its reset before the checkpoint. */
  restoreState(state: unknown): void {
    const s = state as WatchdogState;
    this.regs.restoreValues(s.regs);
    ({ ris: this.ris, resetStatus: this.resetStatus, locked: this.locked, itop: this.itop } = s);
    this.counter.restoreState(s.counter);
    this.expiry.restore(s.expiry);
    this.irq(this.interruptOutput());
  }

  read(offset: number, size: number): number {
    if (this.sync(this.ctx.time.now())) this.afterChange();
    return sizeMask(this.regs.read(offset, size), size);
  }

  write(offset: number, size: number, value: number): void {
    let outputsChanged = this.sync(this.ctx.time.now());
    value = sizeMask(value, size);
    if (offset === WDOG_REG.LOCK) {
      this.locked = value !== UNLOCK_KEY;
    } else if (this.locked) {
      // Ignored, as on hardware: only LOCK is writable while locked.
    } else if (this.regs.write(offset, size, value)) {
      // QEMU re-evaluates the outputs after every register write except LOAD.
      outputsChanged ||= offset !== WDOG_REG.LOAD;
    }
    this.reschedule();
    if (outputsChanged) this.update();
  }

  /** State at reset: LOAD = VALUE = 0xFFFFFFFF and counting. */
  private restart(): void {
    const now = this.ctx.time.now();
    this.regs.reset();
    this.ris = false;
    this.resetStatus = false;
    this.locked = false;
    this.itop = 0;
    this.counter.clear(0xffffffff, now);
    this.counter.run(false, now);
  }

  private writeLoad(value: number, now: number): void {
    this.counter.setLimit(value, true, now);
    this.counter.run(false, now);
  }

  /** INTCLR, the guest's "kick": clears the interrupt and the count starts again from LOAD. */
  private kick(now: number): void {
    this.ris = false;
    this.counter.setCount(this.counter.limit, now);
  }

  /** Applies the expiries up to `now`; true if RIS or the reset status changed. */
  private sync(now: number): boolean {
    let expiries = this.counter.advance(now);
    if (expiries === 0) return false;
    if (!this.ris) {
      this.ris = true;
      expiries--;
    }
    if (expiries > 0) {
      // Second expiry with the interrupt still pending: QEMU stops the count at 0.
      this.resetStatus = true;
      const load = this.counter.limit;
      this.counter.clear(0, now);
      this.counter.setLimit(load, false, now);
    }
    return true;
  }

  private afterChange(): void {
    this.reschedule();
    this.update();
  }

  /** Drives WDOGINT as a level and asks for a reset while the reset output is active. */
  private update(): void {
    const int = this.interruptOutput();
    const res = this.reg.ITCR ? (this.itop & ITOP_WDOGRES) !== 0 : this.resetStatus && (this.reg.CONTROL & CONTROL_RESEN) !== 0;
    this.irq(int);
    if (res) this.resetRequest();
  }

  /** The level of WDOGINT. */
  private interruptOutput(): boolean {
    return this.reg.ITCR ? (this.itop & ITOP_WDOGINT) !== 0 : this.ris && (this.reg.CONTROL & CONTROL_INTEN) !== 0;
  }

  /** The next expiry that can change an output: the NMI, or the reset. */
  private nextEvent(): number | undefined {
    if (this.reg.ITCR) return undefined;
    if (this.reg.CONTROL & CONTROL_INTEN && !this.ris) return this.counter.expiryTime(1);
    if (this.reg.CONTROL & CONTROL_RESEN && !this.resetStatus) return this.counter.expiryTime(this.ris ? 1 : 2);
    return undefined;
  }

  private reschedule(): void {
    this.expiry.at(this.nextEvent());
  }
}
