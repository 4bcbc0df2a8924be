/**
 * What the run loop needs of a vCPU. {@link Vm} implements it; the loop's unit tests drive the
 * hypervisor with fakes. A vCPU's placement (the core it is on) is one property that only the
 * hypervisor sets; its time between steps is that core's clock, never earlier than its floor.
 */
import type { FaultReport, StepOutcome } from '../arch/cpu.ts';
import type { SchedulableVcpu } from '../sched/scheduler.ts';
import type { CoreClock } from '../time/core-clock.ts';

/** How a guest ended (immutable once set). */
export interface VmExit {
  readonly state: 'halted' | 'faulted';
  readonly exitCode: number | null;
  readonly fault: FaultReport | null;
  /** Virtual time of the end. */
  readonly at: number;
}

export interface StepResult {
  readonly outcome: StepOutcome;
  /** Cycles the step used (guest instructions and hypervisor work charged to it). */
  readonly consumed: number;
  /** Instructions the guest retired in the step. */
  readonly instructions: number;
}

export interface LoopVcpu extends SchedulableVcpu {
  /** The clock of the core the vCPU is placed on (set by the hypervisor). */
  placement: CoreClock;
  /** The vCPU never runs before this time: where it left its last core when it migrated. */
  floor: number;
  /** Due time of its earliest device event, or Infinity. */
  nextEventTime(): number;
  /** Fires its device events due at or before `now`. */
  fireDue(now: number): void;
  /** True while it waits for an interrupt that has not arrived (WFI/WFE with nothing to wake it). */
  readonly waiting: boolean;
  /** Runs from `start` until at most `deadline`. */
  step(start: number, deadline: number): StepResult;
  /** Hypervisor work done on its behalf outside a step (a context switch, a migration). */
  account(cycles: number): void;
  /** Marks it stopped; it announces a fault report itself. */
  stop(exit: VmExit): void;
  /** Stops the step in progress at the next instruction boundary. */
  requestStop(): void;
  pc(): number;
}
