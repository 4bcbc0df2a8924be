/**
 * A virtual machine: one guest image on its own copy of the board, in its own Unicorn engine (so
 * it can address nothing but its own memory and devices), with one Cortex-M vCPU. The VM turns
 * what its vCPU and devices do into charged cycles, statistics and trace events.
 */
import type { CpuEvents, FaultReport, StepOutcome, TrapKind } from '../arch/cpu.ts';
import { CortexM } from '../arch/armv7m/cortex-m.ts';
import { PPB_BASE, PPB_SIZE } from '../arch/armv7m/system-space.ts';
import type { BoardDescription, MemoryRegionSpec } from '../../devices/platforms/board.ts';
import { Engine } from '../unicorn/engine.ts';
import { type CostTable, hypercallCycles, mmioTrapCycles } from '../time/cost-model.ts';
import type { TraceRecorder } from '../trace/recorder.ts';
import type { GuestMemory } from '../io/guest-queue.ts';
import type { MmioDevice } from '../trap/mmio.ts';
import type { SchedulableVcpu } from '../sched/scheduler.ts';
import { type BoardInstance, type MemorySizes, instantiateBoard } from './board-instance.ts';
import { GuestConsole } from './guest-console.ts';
import { type GuestIoReport, type GuestReport, type GuestState, GuestStats, sortedRecord } from './guest-stats.ts';
import { type GuestImage, checkPlacement, placeImage } from './image.ts';
import { VmClock } from './vm-clock.ts';
import { VmMmio } from './vm-mmio.ts';

export interface VmConfig {
  name: string;
  index: number;
  board: BoardDescription;
  image: GuestImage;
  memory: MemorySizes;
  semihosting: boolean;
  consoleLimit: number;
  faultLoopLimit: number;
  /** What the guest's semihosting SYS_GET_CMDLINE returns. */
  cmdline?: string;
  /** Where the reset vector table is (default: the image's). */
  vectorTable?: number;
  /** Memory beyond the board's (the driver window of the driver VM). */
  extraMemory?: readonly MemoryRegionSpec[];
  /** One cycle per instruction, or each instruction's Cortex-M4 cycle count. */
  timing?: 'instruction' | 'cycle';
}

export interface VmServices {
  costs: CostTable;
  recorder: TraceRecorder;
  /** The clock of the core this VM is on (between steps). */
  coreNow(): number;
  /** Index of the core this VM is on. */
  core(): number;
  /** A complete console line of this guest. */
  consoleLine(guest: string, line: string): void;
}

export class Vm implements CpuEvents, SchedulableVcpu {
  readonly name: string;
  readonly index: number;
  readonly engine: Engine;
  readonly clock: VmClock;
  readonly cpu: CortexM;
  readonly console: GuestConsole;
  readonly stats = new GuestStats();
  readonly board: BoardInstance;
  state: GuestState = 'running';
  exitCode: number | null = null;
  /** Virtual time at which the guest halted or faulted. */
  stoppedAt: number | null = null;
  fault: FaultReport | null = null;
  private readonly handlerStarts: number[] = [];
  private resetRequested = false;
  private readonly deferred: Array<() => void> = [];
  /** I/O counters of this guest's I/O path (set by the I/O system). */
  ioTotals: (() => GuestIoReport) | undefined;
  /** Hypercalls this VM may make (the driver VM's, set by the I/O system); false: not one. */
  hypercalls: ((imm: number) => boolean) | undefined;
  private readonly mmio: VmMmio;

  constructor(
    readonly config: VmConfig,
    private readonly services: VmServices,
  ) {
    this.name = config.name;
    this.index = config.index;
    this.clock = new VmClock(config.board.clockHz, () => services.coreNow());
    this.console = new GuestConsole(config.name, (g, line) => services.consoleLine(g, line), config.consoleLimit);
    this.engine = Engine.open();
    try {
      this.mmio = new VmMmio(this);
      this.cpu = this.createCpu();
      this.clock.cpu = this.cpu;
      this.board = this.createBoard();
      this.mmio.map(this.board, PPB_BASE, PPB_SIZE);
      checkPlacement(config.image, this.board.memory);
      this.boot();
    } catch (error) {
      this.engine.close();
      throw error;
    }
  }

  get alive(): boolean {
    return this.state === 'running';
  }

