/**
 * JavaScript side of the native instruction counter (see native/insn-counter.c): the counter's
 * state lives in native memory that both sides read and write without a call.
 */
import koffi from 'koffi';
import { NativeLibraryError } from '../errors.ts';
import { counterLibraryPath } from './native-build.ts';

const STATE_WORDS = 11;
const EXECUTED = 0;
const LIMIT = 1;
const STOP = 2;
const PENDING = 3;
const WATCH = 4;
const WATCH_IDS = 5;
const WATCH_VALUES = 8;
/** Number of registers the counter can watch. */
export const WATCHED_REGISTERS = 3;
/** Largest limit of one run; keeps the 32-bit native counter far from wrapping. */
export const MAX_RUN_INSTRUCTIONS = 0x7fff_ffff;

function declare() {
  const lib = koffi.load(counterLibraryPath());
  const attach = lib.func('int hv_counter_attach(uc_engine *uc, _Out_ size_t *hh, void *counter)');
  const stateSize = lib.func('int hv_counter_state_size(void)');
  if (stateSize() !== STATE_WORDS * 4) {
    throw new NativeLibraryError(`instruction counter state is ${stateSize()} bytes, expected ${STATE_WORDS * 4}`);
  }
  return { attach };
}

const CACHE_KEY = Symbol.for('hvlab.unicorn.counter');

function counterBindings(): ReturnType<typeof declare> {
  const store = globalThis as unknown as Record<symbol, ReturnType<typeof declare> | undefined>;
  return (store[CACHE_KEY] ??= declare());
}

export class InstructionCounter {
  private readonly address: bigint;
  private readonly state: Uint32Array;
  private freed = false;

  /** Allocates the shared state and installs the hook on `handle` (an open uc_engine). */
  constructor(handle: unknown, hookHandle: (hh: bigint) => void) {
    const { attach } = counterBindings();
    this.address = koffi.alloc('uint32_t', STATE_WORDS) as bigint;
    this.state = new Uint32Array(koffi.view(this.address, STATE_WORDS * 4));
    this.state.fill(0);
    const hh: [bigint] = [0n];
    const err = attach(handle, hh, this.address) as number;
    if (err !== 0) throw new NativeLibraryError(`hv_counter_attach failed with Unicorn error ${err}`);
    hookHandle(BigInt(hh[0]));
  }

  /** Prepares a run of at most `limit` instructions. */
  reset(limit: number): void {
    const s = this.state;
    s[EXECUTED] = 0;
    s[STOP] = 0;
    s[PENDING] = 0;
    s[LIMIT] = Math.min(Math.max(0, Math.floor(limit)), MAX_RUN_INSTRUCTIONS);
  }

  /** Instructions retired since the last reset. */
  get executed(): number {
    return this.state[EXECUTED]!;
  }

  get limit(): number {
    return this.state[LIMIT]!;
  }

  /** Changes the limit of the run in progress (it never goes below what already ran). */
  set limit(value: number) {
    const floor = this.state[EXECUTED]!;
    this.state[LIMIT] = Math.min(Math.max(floor, Math.floor(value)), MAX_RUN_INSTRUCTIONS);
  }

  /**
   * Stops the run before the first instruction after one of `ids` no longer holds its value in
   * `values` (exactly {@link WATCHED_REGISTERS} registers); `undefined` turns watching off.
   */
  watch(ids: readonly number[] | undefined, values: readonly number[] = []): void {
    const s = this.state;
    if (!ids) {
      s[WATCH] = 0;
      return;
    }
    for (let i = 0; i < WATCHED_REGISTERS; i++) {
      s[WATCH_IDS + i] = ids[i]!;
      s[WATCH_VALUES + i] = values[i]! >>> 0;
    }
    s[WATCH] = 1;
  }

  /** Stops the run before the next instruction (safe from inside MMIO callbacks). */
  requestStop(): void {
    this.state[STOP] = 1;
  }

  get stopRequested(): boolean {
    return this.state[STOP] !== 0;
  }

  /** True when the run ended because the limit was reached. */
  get reachedLimit(): boolean {
    return this.state[PENDING] !== 0 && this.state[STOP] === 0;
  }

  free(): void {
    if (this.freed) return;
    this.freed = true;
    koffi.free(this.address);
  }
}
