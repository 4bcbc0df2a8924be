/**
 * The owning wrapper around one `uc_engine`: memory, MMIO, registers, contexts, hooks, run/stop.
 * The engine owns its handle, every callback it registered and every native buffer it allocated;
 * close() releases them all. Errors of API calls are thrown as {@link UnicornError} carrying
 * Unicorn's own message; the outcome of a run is returned as Unicorn's error code, because an
 * unmapped access or an invalid instruction is the guest's doing, not the host's.
 */
import koffi from 'koffi';
import { UnicornError } from '../errors.ts';
import { ARM_REG, UC_ARCH, UC_CPU_ARM, UC_CTL, UC_ERR, UC_HOOK, UC_MODE, UC_PROT } from './constants.ts';
import { unicorn } from './ffi.ts';
import { HookGuard } from './hooks.ts';
import { HostMemory } from './host-memory.ts';
import { ALIAS_HI, ALIAS_LO, InstructionCounter, SCRATCH_AT, SCRATCH_SIZE, mProfileSequences } from './instruction-counter.ts';
import { RegisterBatch } from './register-batch.ts';

export type MmioRead = (offset: number, size: number) => number;
export type MmioWrite = (offset: number, size: number, value: number) => void;
/**
 * Registers of an MMIO device that only hold a written value (see InstructionCounter.latchMmio):
 * engines with a counter store their 32-bit writes in `store`, the device's register words
 * (offset / 4), without calling `write`; others call it as for any register.
 */
export interface MmioLatch {
  readonly store: HostMemory;
  readonly stride: number;
  readonly mask: number;
}

/** Memory-event hook: return true when the access was handled (Unicorn retries it). */
export type InvalidMemoryHook = (type: number, address: number, size: number, value: number) => boolean;

const UC_ERR_NAMES = new Map<number, string>(Object.entries(UC_ERR).map(([name, code]) => [code, `UC_ERR_${name}`]));

/** Unicorn's name for an error code, e.g. `UC_ERR_READ_UNMAPPED`. */
export function ucErrorName(code: number): string {
  return UC_ERR_NAMES.get(code) ?? `UC_ERR_${code}`;
}

export function ucErrorMessage(code: number): string {
  return unicorn().fn.strerror(code) as string;
}

export interface EngineOptions {
  /** Unicorn CPU model (uc_cpu_arm); Cortex-M4 by default. */
  cpuModel?: number;
  /**
   * Install the native instruction counter (default true): runs then have an exact budget and
   * go through it. Without it (benchmark baselines) run() is a plain uc_emu_start.
   */
  counter?: boolean;
}

/** Alias slots are aligned like this (whole pages keep the blocks' page structure). */
const ALIAS_ALIGN = 0x10000;

/** Unicorn's mapping granule for ARM: addresses and sizes of mappings are multiples of it. */
export const MAP_ALIGN = 0x1000;

/** `size` rounded up to whole mapping granules. */
export function mapSize(size: number): number {
  return Math.ceil(size / MAP_ALIGN) * MAP_ALIGN;
}

export class EngineContext {
  constructor(
    private handle: unknown,
    private readonly release: (ctx: EngineContext) => void,
  ) {}

  get pointer(): unknown {
    if (this.handle === null) throw new UnicornError('UC_ERR_HANDLE', 'context already freed');
    return this.handle;
  }

  free(): void {
    if (this.handle === null) return;
    unicorn().fn.contextFree(this.handle);
    this.handle = null;
    this.release(this);
  }
}

export class Engine {
  private handle: unknown;
  private readonly guard: HookGuard;
  private readonly regBuf = Buffer.alloc(8);
  private readonly hooks = new Set<bigint>();
  private readonly contexts = new Set<EngineContext>();
  private readonly nativeBlocks: bigint[] = [];
  private readonly hostMemory: HostMemory[] = [];
  private counterInstance: InstructionCounter | undefined;
  private nextAlias = ALIAS_LO;
  /** Bumped by everything that may change a register (writes, runs, context restores). */
  private registerEpochValue = 0;
  /** Inside run(): guest code changes registers as it goes. */
  private running = false;
  /** The register epoch right after the last run (the counter then knows the PC). */
  private epochAfterRun = Number.NaN;
  /** The PC as readPc() gives it, known without a host call while the register epoch is `pcEpoch`. */
  private knownPc = 0;
  private pcEpoch = Number.NaN;
  /** Execute aliases of guest RAM (base, size, alias), to report PCs at their guest address. */
  private readonly aliases: Array<{ base: number; size: number; alias: number }> = [];
  private closed = false;

