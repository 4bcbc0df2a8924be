/** Thumb-2 disassembly for execution logs, with capstone (loadCapstone() must have completed). */
import type { Disassembled } from '../cpu.ts';
import { thumbDecoder } from './capstone.ts';

/** The instructions in `bytes` from `address` on; stops at the first one capstone cannot decode. */
export function disassembleThumb(bytes: Uint8Array, address: number): Disassembled[] {
  let instructions: ReturnType<ReturnType<typeof thumbDecoder>['disasm']> = [];
  try {
    instructions = thumbDecoder().disasm(bytes, address);
  } catch {
    // Capstone throws a string on an invalid first instruction.
    instructions = [];
  }
  return instructions.map((i) => ({ address: Number(i.address), size: i.size, text: i.op_str ? `${i.mnemonic} ${i.op_str}` : i.mnemonic }));
}
