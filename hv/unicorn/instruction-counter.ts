/**
 * JavaScript side of the native instruction counter (see native/insn-counter.c): an exact
 * instruction or cycle budget per run, counted per translated block. The counter's state lives
 * in native memory that both sides read and write without a call; the C side reports the layout
 * of that state, so no offset is hard-coded here. Runs and MMIO mappings of an engine with a
 * counter go through it (run, mapMmio), so that the count is exact inside MMIO callbacks.
 */
import koffi from 'koffi';
import { NativeLibraryError } from '../errors.ts';
import { counterLibraryPath } from './native-build.ts';

const FIELDS = [
  'executed', 'limit', 'flags', 'divFault', 'watchIds', 'watchValues', 'divRegs', 'cycles', 'lastCost', 'needDecode',
  'prevEnd', 'branchPenalty', 'cycleBase', 'cycleSize', 'cycleMap', 'decodeStart', 'decodeEnd', 'finishes', 'retranslations',
  'endPc', 'scratchWindow', 'fastLimit', 'interrupted', 'interruptNo', 'interruptPc', 'accessPc',
] as const;
/** Bits of the `flags` word (see native/counter.h). */
const FLAG_STOP = 1;
const FLAG_PENDING = 2;
const FLAG_WATCH = 4;
const FLAG_DIV_TRAP = 8;
const FLAG_CYCLES = 16;
const FLAG_ABORT = 32;
/** Set by the native side while a finish runs (native/counter.h, FLAG_NOT_MAIN). */
const FLAG_NOT_MAIN = 64;
const FLAG_UNALIGNED = 128;
/** Flags that make the block hook take its slow path (SLOW_FLAGS): fastLimit is then 0. */
const SLOW_FLAGS = FLAG_STOP | FLAG_WATCH | FLAG_DIV_TRAP | FLAG_NOT_MAIN;
type Field = (typeof FIELDS)[number];
/** Code ranges the counter instruments at most (MAX_INSTRUMENTED in native/counter.h). */
const MAX_INSTRUMENTED_RANGES = 256;
/** Number of registers the counter can watch. */
export const WATCHED_REGISTERS = 3;
/** Largest limit of one run; keeps the 32-bit native counter far from wrapping. */
export const MAX_RUN_INSTRUCTIONS = 0x7fff_ffff;
/**
 * Where executable guest RAM is mapped a second time for exact finishes (native/finish.c): the
 * part of the Cortex-M default memory map that is executable and unused by the board (the
 * driver window is at 0x60000000).
 */
export const ALIAS_LO = 0x7000_0000;
export const ALIAS_HI = 0x9fff_ffff;
/**
 * Where the counter maps its scratch copy of guest code for exact finishes inside IT blocks
 * (native/finish.c, SCRATCH_AT and SCRATCH_SIZE): the top of the alias range. The aliases of
 * guest RAM stay below it.
 */
export const SCRATCH_AT = 0x9fff_0000;
export const SCRATCH_SIZE = 0x1_0000;

