/**
 * PMSAv7 MPU registers (ARMv7-M ARM B3.5), offsets from 0xE000E000: 0xD90 MPU_TYPE (8 regions, as
 * QEMU's Cortex-M4), 0xD94 CTRL, 0xD98 RNR, 0xD9C RBAR, 0xDA0 RASR and their aliases A1-A3 at
 * 0xDA4-0xDB8. The registers hold what the guest programs and read back exactly; the protection
 * itself is not enforced on guest accesses (Unicorn 2.0.1 exposes no MPU state), which the
 * project README lists among the known differences from hardware.
 */
const REGIONS = 8;
const MPU_TYPE = REGIONS << 8;

export class MpuRegisters {
  private ctrl = 0;
  private rnr = 0;
  private readonly rbar = new Array<number>(REGIONS).fill(0);
  private readonly rasr = new Array<number>(REGIONS).fill(0);

  static covers(offset: number): boolean {
    return offset >= 0xd90 && offset < 0xdbc;
  }

  reset(): void {
    this.ctrl = 0;
    this.rnr = 0;
    this.rbar.fill(0);
    this.rasr.fill(0);
  }

  /** True when the guest enabled the MPU (CTRL.ENABLE). */
  get enabled(): boolean {
    return (this.ctrl & 1) !== 0;
  }

  read(offset: number): number {
    if (offset === 0xd90) return MPU_TYPE;
    if (offset === 0xd94) return this.ctrl;
    if (offset === 0xd98) return this.rnr;
    if (offset >= 0xd9c) {
      const isRbar = ((offset - 0xd9c) & 4) === 0;
      return isRbar ? (this.rbar[this.rnr]! | this.rnr) >>> 0 : this.rasr[this.rnr]!;
    }
    return 0;
  }

  write(offset: number, value: number): void {
    if (offset === 0xd94) this.ctrl = value & 7;
    else if (offset === 0xd98) this.rnr = value % REGIONS;
    else if (offset >= 0xd9c) {
      const isRbar = ((offset - 0xd9c) & 4) === 0;
      if (isRbar) this.writeRbar(value);
      else this.rasr[this.rnr] = value & 0x173fff3f;
    }
  }

  private writeRbar(value: number): void {
    if (value & 0x10) this.rnr = (value & 0xf) % REGIONS;
    this.rbar[this.rnr] = (value & 0xffffffe0) >>> 0;
  }
}
