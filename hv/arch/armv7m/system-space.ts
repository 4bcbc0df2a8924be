/**
 * The Private Peripheral Bus (0xE0000000-0xE00FFFFF) as the hypervisor virtualises it for each
 * guest: the System Control Space at 0xE000E000 (SysTick, NVIC, SCB, MPU) and the DWT cycle
 * counter at 0xE0001000. As on QEMU's mps2 boards, other PPB addresses read as zero and ignore
 * writes, unprivileged accesses (except STIR with CCR.USERSETMPEND) are bus errors, and SysTick
 * registers accept only word accesses.
 */
import { GuestBusError, type MmioDevice } from '../../trap/mmio.ts';
import type { Dwt } from './dwt.ts';
import { MpuRegisters } from './mpu-registers.ts';
import { NVIC_REG, NvicRegisters } from './nvic-registers.ts';
import { ScbRegisters } from './scb-registers.ts';
import type { SysTick } from './systick.ts';

export const PPB_BASE = 0xe0000000;
export const PPB_SIZE = 0x100000;
/** Where the parts sit in the PPB (0xE0000000 + offset). */
export const PPB_OFFSET = { DWT: 0x1000, SCS: 0xe000 } as const;
/** SysTick's registers within the SCS (0xE000E010); QEMU maps 0xE0 bytes there, the rest reads 0. */
export const SCS_SYSTICK = 0x10;
const SYSTICK_WINDOW = 0xe0;
const SYSTICK_REGISTERS = 0x10;
/** The SCS and the DWT are 4 KiB each. */
const PART_SIZE = 0x1000;
const SCS_OFFSET = PPB_OFFSET.SCS;
const DWT_OFFSET = PPB_OFFSET.DWT;
const CCR_USERSETMPEND = 1 << 1;

export interface SystemSpaceParts {
  systick: SysTick;
  nvic: NvicRegisters;
  scb: ScbRegisters;
  mpu: MpuRegisters;
  dwt: Dwt;
  /** True while the guest executes privileged (handler mode or CONTROL.nPRIV = 0). */
  privileged(): boolean;
  /** Called for accesses to registers hvlab does not model (traced, never silent). */
  unimplemented(offset: number, size: number, write: boolean): void;
  /** Called after every write: it may have changed what can preempt. */
  written(): void;
}

export interface SystemSpaceState {
  readonly systick: ReturnType<SysTick['saveState']>;
  readonly scb: ReturnType<ScbRegisters['saveState']>;
  readonly mpu: ReturnType<MpuRegisters['saveState']>;
  readonly dwt: ReturnType<Dwt['saveState']>;
}

export class SystemSpace implements MmioDevice {
  readonly name = 'ppb';
  readonly model = 'armv7m-ppb';
  readonly size = PPB_SIZE;

  constructor(private readonly parts: SystemSpaceParts) {}

  reset(): void {
    const p = this.parts;
    p.systick.reset();
    p.scb.reset();
    p.mpu.reset();
    p.dwt.reset();
  }

  /** SysTick, SCB, MPU and DWT registers (the NVIC's state is the exception state, saved by the vCPU). */
  saveState(): SystemSpaceState {
    const p = this.parts;
    return { systick: p.systick.saveState(), scb: p.scb.saveState(), mpu: p.mpu.saveState(), dwt: p.dwt.saveState() };
  }

  restoreState(state: unknown): void {
    const s = state as SystemSpaceState;
    const p = this.parts;
    p.systick.restoreState(s.systick);
    p.scb.restoreState(s.scb);
    p.mpu.restoreState(s.mpu);
    p.dwt.restoreState(s.dwt);
  }

  read(offset: number, size: number): number {
    this.checkPrivilege(offset, false);
    if (within(offset, SCS_OFFSET, PART_SIZE)) return this.readScs(offset - SCS_OFFSET, size);
    if (within(offset, DWT_OFFSET, PART_SIZE)) return this.parts.dwt.read(offset - DWT_OFFSET);
    this.parts.unimplemented(offset, size, false);
    return 0;
  }

  write(offset: number, size: number, value: number): void {
    this.checkPrivilege(offset, true);
    if (within(offset, SCS_OFFSET, PART_SIZE)) this.writeScs(offset - SCS_OFFSET, size, value);
    else if (within(offset, DWT_OFFSET, PART_SIZE)) this.parts.dwt.write(offset - DWT_OFFSET, value);
    else this.parts.unimplemented(offset, size, true);
    this.parts.written();
  }

  private readScs(off: number, size: number): number {
    const p = this.parts;
    if (within(off, SCS_SYSTICK, SYSTICK_WINDOW)) return isSysTick(off) ? p.systick.read(this.systickOffset(off, size, false)) : 0;
    if (MpuRegisters.covers(off)) return size === 4 ? p.mpu.read(off) : 0;
    if (ScbRegisters.covers(off)) return p.scb.read(off, size);
    if (NvicRegisters.covers(off)) return p.nvic.read(off, size);
    p.unimplemented(SCS_OFFSET + off, size, false);
    return 0;
  }

  private writeScs(off: number, size: number, value: number): void {
    const p = this.parts;
    if (within(off, SCS_SYSTICK, SYSTICK_WINDOW)) {
      if (isSysTick(off)) p.systick.write(this.systickOffset(off, size, true), value);
      return;
    }
    if (MpuRegisters.covers(off)) return size === 4 ? p.mpu.write(off, value) : undefined;
    if (ScbRegisters.covers(off)) return p.scb.write(off, size, value);
    if (NvicRegisters.covers(off)) return p.nvic.write(off, size, value);
    p.unimplemented(SCS_OFFSET + off, size, true);
  }

  private systickOffset(off: number, size: number, write: boolean): number {
    if (size !== 4 || (off & 3) !== 0) {
      throw new GuestBusError(PPB_BASE + SCS_OFFSET + off, write, 'SysTick registers need word access');
    }
    return off - SCS_SYSTICK;
  }

  private checkPrivilege(offset: number, write: boolean): void {
    if (this.parts.privileged()) return;
    const stir = offset === SCS_OFFSET + NVIC_REG.STIR && write && (this.parts.scb.ccr & CCR_USERSETMPEND) !== 0;
    if (!stir) throw new GuestBusError(PPB_BASE + offset, write, 'unprivileged access to the private peripheral bus');
  }
}

function within(offset: number, base: number, size: number): boolean {
  return offset >= base && offset < base + size;
}

/** SYST_CSR, SYST_RVR, SYST_CVR or SYST_CALIB (SCS offsets 0x10-0x1F). */
function isSysTick(off: number): boolean {
  return off < SCS_SYSTICK + SYSTICK_REGISTERS;
}
