import { describe, expect, it } from 'vitest';
import { IoAwareScheduler, type IoAwareOptions } from '../../hv/sched/io-aware.ts';
import { RoleTable } from '../../hv/sched/roles.ts';
import { type FakeVcpu, fakes, names, rate, rebalance } from './fake-vcpu.ts';

const D = 1;
const BASE: IoAwareOptions<FakeVcpu> = { slice: 1000, driverSlice: 100, driverCore: D, threshold: 300, thresholdLow: 100, hold: 5000, maxVms: 4, swap: false };

/** io (core 0), cpu (core 0), driver (core 1, pinned, the driver VM). */
function setup(options: Partial<IoAwareOptions<FakeVcpu>> = {}) {
  const roles = new RoleTable<FakeVcpu>();
  const [io, cpu, driver] = fakes('io', 'cpu', 'driver');
  roles.setDriver(driver!);
  const s = new IoAwareScheduler<FakeVcpu>({ ...BASE, roles, ...options });
  s.assign(io!, 0);
  s.assign(cpu!, 0);
  s.assign(driver!, D);
  return { s, io: io!, cpu: cpu!, driver: driver!, roles };
}

describe('IoAwareScheduler', () => {
  it('leaves VMs below the threshold where they are, with the normal slice everywhere', () => {
    const { s, io } = setup();
    rate(s, io, 200);
    expect(rebalance(s, 0, 10)).toEqual([]);
    expect(s.coreOf(io)).toBe(0);
    expect(s.sliceOf(D)).toBe(1000);
    s.pick(D, 10);
    expect(s.sliceEnd(D)).toBe(1010);
  });

  it('moves a VM that reaches the threshold to the driver core and shortens that core\'s slice', () => {
    const { s, io, cpu } = setup();
    rate(s, io, 300);
    expect(rebalance(s, 0, 10)).toEqual([['io', D]]);
    expect(s.coreOf(io)).toBe(D);
    expect(s.coreOf(cpu)).toBe(0);
    expect(names(s.moved())).toEqual(['io']);
    expect(s.sliceOf(D)).toBe(100);
    expect(s.sliceOf(0)).toBe(1000);
    // Turns on the driver core now last the short slice; the others keep theirs.
    expect(s.pick(D, 20)?.name).toBe('driver');
    expect(s.sliceEnd(D)).toBe(120);
    expect(s.pick(D, 120)?.name).toBe('io');
    expect(s.sliceEnd(D)).toBe(220);
    expect(s.pick(0, 20)?.name).toBe('cpu');
    expect(s.sliceEnd(0)).toBe(1020);
  });

  it('decides only for the VMs queued on the core that picks', () => {
    const { s, io } = setup();
    rate(s, io, 5000);
    expect(rebalance(s, D, 10)).toEqual([]);
    expect(rebalance(s, 0, 10)).toEqual([['io', D]]);
  });

  it('moves the VM back home when its rate falls below the lower threshold, and restores the slice', () => {
    const { s, io } = setup();
    rate(s, io, 400);
    rebalance(s, 0, 0);
    rate(s, io, 100, 6000); // between the thresholds: stays
    expect(rebalance(s, D, 6000)).toEqual([]);
    rate(s, io, 0, 7000);
    expect(rebalance(s, D, 7000)).toEqual([['io', 0]]);
    expect(s.coreOf(io)).toBe(0);
    expect(s.moved()).toEqual([]);
    expect(s.sliceOf(D)).toBe(1000);
  });

  it('holds a moved VM for the hold time, so a rate that drops at once does not bounce it back', () => {
    const { s, io } = setup();
    rate(s, io, 400);
    rebalance(s, 0, 1000);
    rate(s, io, 0, 1100);
    expect(rebalance(s, D, 1100)).toEqual([]);
    expect(rebalance(s, D, 5999)).toEqual([]);
    expect(rebalance(s, D, 6000)).toEqual([['io', 0]]);
    // And once home, it does not come back before the hold time either.
    rate(s, io, 900, 6100);
    expect(rebalance(s, 0, 6100)).toEqual([]);
    expect(rebalance(s, 0, 10_999)).toEqual([]);
    expect(rebalance(s, 0, 11_000)).toEqual([['io', D]]);
  });

  it('without a hold time a VM whose rate flaps moves every time (what the hold time prevents)', () => {
    const { s, io } = setup({ hold: 0 });
    const moves: Array<[string, number]> = [];
    for (let t = 0; t < 10; t++) {
      rate(s, io, t % 2 === 0 ? 400 : 0, t * 10);
      moves.push(...rebalance(s, s.coreOf(io), t * 10));
    }
    expect(moves.length).toBe(10);
  });

  it('never moves a pinned VM or the driver VM', () => {
    const { s, io, driver, roles } = setup();
    roles.pin(io);
    rate(s, io, 5000);
    rate(s, driver, 5000);
    expect(rebalance(s, 0, 10)).toEqual([]);
    expect(rebalance(s, D, 10)).toEqual([]);
    expect(s.coreOf(io)).toBe(0);
  });

  it('does not move a VM to a core it may not run on (an in-context guest beyond the call records)', () => {
    const { s, io, roles } = setup();
    roles.limitCores(io, 1);
    rate(s, io, 5000);
    expect(rebalance(s, 0, 10)).toEqual([]);
  });

  it('moves at most max-vms VMs to the driver core; the next one moves when a place frees up', () => {
    const roles = new RoleTable<FakeVcpu>();
    const s = new IoAwareScheduler<FakeVcpu>({ ...BASE, maxVms: 2, hold: 0, roles });
    const [a, b, c, driver] = fakes('a', 'b', 'c', 'driver');
    roles.setDriver(driver!);
    for (const v of [a!, b!, c!]) s.assign(v, 0);
    s.assign(driver!, D);
    for (const v of [a!, b!, c!]) rate(s, v, 1000);
    expect(rebalance(s, 0, 10)).toEqual([['a', D], ['b', D]]);
    expect(rebalance(s, 0, 20)).toEqual([]);
    expect(s.coreOf(c!)).toBe(0);
    rate(s, a!, 0, 30);
    expect(rebalance(s, D, 30)).toEqual([['a', 0]]);
    expect(rebalance(s, 0, 40)).toEqual([['c', D]]);
  });

  it('with swap, a VM moving to the driver core sends a VM without I/O from there to its home', () => {
    const roles = new RoleTable<FakeVcpu>();
    const s = new IoAwareScheduler<FakeVcpu>({ ...BASE, swap: true, roles });
    const [io, hog, quiet, driver] = fakes('io', 'hog', 'quiet', 'driver');
    roles.setDriver(driver!);
    s.assign(io!, 0);
    s.assign(hog!, D);
    s.assign(quiet!, D);
    s.assign(driver!, D);
    rate(s, quiet!, 500); // does I/O: stays
    rate(s, io!, 500);
    expect(rebalance(s, 0, 10)).toEqual([['io', D], ['hog', 0]]);
    expect(names(s.queue(D))).toEqual(['quiet', 'driver', 'io']);
    // The swapped VM is not a moved VM: it does not come back when io goes home.
    rate(s, io!, 0, 9000);
    expect(rebalance(s, D, 9000)).toEqual([['io', 0]]);
    expect(names(s.queue(0))).toEqual(['hog', 'io']);
  });

  it('remembers a home core per moved VM across several cores', () => {
    const roles = new RoleTable<FakeVcpu>();
    const s = new IoAwareScheduler<FakeVcpu>({ ...BASE, driverCore: 2, hold: 0, roles });
    const [a, b] = fakes('a', 'b');
    s.assign(a!, 0);
    s.assign(b!, 1);
    rate(s, a!, 1000);
    rate(s, b!, 1000);
    rebalance(s, 0, 0);
    rebalance(s, 1, 0);
    expect(names(s.queue(2))).toEqual(['a', 'b']);
    rate(s, a!, 0);
    rate(s, b!, 0);
    expect(rebalance(s, 2, 10)).toEqual([['a', 0], ['b', 1]]);
  });

  it('a VM that starts on the driver core and does I/O shortens its slice without being moved', () => {
    const { s } = setup();
    const [local] = fakes('local');
    s.assign(local!, D);
    rate(s, local!, 400);
    expect(rebalance(s, D, 0)).toEqual([]);
    expect(s.sliceOf(D)).toBe(100);
  });
});
