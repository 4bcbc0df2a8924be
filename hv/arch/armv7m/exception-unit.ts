/**
 * Exception entry, return and tail-chaining for the Cortex-M vCPU, done by the hypervisor because
 * Unicorn performs none of it (ARMv7-M ARM B1.5.6-B1.5.8): the hardware frame on MSP or PSP with
 * 8-byte alignment and the extended floating-point frame, the EXC_RETURN variants, handler and
 * thread mode, SP banking, and synchronous faults escalated to HardFault.
 */
import { ARM_REG as R } from '../../unicorn/constants.ts';
import type { Engine } from '../../unicorn/engine.ts';
import { CONTROL_FPCA, type CpuRegisters, XPSR_IPSR_MASK } from './cpu-registers.ts';
import type { ExceptionState } from './exception-state.ts';
import { EXC, exceptionName, isFaultException } from './exceptions.ts';
import { CFSR, type FaultStatus, type GuestFault, HFSR, usageFault } from './fault-status.ts';
import { FrameCodec } from './frame.ts';

export const CCR_STKALIGN = 1 << 9;
export const CCR_NONBASETHRDENA = 1 << 0;

/** System-control state the exception unit reads and updates (owned by the SCB register file). */
export interface ExceptionControl {
  vtor: number;
  ccr: number;
  fpccr: number;
  fpcar: number;
}

const FPCCR_LSPACT = 1 << 0;
const FPCCR_USER = 1 << 1;
const FPCCR_THREAD = 1 << 3;
const FPCCR_HFRDY = 1 << 4;
const FPCCR_MMRDY = 1 << 5;
const FPCCR_BFRDY = 1 << 6;
const FPCCR_MONRDY = 1 << 8;
const FPCCR_LAZY_STATE = 0x17b;
const FPCCR_LSPEN = 1 << 30;

/** Why the guest cannot go on: it is stopped with a report. */
export interface Stopped {
  readonly kind: 'stopped';
  readonly reason: 'lockup' | 'no-handler' | 'stacking-error';
  readonly exception: number;
  readonly message: string;
}

export type EntryResult = { readonly kind: 'entered'; readonly exception: number; readonly tailChained: boolean } | Stopped;
export type ReturnResult =
  | { readonly kind: 'returned'; readonly exception: number; readonly toThread: boolean }
  | { readonly kind: 'tail-chained'; readonly exception: number; readonly from: number }
  | Stopped;

export class ExceptionUnit {
  private readonly frames: FrameCodec;

  constructor(
    private readonly engine: Engine,
    private readonly cpu: CpuRegisters,
    private readonly state: ExceptionState,
    private readonly faults: FaultStatus,
    private readonly control: ExceptionControl,
  ) {
    this.frames = new FrameCodec(engine, cpu);
  }

  executionPriority(): number {
    return this.state.executionPriority(this.cpu.readMasks());
  }

  /** Enters the highest pending exception if it can preempt; undefined when none can. */
  takePending(): EntryResult | undefined {
    if (this.state.highestPending() === 0) return undefined;
    const exc = this.state.preempting(this.executionPriority());
    return exc === 0 ? undefined : this.enter(exc);
  }

  /**
   * Records a synchronous fault (or SVC/BKPT escalation) and pends its exception, escalating to
   * HardFault (HFSR.FORCED) when it is disabled or cannot preempt; a fault that cannot escalate
   * locks the core up.
   */
  raiseSynchronous(fault: GuestFault): Stopped | undefined {
    this.faults.record(fault);
    const priority = this.executionPriority();
    const exc = fault.exception;
    const usable = exc !== EXC.HARD_FAULT && this.state.enabled[exc] && this.state.groupPriority(exc) < priority;
    if (usable) {
      this.state.setPending(exc);
      return undefined;
    }
    if (priority <= -1) {
      return this.stop('lockup', exc, `${fault.description} while at priority ${priority} (lockup)`);
    }
    if (exc !== EXC.HARD_FAULT) this.faults.hfsr |= HFSR.FORCED;
    this.state.setPending(EXC.HARD_FAULT);
    return undefined;
  }

