import { describe, expect, it } from 'vitest';
import { MicroSliceScheduler } from '../../hv/sched/micro-slice.ts';
import { RoleTable } from '../../hv/sched/roles.ts';
import type { Scheduler } from '../../hv/sched/scheduler.ts';
import { type FakeVcpu, fakes, rate } from './fake-vcpu.ts';

const SLICE = 1000;

function setup(names: string[], microSlices = 4) {
  const roles = new RoleTable<FakeVcpu>();
  const s = new MicroSliceScheduler<FakeVcpu>({ slice: SLICE, microSlices, threshold: 300, thresholdLow: 100, roles });
  const vcpus = fakes(...names);
  for (const v of vcpus) s.assign(v, 0);
  return { s, vcpus, roles };
}

/** Picks at each slice end from `start`, `count` times: the names picked and the turn lengths. */
function schedule(s: MicroSliceScheduler<FakeVcpu>, start: number, count: number): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  let now = start;
  for (let i = 0; i < count; i++) {
    const v = s.pick(0, now);
    if (!v) break;
    const end = s.sliceEnd(0);
    out.push([v.name, end - now]);
    now = end;
  }
  return out;
}

describe('MicroSliceScheduler', () => {
  it('is round-robin with full slices while no VM is latency-sensitive', () => {
    const { s } = setup(['a', 'b', 'c']);
    expect(schedule(s, 0, 4)).toEqual([['a', 1000], ['b', 1000], ['c', 1000], ['a', 1000]]);
  });

  it('gives a latency-sensitive VM micro-slices between the others\' slices, at the same share per round', () => {
    const { s, vcpus } = setup(['a', 'b', 'ls']);
    rate(s, vcpus[2]!, 500);
    expect(s.isSensitive(vcpus[2]!)).toBe(true);
    const turns = schedule(s, 0, 12);
    expect(turns.slice(0, 5)).toEqual([['ls', 250], ['a', 1000], ['ls', 250], ['b', 1000], ['ls', 250]]);
    // One round: a and b one slice each, ls four micro-slices (one slice in all).
    const round = turns.slice(0, 6);
    const share = (name: string) => round.filter(([n]) => n === name).reduce((sum, [, d]) => sum + d, 0);
    expect([share('a'), share('b'), share('ls')]).toEqual([1000, 1000, 1000]);
    // The latency-sensitive VM never waits more than one full slice for its next turn.
    let since = 0;
    for (const [name, length] of turns) {
      if (name === 'ls') since = 0;
      else since += length;
      expect(since).toBeLessThanOrEqual(SLICE);
    }
  });

  it('keeps a turn until it ends or its VM cannot run', () => {
    const { s, vcpus } = setup(['a', 'ls']);
    rate(s, vcpus[1]!, 500);
    expect(s.pick(0, 0)?.name).toBe('ls');
    expect(s.pick(0, 100)?.name).toBe('ls');
    vcpus[1]!.sleepingUntil = 10_000;
    expect(s.pick(0, 120)?.name).toBe('a');
    expect(s.sliceEnd(0)).toBe(1120);
  });

  it('classifies with hysteresis: sensitive from the threshold up, until below the lower threshold', () => {
    const { s, vcpus } = setup(['x']);
    const x = vcpus[0]!;
    rate(s, x, 299);
    expect(s.isSensitive(x)).toBe(false);
    rate(s, x, 300);
    expect(s.isSensitive(x)).toBe(true);
    rate(s, x, 100);
    expect(s.isSensitive(x)).toBe(true);
    rate(s, x, 99);
    expect(s.isSensitive(x)).toBe(false);
  });

  it('treats the driver VM as latency-sensitive whatever its rate', () => {
    const { s, vcpus, roles } = setup(['a', 'driver']);
    roles.setDriver(vcpus[1]!);
    expect(s.isSensitive(vcpus[1]!)).toBe(true);
    expect(schedule(s, 0, 3)).toEqual([['driver', 250], ['a', 1000], ['driver', 250]]);
  });

  it('starts a new round when no runnable VM has a turn left, and nothing runs when nothing can', () => {
    const { s, vcpus } = setup(['a', 'b']);
    vcpus[1]!.sleepingUntil = 5000;
    expect(schedule(s, 0, 3)).toEqual([['a', 1000], ['a', 1000], ['a', 1000]]);
    vcpus[0]!.sleepingUntil = 5000;
    expect(s.pick(0, 3000)).toBeUndefined();
    expect(s.pick(0, 5000)?.name).toBe('b');
  });

  it('never moves a VM itself', () => {
    const { s } = setup(['a']);
    expect((s as Scheduler<FakeVcpu>).rebalance).toBeUndefined();
  });
});
