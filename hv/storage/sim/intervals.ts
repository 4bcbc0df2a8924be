/**
 * Block ranges for the reference tracker, so that a write's cost depends on how many ranges it
 * touches, never on how many blocks it covers (a single 1 TB write in a trace is 2^28 blocks):
 *  - IntervalSet: which blocks a VM has overwritten in its overlay (disjoint, merged ranges);
 *  - StepCounter: per block of an image, how many VMs overwrote it (a step function).
 * Both keep sorted arrays and binary-search them; ranges are inclusive [first, last].
 */

/** The index of the last element of sorted `at` that is <= `value`, or -1. */
function floorIndex(at: readonly number[], value: number): number {
  let lo = 0;
  let hi = at.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (at[mid]! <= value) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

export type Range = readonly [first: number, last: number];

export class IntervalSet {
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];

  has(block: number): boolean {
    const i = floorIndex(this.starts, block);
    return i >= 0 && block <= this.ends[i]!;
  }

  /** The ranges held, in order. */
  ranges(): Range[] {
    return this.starts.map((s, i) => [s, this.ends[i]!] as const);
  }

  /** Adds [first, last]; returns the parts that were not in the set before. */
  add(first: number, last: number): Range[] {
    // Every range that overlaps or touches [first, last] merges into one.
    let lo = floorIndex(this.starts, first);
    if (lo < 0 || this.ends[lo]! < first - 1) lo++;
    let hi = floorIndex(this.starts, last + 1);
    const fresh: Range[] = [];
    let cursor = first;
    for (let i = lo; i <= hi; i++) {
      if (this.starts[i]! > cursor) fresh.push([cursor, Math.min(last, this.starts[i]! - 1)]);
      cursor = Math.max(cursor, this.ends[i]! + 1);
    }
    if (cursor <= last) fresh.push([cursor, last]);
    const start = lo <= hi ? Math.min(first, this.starts[lo]!) : first;
    const end = lo <= hi ? Math.max(last, this.ends[hi]!) : last;
    if (hi < lo) hi = lo - 1;
    this.starts.splice(lo, hi - lo + 1, start);
    this.ends.splice(lo, hi - lo + 1, end);
    return fresh;
  }
}

export class StepCounter {
  /** value[i] holds from at[i] up to at[i+1]-1; blocks before at[0] count 0. */
  private readonly at: number[] = [];
  private readonly value: number[] = [];

  get(block: number): number {
    const i = floorIndex(this.at, block);
    return i < 0 ? 0 : this.value[i]!;
  }

  /** Adds `delta` to every block of [first, last]. */
  add(first: number, last: number, delta: number): void {
    this.split(first);
    this.split(last + 1);
    const lo = floorIndex(this.at, first);
    const hi = floorIndex(this.at, last);
    for (let i = lo; i <= hi; i++) this.value[i]! += delta;
    this.merge(Math.max(0, lo - 1), Math.min(this.at.length - 1, hi + 1));
  }

  /** Makes `block` the start of a step (same value as before). */
  private split(block: number): void {
    const i = floorIndex(this.at, block);
    if (i >= 0 && this.at[i] === block) return;
    this.at.splice(i + 1, 0, block);
    this.value.splice(i + 1, 0, i < 0 ? 0 : this.value[i]!);
  }

  /** Joins neighbouring steps of equal value between indices lo and hi (and drops leading zeros). */
  private merge(lo: number, hi: number): void {
    for (let i = hi; i > lo; i--) {
      if (this.value[i] === this.value[i - 1]) {
        this.at.splice(i, 1);
        this.value.splice(i, 1);
      }
    }
    while (this.value.length > 0 && this.value[0] === 0) {
      this.at.shift();
      this.value.shift();
    }
  }
}