  /** Takes exception `exc` now: stacks the context and jumps to its handler. */
  enter(exc: number): EntryResult {
    const vector = this.readVector(exc);
    if (vector === undefined) return this.vectorFetchFailed(exc);
    if (isFaultException(exc)) {
      const missing = this.missingHandler(vector);
      if (missing) return this.stop('no-handler', exc, `${exceptionName(exc)} has ${missing}`);
    }
    const priority = this.executionPriority();
    const pushed = this.frames.push(exc, this.control.ccr & CCR_STKALIGN);
    if (!pushed) return this.stop('stacking-error', exc, `cannot stack ${exceptionName(exc)} frame`);
    if (pushed.extended) this.recordLazyFpState(pushed, priority);
    this.state.activate(exc);
    this.cpu.writeLrPc(pushed.excReturn, vector & ~1);
    this.afterEntry(exc, vector);
    return { kind: 'entered', exception: exc, tailChained: false };
  }

  /** Performs an exception return for the EXC_RETURN value the guest branched to. */
  exceptionReturn(excReturn: number): ReturnResult {
    const exc = this.cpu.ipsr();
    const invalid = this.checkExcReturn(exc, excReturn);
    if (invalid) return this.invalidReturn(exc, excReturn, invalid);
    this.state.deactivate(exc);
    // Every exception return except from NMI clears FAULTMASK (ARMv7-M ARM B1.5.8).
    if (exc !== EXC.NMI) this.cpu.write(R.FAULTMASK, 0);
    const next = this.state.preempting(this.executionPriority());
    if (next !== 0) return this.tailChain(exc, next, excReturn);
    this.control.fpccr = (this.control.fpccr & ~FPCCR_LSPACT) >>> 0;
    const popped = this.frames.pop(excReturn, this.control.ccr & CCR_STKALIGN);
    if (!popped) return this.stop('stacking-error', exc, `cannot unstack frame for EXC_RETURN 0x${hex(excReturn)}`);
    return { kind: 'returned', exception: exc, toThread: (excReturn & 8) !== 0 };
  }

  /**
   * hvlab stacks floating-point registers eagerly, but keeps FPCCR and FPCAR as lazy stacking
   * (FPCCR.LSPEN) would leave them, so guests that inspect them see the hardware's values.
   */
  private recordLazyFpState(pushed: { frame: number; thread: boolean; unprivileged: boolean }, priority: number): void {
    const c = this.control;
    if (!(c.fpccr & FPCCR_LSPEN)) return;
    const ready = (exc: number, bit: number) => (this.state.enabled[exc] && this.state.groupPriority(exc) < priority ? bit : 0);
    let state = FPCCR_LSPACT | (pushed.unprivileged ? FPCCR_USER : 0) | (pushed.thread ? FPCCR_THREAD : 0);
    state |= (priority > -1 ? FPCCR_HFRDY : 0) | ready(EXC.MEM_MANAGE, FPCCR_MMRDY) | ready(EXC.BUS_FAULT, FPCCR_BFRDY);
    state |= ready(EXC.DEBUG_MONITOR, FPCCR_MONRDY);
    c.fpccr = ((c.fpccr & ~FPCCR_LAZY_STATE) | state) >>> 0;
    c.fpcar = (pushed.frame + 0x20) >>> 0;
  }

  private afterEntry(exc: number, vector: number): void {
    if ((vector & 1) === 0) {
      // The handler address lacks the Thumb bit: its first fetch is an INVSTATE UsageFault.
      this.raiseSynchronous(usageFault(CFSR.INVSTATE, `${exceptionName(exc)} vector 0x${hex(vector)} is not Thumb`));
    }
  }

