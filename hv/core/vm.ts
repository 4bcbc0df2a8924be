/**
 * A virtual machine: one guest image on its own copy of the board, in its own Unicorn engine (so
 * it can address nothing but its own memory and devices), with one vCPU of the board's
 * architecture. The VM turns what its vCPU and devices do into charged cycles, statistics and
 * trace events (through its accounting), and is the run loop's unit of scheduling.
 */
import type { ArchOps, CpuEvents, ExceptionBudgetLimits, GuestCpu, TrapKind } from '../arch/cpu.ts';
import type { MemoryPort } from '../../devices/memory-port.ts';
import type { BoardDescription, MemoryRegionSpec } from '../../devices/platforms/board.ts';
import type { CostTable } from '../time/cost-model.ts';
import { InternalError } from '../errors.ts';
import { type SparseBytes, restoreSparseBytes, sparseBytes } from '../sparse-bytes.ts';
import { CoreClock } from '../time/core-clock.ts';
import type { TraceRecorder } from '../trace/recorder.ts';
import type { MmioDevice } from '../trap/mmio.ts';
import { Engine } from '../unicorn/engine.ts';
import { type BoardInstance, type MemorySizes, instantiateBoard } from './board-instance.ts';
import { GuestConsole } from './guest-console.ts';
import { type GuestReport, type GuestState, GuestStats, type GuestStatsState, sortedRecord } from './guest-stats.ts';
import { type GuestImage, checkPlacement, placeImage } from './image.ts';
import { type TrapSpan, VmAccounting } from './vm-accounting.ts';
import { VmClock } from './vm-clock.ts';
import { Symbolizer } from './symbolizer.ts';
import { VmMmio } from './vm-mmio.ts';
import type { LoopVcpu, StepResult, VmExit } from './vcpu.ts';

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
  /** One cycle per instruction, or each instruction's cycle count. */
  timing?: 'instruction' | 'cycle';
  /** Most exception entries per window of its virtual time (undefined: no limit). */
  exceptionBudget?: ExceptionBudgetLimits;
}

export interface VmServices {
  /** The architecture of the board's CPU. */
  arch: ArchOps;
  costs: CostTable;
  recorder: TraceRecorder;
  /** A complete console line of this guest. */
  consoleLine(guest: string, line: string): void;
}

/**
 * A VM's state between steps, as a checkpoint keeps it (its device events are in its clock's
 * queue, saved with it; its core is the hypervisor's).
 */
export interface VmState {
  readonly floor: number;
  readonly exit: VmExit | undefined;
  readonly pendingCycles: number;
  readonly memory: ReadonlyArray<{ readonly name: string; readonly bytes: SparseBytes }>;
  readonly devices: ReadonlyArray<{ readonly name: string; readonly state: unknown }>;
  readonly cpu: unknown;
  readonly console: ReturnType<GuestConsole['saveState']>;
  readonly stats: GuestStatsState;
  readonly handlerStarts: readonly number[];
}

/** Where a VM is before the hypervisor places it on a core. */
const UNPLACED = new CoreClock(-1);

/** A hypercall handler: true when it served SVC #imm (the VM's own SVCall exception otherwise). */
export type HypercallHandler = (imm: number) => boolean;

export class Vm implements CpuEvents, LoopVcpu {
  readonly name: string;
  readonly index: number;
  readonly engine: Engine;
  readonly clock: VmClock;
  readonly cpu: GuestCpu;
  readonly console: GuestConsole;
  readonly stats = new GuestStats();
  readonly board: BoardInstance;
  readonly accounting: VmAccounting;
  /** The image's symbols, to name code addresses. */
  readonly symbols: Symbolizer;
  placement: CoreClock = UNPLACED;
  floor = 0;
  private exitRecord: VmExit | undefined;
  private resetRequested = false;
  private readonly deferred: Array<() => void> = [];
  private hypercallHandler: HypercallHandler | undefined;
  private readonly mmio: VmMmio;
  private readonly stopListeners: Array<(exit: VmExit) => void> = [];

  constructor(
    readonly config: VmConfig,
    private readonly services: VmServices,
  ) {
    this.name = config.name;
    this.index = config.index;
    this.symbols = new Symbolizer(config.image.symbols);
    this.clock = new VmClock(config.board.clockHz, () => Math.max(this.placement.now, this.floor));
    this.console = new GuestConsole(config.name, (g, line) => services.consoleLine(g, line), config.consoleLimit);
    this.accounting = new VmAccounting(config.name, this.clock, this.stats, services.recorder, services.costs, () => this.placement.index);
    this.engine = Engine.open();
    try {
      this.cpu = this.createCpu();
      this.clock.bindCounter(this.cpu);
      this.board = this.createBoard();
      this.mmio = new VmMmio(this.engine, this.board, this.cpu, this.clock, this.accounting);
      this.mmio.map();
      checkPlacement(config.image, this.board.memory);
      this.boot();
    } catch (error) {
      this.engine.close();
      throw error;
    }
  }

  get state(): GuestState {
    return this.exitRecord?.state ?? 'running';
  }