function declare() {
  const lib = koffi.load(counterLibraryPath());
  const fn = {
    attach: lib.func('int hv_counter_attach(void *uc, void *counter, uint32_t aliasLo, uint32_t aliasHi)'),
    run: lib.func('int hv_counter_run(void *counter, uint64_t begin)'),
    addAlias: lib.func('int hv_counter_add_alias(void *counter, uint32_t base, uint32_t size, uint32_t alias, void *host)'),
    flush: lib.func('void hv_counter_flush(void *counter)'),
    free: lib.func('void hv_counter_free(void *counter)'),
    mmioMap: lib.func('int hv_mmio_map(void *counter, uint64_t address, uint64_t size, void *read, void *write)'),
    mmioLatch: lib.func('int hv_mmio_latch(void *counter, uint64_t address, void *store, uint32_t size, uint32_t stride, uint32_t mask)'),
    instrumented: lib.func('int hv_counter_instrumented(void *counter, _Out_ uint32_t *out, int max)'),
    instrument: lib.func('int hv_counter_instrument(void *counter, uint32_t lo, uint32_t hi)'),
    useCycleHook: lib.func('int hv_counter_use_cycle_hook(void *counter)'),
    setExit: lib.func('int hv_counter_set_exit(void *counter, uint32_t address)'),
    stopOnInterrupts: lib.func('int hv_counter_stop_on_interrupts(void *counter)'),
    // Register sequences of the Cortex-M model in one host call each (native/m-profile.c).
    mSetState: lib.func('void hv_m_set_state(void *uc, uint32_t ipsr, uint32_t xpsr, uint32_t control, uint32_t msp, uint32_t psp)'),
    mStackPointers: lib.func('void hv_m_stack_pointers(void *uc, uint32_t *out)'),
  };
  const stateSize = lib.func('int hv_counter_state_size(void)')() as number;
  const out = new Uint32Array(FIELDS.length);
  const n = lib.func('int hv_counter_offsets(_Out_ uint32_t *out, int count)')(out, out.length) as number;
  if (n !== FIELDS.length) throw new NativeLibraryError(`instruction counter reports ${n} fields, expected ${FIELDS.length}`);
  // Built in one go: an object grown field by field with computed keys goes to dictionary mode,
  // and every state access below would then be a slow property lookup.
  const words = Object.fromEntries(FIELDS.map((f, i) => [f, out[i]! / 4])) as Record<Field, number>;
  return { fn, stateSize, words };
}

type Bindings = ReturnType<typeof declare>;
const CACHE_KEY = Symbol.for('hvlab.unicorn.counter.v3');

function counterBindings(): ReturnType<typeof declare> {
  const store = globalThis as unknown as Record<symbol, ReturnType<typeof declare> | undefined>;
  return (store[CACHE_KEY] ??= declare());
}

/** The native library's register sequences (see native/m-profile.c), for Engine. */
export function mProfileSequences(): { setState: Bindings['fn']['mSetState']; stackPointers: Bindings['fn']['mStackPointers'] } {
  const { fn } = counterBindings();
  return { setState: fn.mSetState, stackPointers: fn.mStackPointers };
}

export class InstructionCounter {
  private readonly address: bigint;
  private readonly state: Uint32Array;
  private readonly w: Record<Field, number>;
  private readonly fn: ReturnType<typeof declare>['fn'];
  private divisionRegisters = false;
  private cycleMapAddress: bigint | undefined;
  private freed = false;

  /**
   * Allocates the shared state and installs the counter's hooks on `handle` (an open uc_engine,
   * before any code ran). From then on runs go through {@link run} and MMIO through {@link mapMmio}.
   */
  constructor(handle: unknown) {
    const { fn, stateSize, words } = counterBindings();
    this.fn = fn;
    this.w = words;
    this.address = koffi.alloc('uint8_t', stateSize) as bigint;
    this.state = new Uint32Array(koffi.view(this.address, stateSize));
    this.state.fill(0);
    const err = fn.attach(handle, this.address, ALIAS_LO, ALIAS_HI) as number;
    if (err !== 0) throw new NativeLibraryError(`hv_counter_attach failed with Unicorn error ${err}`);
  }

  /** Runs from `begin` (Thumb bit set) within the budget; returns Unicorn's error code. */
  run(begin: number): number {
    return this.fn.run(this.address, begin) as number;
  }

  /** Maps MMIO through the counter's trampolines (koffi callback pointers of the device). */
  mapMmio(address: number, size: number, read: unknown, write: unknown): number {
    return this.fn.mmioMap(this.address, address, size, read, write) as number;
  }

