/**
 * JavaScript side of the native instruction counter (see native/insn-counter.c): the counter's
 * state lives in native memory that both sides read and write without a call; the C side reports
 * the layout of that state, so no offset is hard-coded here.
 */
import koffi from 'koffi';
import { NativeLibraryError } from '../errors.ts';
import { counterLibraryPath } from './native-build.ts';

const FIELDS = [
  'executed', 'limit', 'flags', 'divFault', 'watchIds', 'watchValues', 'divBase', 'divSize', 'divMap', 'divRegs',
  'cycles', 'pendingCost', 'lastCost', 'needDecode', 'prevEnd', 'branchPenalty', 'cycleBase', 'cycleSize', 'cycleMap',
] as const;
/** Bits of the `flags` word (see native/insn-counter.c). */
const FLAG_STOP = 1;
const FLAG_PENDING = 2;
const FLAG_WATCH = 4;
const FLAG_DIV_TRAP = 8;
const FLAG_CYCLES = 16;
type Field = (typeof FIELDS)[number];
/** Number of registers the counter can watch. */
export const WATCHED_REGISTERS = 3;
/** Largest limit of one run; keeps the 32-bit native counter far from wrapping. */
export const MAX_RUN_INSTRUCTIONS = 0x7fff_ffff;

function declare() {
  const lib = koffi.load(counterLibraryPath());
  const attach = lib.func('int hv_counter_attach(uc_engine *uc, _Out_ size_t *hh, void *counter)');
  const stateSize = lib.func('int hv_counter_state_size(void)')() as number;
  const out = new Uint32Array(FIELDS.length);
  const n = lib.func('int hv_counter_offsets(_Out_ uint32_t *out, int count)')(out, out.length) as number;
  if (n !== FIELDS.length) throw new NativeLibraryError(`instruction counter reports ${n} fields, expected ${FIELDS.length}`);
  const words = {} as Record<Field, number>;
  FIELDS.forEach((f, i) => (words[f] = out[i]! / 4));
  return { attach, stateSize, words };
}

const CACHE_KEY = Symbol.for('hvlab.unicorn.counter');

function counterBindings(): ReturnType<typeof declare> {
  const store = globalThis as unknown as Record<symbol, ReturnType<typeof declare> | undefined>;
  return (store[CACHE_KEY] ??= declare());
}

export class InstructionCounter {
  private readonly address: bigint;
  private readonly state: Uint32Array;
  private readonly w: Record<Field, number>;
  private divMap: bigint | undefined;
  private cycleMapAddress: bigint | undefined;
  private freed = false;

  /** Allocates the shared state and installs the hook on `handle` (an open uc_engine). */
  constructor(handle: unknown, hookHandle: (hh: bigint) => void) {
    const { attach, stateSize, words } = counterBindings();
    this.w = words;
    this.address = koffi.alloc('uint8_t', stateSize) as bigint;
    this.state = new Uint32Array(koffi.view(this.address, stateSize));
    this.state.fill(0);
    const hh: [bigint] = [0n];
    const err = attach(handle, hh, this.address) as number;
    if (err !== 0) throw new NativeLibraryError(`hv_counter_attach failed with Unicorn error ${err}`);
    hookHandle(BigInt(hh[0]));
  }

  /** Prepares a run of at most `limit` cycles (instructions without cycle timing); see breakFlow. */
  reset(limit: number): void {
    const s = this.state;
    s[this.w.executed] = 0;
    s[this.w.cycles] = 0;
    s[this.w.lastCost] = 0;
    s[this.w.needDecode] = 0;
    s[this.w.flags] = s[this.w.flags]! & ~(FLAG_STOP | FLAG_PENDING);
    s[this.w.divFault] = 0;
    s[this.w.limit] = Math.min(Math.max(0, Math.floor(limit)), MAX_RUN_INSTRUCTIONS);
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
    return map;
  }

  get limit(): number {
    return this.state[this.w.limit]!;
  }

  /** Changes the limit (in cycles) of the run in progress (it never goes below what already ran). */
  set limit(value: number) {
    const floor = this.state[this.w.cycles]!;
    this.state[this.w.limit] = Math.min(Math.max(floor, Math.floor(value)), MAX_RUN_INSTRUCTIONS);
  }

  /** Stops the run before the next instruction (safe from inside MMIO callbacks). */
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
   * Sets the division map: for the code at [base, base + entries * 2), entry i non-zero marks an
   * SDIV/UDIV at base + 2i whose divisor is register `registerIds[entry - 1]`.
   */
  setDivisionMap(base: number, entries: Uint8Array, registerIds: readonly number[]): void {
    if (this.divMap === undefined || this.state[this.w.divSize]! / 2 < entries.length) {
      if (this.divMap !== undefined) koffi.free(this.divMap);
      this.divMap = koffi.alloc('uint8_t', Math.max(1, entries.length)) as bigint;
    }
    new Uint8Array(koffi.view(this.divMap, entries.length)).set(entries);
    const s = this.state;
    s[this.w.divBase] = base >>> 0;
    s[this.w.divSize] = entries.length * 2;
    new BigUint64Array(s.buffer, this.w.divMap * 4, 1)[0] = this.divMap;
    registerIds.forEach((id, i) => (s[this.w.divRegs + i] = id));
  }

  /** Enables the division-by-zero check (needs a division map). */
  set divisionTrap(on: boolean) {
    this.setFlag(FLAG_DIV_TRAP, on && this.divMap !== undefined);
  }

  /** True when the run stopped before a division by zero. */
  get divisionFault(): boolean {
    return this.state[this.w.divFault] !== 0;
  }

  private setFlag(flag: number, on: boolean): void {
    const s = this.state;
    s[this.w.flags] = on ? s[this.w.flags]! | flag : s[this.w.flags]! & ~flag;
  }

  free(): void {
    if (this.freed) return;
    this.freed = true;
    koffi.free(this.address);
    if (this.divMap !== undefined) koffi.free(this.divMap);
    if (this.cycleMapAddress !== undefined) koffi.free(this.cycleMapAddress);
  }
}
