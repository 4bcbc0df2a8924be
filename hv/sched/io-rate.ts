/**
 * I/O rate per vCPU: requests per virtual second over a sliding window of `windowCycles`
 * cycles, counted where the hypervisor sees them. A queue notification counts as one request the
 * moment it traps (the hypervisor does not know yet how many it carries); when it completes, the
 * requests it carried beyond the first are added at the completion time. The rate at `now` is
 * the requests counted in (now - window, now], scaled to one second of the board's clock.
 */
import type { IoRateStats } from '../trace/stats-file.ts';

interface Window {
  /** Times and counts of what is inside the window, oldest first, from `head` on. */
  readonly times: number[];
  readonly counts: number[];
  head: number;
  /** Sum of counts[head..]. */
  inside: number;
  /** The latest time the window was moved to (it never moves back). */
  now: number;
  total: number;
  peak: number;
  last: number;
}

export class IoRateMeter<V> {
  private readonly windows = new Map<V, Window>();

  constructor(
    readonly windowCycles: number,
    /** The board's clock, cycles per virtual second. */
    readonly hz: number,
  ) {}

  /** `requests` requests of `vcpu` seen at `at`. */
  add(vcpu: V, at: number, requests = 1): void {
    if (requests <= 0) return;
    const w = this.window(vcpu);
    w.total += requests;
    if (at <= w.now - this.windowCycles) return;
    // Signals of one vCPU come almost in time order (a completion may be signalled a little
    // after a later submission): keep the window sorted so that the oldest leave first.
    let i = w.times.length;
    while (i > w.head && w.times[i - 1]! > at) i--;
    if (i === w.times.length) {
      w.times.push(at);
      w.counts.push(requests);
    } else {
      w.times.splice(i, 0, at);
      w.counts.splice(i, 0, requests);
    }
    w.inside += requests;
  }

  /** The rate of `vcpu` at `now` (requests per virtual second); also remembered as its last and peak rate. */
  rate(vcpu: V, now: number): number {
    const w = this.window(vcpu);
    w.now = Math.max(w.now, now);
    const from = w.now - this.windowCycles;
    while (w.head < w.times.length && w.times[w.head]! <= from) w.inside -= w.counts[w.head++]!;
    if (w.head > 1024 && w.head * 2 > w.times.length) compact(w);
    w.last = Math.round((w.inside * this.hz) / this.windowCycles);
    w.peak = Math.max(w.peak, w.last);
    return w.last;
  }

  /** What the stats file says about `vcpu`'s rate at the end of a run of `cycles` cycles. */
  report(vcpu: V, cycles: number): IoRateStats {
    const last = this.rate(vcpu, cycles);
    const w = this.window(vcpu);
    const mean = cycles > 0 ? Math.round((w.total * this.hz) / cycles) : 0;
    return { windowCycles: this.windowCycles, mean, peak: w.peak, last };
  }

  private window(vcpu: V): Window {
    let w = this.windows.get(vcpu);
    if (!w) {
      w = { times: [], counts: [], head: 0, inside: 0, now: 0, total: 0, peak: 0, last: 0 };
      this.windows.set(vcpu, w);
    }
    return w;
  }
}

/** Drops the entries that left the window (keeps memory bounded by the window's contents). */
function compact(w: Window): void {
  w.times.splice(0, w.head);
  w.counts.splice(0, w.head);
  w.head = 0;
}
