/**
 * Turns the reason a Unicorn run stopped into Cortex-M behaviour. Unicorn 2.0.1 reports (see
 * hv/unicorn/README.md): SVC as interrupt 2 with the PC after it; BKPT as 7 with the PC on it;
 * a branch to EXC_RETURN in handler mode as 8; a fetch from an execute-never region as 3;
 * undefined instructions, WFE and YIELD as UC_ERR_INSN_INVALID; a Thumb-bit-clear branch as
 * UC_ERR_EXCEPTION; unmapped accesses as memory hooks; WFI as a normal end before the limit.
 */
import { ARM_REG as R, UC_ERR, UC_MEM } from '../../unicorn/constants.ts';
import type { CpuEvents, StepOutcome } from '../cpu.ts';
import type { CpuRegisters } from './cpu-registers.ts';
import type { ExceptionUnit } from './exception-unit.ts';
import { EXC, exceptionName } from './exceptions.ts';
import { CFSR, type GuestFault, busFault, memManageFault, usageFault } from './fault-status.ts';

/** What the decoder needs of the vCPU: a narrow view the vCPU gives it (no import cycle). */
export interface StopContext {
  readonly regs: CpuRegisters;
  readonly exceptions: ExceptionUnit;
  readonly events: CpuEvents;
  readonly semihostingEnabled: boolean;
  pc(): number;
  /** The halfword of guest memory at `address` (0 when unmapped). */
  halfword(address: number): number;
  /** Cycle timing: decode the code at `pc` before it runs. */
  decode(pc: number): void;
  /** Marks the instruction that stopped the run as not retired (a precise abort). */
  markAborted(): void;
  /** Raises a synchronous guest fault; a faulted outcome if the guest cannot take it. */
  pendFault(fault: GuestFault): StepOutcome | undefined;
  faulted(reason: string, message: string, exception?: number): StepOutcome;
  sleep(): StepOutcome;
  callSemihosting(): StepOutcome;
  /** Lets the hypervisor serve SVC #imm itself; false when it is the guest's own SVC. */
  hypercall(imm: number): boolean;
  waitForEvent(sevJustBefore: boolean): StepOutcome;
  setEvent(): void;
  reportEntry(exception: number, tailChained: boolean): void;
}

export type RunStop =
  | { readonly kind: 'interrupt'; readonly intno: number; readonly pc: number }
  | { readonly kind: 'memory'; readonly type: number; readonly address: number; readonly size: number }
  | { readonly kind: 'bus-error'; readonly address: number; readonly write: boolean; readonly reason: string }
  | { readonly kind: 'engine'; readonly err: number; readonly limitReached: boolean }
  | { readonly kind: 'divide-by-zero' }
  /** An MMIO access without the alignment it needs (refused before the device saw it). */
  | { readonly kind: 'unaligned-device' }
  /** Cycle timing met code it has not decoded yet. */
  | { readonly kind: 'decode' };

const INTNO = { SWI: 2, PREFETCH_ABORT: 3, BKPT: 7, EXCEPTION_EXIT: 8, NOCP: 17, INVSTATE: 18, UNALIGNED: 22 };
const RAN: StepOutcome = { kind: 'ran' };

export function interpretStop(cpu: StopContext, stop: RunStop): StepOutcome {
  switch (stop.kind) {
    case 'interrupt':
      return interrupt(cpu, stop.intno, stop.pc);
    case 'memory':
      return memoryFault(cpu, stop.type, stop.address);
    case 'bus-error':
      cpu.markAborted();
      return cpu.pendFault(busFault(CFSR.PRECISERR, `precise bus error: ${stop.reason}`, stop.address)) ?? RAN;
    case 'engine':
      return engineStop(cpu, stop.err, stop.limitReached);
    case 'decode':
      cpu.decode(cpu.pc());
      return RAN;
    case 'divide-by-zero':
      return cpu.pendFault(usageFault(CFSR.DIVBYZERO, `division by zero at 0x${hex(cpu.pc())}`)) ?? RAN;
    case 'unaligned-device':
      // LDM/STM/LDRD/STRD need word alignment, and an unaligned device access faults (ARMv7-M A3.2).
      cpu.markAborted();
      return cpu.pendFault(usageFault(CFSR.UNALIGNED, `unaligned access to device memory at 0x${hex(cpu.pc())}`)) ?? RAN;
  }
}

function interrupt(cpu: StopContext, intno: number, pc: number): StepOutcome {
  switch (intno) {
    case INTNO.SWI:
      return supervisorCall(cpu, pc);
    case INTNO.BKPT:
      return breakpoint(cpu, pc);
    case INTNO.EXCEPTION_EXIT:
      return exceptionReturn(cpu, (pc | 1) >>> 0);
    case INTNO.PREFETCH_ABORT:
      if (cpu.regs.ipsr() !== 0 && pc >= 0xff000000) return exceptionReturn(cpu, (pc | 1) >>> 0);
      return cpu.pendFault(memManageFault(CFSR.IACCVIOL, `instruction fetch from execute-never address 0x${hex(pc)}`)) ?? RAN;
    case INTNO.NOCP:
      cpu.markAborted();
      return cpu.pendFault(usageFault(CFSR.NOCP, 'coprocessor instruction with the coprocessor disabled')) ?? RAN;
    case INTNO.INVSTATE:
      return cpu.pendFault(usageFault(CFSR.INVSTATE, `execution in ARM state at 0x${hex(pc)}`)) ?? RAN;
    case INTNO.UNALIGNED:
      cpu.markAborted();
      return cpu.pendFault(usageFault(CFSR.UNALIGNED, 'unaligned access')) ?? RAN;
    default:
      cpu.markAborted();
      return cpu.pendFault(usageFault(CFSR.UNDEFINSTR, `unexpected CPU exception ${intno}`)) ?? RAN;
  }
}

