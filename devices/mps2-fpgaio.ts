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

const NS_PER_SECOND = 1_000_000_000n;
const U32 = 0xffffffffn;

export interface Mps2FpgaIoOptions {
  /** Clock of PSCNTR in Hz; defaults to the CPU clock (mps2 uses 25 MHz). */
  prescaleClockHz?: number;
  /** Number of LEDs in LED0 (QEMU's num-leds, 2 on mps2). */
  leds?: number;
}

export class Mps2FpgaIo implements MmioDevice {
  readonly model = 'mps2-fpgaio';
  readonly size = 0x1000;
  private readonly prescaleClock: bigint;
  private readonly leds: number;
  private led0 = 0;
  private prescale = 0n;
  private misc = 0;
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
    this.reset();
  }

  reset(): void {
    const now = this.nowNs();
    this.led0 = 0;
    this.prescale = 0n;
    this.misc = 0;
    this.clk1HzOffset = now;
    this.clk100HzOffset = now;
    this.counter = 0n;
    this.pscntr = 0n;
    this.pscntrSync = now;
  }

  read(offset: number, size: number): number {
    switch (offset) {
      case 0x00:
        return sizeMask(this.led0, size);
      case 0x08:
        return 0;
      case 0x10:
        return sizeMask(this.clockCount(this.clk1HzOffset, 1n), size);
      case 0x14:
        return sizeMask(this.clockCount(this.clk100HzOffset, 100n), size);
      case 0x18:
        this.resync();
        return sizeMask(Number(this.counter), size);
      case 0x1c:
        return sizeMask(Number(this.prescale), size);
      case 0x20:
        this.resync();
        return sizeMask(Number(this.pscntr), size);
      case 0x4c:
        return sizeMask(this.misc, size);
      default:
        this.ctx.unimplemented(this.name, offset, size, false);
        return 0;
    }
  }

  write(offset: number, size: number, value: number): void {
    value >>>= 0;
    switch (offset) {
      case 0x00:
        // With no LEDs QEMU ignores the write altogether.
        if (this.leds > 0) this.led0 = (value & (2 ** Math.min(this.leds, 32) - 1)) >>> 0;
        return;
      case 0x10:
        this.clk1HzOffset = this.nowNs() - (BigInt(value) * NS_PER_SECOND) / 1n;
        return;
      case 0x14:
        this.clk100HzOffset = this.nowNs() - (BigInt(value) * NS_PER_SECOND) / 100n;
        return;
      case 0x18:
        this.resync();
        this.counter = BigInt(value);
        return;
      case 0x1c:
        this.resync();
        this.prescale = BigInt(value);
        return;
      case 0x20:
        this.resync();
        this.pscntr = BigInt(value);
        return;
      case 0x4c:
        // Stored so it reads back, but the SPI/CLCD controls it holds are not modelled.
        this.misc = value;
        this.ctx.unimplemented(this.name, offset, size, true);
        return;
      default:
        this.ctx.unimplemented(this.name, offset, size, true);
    }
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
