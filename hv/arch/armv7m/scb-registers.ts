/**
 * System Control Block registers (ARMv7-M ARM B3.2), offsets from 0xE000E000, with the reset
 * values and writable masks of QEMU 7.2's Cortex-M4 (the oracle board):
 *   0x008 ACTLR (RAZ/WI)  0xD00 CPUID  0xD04 ICSR  0xD08 VTOR  0xD0C AIRCR  0xD10 SCR  0xD14 CCR
 *   0xD18-0xD23 SHPR1-3 (byte access)  0xD24 SHCSR  0xD28 CFSR (byte/halfword/word, W1C)
 *   0xD2C HFSR (W1C)  0xD30 DFSR  0xD34 MMFAR  0xD38 BFAR  0xD3C AFSR (RAZ/WI)
 *   0xD40-0xD74 ID_PFR0..ID_ISAR5  0xD88 CPACR  0xD8C NSACR
 *   0xDF0-0xDFC DHCSR, DCRSR, DCRDR, DEMCR (stored; DEMCR.TRCENA gates the DWT)
 *   0xF34 FPCCR  0xF38 FPCAR  0xF3C FPDSCR  0xF40-0xF48 MVFR0-2
 * The MPU registers (0xD90-0xDB8) live in mpu-registers.ts. Word-only registers read as zero and
 * ignore writes of other sizes, as QEMU does.
 */
import { EXC } from './exceptions.ts';
import type { ExceptionState } from './exception-state.ts';
import type { FaultStatus } from './fault-status.ts';

/** Register offsets from 0xE000E000 (ARMv7-M ARM B3.2, plus the debug and FP registers; the MPU's are in mpu-registers.ts). */
export const SCB_REG = {
  ACTLR: 0x008,
  CPUID: 0xd00,
  ICSR: 0xd04,
  VTOR: 0xd08,
  AIRCR: 0xd0c,
  SCR: 0xd10,
  CCR: 0xd14,
  SHPR1: 0xd18,
  SHPR2: 0xd1c,
  SHPR3: 0xd20,
  SHCSR: 0xd24,
  CFSR: 0xd28,
  HFSR: 0xd2c,
  DFSR: 0xd30,
  MMFAR: 0xd34,
  BFAR: 0xd38,
  AFSR: 0xd3c,
  ID_PFR0: 0xd40,
  ID_PFR1: 0xd44,
  ID_DFR0: 0xd48,
  ID_AFR0: 0xd4c,
  ID_MMFR0: 0xd50,
  ID_MMFR1: 0xd54,
  ID_MMFR2: 0xd58,
  ID_MMFR3: 0xd5c,
  ID_ISAR0: 0xd60,
  ID_ISAR1: 0xd64,
  ID_ISAR2: 0xd68,
  ID_ISAR3: 0xd6c,
  ID_ISAR4: 0xd70,
  ID_ISAR5: 0xd74,
  CPACR: 0xd88,
  NSACR: 0xd8c,
  DHCSR: 0xdf0,
  DCRSR: 0xdf4,
  DCRDR: 0xdf8,
  DEMCR: 0xdfc,
  FPCCR: 0xf34,
  FPCAR: 0xf38,
  FPDSCR: 0xf3c,
  MVFR0: 0xf40,
  MVFR1: 0xf44,
  MVFR2: 0xf48,
} as const;
const R = SCB_REG;

const CPUID_CORTEX_M4 = 0x410fc240;
const CCR_RESET = 0x200;
const CCR_WRITABLE = 0x31b;
const FPCCR_RESET = 0xc0000000;
const FPCCR_WRITABLE = 0xc000017b;
const FPDSCR_WRITABLE = 0x07c00000;
const AIRCR_VECTKEY = 0x05fa;
export const DEMCR_TRCENA = 1 << 24;

/** The read-only identification registers, QEMU's Cortex-M4 values (absent ones read 0). */
const ID_REGISTERS: Record<number, number> = {
  [R.ID_PFR0]: 0x00000030,
  [R.ID_PFR1]: 0x00000200,
  [R.ID_DFR0]: 0x00100000,
  [R.ID_AFR0]: 0,
  [R.ID_MMFR0]: 0x00000030,
  [R.ID_MMFR1]: 0,
  [R.ID_MMFR2]: 0,
  [R.ID_MMFR3]: 0,
  [R.ID_ISAR0]: 0x01141110,
  [R.ID_ISAR1]: 0x02111000,
  [R.ID_ISAR2]: 0x21112231,
  [R.ID_ISAR3]: 0x01111110,
  [R.ID_ISAR4]: 0x01310102,
  [R.ID_ISAR5]: 0,
  [R.MVFR0]: 0x10110021,
  [R.MVFR1]: 0x11000011,
  [R.MVFR2]: 0,
};

