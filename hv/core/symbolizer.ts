/**
 * Addresses as `symbol+offset`, from an image's symbol table (functions and data objects). An
 * address belongs to the closest symbol at or below it: within its size when the symbol has one,
 * or up to the next symbol when its size is 0 (assembly labels). Addresses before the first
 * symbol or past the end of the last one have no name.
 */
import type { ElfSymbol } from './elf.ts';
import { compareSymbolNames } from './symbol-order.ts';

export class Symbolizer {
  private readonly starts: Uint32Array;
  private readonly symbols: readonly ElfSymbol[];

  constructor(symbols: readonly ElfSymbol[]) {
    // One symbol per address: functions before objects, then by name (the table is sorted so).
    const unique = [...symbols].sort((a, b) => a.address - b.address || kindRank(a) - kindRank(b) || compareSymbolNames(a.name, b.name));
    this.symbols = unique.filter((s, i) => i === 0 || s.address !== unique[i - 1]!.address);
    this.starts = Uint32Array.from(this.symbols.map((s) => s.address));
  }

  get empty(): boolean {
    return this.symbols.length === 0;
  }

  /** The symbol containing `address` and the offset into it. */
  lookup(address: number): { symbol: ElfSymbol; offset: number } | undefined {
    const a = address >>> 0;
    let lo = 0;
    let hi = this.starts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid]! <= a) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0) return undefined;
    const symbol = this.symbols[found]!;
    const offset = a - symbol.address;
    const next = this.symbols[found + 1];
    const end = symbol.size > 0 ? symbol.address + symbol.size : (next?.address ?? symbol.address + 1);
    return a < end ? { symbol, offset } : undefined;
  }

  /** `main+0x16`, `main` at offset 0, or undefined when no symbol covers the address. */
  format(address: number): string | undefined {
    const hit = this.lookup(address);
    if (!hit) return undefined;
    return hit.offset === 0 ? hit.symbol.name : `${hit.symbol.name}+0x${hit.offset.toString(16)}`;
  }
}

function kindRank(s: ElfSymbol): number {
  return s.kind === 'func' ? 0 : 1;
}
