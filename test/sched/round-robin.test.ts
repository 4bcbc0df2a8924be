import { describe, expect, it } from 'vitest';
import { RoundRobinScheduler } from '../../hv/sched/round-robin.ts';
import type { SchedulableVcpu } from '../../hv/sched/scheduler.ts';

/** A vCPU whose runnability the test controls; it records the times it was asked. */
class FakeVcpu implements SchedulableVcpu {
  alive = true;
  sleepingUntil = 0;
  readonly asked: number[] = [];

  constructor(readonly name: string) {}

  runnable(now: number): boolean {
    this.asked.push(now);
    return this.alive && now >= this.sleepingUntil;
  }
}

const SLICE = 1000;

function setup(names: string[], core = 0) {
  const s = new RoundRobinScheduler<FakeVcpu>(SLICE);
  const vcpus = names.map((n) => new FakeVcpu(n));
  for (const v of vcpus) s.assign(v, core);
  return { s, vcpus };
}

/** Names picked on `core` at each time in `times`. */
function picks(s: RoundRobinScheduler<FakeVcpu>, times: number[], core = 0): Array<string | undefined> {
  return times.map((t) => s.pick(core, t)?.name);
}

describe('RoundRobinScheduler', () => {
  it('is called round-robin and keeps its slice length', () => {
    const s = new RoundRobinScheduler(25_000);
    expect(s.name).toBe('round-robin');
    expect(s.sliceCycles).toBe(25_000);
  });

  it('starts with the first vCPU of the queue', () => {
    const { s } = setup(['a', 'b', 'c']);
    expect(s.pick(0, 0)?.name).toBe('a');
    expect(s.sliceEnd(0)).toBe(SLICE);
  });

  it('keeps the current vCPU until its slice ends', () => {
    const { s } = setup(['a', 'b']);
    expect(picks(s, [0, 1, 500, 999])).toEqual(['a', 'a', 'a', 'a']);
    expect(s.sliceEnd(0)).toBe(1000);
  });

  it('rotates through the queue at each slice end, with a fresh slice each time', () => {
    const { s } = setup(['a', 'b', 'c']);
    expect(picks(s, [0, 1000, 2000, 3000, 4000])).toEqual(['a', 'b', 'c', 'a', 'b']);
    expect(s.sliceEnd(0)).toBe(5000);
  });

  it('starts the new slice when the pick happens (a late pick gets a full slice)', () => {
    const { s } = setup(['a', 'b']);
    s.pick(0, 0);
    expect(s.pick(0, 1234)?.name).toBe('b');
    expect(s.sliceEnd(0)).toBe(2234);
    expect(s.pick(0, 2233)?.name).toBe('b');
    expect(s.pick(0, 2234)?.name).toBe('a');
  });

  it('gives a lone vCPU slice after slice', () => {
    const { s } = setup(['solo']);
    expect(picks(s, [0, 1000, 2500])).toEqual(['solo', 'solo', 'solo']);
    expect(s.sliceEnd(0)).toBe(3500);
  });

  it('skips vCPUs that are not runnable', () => {
    const { s, vcpus } = setup(['a', 'b', 'c']);
    const [, b] = vcpus;
    b!.sleepingUntil = 5000;
    expect(picks(s, [0, 1000, 2000, 3000, 4000])).toEqual(['a', 'c', 'a', 'c', 'a']);
    // b is runnable again from 5000 and takes its turn after a.
    expect(picks(s, [5000, 6000, 7000])).toEqual(['b', 'c', 'a']);
  });

  it('skips dead vCPUs for good', () => {
    const { s, vcpus } = setup(['a', 'b', 'c']);
    vcpus[0]!.alive = false;
    expect(picks(s, [0, 1000, 2000, 3000])).toEqual(['b', 'c', 'b', 'c']);
  });

  it('leaves the current vCPU early when it stops being runnable, with a fresh slice for the next', () => {
    const { s, vcpus } = setup(['a', 'b']);
    expect(s.pick(0, 0)?.name).toBe('a');
    vcpus[0]!.sleepingUntil = 10_000; // a waits for an interrupt at cycle 300
    expect(s.pick(0, 300)?.name).toBe('b');
    expect(s.sliceEnd(0)).toBe(1300);
  });

  it('returns undefined when nothing can run, and resumes when something can', () => {
    const { s, vcpus } = setup(['a', 'b']);
    for (const v of vcpus) v.sleepingUntil = 4000;
    expect(s.pick(0, 0)).toBeUndefined();
    expect(s.pick(0, 3999)).toBeUndefined();
    expect(s.pick(0, 4000)?.name).toBe('a');
    expect(s.sliceEnd(0)).toBe(5000);
  });

  it('continues the rotation after the vCPU that ran last, not from the start', () => {
    const { s, vcpus } = setup(['a', 'b', 'c']);
    expect(picks(s, [0, 1000])).toEqual(['a', 'b']);
    for (const v of vcpus) v.sleepingUntil = 2500;
    expect(s.pick(0, 2000)).toBeUndefined();
    expect(s.pick(0, 2500)?.name).toBe('c');
  });

  it('asks the current vCPU about the pick time', () => {
    const { s, vcpus } = setup(['a', 'b']);
    s.pick(0, 0);
    s.pick(0, 700);
    expect(vcpus[0]!.asked).toContain(700);
  });

  it('keeps separate queues, rotations and slices per core', () => {
    const s = new RoundRobinScheduler<FakeVcpu>(SLICE);
    const [a, b, c, d, e] = ['a', 'b', 'c', 'd', 'e'].map((n) => new FakeVcpu(n));
    s.assign(a!, 0);
    s.assign(b!, 1);
    s.assign(c!, 0);
    s.assign(d!, 1);
    s.assign(e!, 1);
    expect(s.queue(0).map((v) => v.name)).toEqual(['a', 'c']);
    expect(s.queue(1).map((v) => v.name)).toEqual(['b', 'd', 'e']);
    expect(s.pick(0, 0)?.name).toBe('a');
    expect(s.pick(1, 500)?.name).toBe('b');
    expect(s.sliceEnd(0)).toBe(1000);
    expect(s.sliceEnd(1)).toBe(1500);
    expect(picks(s, [1000, 2000, 3000], 0)).toEqual(['c', 'a', 'c']);
    expect(picks(s, [1500, 2500, 3500, 4500], 1)).toEqual(['d', 'e', 'b', 'd']);
    // A vCPU never moves to another core's queue.
    c!.alive = false;
    expect(picks(s, [4000, 5000], 0)).toEqual(['a', 'a']);
    expect(s.queue(1)).not.toContain(a);
  });

  it('has nothing for a core without vCPUs', () => {
    const { s } = setup(['a'], 0);
    expect(s.pick(3, 0)).toBeUndefined();
    expect(s.queue(3)).toEqual([]);
    expect(s.sliceEnd(3)).toBe(0);
  });

  it('gives the next vCPU a fresh turn when the running one moves away mid-slice', () => {
    const { s } = setup(['a', 'b', 'c']);
    expect(picks(s, [0, 1000, 2000])).toEqual(['a', 'b', 'c']);
    const c = s.queue(0)[2]!;
    s.move(c, 1); // c leaves core 0 at 2500, halfway through its slice (which ends at 3000)
    // The rotation goes on after c (with a, the next in order), with a slice of its own; b,
    // before c in the queue, does not take over what was left of c's slice.
    expect(s.pick(0, 2500)?.name).toBe('a');
    expect(s.sliceEnd(0)).toBe(3500);
    expect(picks(s, [3500])).toEqual(['b']);
  });
});