  /** True when the vCPU can run at `now` (its due device events are fired first). */
  runnable(now: number): boolean {
    if (!this.alive) return false;
    this.clock.fireDue(now);
    return !this.cpu.sleeping || this.cpu.canWake();
  }

  get costs(): CostTable {
    return this.services.costs;
  }

  get recorder(): TraceRecorder {
    return this.services.recorder;
  }

  get coreIndex(): number {
    return this.services.core();
  }

  /** Runs one step from `start` until at most `deadline`; returns the outcome and cycles used. */
  step(start: number, deadline: number): { outcome: StepOutcome; consumed: number } {
    this.clock.beginStep(start, deadline);
    this.clock.fireDue(start);
    const wasSleeping = this.cpu.sleeping;
    const outcome = this.cpu.step();
    this.runDeferred();
    if (outcome.kind === 'sleeping' && !wasSleeping) this.trap('wfi', 'wait for interrupt', this.cpu.pc());
    const consumed = this.clock.endStep(this.cpu.lastCycles);
    this.stats.instructions += this.cpu.lastExecuted;
    this.stats.cycles += consumed;
    if (this.resetRequested) this.systemResetNow();
    return { outcome, consumed };
  }

  /**
   * Runs `work` right after the instruction in progress (a trap handler that needs the guest
   * stopped, such as a driver call in the guest's context); its costs go into the current step.
   */
  defer(work: () => void): void {
    this.deferred.push(work);
    this.cpu.requestStop();
  }

  private runDeferred(): void {
    while (this.deferred.length > 0) this.deferred.shift()!();
  }

  /** Adds a device to the guest's map (virtio transports; physical devices of the driver VM). */
  addDevice(base: number, device: MmioDevice): void {
    this.mmio.addDevice(base, device);
  }

  /** The guest's RAM as DMA and virtqueue accesses see it: nothing outside its memory regions. */
  readonly memory: GuestMemory = {
    read: (address, length) => (this.inRam(address, length) ? this.engine.tryReadMemory(address, length) : undefined),
    write: (address, data) => this.inRam(address, data.length) && this.engine.tryWriteMemory(address, data),
  };

  /** True when [address, address + length) lies inside one of the guest's memory regions. */
  inRam(address: number, length: number): boolean {
    if (length < 0 || address < 0 || address + length > 2 ** 32) return false;
    return this.board.memory.some((m) => address >= m.base && address + length <= m.base + m.size);
  }

  /** Marks the guest stopped (halted or faulted) and releases nothing yet (stats stay readable). */
  stop(state: 'halted' | 'faulted', exitCode: number | null, fault: FaultReport | null): void {
    this.stoppedAt = this.services.coreNow();
    this.state = state;
    this.exitCode = exitCode;
    this.fault = fault;
    this.console.flush();
  }

  /** Prints hypervisor messages about this guest in its console stream (`[name] [hv] ...`). */
  announce(lines: readonly string[]): void {
    for (const line of lines) this.services.consoleLine(this.name, `[hv] ${line}`);
  }

  report(): GuestReport {
    return {
      name: this.name,
      state: this.state,
      exitCode: this.exitCode,
      core: this.coreIndex,
      image: this.config.image.file,
      instructions: this.stats.instructions,
      cycles: this.stats.cycles,
      exceptions: sortedRecord(this.stats.exceptions),
      traps: sortedRecord(this.stats.traps),
      console: { ...this.console.stats },
      unimplemented: sortedRecord(this.stats.unimplemented),
      fault: this.fault,
      ...(this.ioTotals ? { io: this.ioTotals() } : {}),
    };
  }

  close(): void {
    this.engine.close();
  }

  // CpuEvents: what the vCPU reports, charged and traced here.

  exceptionEntry(exception: number, name: string, tailChained: boolean, pc: number): void {
    const cost = tailChained ? this.costs.tailChain.cycles : this.costs.exceptionEntry.cycles;
    const ts = this.clock.now();
    this.clock.charge(cost);
    this.stats.countException(name);
    this.handlerStarts.push(ts);
    this.recorder.measure(tailChained ? 'tail-chain' : 'exception-entry', cost);
    this.recorder.record({ kind: 'exception-entry', ts, dur: cost, core: this.coreIndex, guest: this.name, pc, exception: name, tailChained });
    void exception;
  }

