import { describe, expect, it } from 'vitest';
import { Histogram } from '../../hv/trace/histogram.ts';
import { TraceRecorder } from '../../hv/trace/recorder.ts';

function of(values: readonly number[]): Histogram {
  const h = new Histogram();
  for (const v of values) h.add(v);
  return h;
}

/** Nearest-rank percentile computed the textbook way, in integers. */
function nearestRank(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p * sorted.length) / 100));
  return sorted[rank - 1]!;
}

describe('Histogram', () => {
  it('is all zeros when empty', () => {
    const h = new Histogram();
    expect(h.count).toBe(0);
    expect(h.summary()).toEqual({ count: 0, min: 0, p50: 0, p99: 0, max: 0, total: 0 });
  });

  it('summarises a single value', () => {
    expect(of([42]).summary()).toEqual({ count: 1, min: 42, p50: 42, p99: 42, max: 42, total: 42 });
  });

  it('takes nearest-rank p50 and p99 of 1..100', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // added in descending order
    const h = of(values);
    expect(h.summary()).toEqual({ count: 100, min: 1, p50: 50, p99: 99, max: 100, total: 5050 });
    expect(h.percentile(100)).toBe(100);
    expect(h.percentile(0)).toBe(1);
    expect(h.percentile(1)).toBe(1);
  });

  it('rounds the rank up (no interpolation)', () => {
    const h = of([10, 20, 30]);
    expect(h.percentile(50)).toBe(20); // rank ceil(1.5) = 2
    expect(h.percentile(99)).toBe(30); // rank ceil(2.97) = 3
    expect(h.percentile(33)).toBe(10); // rank ceil(0.99) = 1
    expect(h.percentile(34)).toBe(20); // rank ceil(1.02) = 2
    const four = of([1, 2, 3, 4]);
    expect(four.percentile(50)).toBe(2); // rank exactly 2: the lower middle, not 2.5
    expect(four.percentile(75)).toBe(3);
    expect(four.percentile(76)).toBe(4);
  });

  it('p99 of 1000 values is the 990th, and one outlier in 100 does not move p99', () => {
    const values = Array.from({ length: 1000 }, (_, i) => i + 1);
    expect(of(values).percentile(99)).toBe(990);
    const costs = [...Array(99).fill(12), 5000];
    const h = of(costs);
    expect(h.summary()).toMatchObject({ min: 12, p50: 12, p99: 12, max: 5000, total: 99 * 12 + 5000 });
    h.add(5000);
    expect(h.percentile(99)).toBe(5000); // 2 outliers in 101: rank 100 is an outlier
  });

  it('counts repeated values, also when added with a multiplicity', () => {
    const h = new Histogram();
    h.add(5, 3);
    h.add(7);
    h.add(5);
    expect(h.count).toBe(5);
    expect(h.summary()).toEqual({ count: 5, min: 5, p50: 5, p99: 7, max: 7, total: 5 * 4 + 7 });
    expect(h.percentile(80)).toBe(5); // rank 4
    expect(h.percentile(81)).toBe(7); // rank 5
  });

  it('keeps exact min and max whatever the insertion order', () => {
    const h = of([300, 2, 1000, 2, 0, 999]);
    expect(h.min()).toBe(0);
    expect(h.max()).toBe(1000);
    expect(h.summary().total).toBe(2303);
  });

  it('matches the textbook nearest rank for every percentile', () => {
    // A fixed pseudo-random sample with many repeats.
    let seed = 12345;
    const values = Array.from({ length: 300 }, () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % 50;
    });
    const h = of(values);
    for (let p = 1; p <= 100; p++) expect(h.percentile(p), `p${p}`).toBe(nearestRank(values, p));
  });

  it('uses an exact rank for percentiles whose p/100 is inexact in binary (p7 of 1..100 is 7)', () => {
    const h = of(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(h.percentile(7)).toBe(7);
    expect(h.percentile(14)).toBe(14);
    expect(h.percentile(28)).toBe(28);
  });
});

describe('TraceRecorder', () => {
  it('summarises each measured kind, keys sorted, whether or not it keeps events', () => {
    const r = new TraceRecorder(false);
    r.measure('trap.mmio', 42);
    r.measure('exception-entry', 12);
    r.measure('trap.mmio', 42);
    r.record({ kind: 'idle', ts: 0, dur: 5, core: 0 });
    expect(r.events).toEqual([]);
    expect(r.keepsEvents).toBe(false);
    const s = r.summaries();
    expect(Object.keys(s)).toEqual(['exception-entry', 'trap.mmio']);
    expect(s['trap.mmio']).toEqual({ count: 2, min: 42, p50: 42, p99: 42, max: 42, total: 84 });
  });

  it('stores events up to its limit and counts the dropped ones', () => {
    const r = new TraceRecorder(true, 2);
    for (let i = 0; i < 5; i++) r.record({ kind: 'idle', ts: i, dur: 1, core: 0 });
    expect(r.events.map((e) => e.ts)).toEqual([0, 1]);
    expect(r.dropped).toBe(3);
  });
});
