/**
 * Exact distribution of integer cycle counts: a count per distinct value (costs repeat, so this
 * stays small), giving exact minimum, maximum and nearest-rank percentiles.
 */

export interface DistributionSummary {
  count: number;
  min: number;
  p50: number;
  p99: number;
  max: number;
  total: number;
}

export interface HistogramState {
  readonly counts: ReadonlyArray<readonly [number, number]>;
  readonly n: number;
  readonly sum: number;
  readonly lastValue: number;
  readonly lastCount: number;
}

export class Histogram {
  private readonly counts = new Map<number, number>();
  private n = 0;
  private sum = 0;
  /** The last value added and its count so far (costs repeat: one add is then two additions). */
  private lastValue = Number.NaN;
  private lastCount = 0;

  add(value: number, times = 1): void {
    if (value === this.lastValue) {
      this.lastCount += times;
    } else {
      this.settle();
      this.lastValue = value;
      this.lastCount = times;
    }
    this.n += times;
    this.sum += value * times;
  }

  /** Moves the pending run of the last value into the map. */
  private settle(): void {
    if (this.lastCount === 0) return;
    this.counts.set(this.lastValue, (this.counts.get(this.lastValue) ?? 0) + this.lastCount);
    this.lastCount = 0;
  }

  /** The observations as plain data (a checkpoint). */
  saveState(): HistogramState {
    return { counts: [...this.counts], n: this.n, sum: this.sum, lastValue: this.lastValue, lastCount: this.lastCount };
  }

  restoreState(s: HistogramState): void {
    this.counts.clear();
    for (const [value, count] of s.counts) this.counts.set(value, count);
    ({ n: this.n, sum: this.sum, lastValue: this.lastValue, lastCount: this.lastCount } = s);
  }

  get count(): number {
    return this.n;
  }

  /** Nearest-rank percentile (p in 0..100). */
  percentile(p: number): number {
    if (this.n === 0) return 0;
    const rank = Math.max(1, Math.ceil((p * this.n) / 100));
    let seen = 0;
    for (const value of this.sortedValues()) {
      seen += this.counts.get(value)!;
      if (seen >= rank) return value;
    }
    return this.max();
  }

  min(): number {
    return this.n === 0 ? 0 : this.sortedValues()[0]!;
  }

  max(): number {
    const values = this.sortedValues();
    return values.length === 0 ? 0 : values[values.length - 1]!;
  }

  summary(): DistributionSummary {
    return { count: this.n, min: this.min(), p50: this.percentile(50), p99: this.percentile(99), max: this.max(), total: this.sum };
  }

  private sortedValues(): number[] {
    this.settle();
    return [...this.counts.keys()].sort((a, b) => a - b);
  }
}