  private tailChain(from: number, exc: number, excReturn: number): ReturnResult {
    const vector = this.readVector(exc);
    if (vector === undefined) {
      const stopped = this.vectorFetchFailed(exc);
      return stopped.kind === 'stopped' ? stopped : { kind: 'tail-chained', exception: stopped.exception, from };
    }
    if (isFaultException(exc)) {
      const missing = this.missingHandler(vector);
      if (missing) return this.stop('no-handler', exc, `${exceptionName(exc)} has ${missing}`);
    }
    this.state.activate(exc);
    const xpsr = this.cpu.read(R.XPSR);
    this.cpu.write(R.XPSR, (xpsr & ~XPSR_IPSR_MASK) | exc);
    this.cpu.write(R.CONTROL, this.cpu.read(R.CONTROL) & ~CONTROL_FPCA);
    this.cpu.write(R.LR, excReturn);
    this.cpu.write(R.PC, vector & ~1);
    this.cpu.rebuildFlags();
    this.afterEntry(exc, vector);
    return { kind: 'tail-chained', exception: exc, from };
  }

  private checkExcReturn(exc: number, excReturn: number): string | undefined {
    const low = excReturn & 0xf;
    if (low !== 0x1 && low !== 0x9 && low !== 0xd) return 'reserved EXC_RETURN value';
    if (exc === 0 || !this.state.active[exc]) return `return from ${exceptionName(exc)}, which is not active`;
    const nested = this.state.activeCount() > 1;
    if (low !== 0x1 && nested && (this.control.ccr & CCR_NONBASETHRDENA) === 0) {
      return 'return to Thread mode while other exceptions are active';
    }
    if (low === 0x1 && !nested) return 'return to Handler mode with no other active exception';
    return undefined;
  }

  /**
   * ExceptionReturn() in the ARMv7-M ARM: the returning exception is deactivated, then the INVPC
   * UsageFault is taken on the existing frame with LR still holding the bad value.
   */
  private invalidReturn(exc: number, excReturn: number, why: string): ReturnResult {
    const fault = usageFault(CFSR.INVPC, `invalid EXC_RETURN 0x${hex(excReturn)} from ${exceptionName(exc)}: ${why}`);
    if (exc !== 0 && this.state.active[exc]) this.state.deactivate(exc);
    const stopped = this.raiseSynchronous(fault);
    if (stopped) return stopped;
    const next = this.state.preempting(this.executionPriority());
    if (next === 0) return this.stop('lockup', exc, fault.description);
    return this.tailChain(exc, next, excReturn);
  }

  private readVector(exc: number): number | undefined {
    const bytes = this.engine.tryReadMemory((this.control.vtor + 4 * exc) >>> 0, 4);
    return bytes?.readUInt32LE(0);
  }

  private vectorFetchFailed(exc: number): EntryResult {
    const where = `0x${hex((this.control.vtor + 4 * exc) >>> 0)}`;
    if (exc === EXC.HARD_FAULT || this.executionPriority() <= -1) {
      return this.stop('lockup', exc, `vector fetch for ${exceptionName(exc)} at ${where} failed`);
    }
    this.faults.hfsr |= HFSR.VECTTBL | HFSR.FORCED;
    this.state.pending[exc] = false;
    return this.enter(EXC.HARD_FAULT);
  }

  /** Why a fault vector cannot be a handler: zero, not Thumb, not readable, or `b .`. */
  private missingHandler(vector: number): string | undefined {
    if (vector === 0) return 'no handler (vector is 0)';
    if ((vector & 1) === 0) return `no Thumb handler (vector 0x${hex(vector)})`;
    const code = this.engine.tryReadMemory(vector & ~1, 2);
    if (!code) return `a handler outside memory (0x${hex(vector)})`;
    if (code.readUInt16LE(0) === 0xe7fe) return `a handler that spins forever (b . at 0x${hex(vector & ~1)})`;
    return undefined;
  }

  private stop(reason: Stopped['reason'], exception: number, message: string): Stopped {
    return { kind: 'stopped', reason, exception, message };
  }
}

function hex(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

