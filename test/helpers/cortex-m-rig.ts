/**
 * A real CortexM on a Unicorn engine, wired as the hypervisor wires it (hv/core/vm.ts and
 * vm-mmio.ts): code at 0, SRAM at 0x20000000, the PPB as MMIO forwarding to cpu.systemSpace with
 * GuestBusError turned into cpu.abortAccess. The host records every event it is given.
 */
import { CortexM, type CortexMHost, type CortexMOptions } from '../../hv/arch/armv7m/cortex-m.ts';
import type { StepOutcome, TrapKind } from '../../hv/arch/cpu.ts';
import { PPB_BASE, PPB_SIZE } from '../../hv/arch/armv7m/system-space.ts';
import { GuestBusError } from '../../hv/trap/mmio.ts';
import { ARM_REG as R, UC_PROT } from '../../hv/unicorn/constants.ts';
import { Engine } from '../../hv/unicorn/engine.ts';
import { afterEach } from 'vitest';
import { FakeTime } from './fake-time.ts';

export const CODE_BASE = 0;
export const CODE_SIZE = 0x10000;
export const SRAM_BASE = 0x20000000;
export const SRAM_SIZE = 0x10000;
export const STACK_TOP = 0x20001000;
/** EXC_RETURN values of a basic frame. */
export const EXC_RETURN = { HANDLER: 0xfffffff1, THREAD_MSP: 0xfffffff9, THREAD_PSP: 0xfffffffd } as const;

export interface EntryEvent {
  exception: number;
  name: string;
  tailChained: boolean;
  pc: number;
  lr: number;
  msp: number;
  psp: number;
  ipsr: number;
  /** The 8 words of the frame EXC_RETURN (LR) names: R0-R3, R12, LR, return address, xPSR. */
  frame: number[];
  /** Where that frame is. */
  frameAddress: number;
}

export interface ReturnEvent {
  exception: number;
  name: string;
  toThread: boolean;
  pc: number;
  tailChain: boolean;
}

export interface RigOptions extends Partial<Omit<CortexMOptions, 'codeMemory'>> {
  /** Vector table words by exception number (0 = initial SP, 1 = reset, ...), at address 0. */
  vectors: Record<number, number>;
  /** Code and data pieces by address. */
  code: Array<[number, Buffer]>;
  /** Instructions per step (the host's instruction budget). */
  budget?: number;
}

export class CortexMRig implements CortexMHost {
  readonly engine: Engine;
  readonly cpu: CortexM;
  readonly time = new FakeTime();
  readonly entries: EntryEvent[] = [];
  readonly returns: ReturnEvent[] = [];
  /** Every event in order, as "entry SVCall", "return SVCall", "tail-return SVCall", "tail-entry PendSV". */
  readonly log: string[] = [];
  readonly traps: Array<{ kind: TrapKind; detail: string; pc: number }> = [];
  readonly consoleBytes: number[] = [];
  readonly unimplementedLog: Array<{ address: number; size: number; write: boolean }> = [];
  resets = 0;
  readonly hz = 25_000_000;
  readonly commandLine = 'requests=3 mode=test';
  private readonly budget: number;

  constructor(options: RigOptions) {
    this.budget = options.budget ?? 200;
    this.engine = Engine.open();
    const e = this.engine;
    e.mapMemory(CODE_BASE, CODE_SIZE, UC_PROT.ALL);
    e.mapMemory(SRAM_BASE, SRAM_SIZE, UC_PROT.ALL);
    const table = Buffer.alloc(4 * 48);
    for (const [exc, value] of Object.entries(options.vectors)) table.writeUInt32LE(value >>> 0, 4 * Number(exc));
    e.writeMemory(CODE_BASE, table);
    for (const [address, bytes] of options.code) e.writeMemory(address, bytes);
    this.cpu = new CortexM(
      e,
      this.time,
      {
        irqCount: options.irqCount ?? 32,
        priorityBits: options.priorityBits ?? 8,
        systickRefHz: options.systickRefHz ?? 1_000_000,
        resetVtor: options.resetVtor ?? 0,
        semihosting: options.semihosting ?? true,
        faultLoopLimit: options.faultLoopLimit ?? 16,
        codeMemory: { base: CODE_BASE, size: CODE_SIZE },
        timing: options.timing ?? 'instruction',
      },
      this,
    );
    const space = this.cpu.systemSpace;
    const busError = (error: unknown): number => {
      if (!(error instanceof GuestBusError)) throw error;
      this.cpu.abortAccess(error.address, error.write, error.message);
      return 0;
    };
    e.mapMmio(
      PPB_BASE,
      PPB_SIZE,
      (off, size) => {
        try {
          return space.device.read(off, size);
        } catch (error) {
          return busError(error);
        }
      },
      (off, size, value) => {
        try {
          space.device.write(off, size, value);
        } catch (error) {
          busError(error);
        }
      },
    );
    this.cpu.reset();
  }

