/**
 * A device's register map as a table, the way the datasheets print it: offset, name, reset value,
 * behaviour. A register either is stored here (it has a reset value; `values[name]` holds it and
 * a read returns it) or is computed by its `read` handler, or both; a write stores the `writable`
 * bits, clears the `w1c` bits written as 1 and then runs the `write` handler for its side effects.
 * The map resets the stored values, dispatches guest accesses by offset and reports every access
 * it cannot serve (no register at that offset, a read of a write-only register, a write to a
 * read-only one) through DeviceContext.unimplemented: such a read returns 0, such a write is dropped.
 *
 * Registers are words (offsets multiples of 4); an access at any other offset is unimplemented.
 * Not a framework: a device whose registers decode by ranges (per slot, per timer module) keeps
 * a switch on its named offsets.
 */
import { InternalError } from '../hv/errors.ts';
import { type DeviceContext, readIdRegister } from './device.ts';

export interface Register<N extends string> {
  readonly offset: number;
  readonly name: N;
  /** Reset value of a register the map stores; a register without one is computed by `read`. */
  readonly reset?: number;
  /** Bits of the stored value a write sets from the written value (the others keep theirs). */
  readonly writable?: number;
  /** Bits of the stored value that a write of 1 clears. */
  readonly w1c?: number;
  /** What a read returns (it may have side effects); default: the stored value. */
  readonly read?: () => number;
  /** The write's effect, run after `writable` and `w1c` have changed the stored value. */
  readonly write?: (value: number, size: number) => void;
}

export class RegisterMap<N extends string> {
  /** The stored registers' values by name (0 for a register the map does not store). */
  readonly values: Record<N, number>;
  /** Registers by word index (offset / 4): an array lookup on every trapped access. */
  private readonly byWord: Array<Register<N> | undefined> = [];

  constructor(
    private readonly device: string,
    private readonly ctx: DeviceContext,
    private readonly registers: ReadonlyArray<Register<N>>,
    /** CMSDK peripheral/component ID bytes at 0xFD0-0xFFC (read-only), if the device has them. */
    private readonly ids: readonly number[] = [],
  ) {
    for (const r of registers) {
      if (r.offset % 4 !== 0 || this.byWord[r.offset / 4]) throw new InternalError(`${device}: register ${r.name} at a misaligned or taken offset ${r.offset}`);
      this.byWord[r.offset / 4] = r;
    }
    this.values = Object.fromEntries(registers.map((r) => [r.name, r.reset ?? 0])) as Record<N, number>;
  }

  /** Puts every stored register back to its reset value. */
  reset(): void {
    for (const r of this.registers) if (r.reset !== undefined) this.values[r.name] = r.reset;
  }

  /** The stored registers' values (a checkpoint). */
  saveValues(): Record<N, number> {
    return { ...this.values };
  }

  /** Puts back values saveValues() returned. */
  restoreValues(values: Readonly<Record<N, number>>): void {
    Object.assign(this.values, values);
  }

  /** The value of the register at `offset` (not truncated to `size`). */
  read(offset: number, size: number): number {
    const r = this.at(offset);
    if (r?.read) return r.read();
    if (r?.reset !== undefined) return this.values[r.name];
    const id = r ? undefined : readIdRegister(this.ids, offset);
    if (id !== undefined) return id;
    this.ctx.unimplemented(this.device, offset, size, false);
    return 0;
  }

  /** Writes the register at `offset`; false (and reported) when there is no writable register there. */
  write(offset: number, size: number, value: number): boolean {
    const r = this.at(offset);
    if (!r || (r.writable === undefined && r.w1c === undefined && !r.write)) {
      this.ctx.unimplemented(this.device, offset, size, true);
      return false;
    }
    const v = this.values;
    if (r.writable !== undefined) v[r.name] = ((v[r.name] & ~r.writable) | (value & r.writable)) >>> 0;
    if (r.w1c !== undefined) v[r.name] = (v[r.name] & ~(value & r.w1c)) >>> 0;
    r.write?.(value, size);
    return true;
  }

  private at(offset: number): Register<N> | undefined {
    return offset % 4 === 0 ? this.byWord[offset / 4] : undefined;
  }
}
