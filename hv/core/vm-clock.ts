/**
 * A guest's view of virtual time. Between steps the guest's time is its core's clock; during a
 * step it is the step's start plus the cycles charged so far (hypervisor actions) plus the guest
 * instructions retired so far (read live from the native counter, one cycle each). A step ends
 * at its deadline: the earlier of the slice end and the guest's next device event, and the
 * deadline moves earlier when a device schedules an event inside the step.
 */
import type { GuestCpu } from '../arch/cpu.ts';
import { EventQueue, type ScheduledEvent } from '../time/event-queue.ts';
import type { VirtualTime } from '../time/virtual-time.ts';

export class VmClock implements VirtualTime {
  readonly queue = new EventQueue();
  private running = false;
  private stepStart = 0;
  private charged = 0;
  private deadline = Infinity;
  private pendingCharge = 0;
  cpu: GuestCpu | undefined;

  constructor(
    readonly hz: number,
    /** The clock of the core the guest is on, used between steps. */
    private readonly coreNow: () => number,
  ) {}

  now(): number {
    if (!this.running) return this.coreNow();
    return this.stepStart + this.charged + this.cpu!.cyclesNow;
  }

  schedule(at: number, label: string, fire: (at: number) => void): ScheduledEvent {
    const event = this.queue.schedule(at, label, fire);
    if (this.running && at < this.deadline) {
      this.deadline = at;
      this.updateLimit();
    }
    return event;
  }

  cancel(event: ScheduledEvent | undefined): void {
    this.queue.cancel(event);
  }

  /**
   * Adds hypervisor cycles to the step in progress. Work done between steps (a device event
   * fired while the guest waited) is charged at the start of the guest's next step.
   */
  charge(cycles: number): void {
    if (!this.running) {
      this.pendingCharge += cycles;
      return;
    }
    this.charged += cycles;
    this.updateLimit();
  }

  beginStep(start: number, deadline: number): void {
    this.running = true;
    this.stepStart = start;
    this.charged = this.pendingCharge;
    this.pendingCharge = 0;
    this.deadline = Math.min(deadline, this.queue.nextTime());
  }

  /** Ends the step; returns the cycles it consumed (guest instructions' cycles plus charges). */
  endStep(guestCycles: number): number {
    this.running = false;
    return guestCycles + this.charged;
  }

  /** Cycles the guest may still run before the deadline. */
  budget(): number {
    return Math.max(0, this.deadline - this.now());
  }

  nextEventTime(): number {
    return this.queue.nextTime();
  }

  /** Fires the guest's device events due at or before `now`. */
  fireDue(now: number): void {
    this.queue.runDue(now);
  }

  private updateLimit(): void {
    const cpu = this.cpu!;
    const executing = cpu.cyclesNow;
    const left = this.deadline - (this.stepStart + this.charged + executing);
    cpu.setStepLimit(executing + (left > 0 ? left : 0));
  }
}