  get exit(): VmExit | undefined {
    return this.exitRecord;
  }

  get alive(): boolean {
    return this.exitRecord === undefined;
  }

  /** True when the vCPU can run at `now`: alive, awake (or woken by a pending interrupt), not before its floor. */
  runnable(now: number): boolean {
    return this.alive && now >= this.floor && (!this.cpu.sleeping || this.cpu.canWake());
  }

  get waiting(): boolean {
    return this.cpu.sleeping && !this.cpu.canWake();
  }

  nextEventTime(): number {
    return this.clock.nextEventTime();
  }

  fireDue(now: number): void {
    this.clock.fireDue(now);
  }

  get costs(): CostTable {
    return this.services.costs;
  }

  get recorder(): TraceRecorder {
    return this.services.recorder;
  }

  get coreIndex(): number {
    return this.placement.index;
  }

  pc(): number {
    return this.cpu.pc();
  }

  requestStop(): void {
    this.cpu.requestStop();
  }

  account(cycles: number): void {
    this.stats.cycles += cycles;
  }

  /** Runs one step from `start` until at most `deadline`. */
  step(start: number, deadline: number): StepResult {
    this.clock.beginStep(start, deadline);
    const wasSleeping = this.cpu.sleeping;
    const outcome = this.cpu.step();
    this.runDeferred();
    // A vCPU held back by its exception budget did not execute a WFI.
    if (outcome.kind === 'sleeping' && !wasSleeping && !this.cpu.throttled) this.trap('wfi', 'wait for interrupt', this.cpu.pc());
    const consumed = this.clock.endStep(this.cpu.lastCycles);
    const instructions = this.cpu.lastExecuted;
    this.stats.instructions += instructions;
    this.stats.cycles += consumed;
    if (this.resetRequested) this.systemResetNow();
    return { outcome, consumed, instructions };
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

  /** The trap of the MMIO access a device is serving right now (undefined outside one). */
  get trapInProgress(): TrapSpan | undefined {
    return this.mmio.trapInProgress;
  }

  /** Lets the hypervisor serve this VM's supervisor calls (the driver VM's hypercalls). */
  onHypercall(handler: HypercallHandler): void {
    this.hypercallHandler = handler;
  }

  /** The guest's RAM as DMA and virtqueue accesses see it: nothing outside its memory regions. */
  readonly memory: MemoryPort = {
    read: (address, length) => (this.inRam(address, length) ? this.engine.tryReadMemory(address, length) : undefined),
    write: (address, data) => this.inRam(address, data.length) && this.engine.tryWriteMemory(address, data),
  };

  /** True when [address, address + length) lies inside one of the guest's memory regions. */
  inRam(address: number, length: number): boolean {
    if (length < 0 || address < 0 || address + length > 2 ** 32) return false;
    return this.board.memory.some((m) => address >= m.base && address + length <= m.base + m.size);
  }

  /** Marks the guest stopped (halted or faulted); its stats stay readable, a fault is announced. */
  stop(exit: VmExit): void {
    this.exitRecord = exit;
    this.console.flush();
    if (exit.fault) this.announce(this.services.arch.formatFault(exit.fault, (pc) => this.symbols.format(pc)));
    for (const listener of this.stopListeners) listener(exit);
  }

  /** Calls `listener` when the guest stops (halts or faults), after its report is printed. */
  onStop(listener: (exit: VmExit) => void): void {
    this.stopListeners.push(listener);
  }

  /** Prints hypervisor messages about this guest in its console stream (`[name] [hv] ...`). */
  announce(lines: readonly string[]): void {
    for (const line of lines) this.services.consoleLine(this.name, `[hv] ${line}`);
  }

  report(): GuestReport {
    const exit = this.exitRecord;
    return {
      name: this.name,
      state: this.state,
      exitCode: exit?.exitCode ?? null,
      core: this.coreIndex,
      image: this.config.image.file,
      instructions: this.stats.instructions,
      cycles: this.stats.cycles,
      exceptions: sortedRecord(this.stats.exceptions),
      traps: sortedRecord(this.stats.traps),
      console: { ...this.console.stats },
      unimplemented: sortedRecord(this.stats.unimplemented),
      fault: exit?.fault ? { ...exit.fault, symbol: this.symbols.format(exit.fault.pc) ?? null } : null,
      ...(this.stats.throttled ? { throttled: { ...this.stats.throttled } } : {}),
    };
  }

  close(): void {
    this.engine.close();
  }

  /** Everything the VM holds: memory, devices, vCPU, console, counters (between steps only). */
  saveState(): VmState {
    if (this.deferred.length > 0 || this.resetRequested) throw new InternalError(`${this.name}: a checkpoint with work pending after a trap`);
    return {
      floor: this.floor,
      exit: this.exitRecord,
      pendingCycles: this.clock.pendingCycles,
      memory: this.board.memory.map((m) => ({ name: m.name, bytes: sparseBytes(m.host.bytes) })),
      devices: this.board.devices.map((d) => ({ name: d.name, state: d.saveState() })),
      cpu: this.cpu.saveState(),
      console: this.console.saveState(),
      stats: this.stats.saveState(),
      handlerStarts: this.accounting.saveState(),
    };
  }

  /**
   * Puts back everything but the vCPU into a VM just booted from the same configuration; the
   * devices re-create their events and drive their interrupt lines. restoreCpu() comes after
   * every device that drives this VM's lines has been restored.
   */
  restoreState(s: VmState): void {
    this.floor = s.floor;
    this.exitRecord = s.exit;
    this.clock.pendingCycles = s.pendingCycles;
    for (const saved of s.memory) restoreSparseBytes(this.region(saved.name).host.bytes, saved.bytes);
    for (const saved of s.devices) this.boardDevice(saved.name).restoreState(saved.state);
    this.console.restoreState(s.console);
    this.stats.restoreState(s.stats);
    this.accounting.restoreState(s.handlerStarts);
  }

  restoreCpu(s: VmState): void {
    this.cpu.restoreState(s.cpu);
  }

  private region(name: string) {
    const region = this.board.memory.find((m) => m.name === name);
    if (!region) throw new InternalError(`${this.name}: the checkpoint has memory region ${name}, the VM does not`);
    return region;
  }

  private boardDevice(name: string): MmioDevice {
    const device = this.board.devices.find((d) => d.name === name);
    if (!device) throw new InternalError(`${this.name}: the checkpoint has device ${name}, the VM does not`);
    return device;
  }

  // CpuEvents: what the vCPU reports, charged and traced by the accounting.

  exceptionEntry(_exception: number, name: string, tailChained: boolean, pc: number): void {
    this.accounting.exceptionEntry(name, tailChained, pc);
  }

  exceptionReturn(_exception: number, name: string, _toThread: boolean, pc: number, tailChain = false): void {
    this.accounting.exceptionReturn(name, pc, tailChain);
  }

  trap(kind: TrapKind, detail: string, pc: number): void {
    this.accounting.trap(kind, detail, pc);
  }

  private createCpu(): GuestCpu {
    const { board } = this.config;
    return this.services.arch.createVcpu(
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
        exceptionBudget: this.config.exceptionBudget,
      },
      {
        exceptionEntry: (e, n, t, pc) => this.exceptionEntry(e, n, t, pc),
        exceptionReturn: (e, n, toThread, pc, tailChain) => this.exceptionReturn(e, n, toThread, pc, tailChain),
        trap: (k, d, pc) => this.trap(k, d, pc),
        console: (bytes) => this.console.writeAll(bytes),
        cycles: () => this.clock.now(),
        hz: board.clockHz,
        commandLine: this.config.cmdline ?? '',
        unimplemented: (offset, size, write) => this.stats.countUnimplemented('ppb', offset, write),
        systemReset: () => this.requestSystemReset(),
        instructionBudget: () => this.clock.budget(),
        hypercall: (imm) => this.hypercallHandler?.(imm) ?? false,
        budgetExhausted: (at, until) => this.throttled(at, until),
      },
    );
  }

