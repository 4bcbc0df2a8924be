/**
 * Deterministic event queue on the virtual clock: a binary min-heap ordered by due time, ties
 * broken by scheduling order. Devices schedule callbacks here and the run loop asks for the time
 * of the next one ("time until my next event", as v86 and rp2040js do).
 */

export interface ScheduledEvent {
  readonly at: number;
  readonly label: string;
}

interface Entry extends ScheduledEvent {
  readonly seq: number;
  readonly fire: (at: number) => void;
  cancelled: boolean;
}

export class EventQueue {
  private heap: Entry[] = [];
  private seq = 0;
  private live = 0;

  /** Schedules `fire` at absolute cycle `at`; returns a handle for {@link cancel}. */
  schedule(at: number, label: string, fire: (at: number) => void): ScheduledEvent {
    const entry: Entry = { at, label, fire, seq: this.seq++, cancelled: false };
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