  /**
   * The MMIO region at `address` stores 32-bit writes of the registers in `mask` (bit n: the
   * word at n × 4 of each `stride`-byte slot) straight into `store` (host memory of `size`
   * bytes, the device's register words) instead of calling the device.
   */
  latchMmio(address: number, store: bigint, size: number, stride: number, mask: number): void {
    if ((this.fn.mmioLatch(this.address, address, store, size, stride, mask) as number) !== 0) {
      throw new NativeLibraryError(`cannot latch MMIO at 0x${address.toString(16)}: no region there, or a stride (${stride}) that is not a positive multiple of 4`);
    }
  }

  /** Executable RAM [base, base + size) (host memory at `host`) is also mapped at `alias` (for exact finishes). */
  addAlias(base: number, size: number, alias: number, host: bigint): void {
    if ((this.fn.addAlias(this.address, base, size, alias, host) as number) !== 0) {
      throw new NativeLibraryError('too many executable regions for the instruction counter');
    }
  }

  /**
   * The code ranges that have a code hook so far ([lo, hi) pairs, in the order they got it):
   * MMIO accesses in them are exact at once. A checkpoint keeps them, so that a restored engine
   * counts and stops exactly where the saved one would have.
   */
  get instrumentedRanges(): Array<[number, number]> {
    const out = new Uint32Array(2 * MAX_INSTRUMENTED_RANGES);
    const n = this.fn.instrumented(this.address, out, out.length) as number;
    return Array.from({ length: Math.min(n, MAX_INSTRUMENTED_RANGES) }, (_, i) => [out[2 * i]!, out[2 * i + 1]!]);
  }

  /** Instruments the ranges a saved engine had (after a restore, before any run). */
  instrument(ranges: ReadonlyArray<readonly [number, number]>): void {
    for (const [lo, hi] of ranges) {
      if ((this.fn.instrument(this.address, lo, hi) as number) !== 0) throw new NativeLibraryError(`cannot instrument code at 0x${lo.toString(16)}-0x${hi.toString(16)}`);
    }
  }

  /**
   * Every run ends normally (Unicorn's error OK, {@link pc} equal to `address`) when the code
   * reaches `address`, before fetching there: a called function's return address, which then
   * needs no mapping, no memory hook and no failed translation at every return.
   */
  endRunsAt(address: number): void {
    const err = this.fn.setExit(this.address, address) as number;
    if (err !== 0) throw new NativeLibraryError(`hv_counter_set_exit failed with Unicorn error ${err}`);
  }

  /**
   * Every CPU exception (SVC, BKPT, exception return, a fault) stops the run on its instruction,
   * as Engine.stop() from an interrupt hook would, and is recorded in {@link interrupt}: natively,
   * without a JavaScript hook and a register read per exception.
   */
  stopOnInterrupts(): void {
    const err = this.fn.stopOnInterrupts(this.address) as number;
    if (err !== 0) throw new NativeLibraryError(`hv_counter_stop_on_interrupts failed with Unicorn error ${err}`);
  }

  /** The CPU exception the last run stopped on (QEMU's number and its PC), if it did (see stopOnInterrupts). */
  get interrupt(): { intno: number; pc: number } | undefined {
    const s = this.state;
    return s[this.w.interrupted] ? { intno: s[this.w.interruptNo]!, pc: s[this.w.interruptPc]! } : undefined;
  }

  /** Forgets all decoded code (guest code was reloaded, or the cycle map cleared). */
  flushDecoded(): void {
    this.fn.flush(this.address);
  }

  /**
   * Engine.stop() during a run: stop on the current instruction and do not finish it (a precise
   * abort, or a hook that failed).
   */
  abort(): void {
    this.setFlag(FLAG_ABORT, true);
  }

  /** Exact finishes inside blocks so far: at the alias, and by retranslation (for the benchmarks). */
  get finishes(): { alias: number; retranslated: number } {
    return { alias: this.state[this.w.finishes]!, retranslated: this.state[this.w.retranslations]! };
  }

