/**
 * A guest's view of virtual time. Between steps the guest's time is its core's clock (never
 * earlier than the guest's floor: a guest that migrated from a core ahead in time does not go
 * back); during a step it is the step's start plus the cycles charged so far (hypervisor
 * actions) plus the cycles of the guest instructions retired so far (read live from the vCPU's
 * counter). Hypervisor work done between steps (a device completion served for the guest)
 * is charged from the guest's present on and delays its next step. A step ends at its deadline: the earlier of the slice end and the guest's next device
 * event, and the deadline moves earlier when a device schedules an event inside the step.
 */
import { InternalError } from '../errors.ts';
import { EventQueue, type ScheduledEvent } from '../time/event-queue.ts';
import type { VirtualTime } from '../time/virtual-time.ts';

/** The live instruction counter of the vCPU in a step. */
export interface StepCounter {
  /** Cycles of the instructions retired so far in the step in progress. */
  readonly cyclesNow: number;
  /** Lowers or raises the cycle limit of the step in progress. */
  setStepLimit(maxCycles: number): void;
}

export class VmClock implements VirtualTime {
  readonly queue = new EventQueue();
  private running = false;
  private stepStart = 0;
  private charged = 0;
  private deadline = Infinity;
  private pendingCharge = 0;
  private counter: StepCounter | undefined;

  constructor(
    readonly hz: number,
    /** The guest's time between steps: its core's clock, at least its floor. */
    private readonly idleNow: () => number,
  ) {}

  /**
   * Hypervisor work charged between steps, not yet taken by a step (a checkpoint keeps it with
   * the queue's events; it is taken between steps only, when no step is in progress).
   */
  get pendingCycles(): number {
    if (this.running) throw new InternalError('VmClock: a checkpoint in the middle of a step');
    return this.pendingCharge;
  }

  set pendingCycles(cycles: number) {
    this.pendingCharge = cycles;
  }

  /** Connects the vCPU's counter (the vCPU is built with this clock, so it comes second). */
  bindCounter(counter: StepCounter): void {
    this.counter = counter;
  }

  now(): number {
    // Hypervisor work done for the guest between steps takes time too: it runs from the guest's
    // present on, and its next step starts after it.
    if (!this.running) return this.idleNow() + this.pendingCharge;
    return this.stepStart + this.charged + this.live.cyclesNow;
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

  private get live(): StepCounter {
    if (!this.counter) throw new InternalError('VmClock used in a step before its vCPU was bound');
    return this.counter;
  }

  private updateLimit(): void {
    const counter = this.live;
    const executing = counter.cyclesNow;
    const left = this.deadline - (this.stepStart + this.charged + executing);
    counter.setStepLimit(executing + (left > 0 ? left : 0));
  }
}
