/**
 * The interface between the hypervisor core and an architecture's vCPU model. The core schedules
 * vCPUs, keeps time and records what happens; the architecture runs guest code and reports
 * events through {@link CpuEvents}. Core code never reads architecture state directly.
 */

/** Kinds of trap the hypervisor counts and traces. */
export type TrapKind = 'mmio' | 'svc' | 'hypercall' | 'fault' | 'semihosting' | 'wfi' | 'bkpt' | 'reset';

export interface CpuEvents {
  /** An exception handler was entered (tailChained: without unstacking the previous one). */
  exceptionEntry(exception: number, name: string, tailChained: boolean, pc: number): void;
  /** An exception handler returned (tailChain: straight into another handler, costed by its entry). */
  exceptionReturn(exception: number, name: string, toThread: boolean, pc: number, tailChain?: boolean): void;
  /** The guest trapped into the hypervisor. */
  trap(kind: TrapKind, detail: string, pc: number): void;
}

export interface FaultReport {
  /** Why the guest was stopped: no-handler, lockup, fault-loop, stacking-error, engine-error. */
  readonly reason: string;
  /** The exception involved (HardFault, BusFault, ...). */
  readonly kind: string;
  readonly description: string;
  /** The guest fault that led here (e.g. "precise data bus error reading 0x30000000"), if any. */
  readonly cause: string | null;
  readonly pc: number;
  readonly cfsr: number;
  readonly hfsr: number;
  readonly mmfar: number;
  readonly bfar: number;
  readonly registers: Readonly<Record<string, number>>;
}

export type StepOutcome =
  /** Ran until the instruction limit, a requested stop, or exception activity. */
  | { readonly kind: 'ran' }
  /** Waiting for an interrupt (WFI) until something becomes pending. */
  | { readonly kind: 'sleeping' }
  /** The guest ended itself (semihosting exit). */
  | { readonly kind: 'halted'; readonly exitCode: number }
  /** The guest faulted beyond recovery and is stopped. */
  | { readonly kind: 'faulted'; readonly report: FaultReport };

export interface GuestCpu {
  /** Puts the CPU in its reset state (vector table at the reset VTOR). */
  reset(): void;
  /**
   * Takes pending exceptions and runs guest instructions within the budget the host gives. The
   * count actually retired is {@link lastExecuted} afterwards.
   */
  step(): StepOutcome;
  readonly lastExecuted: number;
  /** Cycles of the last step's instructions (equal to lastExecuted with one cycle per instruction). */
  readonly lastCycles: number;
  /** Cycles of the instructions retired so far in the step in progress (valid inside device callbacks). */
  readonly cyclesNow: number;
  /** Lowers or raises the cycle limit of the step in progress. */
  setStepLimit(maxCycles: number): void;
  /** Stops the step in progress before its next instruction. */
  requestStop(): void;
  /** True when a sleeping CPU has an interrupt that wakes it. */
  canWake(): boolean;
  readonly sleeping: boolean;
  /** Current program counter. */
  pc(): number;
  /** Drives an external interrupt line. */
  setIrq(irq: number, high: boolean): void;
  /** Pends the non-maskable interrupt. */
  pendNmi(): void;
  /** Releases the engine and native resources. */
  close(): void;
}