function supervisorCall(cpu: StopContext, pc: number): StepOutcome {
  const imm = halfword(cpu, pc - 2) & 0xff;
  if (cpu.hypercall(imm)) return RAN;
  cpu.events.trap('svc', `svc #${imm}`, pc - 2);
  const stopped = cpu.exceptions.raiseSynchronous({ exception: EXC.SVCALL, cfsr: 0, description: `svc #${imm}` });
  return stopped ? cpu.faulted(stopped.reason, stopped.message, stopped.exception) : RAN;
}

function breakpoint(cpu: StopContext, pc: number): StepOutcome {
  const imm = halfword(cpu, pc) & 0xff;
  if (imm === 0xab && cpu.semihostingEnabled) {
    cpu.events.trap('semihosting', `semihosting call 0x${cpu.regs.read(R.R0).toString(16)}`, pc);
    return cpu.callSemihosting();
  }
  cpu.markAborted();
  cpu.events.trap('bkpt', `bkpt #${imm}`, pc);
  // DebugMonitor is disabled, so the breakpoint escalates to HardFault (as on QEMU's M4).
  const stopped = cpu.exceptions.raiseSynchronous({ exception: EXC.DEBUG_MONITOR, cfsr: 0, description: `bkpt #${imm}` });
  return stopped ? cpu.faulted(stopped.reason, stopped.message, stopped.exception) : RAN;
}

function exceptionReturn(cpu: StopContext, excReturn: number): StepOutcome {
  const result = cpu.exceptions.exceptionReturn(excReturn);
  if (result.kind === 'stopped') return cpu.faulted(result.reason, result.message, result.exception);
  cpu.setEvent();
  if (result.kind === 'returned') {
    cpu.events.exceptionReturn(result.exception, exceptionName(result.exception), result.toThread, cpu.pc());
  } else {
    cpu.events.exceptionReturn(result.from, exceptionName(result.from), false, cpu.pc(), true);
    cpu.reportEntry(result.exception, true);
  }
  return RAN;
}

function memoryFault(cpu: StopContext, type: number, address: number): StepOutcome {
  const where = `0x${hex(address)}`;
  switch (type) {
    case UC_MEM.FETCH_UNMAPPED:
      return cpu.pendFault(busFault(CFSR.IBUSERR, `instruction fetch from unmapped address ${where}`)) ?? RAN;
    case UC_MEM.FETCH_PROT:
      return cpu.pendFault(memManageFault(CFSR.IACCVIOL, `instruction fetch from protected address ${where}`)) ?? RAN;
    case UC_MEM.READ_PROT:
    case UC_MEM.WRITE_PROT: {
      cpu.markAborted();
      const verb = type === UC_MEM.READ_PROT ? 'read of' : 'write to';
      return cpu.pendFault(memManageFault(CFSR.DACCVIOL, `${verb} protected address ${where}`, address)) ?? RAN;
    }
    default: {
      cpu.markAborted();
      const verb = type === UC_MEM.WRITE_UNMAPPED ? 'writing' : 'reading';
      return cpu.pendFault(busFault(CFSR.PRECISERR, `precise data bus error ${verb} ${where}`, address)) ?? RAN;
    }
  }
}

function engineStop(cpu: StopContext, err: number, limitReached: boolean): StepOutcome {
  if (err === UC_ERR.OK) return limitReached ? RAN : cpu.sleep();
  if (err === UC_ERR.INSN_INVALID) return invalidInstruction(cpu);
  if (err === UC_ERR.EXCEPTION) {
    return cpu.pendFault(usageFault(CFSR.INVSTATE, `execution in ARM state at 0x${hex(cpu.pc())}`)) ?? RAN;
  }
  cpu.markAborted();
  return cpu.faulted('engine-error', `emulation stopped with Unicorn error ${err} at 0x${hex(cpu.pc())}`);
}

/** Unicorn does not know the hints WFE (wait for event) and YIELD (a NOP here). */
function invalidInstruction(cpu: StopContext): StepOutcome {
  const pc = cpu.pc();
  const first = halfword(cpu, pc);
  const size = first === 0xbf20 || first === 0xbf10 ? 2 : wideHint(cpu, pc, first);
  if (size > 0) {
    cpu.regs.write(R.PC, pc + size);
    return isWfe(cpu, pc, first) ? cpu.waitForEvent(followsSev(cpu, pc)) : RAN;
  }
  cpu.markAborted();
  return cpu.pendFault(usageFault(CFSR.UNDEFINSTR, `undefined instruction 0x${first.toString(16)} at 0x${hex(pc)}`)) ?? RAN;
}

function isWfe(cpu: StopContext, pc: number, first: number): boolean {
  return first === 0xbf20 || (first === 0xf3af && halfword(cpu, pc + 2) === 0x8002);
}

/**
 * Unicorn executes SEV without telling: a SEV right before the WFE (the usual "SEV; WFE" that
 * clears the event register) is recognised here instead.
 */
function followsSev(cpu: StopContext, pc: number): boolean {
  if (halfword(cpu, pc - 2) === 0xbf40) return true;
  return halfword(cpu, pc - 4) === 0xf3af && halfword(cpu, pc - 2) === 0x8004;
}

function wideHint(cpu: StopContext, pc: number, first: number): number {
  if (first !== 0xf3af) return 0;
  const second = halfword(cpu, pc + 2);
  return second === 0x8001 || second === 0x8002 ? 4 : 0;
}

function halfword(cpu: StopContext, address: number): number {
  return cpu.halfword(address >>> 0);
}

function hex(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}
