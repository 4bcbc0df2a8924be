/**
 * NVIC registers of the System Control Space (ARMv7-M ARM B3.4), offsets from 0xE000E000:
 *   0x004 ICTR       interrupt controller type (INTLINESNUM)
 *   0x100 ISER0..    set-enable        0x180 ICER0..  clear-enable
 *   0x200 ISPR0..    set-pending       0x280 ICPR0..  clear-pending
 *   0x300 IABR0..    active bits (read-only)
 *   0x400 IPR0..     priority, one byte per interrupt (byte, halfword or word access)
 *   0xF00 STIR       software trigger (write-only)
 *   0xFE0-0xFFC      peripheral/component ID (QEMU's values)
 * Bits for interrupts the board does not implement read as zero and ignore writes.
 */
import { EXC } from './exceptions.ts';
import type { ExceptionState } from './exception-state.ts';

/** Register offsets from 0xE000E000 (ARMv7-M ARM B3.4; NVIC_ISER0 ...): the first register of each bank. */
export const NVIC_REG = {
  ICTR: 0x004,
  ISER0: 0x100,
  ICER0: 0x180,
  ISPR0: 0x200,
  ICPR0: 0x280,
  IABR0: 0x300,
  IPR0: 0x400,
  STIR: 0xf00,
  /** PID0-PID3, CID0-CID3 follow, one word each. */
  PID0: 0xfe0,
} as const;
const R = NVIC_REG;
/** ISERn, ICERn, ISPRn, ICPRn and IABRn are banks of 16 words (512 interrupts). */
const BANK_BYTES = 0x40;
/** IPR0-IPR123: one priority byte for each of 496 interrupts. */
const IPR_BYTES = 0x1f0;

/** PID0-PID3 and CID0-CID3 at 0xFE0-0xFFC, QEMU's values. */
const NVIC_ID = new Map([0x00, 0xb0, 0x1b, 0x00, 0x0d, 0xe0, 0x05, 0xb1].map((v, i) => [R.PID0 + 4 * i, v]));

/** True when `offset` is in the bank starting at `base` of `bytes` bytes. */
function inBank(offset: number, base: number, bytes = BANK_BYTES): boolean {
  return offset >= base && offset < base + bytes;
}

type BitArray = 'enabled' | 'pending' | 'active';

export class NvicRegisters {
  constructor(private readonly state: ExceptionState) {}

  /** True when `offset` belongs to the NVIC part of the SCS. */
  static covers(offset: number): boolean {
    return offset === R.ICTR || inBank(offset, R.ISER0, R.IPR0 + IPR_BYTES - R.ISER0) || offset === R.STIR || offset >= R.PID0;
  }

  read(offset: number, size: number): number {
    if (offset === R.ICTR) return Math.max(0, Math.ceil(this.state.irqCount / 32) - 1);
    if (inBank(offset, R.ISER0)) return this.readBits('enabled', offset - R.ISER0, size);
    if (inBank(offset, R.ICER0)) return this.readBits('enabled', offset - R.ICER0, size);
    if (inBank(offset, R.ISPR0)) return this.readBits('pending', offset - R.ISPR0, size);
    if (inBank(offset, R.ICPR0)) return this.readBits('pending', offset - R.ICPR0, size);
    if (inBank(offset, R.IABR0)) return this.readBits('active', offset - R.IABR0, size);
    if (inBank(offset, R.IPR0, IPR_BYTES)) return this.readPriorities(offset - R.IPR0, size);
    return NVIC_ID.get(offset) ?? 0;
  }

  write(offset: number, size: number, value: number): void {
    if (inBank(offset, R.ISER0)) this.forBits(offset - R.ISER0, size, value, (e) => (this.state.enabled[e] = true));
    else if (inBank(offset, R.ICER0)) this.forBits(offset - R.ICER0, size, value, (e) => (this.state.enabled[e] = false));
    else if (inBank(offset, R.ISPR0)) this.forBits(offset - R.ISPR0, size, value, (e) => this.state.setPending(e));
    else if (inBank(offset, R.ICPR0)) this.forBits(offset - R.ICPR0, size, value, (e) => this.state.clearPending(e));
    else if (inBank(offset, R.IPR0, IPR_BYTES)) this.writePriorities(offset - R.IPR0, size, value);
    else if (offset === R.STIR) this.softwareTrigger(value);
  }

  /** STIR: pends external interrupt INTID. */
  private softwareTrigger(value: number): void {
    const irq = value & 0x1ff;
    if (irq < this.state.irqCount) this.state.setPending(EXC.IRQ0 + irq);
  }

  private readBits(kind: BitArray, byteOffset: number, size: number): number {
    const bits = this.state[kind];
    let value = 0;
    for (let i = 0; i < size * 8; i++) {
      const irq = byteOffset * 8 + i;
      if (irq < this.state.irqCount && bits[EXC.IRQ0 + irq]) value |= 1 << i;
    }
    return value >>> 0;
  }

  private forBits(byteOffset: number, size: number, value: number, apply: (exc: number) => void): void {
    for (let i = 0; i < size * 8; i++) {
      const irq = byteOffset * 8 + i;
      if ((value >>> i) & 1 && irq < this.state.irqCount) apply(EXC.IRQ0 + irq);
    }
  }

  private readPriorities(byteOffset: number, size: number): number {
    let value = 0;
    for (let i = 0; i < size; i++) {
      const irq = byteOffset + i;
      if (irq < this.state.irqCount) value |= this.state.priority[EXC.IRQ0 + irq]! << (8 * i);
    }
    return value >>> 0;
  }

  private writePriorities(byteOffset: number, size: number, value: number): void {
    for (let i = 0; i < size; i++) {
      const irq = byteOffset + i;
      if (irq < this.state.irqCount) this.state.setPriority(EXC.IRQ0 + irq, (value >>> (8 * i)) & 0xff);
    }
  }
}