  private constructor(handle: unknown) {
    this.handle = handle;
    this.guard = new HookGuard(() => this.stop());
  }

  /** Opens an ARM Thumb engine and selects the CPU model (which must precede any other call). */
  static open(options: EngineOptions = {}): Engine {
    const { fn } = unicorn();
    const out: [unknown] = [null];
    check(fn.open(UC_ARCH.ARM, UC_MODE.THUMB, out), 'uc_open');
    const engine = new Engine(out[0]);
    const model = options.cpuModel ?? UC_CPU_ARM.CORTEX_M4;
    try {
      check(fn.ctl(out[0], UC_CTL.WRITE_CPU_MODEL | 0, 'int', model), 'uc_ctl(CPU_MODEL)');
      if (options.counter ?? true) engine.counterInstance = new InstructionCounter(out[0]);
    } catch (error) {
      engine.close();
      throw error;
    }
    return engine;
  }

  private get h(): unknown {
    if (this.closed) throw new UnicornError('UC_ERR_HANDLE', 'engine is closed');
    return this.handle;
  }

  /** The native instruction counter (engines opened with `counter: false` have none). */
  get counter(): InstructionCounter {
    if (!this.counterInstance) throw new UnicornError('UC_ERR_ARG', 'this engine was opened without an instruction counter');
    return this.counterInstance;
  }

  mapMemory(address: number, size: number, perms: number): void {
    check(unicorn().fn.memMap(this.h, address, size, perms), `uc_mem_map(${hexOf(address)}, ${hexOf(size)})`);
  }

  /**
   * Maps the same zero-filled host memory at every address in `addresses` (a RAM with aliases,
   * as boards mirror their SRAM). The memory lives as long as the engine.
   */
  mapSharedMemory(addresses: readonly number[], size: number, perms: number): HostMemory {
    const memory = new HostMemory(size);
    for (const address of addresses) this.mapHostMemory(address, memory, perms);
    return memory;
  }

  /**
   * Maps `memory` (possibly mapped by other engines too) at `address`. Executable memory is also
   * mapped read-only at an alias above ALIAS_LO, where the instruction counter finishes budgets
   * exactly inside blocks (native/finish.c); without room there, it falls back to retranslation.
   */
  mapHostMemory(address: number, memory: HostMemory, perms: number): void {
    const { fn } = unicorn();
    check(fn.memMapPtr(this.h, address, memory.size, perms, memory.address), `uc_mem_map_ptr(${hexOf(address)})`);
    memory.retain();
    this.hostMemory.push(memory);
    const alias = this.nextAlias;
    if (!this.counterInstance || (perms & UC_PROT.EXEC) === 0 || alias + memory.size > SCRATCH_AT) return;
    check(fn.memMapPtr(this.h, alias, memory.size, UC_PROT.READ | UC_PROT.EXEC, memory.address), `uc_mem_map_ptr(${hexOf(alias)})`);
    this.counterInstance.addAlias(address, memory.size, alias, memory.address);
    this.aliases.push({ base: address, size: memory.size, alias });
    this.nextAlias = alias + Math.ceil(memory.size / ALIAS_ALIGN) * ALIAS_ALIGN;
  }

  unmapMemory(address: number, size: number): void {
    check(unicorn().fn.memUnmap(this.h, address, size), `uc_mem_unmap(${hexOf(address)}, ${hexOf(size)})`);
  }

  protectMemory(address: number, size: number, perms: number): void {
    check(unicorn().fn.memProtect(this.h, address, size, perms), `uc_mem_protect(${hexOf(address)})`);
  }

  readMemory(address: number, length: number): Buffer {
    // From Node's buffer pool (uc_mem_read fills it all, or the buffer is dropped): a fresh
    // zeroed ArrayBuffer per read costs more than the read on the I/O paths.
    const out = Buffer.allocUnsafe(length);
    const code = unicorn().fn.memRead(this.h, address, out, length) as number;
    if (code !== 0) fail(code, `uc_mem_read(${hexOf(address)}, ${length})`);
    return out;
  }

  /** Reads memory; returns undefined instead of throwing when the range is not mapped. */
  tryReadMemory(address: number, length: number): Buffer | undefined {
    const out = Buffer.allocUnsafe(length);
    return unicorn().fn.memRead(this.h, address, out, length) === 0 ? out : undefined;
  }

