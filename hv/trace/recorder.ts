/**
 * The single sink of trace events: it keeps the per-kind cycle distributions for the stats file
 * (always complete) and stores events for the trace file up to a limit (so that a guest flooding
 * traps cannot exhaust memory; the trace then says how many events it dropped).
 */
import type { TraceEvent } from './events.ts';
import { type DistributionSummary, Histogram, type HistogramState } from './histogram.ts';

export const DEFAULT_TRACE_LIMIT = 2_000_000;

/** What a checkpoint keeps of the recorder: the events kept so far (if any) and every distribution. */
export interface RecorderState {
  readonly events: readonly TraceEvent[] | undefined;
  readonly dropped: number;
  readonly distributions: ReadonlyArray<readonly [string, HistogramState]>;
}

export class TraceRecorder {
  readonly events: TraceEvent[] = [];
  private readonly distributions = new Map<string, Histogram>();
  private listener: ((event: TraceEvent) => void) | undefined;
  dropped = 0;

  constructor(
    /** Store events for a trace file (false: only keep statistics). */
    private readonly keepEvents: boolean,
    private readonly limit = DEFAULT_TRACE_LIMIT,
  ) {}

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
    if (this.events.length < this.limit) this.events.push(event);
    else this.dropped++;
  }

  saveState(): RecorderState {
    const distributions = [...this.distributions].map(([kind, h]) => [kind, h.saveState()] as const);
    return { events: this.keepEvents ? this.events : undefined, dropped: this.dropped, distributions };
  }

  /**
   * Puts back a saved state. Histograms are restored in place (the VMs hold on to theirs); a
   * recorder that keeps events takes the saved ones (none when the checkpoint kept none).
   */
  restoreState(s: RecorderState): void {
    for (const [kind, h] of s.distributions) this.histogram(kind).restoreState(h);
    if (!this.keepEvents) return;
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
