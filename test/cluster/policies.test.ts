/** The dispatch policies as pure decisions over fake resource records. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_WEIGHTS } from '../../hv/cluster/cluster-file.ts';
import { type PolicyName, POLICY_NAMES, createPolicy, resourceUseScore } from '../../hv/cluster/policies.ts';
import { type ResourceRecord, couldEverFit, fits, newRecord, release, reserve } from '../../hv/cluster/resources.ts';

const MiB = 1 << 20;

function slave(index: number, use: Partial<ResourceRecord> = {}, capacity = { cores: 2, memory: 64 * MiB, vcpus: 8, io: 2 }): ResourceRecord {
  return { ...newRecord(`s${index}`, index, capacity), ...use };
}

function policy(name: PolicyName, seed = 1) {
  return createPolicy(name, { seed, weights: DEFAULT_WEIGHTS });
}

const demand = { memory: 8 * MiB, io: false };
const ioDemand = { memory: 8 * MiB, io: true };

describe('resource records', () => {
  it('fit by free vCPUs and memory, and never when down', () => {
    expect(fits(slave(0), demand)).toBe(true);
    expect(fits(slave(0, { vcpus: 8 }), demand)).toBe(false);
    expect(fits(slave(0, { memory: 60 * MiB }), demand)).toBe(false);
    expect(fits(slave(0, { up: false }), demand)).toBe(false);
    expect(couldEverFit(slave(0, { vcpus: 8, memory: 64 * MiB }), demand)).toBe(true);
    expect(couldEverFit(slave(0), { memory: 65 * MiB, io: false })).toBe(false);
  });

  it('fit an I/O workload only where an I/O lane is free', () => {
    expect(fits(slave(0, { ioGuests: 1 }), ioDemand)).toBe(true);
    expect(fits(slave(0, { ioGuests: 2 }), ioDemand)).toBe(false);
    expect(fits(slave(0, { ioGuests: 2 }), demand)).toBe(true);
    expect(couldEverFit(slave(0, {}, { cores: 2, memory: 64 * MiB, vcpus: 8, io: 0 }), ioDemand)).toBe(false);
  });

  it('reserve and release what a workload asks for', () => {
    const r = slave(0);
    reserve(r, demand);
    expect(r).toMatchObject({ vcpus: 1, starting: 1, memory: 8 * MiB, ioGuests: 0 });
    reserve(r, ioDemand);
    expect(r).toMatchObject({ vcpus: 2, ioGuests: 1 });
    release(r, demand);
    release(r, ioDemand);
    expect(r).toMatchObject({ vcpus: 0, memory: 0, ioGuests: 0 });
  });
});

describe('resource-use', () => {
  it('scores by measured load, vCPUs and memory after placing, with the documented weights', () => {
    const r = slave(0, { load: 1, starting: 1, vcpus: 3, memory: 24 * MiB });
    // cpu (1 + 1 + 1) / 2, vcpus (3 + 1) / 8, memory (24 + 8) / 64
    expect(resourceUseScore(r, demand, DEFAULT_WEIGHTS)).toBeCloseTo(0.5 * 1.5 + 0.3 * 0.5 + 0.2 * 0.5, 12);
    // An I/O workload also pays for the slave's I/O pressure and lanes: io (0.25 + (1 + 1) / 2)
    const io = { ...r, ioLoad: 0.25, ioGuests: 1 };
    expect(resourceUseScore(io, ioDemand, DEFAULT_WEIGHTS)).toBeCloseTo(0.5 * 1.5 + 0.3 * 0.5 + 0.2 * 0.5 + 0.3 * 1.25, 12);
  });

  it('sends an I/O workload away from a slave whose disk is busy, a CPU workload not', () => {
    const busyDisk = slave(0, { ioLoad: 0.9, ioGuests: 1 });
    const quiet = slave(1, { load: 0.3, vcpus: 1 });
    expect(policy('resource-use').choose(ioDemand, [busyDisk, quiet]).slave).toBe(quiet);
    expect(policy('resource-use').choose(demand, [busyDisk, quiet]).slave).toBe(busyDisk);
  });

  it('prefers a slave whose many vCPUs are idle to one whose few vCPUs are busy (least-loaded does not)', () => {
    const sleepy = slave(0, { vcpus: 3, load: 0.1 });
    const busy = slave(1, { vcpus: 2, load: 2 });
    expect(policy('resource-use').choose(demand, [sleepy, busy]).slave).toBe(sleepy);
    expect(policy('least-loaded').choose(demand, [sleepy, busy]).slave).toBe(busy);
  });

  it('counts vCPUs dispatched but not yet measured as busy', () => {
    const a = slave(0, { starting: 2, vcpus: 2 });
    const b = slave(1, { load: 1, vcpus: 1 });
    expect(policy('resource-use').choose(demand, [a, b]).slave).toBe(b);
  });

  it('prefers more cores at the same use, and breaks ties by the lowest index', () => {
    const small = slave(0, {}, { cores: 1, memory: 64 * MiB, vcpus: 8, io: 2 });
    const large = slave(1, {}, { cores: 4, memory: 64 * MiB, vcpus: 8, io: 2 });
    expect(policy('resource-use').choose(demand, [small, large]).slave).toBe(large);
    expect(policy('resource-use').choose(demand, [slave(0), slave(1)]).slave.index).toBe(0);
  });
});

describe('baselines', () => {
  it('round-robin takes the next candidate after the last one chosen, wrapping around', () => {
    const p = policy('round-robin');
    const all = [slave(0), slave(1), slave(2)];
    expect([0, 1, 2, 3].map(() => p.choose(demand, all).slave.index)).toEqual([0, 1, 2, 0]);
    // slave 1 is full: after 0 comes 2
    expect(p.choose(demand, [all[0]!, all[2]!]).slave.index).toBe(2);
  });

  it('random is seeded: the same seed gives the same choices, another seed others', () => {
    const all = Array.from({ length: 10 }, (_, i) => slave(i));
    const picks = (seed: number) => {
      const p = policy('random', seed);
      return Array.from({ length: 20 }, () => p.choose(demand, all).slave.index);
    };
    expect(picks(7)).toEqual(picks(7));
    expect(picks(7)).not.toEqual(picks(8));
    expect(new Set(picks(7)).size).toBeGreaterThan(3);
  });

  it('least-loaded counts vCPUs only', () => {
    const choice = policy('least-loaded').choose(demand, [slave(0, { vcpus: 2 }), slave(1, { vcpus: 1, load: 2, memory: 50 * MiB })]);
    expect(choice.slave.index).toBe(1);
  });

  it('power-of-two takes the emptier of two distinct random slaves', () => {
    const all = [slave(0, { vcpus: 5 }), slave(1, { vcpus: 0 }), slave(2, { vcpus: 5 })];
    const p = policy('power-of-two', 3);
    const picks = Array.from({ length: 30 }, () => p.choose(demand, all).slave.index);
    // Two distinct slaves always include one with 5 vCPUs; the empty one wins whenever drawn.
    expect(picks.filter((i) => i === 1).length).toBeGreaterThan(15);
    expect(picks.every((i) => i === 1 || i === 0 || i === 2)).toBe(true);
    expect(policy('power-of-two').choose(demand, [all[0]!]).slave.index).toBe(0);
  });

  it('most-allocated packs onto the fullest slave that still fits', () => {
    const choice = policy('most-allocated').choose(demand, [slave(0, { vcpus: 1, memory: 8 * MiB }), slave(1, { vcpus: 5, memory: 40 * MiB })]);
    expect(choice.slave.index).toBe(1);
  });

  it('every policy returns one of the candidates', () => {
    const all = [slave(3), slave(5, { vcpus: 2 }), slave(9, { load: 1 })];
    for (const name of POLICY_NAMES) expect(all).toContain(policy(name).choose(demand, all).slave);
  });
});
