/**
 * Deterministic event queue on the virtual clock: a binary min-heap ordered by due time, ties
 * broken by scheduling order. Devices schedule callbacks here and the run loop asks for the time
 * of the next one ("time until my next event", as v86 and rp2040js do).
 *
 * A checkpoint keeps the pending events as (time, sequence, label): their closures cannot be
 * saved, so on restore each owner re-creates its events from its own state, and the queue gives
 * every re-created event the sequence number of the saved event with the same time and label,
 * so that ties break as before. endRestore() refuses a restore that left a saved event out or
 * made one that was not saved (a component that forgot part of its state).
 */
import { InternalError } from '../errors.ts';

export interface ScheduledEvent {
  readonly at: number;
  readonly label: string;
}

interface Entry extends ScheduledEvent {
  readonly seq: number;
  readonly fire: (at: number) => void;
  cancelled: boolean;
}

/** A pending event as a checkpoint keeps it. */
export interface SavedEvent {
  readonly at: number;
  readonly seq: number;
  readonly label: string;
}

export interface EventQueueState {
  /** The next sequence number. */
  readonly seq: number;
  /** Live events in firing order. */
  readonly events: readonly SavedEvent[];
}

/** Sequence numbers of re-created events that match no saved event (endRestore reports them). */
const UNMATCHED = -1;

export class EventQueue {
  private heap: Entry[] = [];
  private seq = 0;
  private live = 0;
  /** While a restore is in progress: the saved events and the state's next sequence number. */
  private restoring: { readonly state: EventQueueState; readonly claimed: Set<number> } | undefined;

  /** Schedules `fire` at absolute cycle `at`; returns a handle for {@link cancel}. */
  schedule(at: number, label: string, fire: (at: number) => void): ScheduledEvent {
    const seq = this.restoring ? this.claim(at, label) : this.seq++;
    const entry: Entry = { at, label, fire, seq, cancelled: false };
    this.heap.push(entry);
    this.siftUp(this.heap.length - 1);
    this.live++;
    return entry;
  }

  cancel(event: ScheduledEvent | undefined): void {
    const entry = event as Entry | undefined;
    if (!entry || entry.cancelled) return;
    entry.cancelled = true;
    this.live--;
    this.restoring?.claimed.delete(entry.seq);
  }

  /** The pending events (a checkpoint; their owners save what re-creates them). */
  saveState(): EventQueueState {
    const events = this.heap.filter((e) => !e.cancelled).map(({ at, seq, label }) => ({ at, seq, label }));
    events.sort((a, b) => a.at - b.at || a.seq - b.seq);
    return { seq: this.seq, events };
  }

  /** Empties the queue for a restore: the events scheduled until endRestore() re-create `state`'s. */
  beginRestore(state: EventQueueState): void {
    this.heap = [];
    this.live = 0;
    this.restoring = { state, claimed: new Set() };
  }

  /** Ends a restore; throws unless exactly the saved events were re-created. */
  endRestore(owner: string): void {
    const restoring = this.restoring;
    if (!restoring) return;
    this.restoring = undefined;
    this.seq = restoring.state.seq;
    const extra = this.heap.filter((e) => !e.cancelled && e.seq === UNMATCHED).map(describe);
    const missing = restoring.state.events.filter((e) => !restoring.claimed.has(e.seq)).map(describe);
    if (extra.length === 0 && missing.length === 0) return;
    const problems = [...missing.map((e) => `${e} was not re-created`), ...extra.map((e) => `${e} was not saved`)];
    throw new InternalError(`checkpoint restore of ${owner}: event ${problems.join('; ')}`);
  }

  /** The sequence number of the saved event `at`/`label` not yet re-created (the oldest first). */
  private claim(at: number, label: string): number {
    const { state, claimed } = this.restoring!;
    const saved = state.events.find((e) => e.at === at && e.label === label && !claimed.has(e.seq));
    if (!saved) return UNMATCHED;
    claimed.add(saved.seq);
    return saved.seq;
  }

  /** Due time of the earliest live event, or Infinity. */
  nextTime(): number {
    this.dropCancelled();
    return this.heap[0]?.at ?? Infinity;
  }

  get size(): number {
    return this.live;
  }

  /** Fires, in order, every event due at or before `now` (including ones scheduled while firing). */
  runDue(now: number): number {
    let fired = 0;
    for (;;) {
      this.dropCancelled();
      const top = this.heap[0];
      if (!top || top.at > now) return fired;
      this.pop();
      top.cancelled = true;
      this.live--;
      top.fire(top.at);
      fired++;
    }
  }

  private dropCancelled(): void {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) this.pop();
  }

  private pop(): void {
    const last = this.heap.pop()!;
    if (this.heap.length === 0) return;
    this.heap[0] = last;
    this.siftDown(0);
  }

  private less(a: Entry, b: Entry): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private siftUp(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(h[i]!, h[parent]!)) return;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private siftDown(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}

function describe(e: { at: number; label: string }): string {
  return `'${e.label}' at ${e.at}`;
}
