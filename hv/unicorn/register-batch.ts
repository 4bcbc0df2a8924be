/**
 * A fixed list of 32-bit registers read or written with one uc_reg_read_batch/write_batch call.
 * Unicorn wants an array of value pointers, so the values live in native memory owned by the
 * engine (freed on close) and JavaScript sees them through a typed-array view.
 */
import koffi from 'koffi';
import { UnicornError } from '../errors.ts';
import { unicorn } from './ffi.ts';

export class RegisterBatch {
  readonly ids: readonly number[];
  readonly nativeBlocks: bigint[] = [];
  private readonly idBuffer: Buffer;
  private readonly pointerBuffer: Buffer;
  private readonly values: Uint32Array;

  constructor(
    ids: readonly number[],
    private readonly handle: () => unknown,
    /** Called before every write (the engine's register epoch). */
    private readonly writing: () => void = () => {},
    /** Called after every write with the values written (the engine notes a written PC). */
    private readonly written?: (values: readonly number[]) => void,
  ) {
    this.ids = [...ids];
    const n = ids.length;
    this.idBuffer = Buffer.alloc(4 * n);
    ids.forEach((id, i) => this.idBuffer.writeInt32LE(id, 4 * i));
    const valuesAddress = koffi.alloc('uint64_t', Math.max(1, n)) as bigint;
    this.nativeBlocks.push(valuesAddress);
    this.values = new Uint32Array(koffi.view(valuesAddress, 8 * Math.max(1, n)));
    this.values.fill(0);
    this.pointerBuffer = Buffer.alloc(8 * n);
    for (let i = 0; i < n; i++) this.pointerBuffer.writeBigUInt64LE(valuesAddress + BigInt(8 * i), 8 * i);
  }

  /** Reads every register; the result array is reused by the next read. */
  read(out: number[] = new Array<number>(this.ids.length)): number[] {
    const err = unicorn().fn.regReadBatch(this.handle(), this.idBuffer, this.pointerBuffer, this.ids.length) as number;
    if (err !== 0) throw new UnicornError(`UC_ERR_${err}`, `uc_reg_read_batch failed (${err})`);
    for (let i = 0; i < this.ids.length; i++) out[i] = this.values[2 * i]!;
    return out;
  }

  write(values: readonly number[]): void {
    this.writing();
    for (let i = 0; i < this.ids.length; i++) {
      this.values[2 * i] = values[i]! >>> 0;
      this.values[2 * i + 1] = 0;
    }
    const err = unicorn().fn.regWriteBatch(this.handle(), this.idBuffer, this.pointerBuffer, this.ids.length) as number;
    if (err !== 0) throw new UnicornError(`UC_ERR_${err}`, `uc_reg_write_batch failed (${err})`);
    this.written?.(values);
  }
}