  /** Its exception budget ran out (counted per window; the first time is announced). */
  private throttled(at: number, until: number): void {
    const first = this.stats.throttled === undefined;
    this.stats.throttled ??= { windows: 0, firstAt: at };
    this.stats.throttled.windows++;
    if (!first) return;
    const { entries, window } = this.config.exceptionBudget!;
    this.announce([
      `exception budget used up: ${entries} exception entries in the window of ${window} cycles that ends at cycle ${until} (at cycle ${at}); ` +
        'its interrupts wait until the window ends, as it does after a fault or SVC (throttled; further windows are only counted in the stats; ' +
        'an interrupt-heavy guest that is not misbehaving gets a larger exception-budget in the system file, or false for none)',
    ]);
  }

  /** The board's code region at this guest's size (where divisions are looked for). */
  private codeMemory(): { base: number; size: number } {
    const region = this.config.board.memory.find((m) => m.role === 'code') ?? this.config.board.memory[0]!;
    return { base: region.base, size: this.config.memory.code ?? region.size };
  }

  private createBoard(): BoardInstance {
    const board = { ...this.config.board, memory: [...this.config.board.memory, ...(this.config.extraMemory ?? [])] };
    return instantiateBoard(this.engine, board, this.config.memory, {
      ctx: { time: this.clock, unimplemented: (d, o, _s, w) => this.stats.countUnimplemented(d, o, w) },
      irqLine: (n) => (high) => this.cpu.setIrq(n, high),
      nmi: () => this.cpu.pendNmi(),
      consoleByte: (byte) => this.console.write(byte),
      systemReset: () => this.requestSystemReset(),
      deviceAccess: (address, size, write, value) => this.mmio.deviceAccess(address, size, write, value),
    });
  }

  /** Loads the image and resets the devices and the vCPU (power-on and a system reset). */
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
    this.accounting.reset();
    this.trap('reset', 'system reset requested (AIRCR.SYSRESETREQ or watchdog)', this.cpu.pc());
    this.boot();
  }
}
