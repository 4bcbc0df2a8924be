/**
 * A Cortex-M4 vCPU: one Unicorn engine plus the hypervisor's model of everything Unicorn leaves
 * out (exception entry and return, NVIC, SCB, SysTick, DWT, faults, WFI, semihosting). step()
 * takes pending exceptions, runs guest code with the native instruction counter as the limit,
 * and turns whatever stopped the run into architectural behaviour (stop-decoder.ts, through the
 * narrow StopContext this class gives it).
 */
import { ARM_REG as R, UC_HOOK } from '../../unicorn/constants.ts';
import type { Engine } from '../../unicorn/engine.ts';
import type { VirtualTime } from '../../time/virtual-time.ts';
import type { DebugAccess, GuestCpu, StepOutcome, SystemWindow, VcpuHost, VcpuOptions } from '../cpu.ts';
import { CONTROL_FPCA, CONTROL_NPRIV, CpuRegisters, XPSR_IPSR_MASK, XPSR_THUMB } from './cpu-registers.ts';
import { CycleTimer } from './cycle-timing.ts';
import { type CortexMParts, type CortexMState, restoreCortexM, saveCortexM } from './cortex-m-state.ts';
import { cortexMDebugAccess } from './debug-access.ts';
import { REGISTER_IDS, buildDivisionMap } from './division-map.ts';
import { Dwt } from './dwt.ts';
import { ExceptionBudget } from './exception-budget.ts';
import { ExceptionState } from './exception-state.ts';
import { type EntryResult, ExceptionUnit, type Stopped } from './exception-unit.ts';
import { EXC, exceptionName } from './exceptions.ts';
import { buildFaultReport } from './fault-report.ts';
import { FaultStatus, type GuestFault } from './fault-status.ts';
import { MpuRegisters } from './mpu-registers.ts';
import { NvicRegisters } from './nvic-registers.ts';
import { DEMCR_TRCENA, ScbRegisters } from './scb-registers.ts';
import { Semihosting } from './semihosting.ts';
import { type RunStop, type StopContext, interpretStop } from './stop-decoder.ts';
import { PPB_BASE, SystemSpace } from './system-space.ts';
import { SysTick } from './systick.ts';

/** Cortex-M options are the generic vCPU options (VcpuOptions). */
export type CortexMOptions = VcpuOptions;
export type CortexMHost = VcpuHost;

const ENTRY_CHAIN_LIMIT = 64;
const CCR_DIV_0_TRP = 1 << 4;
/** Registers the counter watches while an interrupt waits for unmasking (readMasks() order). */
const MASK_REGISTERS = [R.PRIMASK, R.FAULTMASK, R.BASEPRI];

export class CortexM implements GuestCpu {
  /** The register file (the Unicorn registers with the M-profile workarounds). */
  readonly regs: CpuRegisters;
  readonly exceptionState: ExceptionState;
  private readonly faults = new FaultStatus();
  private readonly scb: ScbRegisters;
  private readonly ppb: SystemSpace;
  readonly systemSpace: SystemWindow;
  private readonly exceptions: ExceptionUnit;
  private readonly budget: ExceptionBudget;
  private readonly semihost: Semihosting;
  private readonly stops: StopContext;
  private stopCause: RunStop | undefined;
  private isSleeping = false;
  private executed = 0;
  private cycles = 0;
  /** Cycle timing (undefined: one cycle per instruction). */
  private readonly cycleTimer: CycleTimer | undefined;
  /** Cycle timing: where the last run stopped; a run starting elsewhere breaks the stream. */
  private streamPc = -1;
  private aborted = false;
  private haltCode: number | undefined;
  private faultLoop = { state: '', count: 0 };
  private inRun = false;
  /** Description of the last synchronous fault the guest raised (for fault reports). */
  private lastFault: string | undefined;
  private divisionMapReady = false;

