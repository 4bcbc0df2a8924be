/**
 * The `exec` and `insn` categories of the execution log: Unicorn hooks on a guest's engine that
 * log each translated block as it runs (its disassembly the first time it runs) or each
 * instruction. They cost a JavaScript call per block or per instruction, so they exist only
 * when asked for; they are installed before the guest runs (Unicorn compiles hooks into its
 * translations) and after its instruction counter, so that an instruction the counter stops
 * before is not logged twice.
 */
import type { Disassembled } from '../arch/cpu.ts';
import type { Engine } from '../unicorn/engine.ts';
import type { EventLog } from './event-log.ts';

export type Disassemble = (bytes: Uint8Array, address: number) => Disassembled[];

/** Largest block read for disassembly (Unicorn's Thumb blocks are far shorter). */
const MAX_BLOCK_BYTES = 4096;

export function installExecLog(engine: Engine, guest: string, now: () => number, log: EventLog, disassemble: Disassemble): void {
  if (!log.wants(guest) || !(log.has('exec') || log.has('insn'))) return;
  void engine.counter;
  const cached = (cache: Map<number, Disassembled[]>, address: number, size: number): Disassembled[] => {
    let instructions = cache.get(address);
    if (!instructions) {
      const bytes = engine.tryReadMemory(address, Math.min(Math.max(size, 2), MAX_BLOCK_BYTES)) ?? new Uint8Array(0);
      instructions = disassemble(bytes, address);
      cache.set(address, instructions);
    }
    return instructions;
  };
  const blocks = new Map<number, Disassembled[]>();
  const singles = new Map<number, Disassembled[]>();
  if (log.has('exec')) {
    const shown = new Set<number>();
    engine.onBlock((address, size) => {
      const cycle = now();
      const instructions = cached(blocks, address, size);
      log.line(cycle, guest, 'exec', `${log.where(guest, address)}: ${instructions.length} instructions`);
      if (shown.has(address)) return;
      shown.add(address);
      for (const i of instructions) log.line(cycle, guest, 'exec', `    ${hex(i.address)}  ${i.text}`);
    });
  }
  if (log.has('insn')) {
    engine.onCode((address) => {
      const text = cached(singles, address, 4)[0]?.text ?? '(undecodable)';
      log.line(now(), guest, 'insn', `${log.where(guest, address)}  ${text}`);
    });
  }
}

function hex(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
}
