/**
 * A virtual clock for device tests: an EventQueue whose `now` only moves when the test advances
 * it, firing due events in time order with `now` set to each event's own time while it runs.
 */
import { EventQueue, type ScheduledEvent } from '../../hv/time/event-queue.ts';
import type { VirtualTime } from '../../hv/time/virtual-time.ts';
import type { DeviceContext } from '../../devices/device.ts';

export class FakeTime implements VirtualTime {
  readonly queue = new EventQueue();
  private current = 0;

  constructor(readonly hz = 25_000_000) {}

  now(): number {
    return this.current;
  }

  schedule(at: number, label: string, fire: (at: number) => void): ScheduledEvent {
    return this.queue.schedule(at, label, fire);
  }

  cancel(event: ScheduledEvent | undefined): void {
    this.queue.cancel(event);
  }

  /** Live scheduled events. */
  get pending(): number {
    return this.queue.size;
  }

  /** Due time of the next live event, or Infinity. */
  get next(): number {
    return this.queue.nextTime();
  }

  /** Moves the clock forward by `cycles`, firing every event due on the way. */
  advance(cycles: number): void {
    this.advanceTo(this.current + cycles);
  }

  /** Moves the clock to cycle `target`, firing every event due at or before it, in order. */
  advanceTo(target: number): void {
    if (!Number.isFinite(target)) throw new Error('cannot advance to an infinite time (nothing scheduled?)');
    if (target < this.current) throw new Error(`time cannot go back from ${this.current} to ${target}`);
    for (let at = this.queue.nextTime(); at <= target; at = this.queue.nextTime()) {
      this.current = Math.max(this.current, at);
      this.queue.runDue(this.current);
    }
    this.current = target;
  }
}

export interface UnimplementedAccess {
  device: string;
  offset: number;
  size: number;
  write: boolean;
}

/** A DeviceContext on a FakeTime that records the accesses reported as unimplemented. */
export function fakeContext(hz?: number): DeviceContext & { time: FakeTime; unimplementedLog: UnimplementedAccess[] } {
  const time = new FakeTime(hz);
  const unimplementedLog: UnimplementedAccess[] = [];
  return {
    time,
    unimplementedLog,
    unimplemented(device, offset, size, write) {
      unimplementedLog.push({ device, offset, size, write });
    },
  };
}

/** An interrupt output that remembers its level and every change of it. */
export class IrqProbe {
  level = false;
  /** Number of low-to-high transitions seen. */
  rises = 0;
  readonly line = (high: boolean): void => {
    if (high && !this.level) this.rises++;
    this.level = high;
  };
}