  writeMemory(address: number, bytes: Uint8Array): void {
    const code = unicorn().fn.memWrite(this.h, address, bytes, bytes.length) as number;
    if (code !== 0) fail(code, `uc_mem_write(${hexOf(address)})`);
  }

  /** Writes memory; returns false instead of throwing when the range is not mapped. */
  tryWriteMemory(address: number, bytes: Uint8Array): boolean {
    return unicorn().fn.memWrite(this.h, address, bytes, bytes.length) === 0;
  }

  /**
   * Maps an MMIO region: guest accesses call `read`/`write` with the offset into the region.
   * Unicorn maps whole pages (MAP_ALIGN): a `size` that is not a multiple is mapped rounded up,
   * and accesses past `size` read as zero and are ignored, so callers pass the device's own size.
   * `latch`: registers whose 32-bit writes the counter stores in the device's memory itself.
   */
  mapMmio(address: number, size: number, read: MmioRead, write: MmioWrite, latch?: MmioLatch): void {
    const { fn, protos } = unicorn();
    const mapped = mapSize(size);
    const what = `uc_mmio_map(${hexOf(address)}, ${hexOf(mapped)})`;
    if (this.counterInstance) {
      // Through the counter's trampolines: 32-bit arguments, no engine handle (native/mmio.c).
      const r = this.guard.register(protos.mmioRead32, 0, (offset: number, sz: number) => (offset < size ? read(offset, sz) >>> 0 : 0));
      const w = this.guard.register(protos.mmioWrite32, undefined, (offset: number, sz: number, v: number) => {
        if (offset < size) write(offset, sz, v);
      });
      check(this.counterInstance.mapMmio(address, mapped, r, w), what);
      if (latch) this.counterInstance.latchMmio(address, latch.store.address, Math.min(size, latch.store.size), latch.stride, latch.mask);
      return;
    }
    const r = this.guard.register(protos.mmioRead, 0, (_uc: unknown, off: Int64, sz: number) => {
      const offset = u32(off);
      return offset < size ? read(offset, sz) >>> 0 : 0;
    });
    const w = this.guard.register(protos.mmioWrite, undefined, (_uc: unknown, off: Int64, sz: number, v: Int64) => {
      const offset = u32(off);
      if (offset < size) write(offset, sz, u32(v));
    });
    check(fn.mmioMap(this.h, address, mapped, r, null, w, null), what);
  }

  /** Reads a register; the PC of code running at an execute alias (an exact finish) reads as the guest's. */
  readRegister(id: number): number {
    const code = unicorn().fn.regRead(this.h, id, this.regBuf) as number;
    if (code !== 0) fail(code, `uc_reg_read(${id})`);
    const value = this.regBuf.readUInt32LE(0);
    return id === ARM_REG.PC && value >= ALIAS_LO && value <= ALIAS_HI ? this.unalias(value) : value;
  }

  /**
   * The PC, as readRegister(PC) gives it: right after a run (nothing written since) from the
   * counter without a host call; inside an MMIO callback, the accessing instruction (the
   * register then still holds the PC of an earlier instruction or block).
   */
  readPc(): number {
    if (this.running) {
      const access = this.counterInstance?.accessPc ?? 0;
      return access !== 0 ? access : this.readRegister(ARM_REG.PC);
    }
    if (this.pcEpoch === this.registerEpochValue) return this.knownPc;
    if (this.counterInstance && this.epochAfterRun === this.registerEpochValue) {
      const pc = this.counterInstance.pc;
      if (pc < ALIAS_LO || pc > ALIAS_HI) return pc;
    }
    const pc = this.readRegister(ARM_REG.PC);
    this.notePc(pc);
    return pc;
  }

  /**
   * The PC now holds `value` (written, or read, since the last register change); Unicorn keeps
   * it without the Thumb bit. Between runs only: during one, code moves the PC on.
   */
  private notePc(value: number): void {
    if (this.running) return;
    const pc = (value & ~1) >>> 0;
    if (pc >= ALIAS_LO && pc <= ALIAS_HI) return;
    this.knownPc = pc;
    this.pcEpoch = this.registerEpochValue;
  }

  /** A register change that leaves the PC as it was (mode and stack pointer sequences). */
  private bumpEpochKeepingPc(): void {
    const keep = this.pcEpoch === this.registerEpochValue;
    this.registerEpochValue++;
    if (keep) this.pcEpoch = this.registerEpochValue;
  }