  /**
   * The PC where the last run() ended, without a register read (~95 ns through koffi). Hooks
   * that change the PC after a run (the hypervisor's exception entry) make it stale: it is the
   * engine's PC right after run() returns.
   */
  get pc(): number {
    return this.state[this.w.endPc]!;
  }

  /**
   * Inside an MMIO callback: the address of the accessing instruction (exact in a block with a
   * code hook or when the access matched one instruction, else the best match); 0 elsewhere.
   * Unicorn's PC register is not kept up to date inside a block.
   */
  get accessPc(): number {
    return this.state[this.w.accessPc]!;
  }

  /** The guest address of the scratch copy's first byte (where a PC at SCRATCH_AT + x comes from). */
  get scratchWindow(): number {
    return this.state[this.w.scratchWindow]!;
  }

  /** Cycle timing: the code the counter needs decoded (valid while needDecode). */
  get decodeRange(): { start: number; end: number } {
    return { start: this.state[this.w.decodeStart]!, end: this.state[this.w.decodeEnd]! };
  }

  /** Prepares a run of at most `limit` cycles (instructions without cycle timing); see breakFlow. */
  reset(limit: number): void {
    const s = this.state;
    s[this.w.executed] = 0;
    s[this.w.cycles] = 0;
    s[this.w.lastCost] = 0;
    s[this.w.needDecode] = 0;
    s[this.w.flags] = s[this.w.flags]! & ~(FLAG_STOP | FLAG_PENDING | FLAG_ABORT | FLAG_UNALIGNED);
    s[this.w.divFault] = 0;
    s[this.w.limit] = Math.min(Math.max(0, Math.floor(limit)), MAX_RUN_INSTRUCTIONS);
    this.syncFastLimit();
  }

  /** The block hook checks one word, fastLimit: the limit, or 0 while a slow flag is set. */
  private syncFastLimit(): void {
    const s = this.state;
    s[this.w.fastLimit] = (s[this.w.flags]! & SLOW_FLAGS) !== 0 ? 0 : s[this.w.limit]!;
  }

  /**
   * Cycle timing: the next run does not continue the instruction stream of the last one (the
   * hypervisor moved the PC: exception entry or return, a driver call), so its first instruction
   * is not charged a branch refill. Runs that resume where the last one stopped keep the stream,
   * so a taken branch just before a stop is still charged at the target.
   */
  breakFlow(): void {
    this.state[this.w.prevEnd] = 0;
  }

  /**
   * Cycle timing: where the last block run ended (0: the stream was broken), which decides
   * whether the next run pays a branch refill first; a checkpoint keeps it.
   */
  get streamEnd(): number {
    return this.state[this.w.prevEnd]!;
  }

  set streamEnd(value: number) {
    this.state[this.w.prevEnd] = value >>> 0;
  }

  /** Instructions retired since the last reset. */
  get executed(): number {
    return this.state[this.w.executed]!;
  }

  /** Cycles of the instructions retired since the last reset (equal to executed without cycle timing). */
  get cycles(): number {
    return this.state[this.w.cycles]!;
  }

  /** Cycles of the last retired instruction. */
  get lastCost(): number {
    return this.state[this.w.lastCost]!;
  }

  /** True when the run stopped before an instruction whose cycle cost is not known yet. */
  get needDecode(): boolean {
    return this.state[this.w.needDecode] !== 0;
  }

  /**
   * Cycle timing over [base, base + size): returns the map (one byte per halfword, in native
   * memory) in which the hypervisor writes each decoded instruction's cycles; instructions outside
   * it cost 1. `penalty` is added after a taken branch (pipeline refill).
   */
  enableCycleTiming(base: number, size: number, penalty: number): Uint8Array {
    const entries = Math.ceil(size / 2);
    if (this.cycleMapAddress !== undefined) koffi.free(this.cycleMapAddress);
    this.cycleMapAddress = koffi.alloc('uint8_t', Math.max(1, entries)) as bigint;
    const map = new Uint8Array(koffi.view(this.cycleMapAddress, Math.max(1, entries)));
    map.fill(0);
    const s = this.state;
    s[this.w.cycleBase] = base >>> 0;
    s[this.w.cycleSize] = entries * 2;
    s[this.w.branchPenalty] = penalty;
    new BigUint64Array(s.buffer, this.w.cycleMap * 4, 1)[0] = this.cycleMapAddress;
    this.setFlag(FLAG_CYCLES, true);
    const err = this.fn.useCycleHook(this.address) as number;
    if (err !== 0) throw new NativeLibraryError(`hv_counter_use_cycle_hook failed with Unicorn error ${err}`);
    return map;
  }