  constructor(
    private readonly engine: Engine,
    time: VirtualTime,
    private readonly options: CortexMOptions,
    private readonly host: CortexMHost,
  ) {
    this.regs = new CpuRegisters(engine);
    this.exceptionState = new ExceptionState(options.irqCount, options.priorityBits);
    const dwt = new Dwt(time, () => (this.scb.demcr & DEMCR_TRCENA) !== 0);
    this.scb = new ScbRegisters(this.exceptionState, this.faults, {
      currentException: () => this.regs.ipsr(),
      requestSystemReset: () => host.systemReset(),
      fpContextActive: () => (this.engine.readRegister(R.CONTROL) & CONTROL_FPCA) !== 0,
      traceEnableChanging: () => dwt.freeze(),
    });
    const state = this.exceptionState;
    const systick = new SysTick(time, { refHz: options.systickRefHz }, () => state.setPending(EXC.SYSTICK), () => state.pending[EXC.SYSTICK]!);
    state.onPendingCleared = (exc) => exc === EXC.SYSTICK && systick.rearm();
    this.budget = new ExceptionBudget(time, options.exceptionBudget, state, (at, until) => host.budgetExhausted?.(at, until));
    this.ppb = new SystemSpace({
      systick,
      dwt,
      scb: this.scb,
      mpu: new MpuRegisters(),
      nvic: new NvicRegisters(this.exceptionState),
      privileged: () => this.isPrivileged(),
      unimplemented: (offset, size, write) => host.unimplemented(offset, size, write),
      written: () => this.stopIfRunning(),
    });
    this.systemSpace = { base: PPB_BASE, device: this.ppb };
    this.exceptionState.onPending = () => this.stopIfRunning();
    this.exceptions = new ExceptionUnit(engine, this.regs, this.exceptionState, this.faults, this.scb);
    this.semihost = new Semihosting(engine, {
      console: (bytes) => host.console(bytes),
      exit: (code) => (this.haltCode = code),
      cycles: () => host.cycles(),
      hz: host.hz,
      commandLine: host.commandLine,
    });
    this.stops = this.stopContext();
    this.installHooks();
    if (options.timing === 'cycle') this.cycleTimer = new CycleTimer(engine, options.codeMemory.base, options.codeMemory.size);
  }

  reset(): void {
    this.exceptionState.reset();
    this.faults.reset();
    this.ppb.reset();
    this.scb.vtor = this.options.resetVtor >>> 0;
    this.isSleeping = false;
    this.haltCode = undefined;
    this.faultLoop = { state: '', count: 0 };
    this.divisionMapReady = false;
    this.cycleTimer?.clear();
    this.lastFault = undefined;
    this.eventRegister = false;
    // Handler mode first: the guest may have left the CPU unprivileged, which blocks SP writes.
    this.regs.write(R.XPSR, XPSR_THUMB | EXC.RESET);
    const table = this.engine.tryReadMemory(this.scb.vtor, 8);
    const sp = table ? table.readUInt32LE(0) & ~3 : 0;
    const pc = table ? table.readUInt32LE(4) : 0;
    for (const id of [R.PRIMASK, R.FAULTMASK, R.BASEPRI]) this.regs.write(id, 0);
    this.regs.setProcessorState(0, 0, 0, sp, 0);
    this.regs.write(R.LR, 0xffffffff);
    this.regs.write(R.PC, pc & ~1);
    this.regs.write(R.XPSR, XPSR_THUMB);
    this.regs.rebuildFlags();
    if ((pc & 1) === 0) this.pendFault({ exception: EXC.USAGE_FAULT, cfsr: 1 << 17, description: 'reset vector is not Thumb' });
  }

  get sleeping(): boolean {
    return this.isSleeping || this.budget.stalled;
  }

  get throttled(): boolean {
    return this.budget.stalled;
  }

  get lastExecuted(): number {
    return this.executed;
  }

  get lastCycles(): number {
    return this.cycles;
  }

  get cyclesNow(): number {
    const counter = this.engine.counter;
    return counter.cycles - (this.aborted ? counter.lastCost : 0);
  }

  pc(): number {
    return this.engine.readPc();
  }

  setIrq(irq: number, high: boolean): void {
    this.exceptionState.setIrqLevel(irq, high);
  }

  pendNmi(): void {
    this.exceptionState.setPending(EXC.NMI);
  }

  requestStop(): void {
    this.engine.counter.requestStop();
  }

  setStepLimit(maxInstructions: number): void {
    this.engine.counter.limit = maxInstructions;
  }

  /** A device access failed with a precise bus error: abandon the instruction now. */
  abortAccess(address: number, write: boolean, reason: string): void {
    this.stopCause = { kind: 'bus-error', address, write, reason };
    this.engine.counter.requestStop();
    this.engine.stop();
  }

  canWake(): boolean {
    if (this.budget.stalled) return false;
    // Nothing pending (the usual case for a core asleep): no registers and priorities to look at.
    if (this.exceptionState.highestPending() === 0) return false;
    const masks = this.regs.readMasks(); // a fresh object
    // WFI wakes for any interrupt that would preempt were PRIMASK clear (ARMv7-M ARM B1.5.19).
    masks.primask = 0;
    const priority = this.exceptionState.executionPriority(masks);
    return this.exceptionState.preempting(priority) !== 0;
  }