  exceptionReturn(exception: number, name: string, toThread: boolean, pc: number, tailChain = false): void {
    const cost = tailChain ? 0 : this.costs.exceptionReturn.cycles;
    const ts = this.clock.now();
    this.clock.charge(cost);
    const start = this.handlerStarts.pop();
    if (start !== undefined) this.recorder.measure('exception-handler', ts - start);
    if (!tailChain) this.recorder.measure('exception-return', cost);
    this.recorder.record({ kind: 'exception-return', ts, dur: cost, core: this.coreIndex, guest: this.name, pc, exception: name });
    void exception;
    void toThread;
  }

  trap(kind: TrapKind, detail: string, pc: number): void {
    const cost = this.trapCost(kind);
    const ts = this.clock.now();
    this.clock.charge(cost);
    this.stats.countTrap(kind);
    this.recorder.measure(`trap.${kind}`, cost);
    this.recorder.record({ kind: 'trap', ts, dur: cost, core: this.coreIndex, guest: this.name, pc, trap: kind, detail });
  }

  private trapCost(kind: TrapKind): number {
    const c = this.costs;
    if (kind === 'mmio') return mmioTrapCycles(c);
    if (kind === 'svc' || kind === 'semihosting' || kind === 'hypercall') return hypercallCycles(c);
    return c.trapEntry.cycles + c.trapReturn.cycles;
  }

  private createCpu(): CortexM {
    const { board } = this.config;
    return new CortexM(
      this.engine,
      this.clock,
      {
        irqCount: board.irqCount,
        priorityBits: board.priorityBits,
        systickRefHz: board.systickRefHz,
        resetVtor: this.config.vectorTable ?? this.config.image.vectorTable,
        semihosting: this.config.semihosting,
        faultLoopLimit: this.config.faultLoopLimit,
        codeMemory: this.codeMemory(),
        timing: this.config.timing ?? 'instruction',
      },
      {
        exceptionEntry: (e, n, t, pc) => this.exceptionEntry(e, n, t, pc),
        exceptionReturn: (e, n, toThread, pc, tailChain) => this.exceptionReturn(e, n, toThread, pc, tailChain),
        trap: (k, d, pc) => this.trap(k, d, pc),
        console: (bytes) => this.console.writeAll(bytes),
        cycles: () => this.clock.now(),
        hz: board.clockHz,
        commandLine: this.config.cmdline ?? '',
        unimplemented: (address, size, write) => this.mmio.unimplemented('ppb', address - PPB_BASE, size, write),
        systemReset: () => this.requestSystemReset(),
        instructionBudget: () => this.clock.budget(),
        hypercall: (imm) => this.hypercalls?.(imm) ?? false,
      },
    );
  }

  /** The board's code region at this guest's size (where divisions are looked for). */
  private codeMemory(): { base: number; size: number } {
    const region = this.config.board.memory.find((m) => m.role === 'code') ?? this.config.board.memory[0]!;
    return { base: region.base, size: this.config.memory.code ?? region.size };
  }

  private createBoard(): BoardInstance {
    const board = { ...this.config.board, memory: [...this.config.board.memory, ...(this.config.extraMemory ?? [])] };
    return instantiateBoard(this.engine, board, this.config.memory, {
      ctx: { time: this.clock, unimplemented: (d, o, s, w) => this.mmio.unimplemented(d, o, s, w) },
      irqLine: (n) => (high) => this.cpu.setIrq(n, high),
      nmi: () => this.cpu.pendNmi(),
      consoleByte: (byte) => this.console.write(byte),
      systemReset: () => this.requestSystemReset(),
      deviceAccess: (address, size, write, value) => this.mmio.deviceAccess(address, size, write, value),
    });
  }

  /** Loads the image and resets the devices and the vCPU (power-on and AIRCR.SYSRESETREQ). */
  private boot(): void {
    placeImage(this.config.image, (address, bytes) => this.engine.writeMemory(address, bytes));
    for (const device of this.board.devices) device.reset();
    this.cpu.reset();
  }

  private requestSystemReset(): void {
    this.resetRequested = true;
    this.cpu.requestStop();
  }

  private systemResetNow(): void {
    this.resetRequested = false;
    this.handlerStarts.length = 0;
    this.trap('reset', 'system reset requested (AIRCR.SYSRESETREQ or watchdog)', this.cpu.pc());
    this.boot();
  }
}
