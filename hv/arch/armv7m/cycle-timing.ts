/**
 * Cycle timing: each guest instruction costs its Cortex-M4 cycle count instead of one cycle.
 * Code is decoded with capstone one block at a time, the first time the block runs, and the
 * cycles of each instruction are cached in the native counter's map; a taken branch adds the
 * pipeline refill when the next instruction does not follow it.
 *
 * Classes (Cortex-M4 Technical Reference Manual DDI0439 and Generic User Guide DUI0553, table
 * 3-1): data processing, MUL/MLA and the DSP multiplies 1; LDR/STR 2 (the manual's pipelined
 * neighbours taking 1 are not modelled); LDRD/STRD 3; LDM/STM/PUSH/POP 1+N; SDIV/UDIV 2..12,
 * modelled as 7; VLDR/VSTR 2; VLDM/VSTM/VPUSH/VPOP 1+N; VDIV/VSQRT 14; VMLA/VMLS/VFMA family 3;
 * other floating-point 1; ISB 3, DSB/DMB 2; branches 1, plus P = 2 when taken (the manual gives
 * P = 1..3). Code outside code memory (e.g. copied to SRAM) costs 1 cycle per instruction.
 */
import { type SparseBytes, restoreSparseBytes, sparseBytes } from '../../sparse-bytes.ts';
import type { Engine } from '../../unicorn/engine.ts';
import { thumbDecoder } from './capstone.ts';

export const BRANCH_PENALTY = 2;
/** Costs are saved in pages of this many halfwords (code is decoded in small blocks). */
const COST_PAGE = 256;
const BLOCK_BYTES = 64;
const FIXED: ReadonlyArray<[RegExp, number]> = [
  [/^(sdiv|udiv)/, 7],
  [/^(vdiv|vsqrt)/, 14],
  [/^(vmla|vmls|vnmla|vnmls|vfma|vfms|vfnma|vfnms)/, 3],
  [/^(ldrd|strd)/, 3],
  [/^(vldr|vstr)/, 2],
  [/^(ldr|str|ldrex|strex)/, 2],
  [/^isb/, 3],
  [/^(dsb|dmb)/, 2],
  [/^(tbb|tbh)/, 2],
];
const LIST = /^(ldm|stm|push|pop|vldm|vstm|vpush|vpop)/;
const CONDITION = '(eq|ne|cs|hs|cc|lo|mi|pl|vs|vc|hi|ls|ge|lt|gt|le|al)?';
const ENDS_BLOCK = new RegExp(`^((b|bl|bx|blx)${CONDITION}|cbz|cbnz|tbb|tbh|svc|bkpt|udf|wfi|wfe)(\\.[wn])?$`);
/** A load into PC (a branch): "ldr pc, ...", or pc in the register list of ldm/pop. */
function loadsPc(mnemonic: string, operands: string): boolean {
  if (/^ldr/.test(mnemonic)) return /^pc\b/.test(operands);
  return /^(ldm|pop)/.test(mnemonic) && /\{[^}]*\bpc\b/.test(operands);
}

/** Cycles of one decoded instruction (without the taken-branch refill). */
export function instructionCycles(mnemonic: string, operands: string): number {
  if (LIST.test(mnemonic)) return 1 + registerCount(operands);
  for (const [pattern, cycles] of FIXED) if (pattern.test(mnemonic)) return cycles;
  return 1;
}

/** Registers in a list such as "{r4, r5, lr}" or "{s16-s31}" / "{d8-d15}" (a D register is two words). */
function registerCount(operands: string): number {
  const list = /\{([^}]*)\}/.exec(operands)?.[1] ?? '';
  let n = 0;
  for (const item of list.split(',').map((x) => x.trim()).filter(Boolean)) {
    const range = /^([sd])(\d+)-[sd](\d+)$/.exec(item);
    const words = item.startsWith('d') ? 2 : 1;
    n += range ? (Number(range[3]) - Number(range[2]) + 1) * words : words;
  }
  return Math.max(1, n);
}

export class CycleTimer {
  private readonly map: Uint8Array;

  constructor(
    private readonly engine: Engine,
    private readonly base: number,
    size: number,
  ) {
    this.map = engine.counter.enableCycleTiming(base, size, BRANCH_PENALTY);
  }

  /** Forgets decoded code (after the guest's memory was reloaded). */
  clear(): void {
    this.map.fill(0);
    this.engine.counter.flushDecoded();
  }

  /** The costs decoded so far (a checkpoint: a restored vCPU needs no decode stops for them). */
  saveState(): SparseBytes {
    return sparseBytes(this.map, COST_PAGE);
  }

  restoreState(costs: SparseBytes): void {
    restoreSparseBytes(this.map, costs);
    this.engine.counter.flushDecoded();
  }

  /**
   * Decodes the code the counter stopped for (a translated block starting at `pc`, the PC of the
   * stop) and records its instructions' cycles.
   */
  decode(pc: number): void {
    const { start, end } = this.engine.counter.decodeRange;
    if (start === pc && end > start) {
      for (let at = start; at < end; ) at = this.decodeFrom(at, end);
      return;
    }
    this.decodeFrom(pc, pc + BLOCK_BYTES);
  }

  /** Decodes from `pc` to the first block end (or `end`); returns where it stopped. */
  private decodeFrom(pc: number, end: number): number {
    const length = Math.max(2, Math.min(BLOCK_BYTES, end - pc));
    const bytes = this.engine.tryReadMemory(pc, length) ?? this.engine.tryReadMemory(pc, 4) ?? Buffer.alloc(0);
    let instructions: ReturnType<ReturnType<typeof thumbDecoder>['disasm']> = [];
    try {
      instructions = thumbDecoder().disasm(bytes, pc);
    } catch {
      instructions = [];
    }
    if (instructions.length === 0) {
      this.set(pc, 1);
      return pc + 2;
    }
    let next = pc;
    for (const ins of instructions) {
      this.set(Number(ins.address), instructionCycles(ins.mnemonic, ins.op_str));
      next = Number(ins.address) + ins.size;
      if (next >= end || ENDS_BLOCK.test(ins.mnemonic) || loadsPc(ins.mnemonic, ins.op_str)) break;
    }
    return next;
  }

  private set(address: number, cycles: number): void {
    const index = (address - this.base) >>> 1;
    if (address >= this.base && index < this.map.length) this.map[index] = Math.min(255, Math.max(1, cycles));
  }
}
