/**
 * MPS2 FPGA I/O block (Arm AN385/AN386 application notes), with QEMU 7.2's behaviour
 * (hw/misc/mps2-fpgaio.c) for mps2: two LEDs, no DBGCTRL, no SWITCH.
 *
 * | off  | name     | reset | behaviour                                                        |
 * |------|----------|-------|------------------------------------------------------------------|
 * | 0x00 | LED0     | 0     | RW, masked to the number of LEDs (0x3)                           |
 * | 0x08 | BUTTON   | 0     | reads 0 (buttons are not modelled); writes are bad offsets       |
 * | 0x10 | CLK1HZ   | 0     | seconds since reset; a write sets the count                      |
 * | 0x14 | CLK100HZ | 0     | hundredths of a second since reset; a write sets the count       |
 * | 0x18 | COUNTER  | 0     | incremented each time PSCNTR reloads; RW                         |
 * | 0x1C | PRESCALE | 0     | RW; the reload value of PSCNTR                                   |
 * | 0x20 | PSCNTR   | 0     | counts down at the prescale clock, reloads from PRESCALE one     |
 * |      |          |       | tick after reaching 0 (so with PRESCALE = 0, COUNTER counts at   |
 * |      |          |       | the prescale clock); RW                                          |
 * | 0x4C | MISC     | 0     | RW storage only (the controls it holds are not modelled)         |
 * DBGCTRL (0x04), SWITCH (0x28) and every other offset are bad offsets: reads 0, writes ignored.
 *
 * Nothing here is an event: the counters are derived from the virtual clock on access, with
 * QEMU's own arithmetic on a nanosecond time base (virtual cycles converted to ns), so that
 * rounding matches QEMU's: whole prescale ticks are consumed and the remainder carried over.
 */
import { type DeviceContext, type MmioDevice, sizeMask } from './device.ts';
import { RegisterMap } from './regmap.ts';

/** Register offsets (AN385/AN386, with QEMU's names). DBGCTRL and SWITCH are bad offsets on mps2. */
export const FPGAIO_REG = {
  LED0: 0x00,
  DBGCTRL: 0x04,
  BUTTON: 0x08,
  CLK1HZ: 0x10,
  CLK100HZ: 0x14,
  COUNTER: 0x18,
  PRESCALE: 0x1c,
  PSCNTR: 0x20,
  SWITCH: 0x28,
  MISC: 0x4c,
} as const;

/** The registers mps2's FPGAIO has (QEMU gives DBGCTRL and SWITCH to later boards only). */
type FpgaIoRegister = Exclude<keyof typeof FPGAIO_REG, 'DBGCTRL' | 'SWITCH'>;

const NS_PER_SECOND = 1_000_000_000n;
const U32 = 0xffffffffn;

export interface Mps2FpgaIoOptions {
  /** Clock of PSCNTR in Hz; defaults to the CPU clock (mps2 uses 25 MHz). */
  prescaleClockHz?: number;
  /** Number of LEDs in LED0 (QEMU's num-leds, 2 on mps2). */
  leds?: number;
}

interface FpgaIoState {
  readonly regs: Record<FpgaIoRegister, number>;
  readonly prescale: bigint;
  readonly clk1HzOffset: bigint;
  readonly clk100HzOffset: bigint;
  readonly counter: bigint;
  readonly pscntr: bigint;
  readonly pscntrSync: bigint;
}

export class Mps2FpgaIo implements MmioDevice {
  readonly model = 'mps2-fpgaio';
  readonly size = 0x1000;
  private readonly prescaleClock: bigint;
  private readonly leds: number;
  private readonly regs: RegisterMap<FpgaIoRegister>;
  /** LED0 and MISC as stored (the counters are bigints below). */
  private readonly reg: Record<FpgaIoRegister, number>;
  private prescale = 0n;
  /** Times (ns) at which CLK1HZ and CLK100HZ would read 0. */
  private clk1HzOffset = 0n;
  private clk100HzOffset = 0n;
  private counter = 0n;
  private pscntr = 0n;
  /** Time (ns) of the last PSCNTR tick accounted for. */
  private pscntrSync = 0n;

