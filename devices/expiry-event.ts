/**
 * The one event a timer keeps on the virtual clock: its next expiry, and only while that expiry
 * can change an output (the timers compute their counts on access; an event exists only to raise
 * an interrupt or a reset on time). Moving it to the time it already has is free; anything else
 * cancels the old event and schedules the new one.
 */
import type { ScheduledEvent } from '../hv/time/event-queue.ts';
import type { VirtualTime } from '../hv/time/virtual-time.ts';

export class ExpiryEvent {
  private event: ScheduledEvent | undefined;

  constructor(
    private readonly time: VirtualTime,
    /** The event's label in traces and the queue. */
    private readonly label: string,
    /** Called at the expiry with its time; the event is gone by then (call {@link at} again). */
    private readonly fire: (when: number) => void,
  ) {}

  /** Schedules the expiry at cycle `when`, or none when `when` is undefined. */
  at(when: number | undefined): void {
    if (this.event?.at === when && when !== undefined) return;
    this.cancel();
    if (when === undefined) return;
    this.event = this.time.schedule(when, this.label, (t) => {
      this.event = undefined;
      this.fire(t);
    });
  }

  /** When the pending expiry is due (undefined: none); what a checkpoint keeps of it. */
  get pending(): number | undefined {
    return this.event?.at;
  }

  /** Re-creates a saved expiry in a queue emptied for a restore (any handle held is stale). */
  restore(when: number | undefined): void {
    this.event = undefined;
    this.at(when);
  }

  cancel(): void {
    this.time.cancel(this.event);
    this.event = undefined;
  }
}