/** True when `offset` lies in the registers `first` to `last` (word registers, both included). */
function within(offset: number, first: number, last: number): boolean {
  return offset >= first && offset < last + 4;
}

/** SHCSR bit → exception, for the active, pending and enable bits. */
const SHCSR_ACTIVE: Array<[number, number]> = [[0, 4], [1, 5], [3, 6], [7, 11], [8, 12], [10, 14], [11, 15]];
const SHCSR_PENDING: Array<[number, number]> = [[12, 6], [13, 4], [14, 5], [15, 11]];
const SHCSR_ENABLE: Array<[number, number]> = [[16, 4], [17, 5], [18, 6]];
/** SHPR bytes that exist (exceptions 4-6, 11, 12, 14, 15). */
const SHPR_IMPLEMENTED = new Set([4, 5, 6, 11, 12, 14, 15]);

export interface ScbHooks {
  /** Current exception number (IPSR). */
  currentException(): number;
  /** AIRCR.SYSRESETREQ: reset the whole guest. */
  requestSystemReset(): void;
  /** True when the running context has used the FPU since the last exception entry (CONTROL.FPCA). */
  fpContextActive(): boolean;
  /** DEMCR is about to be written (DEMCR.TRCENA gates the DWT cycle counter). */
  traceEnableChanging(): void;
}

/** The registers the SCB stores itself. */
const SCB_FIELDS = ['vtor', 'ccr', 'scr', 'cpacr', 'fpccr', 'fpcar', 'fpdscr', 'demcr', 'dhcsr'] as const;
type ScbField = (typeof SCB_FIELDS)[number];

export class ScbRegisters {
  vtor = 0;
  ccr = CCR_RESET;
  scr = 0;
  cpacr = 0;
  fpccr = FPCCR_RESET;
  fpcar = 0;
  fpdscr = 0;
  demcr = 0;
  dhcsr = 0;

  constructor(
    private readonly state: ExceptionState,
    private readonly faults: FaultStatus,
    private readonly hooks: ScbHooks,
  ) {}

  /** The stored registers (a checkpoint; the exception and fault state are saved by their owners). */
  saveState(): Record<ScbField, number> {
    return Object.fromEntries(SCB_FIELDS.map((f) => [f, this[f]])) as Record<ScbField, number>;
  }

  restoreState(s: Readonly<Record<ScbField, number>>): void {
    for (const f of SCB_FIELDS) this[f] = s[f];
  }

  static covers(offset: number): boolean {
    return offset === R.ACTLR || within(offset, R.CPUID, R.NSACR) || within(offset, R.DHCSR, R.DEMCR) || within(offset, R.FPCCR, R.MVFR2);
  }

  reset(): void {
    this.vtor = 0;
    this.ccr = CCR_RESET;
    this.scr = 0;
    this.cpacr = 0;
    this.fpccr = FPCCR_RESET;
    this.fpcar = 0;
    this.fpdscr = 0;
    this.demcr = 0;
    this.dhcsr = 0;
  }

  read(offset: number, size: number): number {
    if (within(offset, R.SHPR1, R.SHPR3)) return this.readShpr(offset - R.SHPR1, size);
    if (within(offset, R.CFSR, R.CFSR)) return this.readCfsr(offset - R.CFSR, size);
    if (size !== 4) return 0;
    return this.readWord(offset);
  }

  write(offset: number, size: number, value: number): void {
    if (within(offset, R.SHPR1, R.SHPR3)) return this.writeShpr(offset - R.SHPR1, size, value);
    if (within(offset, R.CFSR, R.CFSR)) return this.writeCfsr(offset - R.CFSR, size, value);
    if (size === 4) this.writeWord(offset, value >>> 0);
  }

  private readWord(offset: number): number {
    switch (offset) {
      case R.CPUID: return CPUID_CORTEX_M4;
      case R.ICSR: return this.readIcsr();
      case R.VTOR: return this.vtor;
      case R.AIRCR: return ((0xfa05 << 16) | (this.state.prigroup << 8)) >>> 0;
      case R.SCR: return this.scr;
      case R.CCR: return this.ccr;
      case R.SHCSR: return this.readShcsr();
      case R.HFSR: return this.faults.hfsr >>> 0;
      case R.MMFAR: return this.faults.mmfar >>> 0;
      case R.BFAR: return this.faults.bfar >>> 0;
      case R.CPACR: return this.cpacr;
      case R.DHCSR: return this.dhcsr;
      case R.DEMCR: return this.demcr;
      case R.FPCCR: return this.readFpccr();
      case R.FPCAR: return this.fpcar;
      case R.FPDSCR: return this.fpdscr;
      default: return ID_REGISTERS[offset] ?? 0;
    }
  }

