/**
 * Where a VM's hypervisor work is charged: every trap, exception entry and return goes through
 * one charge(), which advances the VM's clock by its cost, counts it, adds it to the cycle
 * distribution of its kind and records it as a trace event.
 */
import type { TrapKind } from '../arch/cpu.ts';
import { type CostTable, hypercallCycles, mmioTrapCycles } from '../time/cost-model.ts';
import type { TraceEvent } from '../trace/events.ts';
import type { Histogram } from '../trace/histogram.ts';
import type { TraceRecorder } from '../trace/recorder.ts';
import type { GuestStats } from './guest-stats.ts';
import type { VmClock } from './vm-clock.ts';

/** The trace event a charge records, given its start time. */
type EventAt = (ts: number) => TraceEvent;

/** A trap started at `start` and costs `cycles` (the trap an MMIO access in progress took). */
export interface TrapSpan {
  readonly start: number;
  readonly cycles: number;
}

/** The MMIO access a trap served: its PC and text are only asked for when events are kept. */
export interface MmioTrapSite {
  trapPc(): number;
  trapDetail(): string;
}

export class VmAccounting {
  private readonly handlerStarts: number[] = [];
  private readonly histograms = new Map<string, Histogram>();
  readonly mmioTrapCycles: number;
  /** The distribution of MMIO traps, looked up once (they are the most frequent charge). */
  private mmioHistogram: Histogram | undefined;

  constructor(
    readonly name: string,
    private readonly clock: VmClock,
    readonly stats: GuestStats,
    readonly recorder: TraceRecorder,
    readonly costs: CostTable,
    private readonly core: () => number,
  ) {
    this.mmioTrapCycles = mmioTrapCycles(costs);
    // Its share of the trace: a flood of its events cannot push the other guests' out.
    recorder.addGuest(name);
  }

  /** Charges `cycles` of hypervisor work of kind `kind`; returns when it started. */
  charge(kind: string, cycles: number, event: EventAt | undefined): number {
    const ts = this.clock.now();
    this.clock.charge(cycles);
    this.histogram(kind).add(cycles);
    if (event && this.recorder.keepsEvents) this.recorder.record(event(ts));
    return ts;
  }

  trap(kind: TrapKind, detail: string, pc: number): number {
    const cost = this.trapCost(kind);
    this.stats.countTrap(kind);
    return this.charge(`trap.${kind}`, cost, (ts) => ({ kind: 'trap', ts, dur: cost, core: this.core(), guest: this.name, pc, trap: kind, detail }));
  }

  /**
   * An MMIO access trapped: the same as charge('trap.mmio', ...), without a closure or a lookup
   * per trap (this runs for every device access); the event is only built when events are kept.
   */
  mmioTrap(site: MmioTrapSite): void {
    const cycles = this.mmioTrapCycles;
    this.stats.countTrap('mmio');
    const ts = this.clock.now();
    this.clock.charge(cycles);
    (this.mmioHistogram ??= this.histogram('trap.mmio')).add(cycles);
    if (!this.recorder.keepsEvents) return;
    this.recorder.record({ kind: 'trap', ts, dur: cycles, core: this.core(), guest: this.name, pc: site.trapPc(), trap: 'mmio', detail: site.trapDetail() });
  }

  exceptionEntry(name: string, tailChained: boolean, pc: number): void {
    const cost = tailChained ? this.costs.tailChain.cycles : this.costs.exceptionEntry.cycles;
    this.stats.countException(name);
    const ts = this.charge(tailChained ? 'tail-chain' : 'exception-entry', cost, (at) => ({
      kind: 'exception-entry', ts: at, dur: cost, core: this.core(), guest: this.name, pc, exception: name, tailChained,
    }));
    this.handlerStarts.push(ts);
  }

  exceptionReturn(name: string, pc: number, tailChain: boolean): void {
    const cost = tailChain ? 0 : this.costs.exceptionReturn.cycles;
    // Arrows passed straight on (a named one costs an Object.defineProperty per call under tsx).
    const ts = tailChain
      ? this.record(cost, (at) => this.returnEvent(at, cost, pc, name))
      : this.charge('exception-return', cost, (at) => this.returnEvent(at, cost, pc, name));
    const start = this.handlerStarts.pop();
    if (start !== undefined) this.histogram('exception-handler').add(ts - start);
  }

  private returnEvent(ts: number, dur: number, pc: number, exception: string): TraceEvent {
    return { kind: 'exception-return', ts, dur, core: this.core(), guest: this.name, pc, exception };
  }

  /** When each exception handler in progress started (a checkpoint). */
  saveState(): number[] {
    return [...this.handlerStarts];
  }

  restoreState(handlerStarts: readonly number[]): void {
    this.handlerStarts.splice(0, this.handlerStarts.length, ...handlerStarts);
  }

  /** A system reset forgets the handlers in progress. */
  reset(): void {
    this.handlerStarts.length = 0;
  }

  /** Records an event of no cost (the return of a tail-chained handler). */
  private record(cost: number, event: EventAt): number {
    const ts = this.clock.now();
    this.clock.charge(cost);
    if (this.recorder.keepsEvents) this.recorder.record(event(ts));
    return ts;
  }

  private trapCost(kind: TrapKind): number {
    const c = this.costs;
    if (kind === 'mmio') return this.mmioTrapCycles;
    if (kind === 'svc' || kind === 'semihosting' || kind === 'hypercall') return hypercallCycles(c);
    return c.trapEntry.cycles + c.trapReturn.cycles;
  }

  private histogram(kind: string): Histogram {
    let h = this.histograms.get(kind);
    if (!h) {
      h = this.recorder.histogram(kind);
      this.histograms.set(kind, h);
    }
    return h;
  }
}
