/**
 * The single sink of trace events: it keeps the per-kind cycle distributions for the stats file
 * (always complete) and stores events for the trace file up to a limit (so that a guest flooding
 * traps cannot exhaust memory; the trace then says how many events it dropped). The limit is
 * shared: each guest (every VM the system has, addGuest) may fill at most its equal share of it,
 * so one guest's flood cannot crowd the others' events out of the trace. Events of no guest (the
 * cores' idle time and switches) only count against the limit as a whole.
 */
import type { TraceEvent } from './events.ts';
import { type DistributionSummary, Histogram, type HistogramState } from './histogram.ts';

export const DEFAULT_TRACE_LIMIT = 2_000_000;

interface GuestShare {
  kept: number;
  dropped: number;
}

/** What a checkpoint keeps of the recorder: the events kept so far (if any), every distribution, each guest's share. */
export interface RecorderState {
  readonly events: readonly TraceEvent[] | undefined;
  readonly dropped: number;
  readonly distributions: ReadonlyArray<readonly [string, HistogramState]>;
  readonly guests?: ReadonlyArray<readonly [string, number, number]>;
}

export class TraceRecorder {
  readonly events: TraceEvent[] = [];
  private readonly distributions = new Map<string, Histogram>();
  private listener: ((event: TraceEvent) => void) | undefined;
  private readonly guests = new Map<string, GuestShare>();
  private share: number;
  dropped = 0;

  constructor(
    /** Store events for a trace file (false: only keep statistics). */
    private readonly keepEvents: boolean,
    private readonly limit = DEFAULT_TRACE_LIMIT,
  ) {
    this.share = limit;
  }

  /** A guest joins the system: from now on each guest keeps at most an equal share of the limit. */
  addGuest(name: string): void {
    if (this.guests.has(name)) return;
    this.guests.set(name, { kept: 0, dropped: 0 });
    this.share = Math.floor(this.limit / this.guests.size);
  }

  /** Events dropped per guest, for the guests that lost any (keys sorted). */
  droppedByGuest(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const name of [...this.guests.keys()].sort()) {
      const dropped = this.guests.get(name)!.dropped;
      if (dropped > 0) out[name] = dropped;
    }
    return out;
  }

  /** True when events are wanted: stored for a trace file, or observed (an execution log). */
  get keepsEvents(): boolean {
    return this.keepEvents || this.listener !== undefined;
  }

  /** Calls `listener` with every event as it is recorded, kept or not (execution logs). */
  observe(listener: (event: TraceEvent) => void): void {
    this.listener = listener;
  }

  record(event: TraceEvent): void {
    this.listener?.(event);
    if (!this.keepEvents) return;
    const guest = 'guest' in event ? this.guests.get(event.guest) : undefined;
    if (this.events.length < this.limit && (!guest || guest.kept < this.share)) {
      this.events.push(event);
      if (guest) guest.kept++;
    } else {
      this.dropped++;
      if (guest) guest.dropped++;
    }
  }

  saveState(): RecorderState {
    const distributions = [...this.distributions].map(([kind, h]) => [kind, h.saveState()] as const);
    const guests = [...this.guests].map(([name, g]) => [name, g.kept, g.dropped] as const);
    return { events: this.keepEvents ? this.events : undefined, dropped: this.dropped, distributions, guests };
  }

  /**
   * Puts back a saved state. Histograms are restored in place (the VMs hold on to theirs); a
   * recorder that keeps events takes the saved ones (none when the checkpoint kept none).
   */
  restoreState(s: RecorderState): void {
    for (const [kind, h] of s.distributions) this.histogram(kind).restoreState(h);
    if (!this.keepEvents) return;
    for (const [name, kept, dropped] of s.guests ?? []) {
      this.addGuest(name);
      const share = this.guests.get(name)!;
      share.kept = s.events ? kept : 0;
      share.dropped = s.events ? dropped : 0;
    }
    this.events.length = 0;
    for (const event of s.events ?? []) this.events.push(event);
    this.dropped = s.events ? s.dropped : 0;
  }

  /** Adds one observation of `cycles` to the distribution of event kind `kind`. */
  measure(kind: string, cycles: number): void {
    this.histogram(kind).add(cycles);
  }

  /** The distribution of event kind `kind` (hot paths keep it instead of looking it up). */
  histogram(kind: string): Histogram {
    let h = this.distributions.get(kind);
    if (!h) {
      h = new Histogram();
      this.distributions.set(kind, h);
    }
    return h;
  }

  /** Distribution per event kind, keys sorted for byte-identical output. */
  summaries(): Record<string, DistributionSummary> {
    const out: Record<string, DistributionSummary> = {};
    for (const kind of [...this.distributions.keys()].sort()) out[kind] = this.distributions.get(kind)!.summary();
    return out;
  }
}