  step(): StepOutcome {
    this.executed = 0;
    this.cycles = 0;
    this.aborted = false;
    this.engine.counter.reset(0);
    if (this.budget.stalled) return { kind: 'sleeping' };
    if (this.isSleeping) {
      if (!this.canWake()) return { kind: 'sleeping' };
      this.isSleeping = false;
    }
    const taken = this.takePendingExceptions();
    if (taken) return this.faulted(taken.reason, taken.message, taken.exception);
    // A synchronous exception past the exception budget was taken: wait for the window to end.
    if (this.budget.stalled) return { kind: 'sleeping' };
    return this.runGuest(this.host.instructionBudget());
  }

  hypercallArgs(): readonly [number, number, number, number] {
    const r = this.regs;
    return [r.read(R.R0), r.read(R.R1), r.read(R.R2), r.read(R.R3)];
  }

  setHypercallResult(value: number): void {
    this.regs.write(R.R0, value >>> 0);
  }

  close(): void {
    this.engine.close();
  }

  debugAccess(): DebugAccess {
    return cortexMDebugAccess(this.regs);
  }

  /** The vCPU's whole state as plain data (between steps; cortex-m-state.ts). */
  saveState(): CortexMState {
    const { isSleeping: sleeping, eventRegister, haltCode, faultLoop, lastFault, streamPc, executed, cycles } = this;
    return saveCortexM(this.stateParts(), { sleeping, eventRegister, haltCode, faultLoop, lastFault, streamPc, executed, cycles });
  }

  restoreState(state: unknown): void {
    const f = restoreCortexM(this.stateParts(), state as CortexMState);
    ({ sleeping: this.isSleeping, eventRegister: this.eventRegister, haltCode: this.haltCode, faultLoop: this.faultLoop } = f);
    ({ lastFault: this.lastFault, streamPc: this.streamPc, executed: this.executed, cycles: this.cycles } = f);
    this.divisionMapReady = false;
  }

  private stateParts(): CortexMParts {
    return { regs: this.regs, exceptions: this.exceptionState, faults: this.faults, system: this.ppb, counter: this.engine.counter, cycleTimer: this.cycleTimer, budget: this.budget };
  }

  /** The view of this vCPU the stop decoder works through. */
  private stopContext(): StopContext {
    return {
      regs: this.regs,
      exceptions: this.exceptions,
      events: this.host,
      semihostingEnabled: this.options.semihosting,
      pc: () => this.pc(),
      halfword: (address) => this.engine.tryReadMemory(address, 2)?.readUInt16LE(0) ?? 0,
      decode: (pc) => this.cycleTimer?.decode(pc),
      markAborted: () => this.markAborted(),
      pendFault: (fault) => this.pendFault(fault),
      faulted: (reason, message, exception) => this.faulted(reason, message, exception),
      sleep: () => this.sleep(),
      callSemihosting: () => this.callSemihosting(),
      hypercall: (imm) => this.hypercall(imm),
      waitForEvent: (sev) => this.waitForEvent(sev),
      setEvent: () => this.setEvent(),
      reportEntry: (exception, tailChained) => this.reportEntry(exception, tailChained),
    };
  }

  private runGuest(maxInstructions: number): StepOutcome {
    const counter = this.engine.counter;
    counter.reset(maxInstructions);
    this.watchMasksIfNeeded();
    this.armDivisionTrap();
    this.stopCause = undefined;
    this.aborted = false;
    this.inRun = true;
    const pc = this.pc();
    if (this.cycleTimer && pc !== this.streamPc) counter.breakFlow();
    let err: number;
    try {
      err = this.engine.run(pc | 1);
    } finally {
      this.inRun = false;
    }
    const interrupt = counter.interrupt;
    if (interrupt) this.stopCause = { kind: 'interrupt', intno: interrupt.intno, pc: interrupt.pc };
    if (this.cycleTimer) this.streamPc = this.pc();
    const stop: RunStop = counter.unalignedAccess
      ? { kind: 'unaligned-device' }
      : counter.divisionFault
      ? { kind: 'divide-by-zero' }
      : counter.needDecode && !this.stopCause
        ? { kind: 'decode' }
        : (this.stopCause ?? { kind: 'engine', err, limitReached: counter.reachedLimit || counter.stopRequested });
    const outcome = interpretStop(this.stops, stop);
    this.executed = counter.executed - (this.aborted ? 1 : 0);
    this.cycles = this.cyclesNow;
    return outcome;
  }

  /**
   * While an exception waits only because of PRIMASK, FAULTMASK or BASEPRI, the native counter
   * watches those registers and stops right after the instruction that unmasks it.
   */
  private watchMasksIfNeeded(): void {
    if (this.exceptionState.highestPending() === 0) return this.engine.counter.watch(undefined);
    const masks = this.regs.readMasks();
    const blocked = this.exceptionState.preempting(this.exceptionState.executionPriority(masks)) === 0;
    const wanted = this.exceptionState.preempting(this.exceptionState.activePriority()) !== 0;
    if (blocked && wanted) this.engine.counter.watch(MASK_REGISTERS, [masks.primask, masks.faultmask, masks.basepri]);
    else this.engine.counter.watch(undefined);
  }

