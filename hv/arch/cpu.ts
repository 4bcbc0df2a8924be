/**
 * The interface between the hypervisor core and an architecture (in the spirit of Bao's
 * `src/core/inc/vm.h` hook list): the core schedules vCPUs, keeps time and records what happens;
 * the architecture runs guest code, reports events through {@link CpuEvents}, formats its fault
 * reports and runs driver calls through its call ABI. Core and I/O code never read architecture
 * state directly and never import an architecture's folder; the composition root picks the
 * {@link ArchOps} of the board's CPU.
 */
import type { MmioDevice } from '../trap/mmio.ts';
import type { VirtualTime } from '../time/virtual-time.ts';
import type { Engine } from '../unicorn/engine.ts';

/** An address as `symbol+offset`, or undefined when no symbol covers it. */
export type Symbolize = (address: number) => string | undefined;

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

/** Why a guest was stopped, in terms any architecture can fill in. */
export interface FaultReport {
  /** Why the guest was stopped: no-handler, lockup, fault-loop, stacking-error, engine-error. */
  readonly reason: string;
  /** The exception involved (HardFault, BusFault, ...). */
  readonly kind: string;
  readonly description: string;
  /** The guest fault that led here (e.g. "precise data bus error reading 0x30000000"), if any. */
  readonly cause: string | null;
  readonly pc: number;
  /** `pc` as `symbol+offset` (filled in by the VM from the image's symbols; null without one). */
  readonly symbol?: string | null;
  /** Core registers by the architecture's names. */
  readonly registers: Readonly<Record<string, number>>;
  /** The architecture's fault status registers (Cortex-M: cfsr, hfsr, mmfar, bfar). */
  readonly detail: Readonly<Record<string, number>>;
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

/** The architecture's own register window in the guest's map (the PPB on Cortex-M). */
export interface SystemWindow {
  readonly base: number;
  readonly device: MmioDevice;
}

/** A register as a debugger numbers it (GDB's target description `regnum`). */
export interface DebugRegister {
  readonly name: string;
  readonly regnum: number;
  /** Size in bytes (little-endian in the protocol). */
  readonly bytes: number;
}

/**
 * What a debugger (the GDB stub) needs of a vCPU that is architecture-specific: its registers
 * in GDB's numbering with a target description, and the signal a fault is reported as.
 */
export interface DebugAccess {
  /** GDB target description (target.xml): architecture and register features. */
  readonly targetXml: string;
  /** Every register, in `g` packet order (ascending regnum). */
  readonly registers: readonly DebugRegister[];
  /** Little-endian bytes of register `regnum`; undefined when there is no such register. */
  readRegister(regnum: number): Uint8Array | undefined;
  /** Writes register `regnum`; false when there is no such register or it is read-only. */
  writeRegister(regnum: number, bytes: Uint8Array): boolean;
  /** The POSIX signal number GDB is told for a guest stopped with this fault. */
  faultSignal(report: FaultReport): number;
  /** Hardware breakpoint and watchpoint comparators the core has (software breakpoints: any number). */
  readonly comparators: { readonly breakpoints: number; readonly watchpoints: number };
}

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
  /** Waiting for an interrupt (WFI), or held back by the hypervisor (`throttled`). */
  readonly sleeping: boolean;
  /**
   * Held back until its exception budget's window ends (VcpuOptions.exceptionBudget): it counts as
   * sleeping, and only the window's end wakes it.
   */
  readonly throttled: boolean;
  /** Current program counter. */
  pc(): number;
  /** Drives an external interrupt line. */
  setIrq(irq: number, high: boolean): void;
  /** Pends the non-maskable interrupt. */
  pendNmi(): void;
  /** A device access of the step in progress failed with a precise bus error: abandon the instruction. */
  abortAccess(address: number, write: boolean, reason: string): void;
  /** The architecture's system registers, mapped by the VM like a device (accesses are traps). */
  readonly systemSpace: SystemWindow;
  /** The first four arguments of the hypercall being served (call ABI). */
  hypercallArgs(): readonly [number, number, number, number];
  /** The hypercall's result, as the guest sees it on return (call ABI). */
  setHypercallResult(value: number): void;
  /** Releases the engine and native resources. */
  close(): void;
  /** The debugger's view of the vCPU (registers in GDB's numbering). */
  debugAccess(): DebugAccess;
  /**
   * The vCPU's whole state as plain data, for a checkpoint (between steps): its registers, its
   * interrupt controller and system registers, and what the architecture model keeps besides.
   */
  saveState(): unknown;
  /**
   * Puts back a state saveState() returned, into a vCPU just reset on an identical engine (the
   * guest's memory restored): restore it after the devices, whose restore drives interrupt lines.
   */
  restoreState(state: unknown): void;
}

