/**
 * hvlab's physical console UART: the serial line the driver VM owns, whose bytes reach the host
 * console. It carries several guests' consoles (virtio-console backends), so each byte goes to
 * the console of the channel selected in CHANNEL. One register slot per issuing context (slot 0:
 * the driver VM; slot 1 + n: driver code running on core n), so contexts never share CHANNEL.
 *
 * Registers of a slot (slot n at n × 0x100):
 * | off  | name    | access | meaning                                         |
 * |------|---------|--------|-------------------------------------------------|
 * | 0x00 | DATA    | WO     | one byte to the console of CHANNEL              |
 * | 0x04 | STATE   | RO     | 0: never full (transmission is immediate)       |
 * | 0x08 | CHANNEL | RW     | console channel (a guest index)                 |
 */
import type { MmioDevice } from './device.ts';

/** Register offsets within a slot (firmware/lib/hvlab-io.h has the same as HOSTUART_<name>). */
export const HOSTUART_REG = { DATA: 0x00, STATE: 0x04, CHANNEL: 0x08 } as const;
/** Slot n's registers are at n × HOSTUART_SLOT_STRIDE. */
export const HOSTUART_SLOT_STRIDE = 0x100;

export class HostConsoleUart implements MmioDevice {
  readonly model = 'hvlab-console-uart';
  readonly size: number;
  /** Physical device: the driver contexts that map it reach it without a trap. */
  readonly passthrough = true;
  private readonly channels: number[];

  constructor(
    readonly name: string,
    slotCount: number,
    /** Receives each byte with the channel it was sent on. */
    private readonly output: (channel: number, byte: number) => void,
  ) {
    this.size = slotCount * HOSTUART_SLOT_STRIDE;
    this.channels = new Array<number>(slotCount).fill(0);
  }

  reset(): void {
    this.channels.fill(0);
  }

  saveState(): number[] {
    return [...this.channels];
  }

  restoreState(state: unknown): void {
    this.channels.splice(0, this.channels.length, ...(state as number[]));
  }

  read(offset: number): number {
    const slot = Math.floor(offset / HOSTUART_SLOT_STRIDE);
    return offset % HOSTUART_SLOT_STRIDE === HOSTUART_REG.CHANNEL ? (this.channels[slot] ?? 0) : 0;
  }

  write(offset: number, size: number, value: number): void {
    void size;
    const slot = Math.floor(offset / HOSTUART_SLOT_STRIDE);
    if (slot >= this.channels.length) return;
    const reg = offset % HOSTUART_SLOT_STRIDE;
    if (reg === HOSTUART_REG.CHANNEL) this.channels[slot] = value >>> 0;
    else if (reg === HOSTUART_REG.DATA) this.output(this.channels[slot]!, value & 0xff);
  }
}