  // CortexMHost

  exceptionEntry(exception: number, name: string, tailChained: boolean, pc: number): void {
    const lr = this.reg(R.LR);
    const { msp, psp } = this.cpu.regs.stackPointers();
    const frameAddress = (lr & 0xf) === 0xd ? psp : msp;
    const bytes = this.engine.tryReadMemory(frameAddress, 32);
    const frame = bytes ? Array.from({ length: 8 }, (_, i) => bytes.readUInt32LE(4 * i)) : [];
    const ipsr = this.reg(R.XPSR) & 0x1ff;
    this.entries.push({ exception, name, tailChained, pc, lr, msp, psp, ipsr, frame, frameAddress });
    this.log.push(`${tailChained ? 'tail-entry' : 'entry'} ${name}`);
  }

  exceptionReturn(exception: number, name: string, toThread: boolean, pc: number, tailChain = false): void {
    this.returns.push({ exception, name, toThread, pc, tailChain });
    this.log.push(`${tailChain ? 'tail-return' : 'return'} ${name}`);
  }

  trap(kind: TrapKind, detail: string, pc: number): void {
    this.traps.push({ kind, detail, pc });
  }

  console(bytes: Uint8Array): void {
    this.consoleBytes.push(...bytes);
  }

  cycles(): number {
    return this.time.now();
  }

  unimplemented(address: number, size: number, write: boolean): void {
    this.unimplementedLog.push({ address, size, write });
  }

  systemReset(): void {
    this.resets++;
  }

  instructionBudget(): number {
    return this.budget;
  }

  // Test conveniences

  reg(id: number): number {
    return this.engine.readRegister(id);
  }

  /** Steps until `done` holds for the outcome (or the CPU), at most `maxSteps` times. */
  runUntil(done: (outcome: StepOutcome) => boolean, maxSteps = 50): StepOutcome {
    let outcome: StepOutcome = { kind: 'ran' };
    for (let i = 0; i < maxSteps; i++) {
      outcome = this.cpu.step();
      if (done(outcome)) return outcome;
      if (outcome.kind === 'halted' || outcome.kind === 'faulted') return outcome;
    }
    return outcome;
  }

  /** Steps until the guest halts or faults (or `maxSteps` pass). */
  run(maxSteps = 50): StepOutcome {
    return this.runUntil(() => false, maxSteps);
  }

  /** Reads a PPB register as a privileged debugger would (address 0xE000xxxx). */
  ppbRead(address: number, size = 4): number {
    return this.cpu.systemSpace.device.read(address - PPB_BASE, size);
  }

  ppbWrite(address: number, value: number, size = 4): void {
    this.cpu.systemSpace.device.write(address - PPB_BASE, size, value);
  }

  word(address: number): number {
    return this.engine.readMemory(address, 4).readUInt32LE(0);
  }

  close(): void {
    this.cpu.close();
  }
}

/** Thumb address of code at `address` (bit 0 set), for vectors. */
export function thumbAddress(address: number): number {
  return (address | 1) >>> 0;
}

/** Makes rigs for the calling test file and closes each one after the test that made it. */
export function rigsClosedAfterEach(): (options: RigOptions) => CortexMRig {
  const open: CortexMRig[] = [];
  afterEach(() => {
    for (const rig of open.splice(0)) rig.close();
  });
  return (options) => {
    const rig = new CortexMRig(options);
    open.push(rig);
    return rig;
  };
}