  private unalias(address: number): number {
    // The counter's scratch copy of guest code (finishes inside IT blocks).
    if (this.counterInstance && address >= SCRATCH_AT && address < SCRATCH_AT + SCRATCH_SIZE) {
      return this.counterInstance.scratchWindow + (address - SCRATCH_AT);
    }
    const a = this.aliases.find((x) => address >= x.alias && address < x.alias + x.size);
    return a ? a.base + (address - a.alias) : address;
  }

  /**
   * Changes whenever a register may have changed through this engine (a write, a batch write, a
   * run, a context restore): a caller can keep a register value while it stays the same. NaN
   * (equal to nothing) during a run, from hooks.
   */
  get registerEpoch(): number {
    return this.running ? Number.NaN : this.registerEpochValue;
  }

  writeRegister(id: number, value: number): void {
    this.registerEpochValue++;
    this.regBuf.writeUInt32LE(value >>> 0, 0);
    const code = unicorn().fn.regWrite(this.h, id, this.regBuf) as number;
    if (code !== 0) fail(code, `uc_reg_write(${id})`);
    if (id === ARM_REG.PC) this.notePc(value);
  }

  /**
   * Cortex-M: sets IPSR, the APSR/EPSR bits of `xpsr`, CONTROL and both banked stack pointers in
   * one host call, with the register sequence Unicorn's M-profile support needs (see
   * hv/arch/armv7m/cpu-registers.ts, setProcessorState, and native/m-profile.c).
   */
  setMProfileState(ipsr: number, xpsr: number, control: number, msp: number, psp: number): void {
    this.bumpEpochKeepingPc();
    mProfileSequences().setState(this.h, ipsr >>> 0, xpsr >>> 0, control >>> 0, msp >>> 0, psp >>> 0);
  }

  /** Cortex-M: MSP, PSP (read privileged, whatever the mode) and CONTROL into `out`, in one host call. */
  mProfileStackPointers(out: Uint32Array): void {
    this.bumpEpochKeepingPc(); // an unprivileged thread is lifted to handler mode and back
    mProfileSequences().stackPointers(this.h, out);
  }

  /** A reusable batch for reading or writing a fixed list of 32-bit registers in one call. */
  registerBatch(ids: readonly number[]): RegisterBatch {
    const pcAt = ids.indexOf(ARM_REG.PC);
    const written = pcAt < 0 ? undefined : (values: readonly number[]) => this.notePc(values[pcAt]!);
    const batch = new RegisterBatch(ids, () => this.h, () => this.registerEpochValue++, written);
    this.nativeBlocks.push(...batch.nativeBlocks);
    return batch;
  }

  saveContext(): EngineContext {
    const { fn } = unicorn();
    const out: [unknown] = [null];
    check(fn.contextAlloc(this.h, out), 'uc_context_alloc');
    const ctx = new EngineContext(out[0], (c) => this.contexts.delete(c));
    this.contexts.add(ctx);
    this.saveContextInto(ctx);
    return ctx;
  }

  saveContextInto(ctx: EngineContext): void {
    check(unicorn().fn.contextSave(this.h, ctx.pointer), 'uc_context_save');
  }

  restoreContext(ctx: EngineContext): void {
    this.registerEpochValue++;
    check(unicorn().fn.contextRestore(this.h, ctx.pointer), 'uc_context_restore');
  }

  /** Called with QEMU's exception number (SVC = 2, prefetch abort = 3, BKPT = 7, ...). */
  onInterrupt(fn: (intno: number) => void): bigint {
    const cb = this.guard.register(unicorn().protos.hookIntr, undefined, (_uc: unknown, intno: number) => fn(intno));
    return this.addHook(UC_HOOK.INTR, cb, 1, 0);
  }

  /** Unmapped or protection-violating accesses of the given UC_HOOK_MEM_* kinds. */
  onInvalidMemory(types: number, fn: InvalidMemoryHook): bigint {
    const cb = this.guard.register(
      unicorn().protos.hookMem,
      false,
      (_uc: unknown, type: number, address: Int64, size: number, value: Int64) =>
        fn(type, u32(address), size, u32(value)),
    );
    return this.addHook(types, cb, 1, 0);
  }

  /** Valid memory accesses (UC_HOOK_MEM_READ / MEM_WRITE); costly, use only while needed. */
  onMemoryAccess(types: number, fn: (type: number, address: number, size: number, value: number) => void): bigint {
    const cb = this.guard.register(
      unicorn().protos.hookMem,
      false,
      (_uc: unknown, type: number, address: Int64, size: number, value: Int64) => {
        fn(type, u32(address), size, u32(value));
        return false;
      },
    );
    return this.addHook(types, cb, 1, 0);
  }

