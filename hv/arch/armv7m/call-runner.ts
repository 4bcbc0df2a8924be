/**
 * Runs a function of foreign Thumb code (the driver VM's interface) to its return on an engine of
 * its own, with the AAPCS call ABI: the argument in R0, the given stack, LR at a return address
 * where the counter ends every run (nothing is fetched there), thread mode, privileged, MSP. A
 * WFI in the called code waits for the device (the caller's clock jumps to the command's
 * completion); any other stop of the engine
 * (an exception, an access outside what the engine maps, an undefined instruction) fails the call.
 * Cycle timing times the called code like a guest's.
 */
import { ARM_REG as R, UC_ERR, UC_HOOK } from '../../unicorn/constants.ts';
import type { Engine } from '../../unicorn/engine.ts';
import type { RegisterBatch } from '../../unicorn/register-batch.ts';
import type { CallClock, CallOutcome, CallRunner, CallRunnerOptions } from '../cpu.ts';
import type { SparseBytes } from '../../sparse-bytes.ts';
import { type RegisterState, restoreRegisters, saveRegisters } from './cortex-m-state.ts';
import { CpuRegisters, XPSR_THUMB } from './cpu-registers.ts';
import { CycleTimer } from './cycle-timing.ts';

type SegmentEnd = { kind: 'return' } | { kind: 'wait' } | { kind: 'fault'; reason: string };

/** What the engine keeps between calls (the stream of each call starts afresh). */
interface RunnerState {
  readonly registers: RegisterState;
  readonly costs: SparseBytes | undefined;
  readonly instrumented: ReadonlyArray<readonly [number, number]>;
}

export class ThumbCallRunner implements CallRunner {
  private readonly entryRegisters: RegisterBatch;
  private readonly cycleTimer: CycleTimer | undefined;
  private stop: SegmentEnd | undefined;

  constructor(
    private readonly engine: Engine,
    private readonly options: CallRunnerOptions,
  ) {
    this.installHooks();
    engine.counter.endRunsAt(options.returnAddress);
    this.entryRegisters = engine.registerBatch([R.R0, R.SP, R.LR, R.XPSR, R.CONTROL]);
    const code = options.codeMemory;
    if (options.timing === 'cycle') this.cycleTimer = new CycleTimer(engine, code.base, code.size);
  }

  get cyclesNow(): number {
    return this.engine.counter.cycles;
  }

  call(entry: number, argument: number, stackTop: number, clock: CallClock): CallOutcome {
    this.entryRegisters.write([argument, stackTop, this.options.returnAddress | 1, XPSR_THUMB, 0]);
    this.engine.counter.breakFlow();
    let pc = entry & ~1;
    let budget = this.options.budget;
    for (;;) {
      const { cycles, end } = this.runSegment(pc, budget);
      clock.elapsed(cycles);
      budget -= cycles;
      if (end.kind === 'return') return { kind: 'returned' };
      if (end.kind === 'fault') return { kind: 'failed', reason: end.reason };
      if (budget <= 0) return { kind: 'failed', reason: `driver call ran more than ${this.options.budget} instructions` };
      if (clock.waitForDevice() === undefined) return { kind: 'failed', reason: 'driver waits (WFI) with no device command in flight' };
      pc = this.engine.readPc();
    }
  }

  saveState(): RunnerState {
    const counter = this.engine.counter;
    return { registers: saveRegisters(new CpuRegisters(this.engine)), costs: this.cycleTimer?.saveState(), instrumented: counter.instrumentedRanges };
  }

  restoreState(state: unknown): void {
    const s = state as RunnerState;
    restoreRegisters(new CpuRegisters(this.engine), s.registers);
    if (s.costs) this.cycleTimer?.restoreState(s.costs);
    this.engine.counter.instrument(s.instrumented);
  }

  /** Runs from `pc` until the code returns, waits or fails; with the cycles it retired. */
  private runSegment(pc: number, budget: number): { cycles: number; end: SegmentEnd } {
    const e = this.engine;
    let cycles = 0;
    for (;;) {
      this.stop = undefined;
      e.counter.reset(budget - cycles);
      const err = e.run(pc | 1);
      cycles += e.counter.cycles;
      if (this.stop) return { cycles, end: this.stop };
      if (!e.counter.needDecode) return { cycles, end: this.ended(err) };
      pc = e.readPc();
      this.cycleTimer?.decode(pc);
    }
  }

  /**
   * A normal end at the return address is the return; elsewhere before the limit it is a WFI (or
   * the budget ran out): the caller waits and resumes.
   */
  private ended(err: number): SegmentEnd {
    if (err === UC_ERR.OK) return this.engine.counter.pc === this.options.returnAddress ? { kind: 'return' } : { kind: 'wait' };
    return { kind: 'fault', reason: `driver code stopped with Unicorn error ${err} at 0x${this.pcHex()}` };
  }

  private installHooks(): void {
    const e = this.engine;
    e.onInvalidMemory(UC_HOOK.MEM_UNMAPPED | UC_HOOK.MEM_PROT, (type, address) => {
      this.stop = { kind: 'fault', reason: `driver access to 0x${address.toString(16)} (type ${type}) at 0x${this.pcHex()}` };
      return false;
    });
    e.onInterrupt((intno) => {
      this.stop = { kind: 'fault', reason: `driver code raised CPU exception ${intno} at 0x${this.pcHex()}` };
      e.stop();
    });
    e.onInvalidInstruction(() => {
      this.stop = { kind: 'fault', reason: `undefined instruction in driver code at 0x${this.pcHex()}` };
      return false;
    });
  }

  private pcHex(): string {
    return this.engine.readRegister(R.PC).toString(16);
  }
}
