/**
 * The Cortex-M vCPU's state as plain data, for checkpoints. Unicorn's saved contexts hold host
 * pointers and cannot be written to a file (unicorn #2320), so the registers are read one by one:
 * the core registers, the xPSR (with the IT state of an instruction stream stopped inside an IT
 * block: Unicorn 2.1's xPSR read and write carry it), both stack pointers, CONTROL, the mask
 * registers, S0-S31 and FPSCR. The rest is the hypervisor's own model: the exception state
 * (NVIC), the fault status, the system registers (SysTick, SCB, MPU, DWT), the sleep and event
 * state, the fault-loop detector, and with cycle timing the instruction costs decoded so far and
 * where the instruction stream stopped (so that the next run charges the same branch refill).
 * And one fact about the engine: which code the instruction counter has instrumented (blocks
 * that accessed MMIO). In those an MMIO access knows its exact instruction (PC, a stop right
 * after it), elsewhere only the first time's best match: a restored engine must start with the
 * same set to count, stop and report PCs as the saved one would have.
 */
import { InternalError } from '../../errors.ts';
import { type SparseBytes } from '../../sparse-bytes.ts';
import { ARM_REG as R } from '../../unicorn/constants.ts';
import type { InstructionCounter } from '../../unicorn/instruction-counter.ts';
import { type CpuRegisters, XPSR_IPSR_MASK, XPSR_THUMB } from './cpu-registers.ts';
import type { CycleTimer } from './cycle-timing.ts';
import type { ExceptionBudget, ExceptionBudgetState } from './exception-budget.ts';
import type { ExceptionState, ExceptionStateData } from './exception-state.ts';
import { EXC } from './exceptions.ts';
import type { FaultStatus } from './fault-status.ts';
import type { SystemSpace, SystemSpaceState } from './system-space.ts';

const CORE_IDS = [R.R0, R.R1, R.R2, R.R3, R.R4, R.R5, R.R6, R.R7, R.R8, R.R9, R.R10, R.R11, R.R12, R.LR];
const MASK_IDS = [R.PRIMASK, R.BASEPRI, R.FAULTMASK];
const FP_IDS = [...Array.from({ length: 32 }, (_, i) => R.S0 + i), R.FPSCR];

export interface RegisterState {
  /** R0-R12 and LR. */
  readonly core: readonly number[];
  readonly pc: number;
  readonly xpsr: number;
  readonly msp: number;
  readonly psp: number;
  readonly control: number;
  /** PRIMASK, BASEPRI, FAULTMASK. */
  readonly masks: readonly number[];
  /** S0-S31 and FPSCR. */
  readonly fp: readonly number[];
}

/** The vCPU's own flags: sleep, event register, semihosting exit, fault loop, stream position. */
export interface CortexMFlags {
  sleeping: boolean;
  eventRegister: boolean;
  haltCode: number | undefined;
  faultLoop: { state: string; count: number };
  lastFault: string | undefined;
  streamPc: number;
  executed: number;
  cycles: number;
}

export interface CortexMState {
  readonly registers: RegisterState;
  readonly exceptions: ExceptionStateData;
  readonly faults: ReturnType<FaultStatus['snapshot']>;
  readonly system: SystemSpaceState;
  readonly flags: CortexMFlags;
  /** Cycle timing: the decoded instruction costs and the end of the last block run. */
  readonly timing: { readonly costs: SparseBytes; readonly streamEnd: number } | undefined;
  readonly budget: ExceptionBudgetState;
  /** The instruction counter's instrumented code ranges, in order. */
  readonly instrumented: ReadonlyArray<readonly [number, number]>;
}

/** The parts of a CortexM whose state is saved. */
export interface CortexMParts {
  readonly regs: CpuRegisters;
  readonly exceptions: ExceptionState;
  readonly faults: FaultStatus;
  readonly system: SystemSpace;
  readonly counter: InstructionCounter;
  readonly cycleTimer: CycleTimer | undefined;
  readonly budget: ExceptionBudget;
}

export function saveCortexM(p: CortexMParts, flags: CortexMFlags): CortexMState {
  return {
    registers: saveRegisters(p.regs),
    exceptions: p.exceptions.saveState(),
    faults: p.faults.snapshot(),
    system: p.system.saveState(),
    flags: { ...flags, faultLoop: { ...flags.faultLoop } },
    timing: p.cycleTimer && { costs: p.cycleTimer.saveState(), streamEnd: p.counter.streamEnd },
    budget: p.budget.saveState(),
    instrumented: p.counter.instrumentedRanges,
  };
}

/** Restores everything but the flags, which the caller takes back from the returned state. */
export function restoreCortexM(p: CortexMParts, s: CortexMState): CortexMFlags {
  restoreRegisters(p.regs, s.registers);
  p.faults.restore(s.faults);
  p.system.restoreState(s.system);
  // Last: the saved pending bits and line levels are the truth, whatever was driven before.
  p.exceptions.restoreState(s.exceptions);
  p.budget.restoreState(s.budget);
  if (s.timing && p.cycleTimer) {
    p.cycleTimer.restoreState(s.timing.costs);
    p.counter.streamEnd = s.timing.streamEnd;
  }
  p.counter.instrument(s.instrumented);
  return { ...s.flags, faultLoop: { ...s.flags.faultLoop } };
}

export function saveRegisters(regs: CpuRegisters): RegisterState {
  const read = (ids: readonly number[]) => ids.map((id) => regs.read(id));
  const { msp, psp } = regs.stackPointers();
  return {
    core: read(CORE_IDS),
    pc: regs.read(R.PC),
    xpsr: regs.read(R.XPSR),
    msp,
    psp,
    control: regs.read(R.CONTROL),
    masks: read(MASK_IDS),
    fp: read(FP_IDS),
  };
}

/**
 * Writes the registers in an order the M-profile workarounds allow (cpu-registers.ts): handler
 * mode first (privileged, so the mask registers take their values), then the mode, CONTROL and
 * both stack pointers in one go.
 */
export function restoreRegisters(regs: CpuRegisters, s: RegisterState): void {
  regs.write(R.XPSR, XPSR_THUMB | EXC.RESET);
  MASK_IDS.forEach((id, i) => regs.write(id, s.masks[i]!));
  CORE_IDS.forEach((id, i) => regs.write(id, s.core[i]!));
  FP_IDS.forEach((id, i) => regs.write(id, s.fp[i]!));
  regs.write(R.PC, s.pc | 1);
  regs.setProcessorState(s.xpsr & XPSR_IPSR_MASK, s.xpsr, s.control, s.msp, s.psp);
  // Every run starts at PC | 1 (Thumb), so a T bit a PC write cleared between runs does not matter.
  const xpsr = regs.read(R.XPSR);
  if ((xpsr | XPSR_THUMB) !== (s.xpsr | XPSR_THUMB)) throw new InternalError(`checkpoint restore: xPSR reads 0x${xpsr.toString(16)} after writing 0x${s.xpsr.toString(16)}`);
}
