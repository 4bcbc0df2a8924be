/**
 * ARMv7-M bit-band alias (ARMv7-M ARM A3.7.1), exactly as QEMU 7.2's armv7m bitband device
 * (hw/arm/armv7m.c): a 32 MiB window in which each word stands for one bit of a 1 MiB region.
 *
 * For an access of `size` bytes (1, 2 or 4) at `offset` in the window:
 * - the underlying address is (base | (offset & 0x1FFFFFF) >> 5), rounded down to a multiple of
 *   `size`;
 * - the bit is (offset >> 2) & (size * 8 - 1) within the little-endian `size`-byte value there;
 * - a read returns that bit (0 or 1);
 * - a write reads the `size`-byte value, sets or clears the bit from bit 0 of the written value
 *   and writes the whole value back (a read-modify-write, as QEMU does, not an atomic bit set).
 *
 * So a word access at alias offset 4n addresses bit n of the region, while byte and halfword
 * accesses select a bit within the byte or halfword (QEMU's reading of the architecture). A bus
 * error of the underlying access propagates to the guest. There are no registers and no state.
 */
import { GuestBusError, type MmioDevice } from '../hv/trap/mmio.ts';

/** The memory whose bits the window exposes; `read`/`write` take absolute addresses. */
export interface BitBandTarget {
  readonly base: number;
  read(address: number, size: number): number;
  write(address: number, size: number, value: number): void;
}

export class BitBand implements MmioDevice {
  readonly model = 'bitband';
  readonly size = 0x2000000;

  constructor(
    readonly name: string,
    private readonly target: BitBandTarget,
  ) {}

  reset(): void {}

  /** No state of its own: it reads and writes its target. */
  saveState(): undefined {
    return undefined;
  }

  restoreState(): void {}

  read(offset: number, size: number): number {
    const address = this.wordAddress(offset, size, false);
    return (this.target.read(address, size) >>> bitIndex(offset, size)) & 1;
  }

  write(offset: number, size: number, value: number): void {
    const address = this.wordAddress(offset, size, true);
    const mask = (1 << bitIndex(offset, size)) >>> 0;
    const old = this.target.read(address, size) >>> 0;
    const next = value & 1 ? old | mask : old & ~mask;
    this.target.write(address, size, next >>> 0);
  }

  /** Underlying address of the `size`-byte value holding the bit. */
  private wordAddress(offset: number, size: number, write: boolean): number {
    const address = (this.target.base | ((offset & 0x1ffffff) >>> 5)) >>> 0;
    if (size !== 1 && size !== 2 && size !== 4) {
      throw new GuestBusError(address, write, `bit-band access of ${size} bytes`);
    }
    return (address & -size) >>> 0;
  }
}

function bitIndex(offset: number, size: number): number {
  return (offset >>> 2) & (size * 8 - 1);
}
