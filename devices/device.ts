/**
 * What a device model gets from the board: the virtual clock, its interrupt outputs and a way to
 * report accesses to registers hvlab does not model (traced, never silently ignored). Devices
 * never touch the host: console bytes, files and time reach them through these interfaces.
 */
import type { VirtualTime } from '../hv/time/virtual-time.ts';

export type { MmioDevice } from '../hv/trap/mmio.ts';

/** A level-sensitive interrupt output; the board wires it to an NVIC line (or NMI, or an OR gate). */
export type IrqLine = (high: boolean) => void;

/** An interrupt output wired to nothing. */
export const UNCONNECTED: IrqLine = () => {};

export interface DeviceContext {
  readonly time: VirtualTime;
  /** Reports an access to a register the model does not implement (it reads as zero). */
  unimplemented(device: string, offset: number, size: number, write: boolean): void;
}

/**
 * Combines several interrupt outputs into one line (QEMU's TYPE_OR_IRQ). The output follows the
 * OR of the inputs and is driven only when that OR changes: on a level line a repeated level
 * means nothing, and an edge-triggered target (the NMI) must see each rising edge once.
 */
export class OrGate {
  private readonly levels: boolean[];
  private level = false;

  constructor(
    inputs: number,
    private readonly output: IrqLine,
  ) {
    this.levels = new Array<boolean>(inputs).fill(false);
  }

  input(index: number): IrqLine {
    return (high) => {
      this.levels[index] = high;
      const level = this.levels.some(Boolean);
      if (level === this.level) return;
      this.level = level;
      this.output(level);
    };
  }
}

/** The CMSDK peripherals' PID4-PID7, PID0-PID3 and CID0-CID3 registers, one byte per word. */
export const CMSDK_ID_REGS = { PID4: 0xfd0, CID3: 0xffc } as const;

/** PID/CID identification registers at 0xFD0-0xFFC, as CMSDK peripherals have them. */
export function readIdRegister(ids: readonly number[], offset: number): number | undefined {
  if (offset < CMSDK_ID_REGS.PID4 || offset >= CMSDK_ID_REGS.CID3 + 4) return undefined;
  return ids[(offset - CMSDK_ID_REGS.PID4) >> 2];
}

/** The value of a `size`-byte access: QEMU truncates what a handler returns to the access size. */
export function sizeMask(value: number, size: number): number {
  return size >= 4 ? value >>> 0 : value & ((1 << (size * 8)) - 1);
}
