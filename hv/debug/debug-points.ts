/**
 * Breakpoints and watchpoints of one guest. Software breakpoints are unlimited; hardware
 * breakpoints and watchpoints are limited to the core's comparators (a Cortex-M4 has 6 and 4),
 * as on the real chip, so that a debugging session that works here works on the board.
 */
import type { PointKind } from './gdb-commands.ts';

export type BreakKind = 'software' | 'hardware';
export type WatchKind = 'write' | 'read' | 'access';

export interface Watch {
  readonly kind: WatchKind;
  readonly address: number;
  readonly length: number;
}

export class DebugPoints {
  private readonly breaks = new Map<number, BreakKind>();
  private readonly watches: Watch[] = [];

  constructor(private readonly comparators: { readonly breakpoints: number; readonly watchpoints: number }) {}

  get empty(): boolean {
    return this.breaks.size === 0 && this.watches.length === 0;
  }

  get watching(): boolean {
    return this.watches.length > 0;
  }

  insert(kind: PointKind, address: number, length: number): boolean {
    if (kind === 'software' || kind === 'hardware') return this.insertBreak(kind, address);
    if (this.watches.some((w) => w.kind === kind && w.address === address && w.length === length)) return true;
    if (this.watches.length >= this.comparators.watchpoints || length === 0) return false;
    this.watches.push({ kind, address, length });
    return true;
  }

  remove(kind: PointKind, address: number, length: number): void {
    if (kind === 'software' || kind === 'hardware') {
      if (this.breaks.get(address) === kind) this.breaks.delete(address);
      return;
    }
    const index = this.watches.findIndex((w) => w.kind === kind && w.address === address && w.length === length);
    if (index >= 0) this.watches.splice(index, 1);
  }

  breakAt(address: number): BreakKind | undefined {
    return this.breaks.get(address);
  }

  /** The watchpoint an access of `size` bytes at `address` triggers, if any. */
  watchHit(address: number, size: number, write: boolean): Watch | undefined {
    return this.watches.find(
      (w) => (w.kind === 'access' || (w.kind === 'write') === write) && address < w.address + w.length && w.address < address + size,
    );
  }

  clear(): void {
    this.breaks.clear();
    this.watches.length = 0;
  }

  private insertBreak(kind: BreakKind, address: number): boolean {
    if (kind === 'hardware' && this.breaks.get(address) !== 'hardware') {
      const used = [...this.breaks.values()].filter((k) => k === 'hardware').length;
      if (used >= this.comparators.breakpoints) return false;
    }
    this.breaks.set(address, kind);
    return true;
  }
}