  /** CCR.DIV_0_TRP: the native counter checks divisors (the map is built on first use). */
  private armDivisionTrap(): void {
    const on = (this.scb.ccr & CCR_DIV_0_TRP) !== 0;
    if (on && !this.divisionMapReady) {
      const { base, size } = this.options.codeMemory;
      this.engine.counter.setDivisionMap(base, buildDivisionMap(this.engine, base, size), REGISTER_IDS);
      this.divisionMapReady = true;
    }
    this.engine.counter.divisionTrap = on;
  }

  private stopIfRunning(): void {
    if (this.inRun) this.engine.counter.requestStop();
  }

  /** Enters every exception that can preempt now (a higher one may preempt a just-entered one). */
  private takePendingExceptions(): Stopped | undefined {
    for (let i = 0; i < ENTRY_CHAIN_LIMIT; i++) {
      const result: EntryResult | undefined = this.exceptions.takePending();
      if (!result) return undefined;
      if (result.kind === 'stopped') return result;
      this.reportEntry(result.exception, result.tailChained);
    }
    return undefined;
  }

  /** The event register (ARMv7-M B1.5.18), set by exception entry and return, and by SEV. */
  private eventRegister = false;

  private setEvent(): void {
    this.eventRegister = true;
  }

  /** WFE: continue if an event was registered (clearing it), otherwise sleep like WFI. */
  private waitForEvent(sevJustBefore: boolean): StepOutcome {
    if (this.eventRegister || sevJustBefore) {
      this.eventRegister = false;
      return { kind: 'ran' };
    }
    return this.sleep();
  }

  private reportEntry(exc: number, tailChained: boolean): void {
    this.eventRegister = true;
    this.host.exceptionEntry(exc, exceptionName(exc), tailChained, this.pc());
    this.budget.entered(exc);
  }

  /** Marks the instruction that stopped the run as not retired (a precise abort). */
  private markAborted(): void {
    this.aborted = true;
  }

  /** Raises a synchronous guest fault; returns a faulted outcome if the guest cannot take it. */
  private pendFault(fault: GuestFault): StepOutcome | undefined {
    const pc = this.pc();
    this.lastFault = fault.description;
    this.host.trap('fault', fault.description, pc);
    // The same fault with the same registers again means the guest cannot make progress.
    const state = this.regs.snapshotBatch.read().join(',');
    if (this.faultLoop.state === state) this.faultLoop.count++;
    else this.faultLoop = { state, count: 1 };
    if (this.faultLoop.count >= this.options.faultLoopLimit) {
      const times = `${this.faultLoop.count} times in a row with the same PC and registers`;
      return this.faulted('fault-loop', `${fault.description}, ${times}`, fault.exception);
    }
    const stopped = this.exceptions.raiseSynchronous(fault);
    return stopped ? this.faulted(stopped.reason, stopped.message, stopped.exception) : undefined;
  }

  private faulted(reason: string, message: string, exception: number = EXC.HARD_FAULT): StepOutcome {
    const context = { registers: this.regs.snapshot(), status: this.faults.snapshot(), cause: this.lastFault };
    return { kind: 'faulted', report: buildFaultReport(context, reason, exceptionName(exception), message) };
  }

  private sleep(): StepOutcome {
    this.isSleeping = !this.canWake();
    return this.isSleeping ? { kind: 'sleeping' } : { kind: 'ran' };
  }

  private callSemihosting(): StepOutcome {
    this.semihost.call();
    this.regs.write(R.PC, this.pc() + 2);
    return this.haltCode === undefined ? { kind: 'ran' } : { kind: 'halted', exitCode: this.haltCode };
  }

  /** Lets the hypervisor serve SVC #imm itself; false when it is the guest's own SVC. */
  private hypercall(imm: number): boolean {
    return this.host.hypercall?.(imm) ?? false;
  }



  private isPrivileged(): boolean {
    const xpsr = this.engine.readRegister(R.XPSR);
    if ((xpsr & XPSR_IPSR_MASK) !== 0) return true;
    return (this.engine.readRegister(R.CONTROL) & CONTROL_NPRIV) === 0;
  }

  private installHooks(): void {
    const e = this.engine;
    e.counter.stopOnInterrupts(); // runGuest takes the exception from the counter
    e.onInvalidMemory(UC_HOOK.MEM_UNMAPPED | UC_HOOK.MEM_PROT, (type, address, size) => {
      this.stopCause = { kind: 'memory', type, address, size };
      return false;
    });
    e.onInvalidInstruction(() => false);
  }
}