  get limit(): number {
    return this.state[this.w.limit]!;
  }

  /** Changes the limit (in cycles) of the run in progress (it never goes below what already ran). */
  set limit(value: number) {
    const floor = this.state[this.w.cycles]!;
    this.state[this.w.limit] = Math.min(Math.max(floor, Math.floor(value)), MAX_RUN_INSTRUCTIONS);
    this.syncFastLimit();
  }

  /**
   * Stops the run right after the current instruction (from an MMIO callback: after the
   * accessing instruction, whose access is not repeated), or before the next block otherwise.
   */
  requestStop(): void {
    this.setFlag(FLAG_STOP, true);
  }

  get stopRequested(): boolean {
    return (this.state[this.w.flags]! & FLAG_STOP) !== 0;
  }

  /** True when the run ended because the limit was reached. */
  get reachedLimit(): boolean {
    return (this.state[this.w.flags]! & (FLAG_PENDING | FLAG_STOP)) === FLAG_PENDING;
  }

  /**
   * Stops the run before the first instruction after one of `ids` no longer holds its value in
   * `values` (exactly {@link WATCHED_REGISTERS} registers); `undefined` turns watching off.
   */
  watch(ids: readonly number[] | undefined, values: readonly number[] = []): void {
    const s = this.state;
    if (!ids) return this.setFlag(FLAG_WATCH, false);
    for (let i = 0; i < WATCHED_REGISTERS; i++) {
      s[this.w.watchIds + i] = ids[i]!;
      s[this.w.watchValues + i] = values[i]! >>> 0;
    }
    this.setFlag(FLAG_WATCH, true);
  }

  /**
   * Division trap: `registerIds` are the Unicorn ids of R0-R15 (the counter finds SDIV/UDIV in
   * the code it decodes and reads the divisor register). `base` and `entries` (a division map of
   * code memory) are accepted for compatibility and not needed: divisions are found anywhere.
   */
  setDivisionMap(_base: number, _entries: Uint8Array, registerIds: readonly number[]): void {
    const s = this.state;
    registerIds.forEach((id, i) => (s[this.w.divRegs + i] = id));
    this.divisionRegisters = true;
  }

  /** Enables the division-by-zero check (needs the register ids of setDivisionMap). */
  set divisionTrap(on: boolean) {
    this.setFlag(FLAG_DIV_TRAP, on && this.divisionRegisters);
  }

  /**
   * The run stopped on an instruction whose MMIO access lacked the alignment it needs
   * (native/alignment.c): the device was not accessed, the instruction not finished.
   */
  get unalignedAccess(): boolean {
    return (this.state[this.w.flags]! & FLAG_UNALIGNED) !== 0;
  }

  /** True when the run stopped before a division by zero. */
  get divisionFault(): boolean {
    return this.state[this.w.divFault] !== 0;
  }

  private setFlag(flag: number, on: boolean): void {
    const s = this.state;
    s[this.w.flags] = on ? s[this.w.flags]! | flag : s[this.w.flags]! & ~flag;
    this.syncFastLimit();
  }

  free(): void {
    if (this.freed) return;
    this.freed = true;
    this.fn.free(this.address);
    koffi.free(this.address);
    if (this.cycleMapAddress !== undefined) koffi.free(this.cycleMapAddress);
  }
}