/** What the hypervisor provides a vCPU with besides its engine and clock. */
export interface VcpuHost extends CpuEvents {
  /** Semihosting console output. */
  console(bytes: Uint8Array): void;
  /** Virtual time in cycles (semihosting SYS_CLOCK and friends). */
  cycles(): number;
  readonly hz: number;
  /** What semihosting SYS_GET_CMDLINE returns. */
  readonly commandLine: string;
  /** An access to a system register the model does not implement (offset into the system window). */
  unimplemented(offset: number, size: number, write: boolean): void;
  /** The guest asked for a system reset. */
  systemReset(): void;
  /** Cycles the guest may still run in the step in progress. */
  instructionBudget(): number;
  /**
   * The guest used up its exception budget at virtual time `at` (VcpuOptions.exceptionBudget):
   * its asynchronous exceptions are held, and it stalls after a synchronous one, until `until`.
   */
  budgetExhausted?(at: number, until: number): void;
  /**
   * A supervisor call the hypervisor may serve itself (a hypercall of the driver VM): true when
   * it did (results set with setHypercallResult), false to give the guest its own exception.
   */
  hypercall?(imm: number): boolean;
}

export interface VcpuOptions {
  /** External interrupt lines of the board's interrupt controller. */
  irqCount: number;
  /** Implemented interrupt priority bits. */
  priorityBits: number;
  /** Reference clock of the architecture's system timer, in Hz. */
  systickRefHz: number;
  /** Where the reset vector table is. */
  resetVtor: number;
  /** Answer semihosting calls. */
  semihosting: boolean;
  /** Stop a guest that faults this many times in a row at the same PC. */
  faultLoopLimit: number;
  /** Code memory (searched for divisions, timed per instruction with cycle timing). */
  codeMemory: { base: number; size: number };
  /** One cycle per instruction, or the core's cycle counts. */
  timing: 'instruction' | 'cycle';
  /** Most exception entries per window of the guest's virtual time (undefined: no limit). */
  exceptionBudget?: ExceptionBudgetLimits;
}

/** A guest's exception budget: `entries` exception entries per window of `window` cycles. */
export interface ExceptionBudgetLimits {
  readonly entries: number;
  readonly window: number;
}

/** How a driver call tells its caller's clock what it spent, and waits for the device. */
export interface CallClock {
  /** The driver retired instructions worth `cycles` cycles since the last report. */
  elapsed(cycles: number): void;
  /** Waits for the device command in flight (it is completed); the cycles waited, or undefined when none is in flight. */
  waitForDevice(): number | undefined;
}

export type CallOutcome = { readonly kind: 'returned' } | { readonly kind: 'failed'; readonly reason: string };

/**
 * Runs functions of foreign code (the driver VM's interface) to their return on an engine of
 * their own, with the architecture's call ABI: the argument in the first argument register, a
 * given stack, a return address the runner recognises. A wait-for-interrupt in the called code
 * waits for the device.
 */
export interface CallRunner {
  call(entry: number, argument: number, stackTop: number, clock: CallClock): CallOutcome;
  /** Cycles of the instructions retired so far in the run in progress (valid inside device callbacks). */
  readonly cyclesNow: number;
  /**
   * What the runner's engine keeps from call to call, as plain data (a checkpoint): registers,
   * and what the engine learned of the code (with cycle timing, the costs decoded so far).
   */
  saveState(): unknown;
  /** Puts back saveState()'s data into a runner just created (before its first call). */
  restoreState(state: unknown): void;
}

export interface CallRunnerOptions {
  /** The address whose fetch means "the call returned". */
  returnAddress: number;
  /** Instructions a call may run before it counts as a runaway. */
  budget: number;
  timing: 'instruction' | 'cycle';
  /** Code timed per instruction under cycle timing. */
  codeMemory: { base: number; size: number };
}

/** One disassembled instruction. */
export interface Disassembled {
  readonly address: number;
  readonly size: number;
  /** Mnemonic and operands, e.g. `ldr r3, [pc, #0x18]`. */
  readonly text: string;
}

export interface ArchOps {
  readonly name: string;
  /** Loads what running guests with `timing` needs (e.g. a disassembler for cycle timing). */
  prepare(timing: 'instruction' | 'cycle'): Promise<void>;
  /** Loads the disassembler (for execution logs). */
  prepareDisassembler(): Promise<void>;
  /** The instructions in `bytes` from `address` on (after prepareDisassembler()). */
  disassemble(bytes: Uint8Array, address: number): Disassembled[];
  createVcpu(engine: Engine, time: VirtualTime, options: VcpuOptions, host: VcpuHost): GuestCpu;
  /**
   * The report as console lines (what `hv run` prints when it stops a guest); `symbolize` names
   * code addresses (`main+0x16`) when the image has a symbol table.
   */
  formatFault(report: FaultReport, symbolize?: Symbolize): string[];
  createCallRunner(engine: Engine, options: CallRunnerOptions): CallRunner;
}
