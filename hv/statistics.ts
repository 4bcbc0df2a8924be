/** Small statistics over plain arrays, shared by the experiments' and the cluster's reports. */

/** Nearest-rank percentile (p in 0..100) of ascending `sorted`, as the stats histograms give it; 0 when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.max(1, Math.ceil((p * sorted.length) / 100)) - 1]!;
}

/** The arithmetic mean; 0 when empty. */
export function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}

/** The smallest value (Infinity when empty): a loop, not Math.min(...values), which overflows the stack on long arrays. */
export function minOf(values: readonly number[]): number {
  let min = Infinity;
  for (const v of values) if (v < min) min = v;
  return min;
}

/** The largest value (-Infinity when empty). */
export function maxOf(values: readonly number[]): number {
  let max = -Infinity;
  for (const v of values) if (v > max) max = v;
  return max;
}
