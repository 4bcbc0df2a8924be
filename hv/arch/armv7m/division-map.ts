/**
 * Finds the SDIV/UDIV instructions in code memory for the native counter's divide-by-zero trap
 * (CCR.DIV_0_TRP), which Unicorn 2.0.1 does not implement: one byte per halfword, non-zero where
 * a T1 SDIV (FB9n Fdfm) or UDIV (FBBn Fdfm) encoding starts, holding the divisor register + 1.
 * The counter consults the map only at addresses where an instruction actually starts, so data
 * that happens to look like a division is harmless.
 */
import { ARM_REG as R } from '../../unicorn/constants.ts';
import type { Engine } from '../../unicorn/engine.ts';

/** Unicorn register ids of R0-R15, indexed by register number. */
export const REGISTER_IDS = [R.R0, R.R1, R.R2, R.R3, R.R4, R.R5, R.R6, R.R7, R.R8, R.R9, R.R10, R.R11, R.R12, R.SP, R.LR, R.PC];

export function buildDivisionMap(engine: Engine, base: number, size: number): Uint8Array {
  const code = engine.readMemory(base, size);
  const map = new Uint8Array(size >>> 1);
  for (let i = 0; i + 4 <= code.length; i += 2) {
    const first = code.readUInt16LE(i) & 0xfff0;
    if (first !== 0xfb90 && first !== 0xfbb0) continue;
    const second = code.readUInt16LE(i + 2);
    if ((second & 0xf0f0) === 0xf0f0) map[i >>> 1] = (second & 0xf) + 1;
  }
  return map;
}
