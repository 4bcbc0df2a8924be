/**
 * Bytes sent to a guest's console UART receive line at virtual times. Each byte takes one
 * character time on the line (10 bits at 115200 baud: 2170 cycles at 25 MHz), and the sender
 * holds bytes back while the UART cannot take one (its receive buffer is full or reception is
 * off) until the UART says it can, as QEMU's character backends do: nothing is lost and no
 * event is scheduled while the guest does not read. Everything happens on the guest's clock,
 * so scripted input is deterministic.
 */
import type { ScheduledEvent } from '../time/event-queue.ts';
import type { VirtualTime } from '../time/virtual-time.ts';

/** A UART's receive path as a sender sees it. */
export interface SerialReceiver {
  /** Offers one byte; false when the UART cannot take it now. */
  receive(byte: number): boolean;
  /** Called when it can take a byte again after refusing one. */
  onReceiveReady(listener: () => void): void;
}

export const LINE_BAUD = 115_200;
/** Start bit, 8 data bits, stop bit. */
const BITS_PER_BYTE = 10;

export interface UartFeedState {
  readonly queue: ReadonlyArray<{ readonly at: number; readonly byte: number }>;
  readonly blocked: boolean;
  readonly lastDelivery: number;
  readonly lastQueued: number;
  readonly delivered: number;
  readonly eventAt: number | undefined;
}

export class UartFeed {
  private readonly queue: Array<{ at: number; byte: number }> = [];
  private head = 0;
  private event: ScheduledEvent | undefined;
  /** The UART refused the head byte: wait until it says it is ready. */
  private blocked = false;
  private lastDelivery = -Infinity;
  private lastQueued = 0;
  readonly byteCycles: number;
  delivered = 0;

  constructor(
    private readonly clock: VirtualTime,
    private readonly uart: SerialReceiver,
  ) {
    this.byteCycles = Math.round((clock.hz * BITS_PER_BYTE) / LINE_BAUD);
    uart.onReceiveReady(() => this.ready());
  }

  /** Bytes to arrive from virtual time `at` on (default: now), after any queued before. */
  send(bytes: Uint8Array, at: number = this.clock.now()): void {
    const from = Math.max(at, this.lastQueued);
    this.lastQueued = from;
    for (const byte of bytes) this.queue.push({ at: from, byte });
    this.arm();
  }

  /** The bytes not yet delivered, where the line stands and the pending delivery's time (a checkpoint). */
  saveState(): UartFeedState {
    const { blocked, lastDelivery, lastQueued, delivered } = this;
    return { queue: this.queue.slice(this.head).map((b) => ({ ...b })), blocked, lastDelivery, lastQueued, delivered, eventAt: this.event?.at };
  }

  restoreState(s: UartFeedState): void {
    this.queue.length = 0;
    for (const b of s.queue) this.queue.push({ ...b });
    this.head = 0;
    ({ blocked: this.blocked, lastDelivery: this.lastDelivery, lastQueued: this.lastQueued, delivered: this.delivered } = s);
    this.event = s.eventAt === undefined ? undefined : this.clock.schedule(s.eventAt, 'uart input', (t) => this.deliver(t));
  }

  /** Bytes queued and not yet taken by the UART. */
  get pending(): number {
    return this.queue.length - this.head;
  }

  private arm(): void {
    const next = this.queue[this.head];
    if (!next || this.event || this.blocked) return;
    // Never in the guest's past: a byte held back arrives when the UART is ready, not before.
    const at = Math.max(next.at, this.lastDelivery + this.byteCycles, this.clock.now());
    this.event = this.clock.schedule(at, 'uart input', (t) => this.deliver(t));
  }

  private deliver(at: number): void {
    this.event = undefined;
    const next = this.queue[this.head]!;
    if (!this.uart.receive(next.byte)) {
      this.blocked = true;
      return;
    }
    this.head++;
    this.delivered++;
    this.lastDelivery = at;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    this.arm();
  }

  private ready(): void {
    if (!this.blocked) return;
    this.blocked = false;
    this.arm();
  }
}
