/**
 * What devices and the architecture model see of time: the current virtual cycle (exact even in
 * the middle of a guest run) and an event queue on that clock. Nothing in hv/ or devices/ reads
 * host time; everything that happens is a function of this clock.
 */
import type { ScheduledEvent } from './event-queue.ts';

export interface VirtualTime {
  /** Core clock frequency in Hz (the board's CPU clock, 25 MHz for mps2-an386). */
  readonly hz: number;
  /** Current virtual time in cycles. */
  now(): number;
  /** Runs `fire` when the clock reaches cycle `at` (at once if `at` is not in the future). */
  schedule(at: number, label: string, fire: (at: number) => void): ScheduledEvent;
  cancel(event: ScheduledEvent | undefined): void;
}
