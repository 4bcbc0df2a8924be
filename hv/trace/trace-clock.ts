/**
 * Virtual time in real units for trace viewers. Chrome Trace Event JSON counts microseconds;
 * Perfetto reads a number's text and keeps whole nanoseconds exactly. A cycle at 25 MHz is 40 ns
 * exactly, so every timestamp is a whole number of nanoseconds, written as microseconds with at
 * most three decimals (a JavaScript number prints such a value exactly). At a clock whose period
 * is not a whole number of nanoseconds, times are rounded to the nearest nanosecond; rounding is
 * monotonic and durations are taken between rounded ends, so slices still nest exactly.
 */
const NS_PER_SECOND = 1_000_000_000;

export class TraceClock {
  /** Nanoseconds per cycle when that is a whole number (40 at 25 MHz), else undefined. */
  readonly nsPerCycle: number | undefined;

  constructor(readonly hz: number) {
    this.nsPerCycle = NS_PER_SECOND % hz === 0 ? NS_PER_SECOND / hz : undefined;
  }

  /** Whole nanoseconds at cycle `cycle`. */
  ns(cycle: number): number {
    if (this.nsPerCycle !== undefined) return cycle * this.nsPerCycle;
    return Number((BigInt(cycle) * BigInt(NS_PER_SECOND) * 2n + BigInt(this.hz)) / (2n * BigInt(this.hz)));
  }

  /** Microseconds at cycle `cycle` (a whole number of nanoseconds). */
  us(cycle: number): number {
    return this.ns(cycle) / 1000;
  }

  /** Microseconds from cycle `start` to cycle `start + cycles`. */
  durationUs(start: number, cycles: number): number {
    return (this.ns(start + cycles) - this.ns(start)) / 1000;
  }
}
