/**
 * PMSAv7 MPU registers (ARMv7-M ARM B3.5), offsets from 0xE000E000: 0xD90 MPU_TYPE (8 regions, as
 * QEMU's Cortex-M4), 0xD94 CTRL, 0xD98 RNR, 0xD9C RBAR, 0xDA0 RASR and their aliases A1-A3 at
 * 0xDA4-0xDB8. The registers hold what the guest programs and read back exactly; the protection
 * itself is not enforced on guest accesses (Unicorn 2.0.1 exposes no MPU state), which the
 * project README lists among the known differences from hardware.
 */
/** Register offsets from 0xE000E000 (ARMv7-M ARM B3.5: MPU_TYPE, MPU_CTRL, ...). */
export const MPU_REG = {
  TYPE: 0xd90,
  CTRL: 0xd94,
  RNR: 0xd98,
  RBAR: 0xd9c,
  RASR: 0xda0,
  RBAR_A1: 0xda4,
  RASR_A1: 0xda8,
  RBAR_A2: 0xdac,
  RASR_A2: 0xdb0,
  RBAR_A3: 0xdb4,
  RASR_A3: 0xdb8,
} as const;
const R = MPU_REG;
const REGIONS = 8;
const MPU_TYPE = REGIONS << 8;

export class MpuRegisters {
  private ctrl = 0;
  private rnr = 0;
  private readonly rbar = new Array<number>(REGIONS).fill(0);
  private readonly rasr = new Array<number>(REGIONS).fill(0);

  static covers(offset: number): boolean {
    return offset >= R.TYPE && offset < R.RASR_A3 + 4;
  }

  reset(): void {
    this.ctrl = 0;
    this.rnr = 0;
    this.rbar.fill(0);
    this.rasr.fill(0);
  }

  saveState(): { ctrl: number; rnr: number; rbar: number[]; rasr: number[] } {
    return { ctrl: this.ctrl, rnr: this.rnr, rbar: [...this.rbar], rasr: [...this.rasr] };
  }

  restoreState(s: ReturnType<MpuRegisters['saveState']>): void {
    ({ ctrl: this.ctrl, rnr: this.rnr } = s);
    this.rbar.splice(0, REGIONS, ...s.rbar);
    this.rasr.splice(0, REGIONS, ...s.rasr);
  }

  /** True when the guest enabled the MPU (CTRL.ENABLE). */
  get enabled(): boolean {
    return (this.ctrl & 1) !== 0;
  }

  read(offset: number): number {
    if (offset === R.TYPE) return MPU_TYPE;
    if (offset === R.CTRL) return this.ctrl;
    if (offset === R.RNR) return this.rnr;
    if (offset >= R.RBAR) return isRbar(offset) ? (this.rbar[this.rnr]! | this.rnr) >>> 0 : this.rasr[this.rnr]!;
    return 0;
  }

  write(offset: number, value: number): void {
    if (offset === R.CTRL) this.ctrl = value & 7;
    else if (offset === R.RNR) this.rnr = value % REGIONS;
    else if (offset >= R.RBAR && isRbar(offset)) this.writeRbar(value);
    else if (offset >= R.RBAR) this.rasr[this.rnr] = value & 0x173fff3f;
  }

  private writeRbar(value: number): void {
    if (value & 0x10) this.rnr = (value & 0xf) % REGIONS;
    this.rbar[this.rnr] = (value & 0xffffffe0) >>> 0;
  }
}

/** RBAR or one of its aliases (RASR and its aliases are the other words from RBAR on). */
function isRbar(offset: number): boolean {
  return ((offset - R.RBAR) & 4) === 0;
}