  constructor(
    readonly name: string,
    private readonly ctx: DeviceContext,
    options: Mps2FpgaIoOptions = {},
  ) {
    this.prescaleClock = BigInt(options.prescaleClockHz ?? ctx.time.hz);
    this.leds = options.leds ?? 2;
    this.regs = new RegisterMap(name, ctx, [
      { offset: FPGAIO_REG.LED0, name: 'LED0', reset: 0, write: (v) => this.writeLeds(v) },
      { offset: FPGAIO_REG.BUTTON, name: 'BUTTON', read: () => 0 },
      { offset: FPGAIO_REG.CLK1HZ, name: 'CLK1HZ', read: () => this.clockCount(this.clk1HzOffset, 1n), write: (v) => (this.clk1HzOffset = this.tickOffset(v, 1n)) },
      { offset: FPGAIO_REG.CLK100HZ, name: 'CLK100HZ', read: () => this.clockCount(this.clk100HzOffset, 100n), write: (v) => (this.clk100HzOffset = this.tickOffset(v, 100n)) },
      { offset: FPGAIO_REG.COUNTER, name: 'COUNTER', read: () => this.resynced(() => this.counter), write: (v) => this.resynced(() => (this.counter = BigInt(v))) },
      { offset: FPGAIO_REG.PRESCALE, name: 'PRESCALE', read: () => Number(this.prescale), write: (v) => this.resynced(() => (this.prescale = BigInt(v))) },
      { offset: FPGAIO_REG.PSCNTR, name: 'PSCNTR', read: () => this.resynced(() => this.pscntr), write: (v) => this.resynced(() => (this.pscntr = BigInt(v))) },
      // Stored so it reads back, but the SPI/CLCD controls it holds are not modelled.
      { offset: FPGAIO_REG.MISC, name: 'MISC', reset: 0, writable: 0xffffffff, write: (_v, size) => ctx.unimplemented(name, FPGAIO_REG.MISC, size, true) },
    ]);
    this.reg = this.regs.values;
    this.reset();
  }

  reset(): void {
    const now = this.nowNs();
    this.regs.reset();
    this.prescale = 0n;
    this.clk1HzOffset = now;
    this.clk100HzOffset = now;
    this.counter = 0n;
    this.pscntr = 0n;
    this.pscntrSync = now;
  }

  read(offset: number, size: number): number {
    return sizeMask(this.regs.read(offset, size), size);
  }

  saveState(): FpgaIoState {
    const { prescale, clk1HzOffset, clk100HzOffset, counter, pscntr, pscntrSync } = this;
    return { regs: this.regs.saveValues(), prescale, clk1HzOffset, clk100HzOffset, counter, pscntr, pscntrSync };
  }

  restoreState(state: unknown): void {
    const s = state as FpgaIoState;
    this.regs.restoreValues(s.regs);
    ({ prescale: this.prescale, clk1HzOffset: this.clk1HzOffset, clk100HzOffset: this.clk100HzOffset } = s);
    ({ counter: this.counter, pscntr: this.pscntr, pscntrSync: this.pscntrSync } = s);
  }

  write(offset: number, size: number, value: number): void {
    this.regs.write(offset, size, value >>> 0);
  }

  private writeLeds(value: number): void {
    // With no LEDs QEMU ignores the write altogether.
    if (this.leds > 0) this.reg.LED0 = (value & (2 ** Math.min(this.leds, 32) - 1)) >>> 0;
  }

  /** The time at which a 1/`hz`-second count would have been 0, for a count of `value` now. */
  private tickOffset(value: number, hz: bigint): bigint {
    return this.nowNs() - (BigInt(value) * NS_PER_SECOND) / hz;
  }

  /** Brings PSCNTR and COUNTER up to now, then does `access` (QEMU resyncs before it touches them or PRESCALE). */
  private resynced(access: () => bigint): number {
    this.resync();
    return Number(access());
  }

  /** QEMU_CLOCK_VIRTUAL in ns: the virtual cycle count converted at the CPU clock. */
  private nowNs(): bigint {
    return (BigInt(Math.floor(this.ctx.time.now())) * NS_PER_SECOND) / BigInt(this.ctx.time.hz);
  }

  /** counter_from_tickoff: whole periods of a `hz` clock since `offset`, as a 32-bit count. */
  private clockCount(offset: bigint, hz: bigint): number {
    return Number((((this.nowNs() - offset) * hz) / NS_PER_SECOND) & U32);
  }

  /** QEMU's resync_counter: moves PSCNTR and COUNTER to their values now. */
  private resync(): void {
    const ticks = ((this.nowNs() - this.pscntrSync) * this.prescaleClock) / NS_PER_SECOND;
    if (ticks <= 0n) return;
    if (ticks < this.pscntr) {
      this.pscntr -= ticks;
    } else if (this.prescale === 0n) {
      // PSCNTR sticks at 0 and COUNTER increments on every tick after it got there.
      this.counter = (this.counter + ticks - this.pscntr) & U32;
      this.pscntr = 0n;
    } else {
      // Ticks since PSCNTR was last at PRESCALE (see the diagram in QEMU's resync_counter).
      const y = ticks - this.pscntr + this.prescale;
      this.pscntr = this.prescale - (y % (this.prescale + 1n));
      this.counter = (this.counter + y / (this.prescale + 1n)) & U32;
    }
    // Only up to the last whole tick, so that frequent reads do not lose time.
    this.pscntrSync += (ticks * NS_PER_SECOND) / this.prescaleClock;
  }
}
