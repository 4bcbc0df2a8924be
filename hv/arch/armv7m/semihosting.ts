/**
 * ARM semihosting (BKPT 0xAB in Thumb state; "Semihosting for AArch32 and AArch64", v2.0): the
 * calls bare-metal test firmware uses, answered from the guest's own console and virtual clock so
 * that results stay deterministic. Files other than the console (":tt") are not offered: SYS_OPEN
 * of anything else fails with -1, as a semihosting host without file access would answer.
 */
import { ARM_REG as R } from '../../unicorn/constants.ts';
import type { Engine } from '../../unicorn/engine.ts';

const ADP_STOPPED_APPLICATION_EXIT = 0x20026;
const CONSOLE_HANDLE = 1;
const MAX_STRING = 4096;

const SYS = {
  OPEN: 0x01,
  CLOSE: 0x02,
  WRITEC: 0x03,
  WRITE0: 0x04,
  WRITE: 0x05,
  READ: 0x06,
  ISTTY: 0x09,
  CLOCK: 0x10,
  TIME: 0x11,
  ERRNO: 0x13,
  GET_CMDLINE: 0x15,
  HEAPINFO: 0x16,
  EXIT: 0x18,
  EXIT_EXTENDED: 0x20,
  ELAPSED: 0x30,
  TICKFREQ: 0x31,
} as const;

export interface SemihostingHost {
  /** Bytes the guest writes to the host console. */
  console(bytes: Uint8Array): void;
  /** The guest asked to stop with `code` (0 = success). */
  exit(code: number): void;
  /** Virtual cycles since the guest started, and the clock rate. */
  cycles(): number;
  readonly hz: number;
  /** What SYS_GET_CMDLINE returns (the guest's `cmdline` in the system file). */
  readonly commandLine: string;
}

export class Semihosting {
  constructor(
    private readonly engine: Engine,
    private readonly host: SemihostingHost,
  ) {}

  /** Performs the call in R0 with parameter R1 and writes the result to R0. */
  call(): void {
    const op = this.engine.readRegister(R.R0);
    const arg = this.engine.readRegister(R.R1);
    const result = this.dispatch(op, arg);
    if (result !== undefined) this.engine.writeRegister(R.R0, result >>> 0);
  }

  private dispatch(op: number, arg: number): number | undefined {
    switch (op) {
      case SYS.WRITEC: return this.writeBytes(this.read(arg, 1));
      case SYS.WRITE0: return this.writeBytes(this.readString(arg));
      case SYS.WRITE: return this.write(arg);
      case SYS.OPEN: return this.open(arg);
      case SYS.CLOSE: return 0;
      case SYS.ISTTY: return this.word(arg, 0) === CONSOLE_HANDLE ? 1 : 0;
      case SYS.READ: return this.word(arg, 2);
      case SYS.CLOCK: return Math.floor((this.host.cycles() * 100) / this.host.hz);
      case SYS.TIME: return Math.floor(this.host.cycles() / this.host.hz);
      case SYS.ERRNO: return 0;
      case SYS.GET_CMDLINE: return this.commandLine(arg);
      case SYS.HEAPINFO: return this.zeroHeapInfo(arg);
      case SYS.EXIT: return this.exit(arg === ADP_STOPPED_APPLICATION_EXIT ? 0 : 1);
      case SYS.EXIT_EXTENDED: return this.exitExtended(arg);
      case SYS.ELAPSED: return this.elapsed(arg);
      case SYS.TICKFREQ: return this.host.hz;
      default: return 0xffffffff;
    }
  }

  private read(address: number, length: number): Uint8Array {
    return this.engine.tryReadMemory(address, length) ?? new Uint8Array(0);
  }

  private word(block: number, index: number): number {
    const bytes = this.engine.tryReadMemory(block + 4 * index, 4);
    return bytes ? bytes.readUInt32LE(0) : 0;
  }

  private readString(address: number): Uint8Array {
    const out: number[] = [];
    for (let i = 0; i < MAX_STRING; i++) {
      const b = this.engine.tryReadMemory(address + i, 1);
      if (!b || b[0] === 0) break;
      out.push(b[0]!);
    }
    return Uint8Array.from(out);
  }

  private writeBytes(bytes: Uint8Array): number | undefined {
    this.host.console(bytes);
    return undefined;
  }

  /** SYS_WRITE {handle, buffer, length}: returns the number of bytes NOT written. */
  private write(block: number): number {
    const handle = this.word(block, 0);
    const length = this.word(block, 2);
    if (handle !== CONSOLE_HANDLE && handle !== 2) return length;
    this.host.console(this.read(this.word(block, 1), Math.min(length, 1 << 20)));
    return 0;
  }

  /** SYS_OPEN {name, mode, length}: only ":tt" (the console) opens. */
  private open(block: number): number {
    const name = Buffer.from(this.read(this.word(block, 0), Math.min(this.word(block, 2), 256))).toString('latin1');
    return name === ':tt' ? CONSOLE_HANDLE : 0xffffffff;
  }

  /** SYS_GET_CMDLINE {buffer, size}: the command line, NUL-terminated; size becomes its length. */
  private commandLine(block: number): number {
    const text = Buffer.from(`${this.host.commandLine}\0`, 'latin1');
    const room = this.word(block, 1);
    if (text.length > room) return 0xffffffff;
    this.engine.tryWriteMemory(this.word(block, 0), text);
    const length = Buffer.alloc(4);
    length.writeUInt32LE(text.length - 1);
    this.engine.tryWriteMemory(block + 4, length);
    return 0;
  }

  private zeroHeapInfo(block: number): number {
    this.engine.tryWriteMemory(this.word(block, 0), new Uint8Array(16));
    return 0;
  }

  private exit(code: number): undefined {
    this.host.exit(code);
    return undefined;
  }

  private exitExtended(block: number): undefined {
    const reason = this.word(block, 0);
    return this.exit(reason === ADP_STOPPED_APPLICATION_EXIT ? this.word(block, 1) : 1);
  }

  private elapsed(block: number): number {
    const cycles = this.host.cycles();
    const out = Buffer.alloc(8);
    out.writeBigUInt64LE(BigInt(cycles));
    return this.engine.tryWriteMemory(block, out) ? 0 : 0xffffffff;
  }
}