  private writeWord(offset: number, value: number): void {
    switch (offset) {
      case R.ICSR: return this.writeIcsr(value);
      case R.VTOR: this.vtor = (value & 0xffffff80) >>> 0; return;
      case R.AIRCR: return this.writeAircr(value);
      case R.SCR: this.scr = value & 0x12; return;
      case R.CCR: this.ccr = value & CCR_WRITABLE; return;
      case R.SHCSR: return this.writeShcsr(value);
      case R.HFSR: this.faults.hfsr = (this.faults.hfsr & ~value) >>> 0; return;
      case R.MMFAR: this.faults.mmfar = value; return;
      case R.BFAR: this.faults.bfar = value; return;
      case R.CPACR: this.cpacr = value & 0x00f00000; return;
      case R.DEMCR:
        this.hooks.traceEnableChanging();
        this.demcr = value & 0x010f07f1;
        return;
      case R.FPCCR: this.fpccr = ((this.fpccr & ~FPCCR_WRITABLE) | (value & FPCCR_WRITABLE)) >>> 0; return;
      case R.FPCAR: this.fpcar = (value & ~7) >>> 0; return;
      case R.FPDSCR: this.fpdscr = value & FPDSCR_WRITABLE; return;
      default: return;
    }
  }

  /** A handler's first FP instruction performs the pending lazy save, which clears LSPACT. */
  private readFpccr(): number {
    if (this.fpccr & 1 && this.hooks.fpContextActive()) this.fpccr = (this.fpccr & ~1) >>> 0;
    return this.fpccr >>> 0;
  }

  private readIcsr(): number {
    const s = this.state;
    let value = this.hooks.currentException() & 0x1ff;
    if (s.activeCount() <= 1) value |= 1 << 11;
    value |= (s.highestPending() & 0x1ff) << 12;
    for (let exc = EXC.IRQ0; exc < s.count; exc++) if (s.pending[exc]) value |= 1 << 22;
    if (s.pending[EXC.SYSTICK]) value |= 1 << 26;
    if (s.pending[EXC.PENDSV]) value |= 1 << 28;
    if (s.pending[EXC.NMI]) value |= 1 << 31;
    return value >>> 0;
  }

  private writeIcsr(value: number): void {
    const s = this.state;
    if (value & (1 << 31)) s.setPending(EXC.NMI);
    if (value & (1 << 28)) s.setPending(EXC.PENDSV);
    else if (value & (1 << 27)) s.clearPending(EXC.PENDSV);
    if (value & (1 << 26)) s.setPending(EXC.SYSTICK);
    else if (value & (1 << 25)) s.clearPending(EXC.SYSTICK);
  }

  private writeAircr(value: number): void {
    if (value >>> 16 !== AIRCR_VECTKEY) return;
    this.state.prigroup = (value >>> 8) & 7;
    if (value & (1 << 2)) this.hooks.requestSystemReset();
  }

  private readShcsr(): number {
    const s = this.state;
    let value = 0;
    for (const [bit, exc] of SHCSR_ACTIVE) if (s.active[exc]) value |= 1 << bit;
    for (const [bit, exc] of SHCSR_PENDING) if (s.pending[exc]) value |= 1 << bit;
    for (const [bit, exc] of SHCSR_ENABLE) if (s.enabled[exc]) value |= 1 << bit;
    return value >>> 0;
  }

  private writeShcsr(value: number): void {
    const s = this.state;
    for (const [bit, exc] of SHCSR_ACTIVE) s.active[exc] = ((value >>> bit) & 1) === 1;
    for (const [bit, exc] of SHCSR_PENDING) s.pending[exc] = ((value >>> bit) & 1) === 1;
    for (const [bit, exc] of SHCSR_ENABLE) s.enabled[exc] = ((value >>> bit) & 1) === 1;
  }

  private readShpr(byteOffset: number, size: number): number {
    let value = 0;
    for (let i = 0; i < size; i++) {
      const exc = 4 + byteOffset + i;
      if (SHPR_IMPLEMENTED.has(exc)) value |= (this.state.priority[exc]! & 0xff) << (8 * i);
    }
    return value >>> 0;
  }

  private writeShpr(byteOffset: number, size: number, value: number): void {
    for (let i = 0; i < size; i++) {
      const exc = 4 + byteOffset + i;
      if (SHPR_IMPLEMENTED.has(exc)) this.state.setPriority(exc, (value >>> (8 * i)) & 0xff);
    }
  }

  private readCfsr(byteOffset: number, size: number): number {
    const mask = size === 4 ? 0xffffffff : (1 << (8 * size)) - 1;
    return ((this.faults.cfsr >>> (8 * byteOffset)) & mask) >>> 0;
  }

  private writeCfsr(byteOffset: number, size: number, value: number): void {
    const mask = size === 4 ? 0xffffffff : (1 << (8 * size)) - 1;
    this.faults.cfsr = (this.faults.cfsr & ~((value & mask) << (8 * byteOffset))) >>> 0;
  }
}