  /** Per-instruction hook over [begin, end] (begin > end: everywhere); ~100 ns per call. */
  onCode(fn: (address: number, size: number) => void, begin = 1, end = 0): bigint {
    const cb = this.guard.register(unicorn().protos.hookCode, undefined, (_uc: unknown, a: Int64, s: number) =>
      fn(u32(a), s),
    );
    return this.addHook(UC_HOOK.CODE, cb, begin, end);
  }

  /** Per-translated-block hook (called each time a block starts executing). */
  onBlock(fn: (address: number, size: number) => void, begin = 1, end = 0): bigint {
    const cb = this.guard.register(unicorn().protos.hookCode, undefined, (_uc: unknown, a: Int64, s: number) =>
      fn(u32(a), s),
    );
    return this.addHook(UC_HOOK.BLOCK, cb, begin, end);
  }

  /** Undefined instructions; return true when handled. */
  onInvalidInstruction(fn: () => boolean): bigint {
    const cb = this.guard.register(unicorn().protos.hookInsnInvalid, false, () => fn());
    return this.addHook(UC_HOOK.INSN_INVALID, cb, 1, 0);
  }

  removeHook(hook: bigint): void {
    if (!this.hooks.delete(hook)) return;
    check(unicorn().fn.hookDel(this.h, hook), 'uc_hook_del');
    this.flushTranslations();
  }

  /**
   * Drops translated code and what the counter decoded. Unicorn compiles hooks into translated
   * blocks, so hooks added or removed after code ran take effect only after this (unicorn issue
   * #2200).
   */
  flushTranslations(): void {
    check(unicorn().fn.ctl(this.h, UC_CTL.WRITE_TB_FLUSH | 0), 'uc_ctl(TB_FLUSH)');
    this.counterInstance?.flushDecoded();
  }

  /**
   * Runs from `begin` (Thumb bit set by the caller) until stopped: within the counter's budget,
   * or (engines without a counter) for `count` instructions, 0 meaning no limit. Returns
   * Unicorn's error code (UC_ERR.OK for a normal stop); rethrows any error a hook threw.
   */
  run(begin: number, count = 0): number {
    this.running = true;
    let err: number;
    try {
      err = this.counterInstance ? this.counterInstance.run(begin) : (unicorn().fn.emuStart(this.h, begin, 0xffff_ffff, 0, count) as number);
    } finally {
      this.running = false;
      this.epochAfterRun = ++this.registerEpochValue;
    }
    this.guard.rethrow();
    return err;
  }

  /** Stops the run on the current instruction (from a hook); the instruction is not finished. */
  stop(): void {
    if (this.closed) return;
    this.counterInstance?.abort();
    unicorn().fn.emuStop(this.handle);
  }

  /** Records `error` as if a hook had thrown it: stops and makes run() rethrow it. */
  failFromHook(error: unknown): void {
    this.guard.fail(error);
  }

  /** Releases the engine, its contexts, hooks, callbacks and native memory. Idempotent. */
  close(): void {
    if (this.closed) return;
    for (const ctx of [...this.contexts]) ctx.free();
    unicorn().fn.close(this.handle);
    this.closed = true;
    this.handle = null;
    this.hooks.clear();
    this.counterInstance?.free();
    this.guard.releaseAll();
    for (const block of this.nativeBlocks) koffi.free(block);
    this.nativeBlocks.length = 0;
    for (const memory of this.hostMemory) memory.release();
    this.hostMemory.length = 0;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private addHook(type: number, callback: unknown, begin: number, end: number): bigint {
    const out: [bigint | number] = [0n];
    check(unicorn().fn.hookAdd(this.h, out, type, callback, null, begin, end), `uc_hook_add(type ${type})`);
    const hook = BigInt(out[0]);
    this.hooks.add(hook);
    return hook;
  }
}

/** koffi passes 64-bit integers as numbers when they fit, as BigInt otherwise. */
type Int64 = number | bigint;

function u32(value: Int64): number {
  return typeof value === 'bigint' ? Number(BigInt.asUintN(32, value)) : value >>> 0;
}

function check(code: number, what: string): void {
  if (code !== 0) fail(code, what);
}

/** Throws Unicorn's error `code` for `what` (the hot calls test the code first: no message is built for a success). */
function fail(code: number, what: string): never {
  throw new UnicornError(ucErrorName(code), `${what}: ${ucErrorMessage(code)} (${ucErrorName(code)})`);
}

function hexOf(n: number): string {
  return `0x${n.toString(16)}`;
}

