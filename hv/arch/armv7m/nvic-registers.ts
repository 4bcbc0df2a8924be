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

const NVIC_ID: Record<number, number> = {
  0xfe0: 0x00,
  0xfe4: 0xb0,
  0xfe8: 0x1b,
  0xfec: 0x00,
  0xff0: 0x0d,
  0xff4: 0xe0,
  0xff8: 0x05,
  0xffc: 0xb1,
};

type BitArray = 'enabled' | 'pending' | 'active';

export class NvicRegisters {
  constructor(private readonly state: ExceptionState) {}

  /** True when `offset` belongs to the NVIC part of the SCS. */
  static covers(offset: number): boolean {
    return offset === 0x004 || (offset >= 0x100 && offset < 0x5f0) || offset === 0xf00 || offset >= 0xfe0;
  }

  read(offset: number, size: number): number {
    if (offset === 0x004) return Math.max(0, Math.ceil(this.state.irqCount / 32) - 1);
    if (offset >= 0x100 && offset < 0x140) return this.readBits('enabled', offset - 0x100, size);
    if (offset >= 0x180 && offset < 0x1c0) return this.readBits('enabled', offset - 0x180, size);
    if (offset >= 0x200 && offset < 0x240) return this.readBits('pending', offset - 0x200, size);
    if (offset >= 0x280 && offset < 0x2c0) return this.readBits('pending', offset - 0x280, size);
    if (offset >= 0x300 && offset < 0x340) return this.readBits('active', offset - 0x300, size);
    if (offset >= 0x400 && offset < 0x5f0) return this.readPriorities(offset - 0x400, size);
    return NVIC_ID[offset] ?? 0;
  }

  write(offset: number, size: number, value: number): void {
    if (offset >= 0x100 && offset < 0x140) this.forBits(offset - 0x100, size, value, (e) => (this.state.enabled[e] = true));
    else if (offset >= 0x180 && offset < 0x1c0) this.forBits(offset - 0x180, size, value, (e) => (this.state.enabled[e] = false));
    else if (offset >= 0x200 && offset < 0x240) this.forBits(offset - 0x200, size, value, (e) => this.state.setPending(e));
    else if (offset >= 0x280 && offset < 0x2c0) this.forBits(offset - 0x280, size, value, (e) => this.state.clearPending(e));
    else if (offset >= 0x400 && offset < 0x5f0) this.writePriorities(offset - 0x400, size, value);
    else if (offset === 0xf00) this.softwareTrigger(value);
  }

  /** STIR: pends external interrupt INTID. */
  softwareTrigger(value: number): void {
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
