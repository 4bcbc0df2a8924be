/**
 * Fault status registers of the SCB (CFSR = MMFSR | BFSR << 8 | UFSR << 16, HFSR, MMFAR, BFAR)
 * and the guest fault kinds hvlab raises, with the bits each one sets (ARMv7-M ARM B3.2.15-B3.2.18).
 */
import { EXC } from './exceptions.ts';

export const CFSR = {
  IACCVIOL: 1 << 0,
  DACCVIOL: 1 << 1,
  MUNSTKERR: 1 << 3,
  MSTKERR: 1 << 4,
  MMARVALID: 1 << 7,
  IBUSERR: 1 << 8,
  PRECISERR: 1 << 9,
  IMPRECISERR: 1 << 10,
  UNSTKERR: 1 << 11,
  STKERR: 1 << 12,
  BFARVALID: 1 << 15,
  UNDEFINSTR: 1 << 16,
  INVSTATE: 1 << 17,
  INVPC: 1 << 18,
  NOCP: 1 << 19,
  UNALIGNED: 1 << 24,
  DIVBYZERO: 1 << 25,
} as const;

export const HFSR = {
  VECTTBL: 1 << 1,
  FORCED: 1 << 30,
  DEBUGEVT: 1 << 31,
} as const;

/** A synchronous fault caused by the guest, before escalation. */
export interface GuestFault {
  /** MemManage, BusFault or UsageFault (or HardFault for vector-table errors). */
  readonly exception: number;
  /** CFSR bits to set. */
  readonly cfsr: number;
  /** Faulting data address for MMFAR/BFAR, when valid. */
  readonly address?: number;
  /** Human-readable description, e.g. "precise data bus error reading 0x30000000". */
  readonly description: string;
}

export function busFault(cfsr: number, description: string, address?: number): GuestFault {
  const bits = address === undefined ? cfsr : cfsr | CFSR.BFARVALID;
  return address === undefined
    ? { exception: EXC.BUS_FAULT, cfsr: bits, description }
    : { exception: EXC.BUS_FAULT, cfsr: bits, address, description };
}

export function memManageFault(cfsr: number, description: string, address?: number): GuestFault {
  const bits = address === undefined ? cfsr : cfsr | CFSR.MMARVALID;
  return address === undefined
    ? { exception: EXC.MEM_MANAGE, cfsr: bits, description }
    : { exception: EXC.MEM_MANAGE, cfsr: bits, address, description };
}

export function usageFault(cfsr: number, description: string): GuestFault {
  return { exception: EXC.USAGE_FAULT, cfsr, description };
}

export class FaultStatus {
  cfsr = 0;
  hfsr = 0;
  mmfar = 0;
  bfar = 0;

  reset(): void {
    this.cfsr = 0;
    this.hfsr = 0;
    this.mmfar = 0;
    this.bfar = 0;
  }

  /** Latches the status bits and address of a fault. */
  record(fault: GuestFault): void {
    this.cfsr |= fault.cfsr;
    if (fault.address === undefined) return;
    if (fault.exception === EXC.BUS_FAULT) this.bfar = fault.address >>> 0;
    if (fault.exception === EXC.MEM_MANAGE) this.mmfar = fault.address >>> 0;
  }

  snapshot(): { cfsr: number; hfsr: number; mmfar: number; bfar: number } {
    return { cfsr: this.cfsr, hfsr: this.hfsr, mmfar: this.mmfar, bfar: this.bfar };
  }

  /** Puts back a snapshot() (a checkpoint). */
  restore(s: ReturnType<FaultStatus['snapshot']>): void {
    ({ cfsr: this.cfsr, hfsr: this.hfsr, mmfar: this.mmfar, bfar: this.bfar } = s);
  }
}
