/** The system file's `scheduler` section: defaults at the board's clock, and errors naming the field. */
import { describe, expect, it } from 'vitest';
import { validateSystem } from '../../hv/core/system-config.ts';
import { ConfigError } from '../../hv/errors.ts';
import { thrown } from '../helpers/thrown.ts';

const FILE = 'sched.yaml';
const GUESTS = [{ name: 'a', image: 'a.elf' }, { name: 'b', image: 'b.elf' }];

function load(scheduler: unknown, extra: Record<string, unknown> = {}) {
  return validateSystem({ cores: 2, guests: GUESTS, scheduler, ...extra }, FILE);
}

function problems(scheduler: unknown, extra: Record<string, unknown> = {}): string[] {
  return thrown(() => load(scheduler, extra), ConfigError, 'HV_CONFIG').message.split('\n');
}

describe('scheduler defaults', () => {
  it('has no scheduler section unless the file has one', () => {
    expect(validateSystem({ guests: GUESTS }, FILE).scheduler).toBeUndefined();
  });

  it('round-robin: the slice is slice-cycles, the rate window 10 ms at 25 MHz', () => {
    expect(load({ policy: 'round-robin' }, { 'slice-cycles': 5000 }).scheduler).toEqual({ policy: 'round-robin', 'io-rate-window': 250_000, guests: {}, slice: 5000 });
  });

  it("credit: Xen's 30 ms slice, 10 ms tick and 1 ms rate limit at the board's clock, boost and stealing on", () => {
    expect(load({ policy: 'credit' }).scheduler).toEqual({
      policy: 'credit',
      'io-rate-window': 250_000,
      guests: {},
      slice: 750_000,
      tick: 250_000,
      ratelimit: 25_000,
      boost: true,
      steal: true,
    });
    // A shorter slice brings the tick (a third of it) and the rate limit (at most the slice) along.
    expect(load({ policy: 'credit', slice: 30_000 }).scheduler).toMatchObject({ tick: 10_000, ratelimit: 25_000 });
    expect(load({ policy: 'credit', slice: 3000 }).scheduler).toMatchObject({ tick: 1000, ratelimit: 3000 });
  });

  it('micro-slice and io-aware: thresholds in requests per virtual second, vTurbo\'s 0.1 ms driver slice', () => {
    expect(load({ policy: 'micro-slice' }).scheduler).toMatchObject({ slice: 25_000, 'micro-slices': 4, threshold: 300, 'threshold-low': 100 });
    expect(load({ policy: 'io-aware' }).scheduler).toEqual({
      policy: 'io-aware',
      'io-rate-window': 250_000,
      guests: {},
      slice: 25_000,
      threshold: 300,
      'threshold-low': 100,
      'driver-slice': 2500,
      hold: 250_000,
      'max-vms': 4,
      swap: true,
    });
    expect(load({ policy: 'io-aware', threshold: 50 }).scheduler).toMatchObject({ threshold: 50, 'threshold-low': 50 });
  });

  it('weights and caps per guest, by name', () => {
    const s = load({ policy: 'credit', guests: { a: { weight: 512 }, b: { cap: 50 } } }).scheduler!;
    expect(s.guests).toEqual({ a: { weight: 512, cap: 0 }, b: { weight: 256, cap: 50 } });
  });
});

describe('bad scheduler sections name the field', () => {
  it('an unknown policy', () => {
    expect(problems({ policy: 'fifo' })).toEqual([`${FILE}: scheduler.policy: expected a policy: round-robin, credit, micro-slice, io-aware`]);
    expect(problems({})).toEqual([`${FILE}: scheduler.policy: expected a policy: round-robin, credit, micro-slice, io-aware`]);
  });

  it("a parameter of another policy", () => {
    expect(problems({ policy: 'round-robin', 'driver-slice': 100 })).toEqual([`${FILE}: scheduler: unknown field "driver-slice"`]);
  });

  it('values of the wrong type or range', () => {
    expect(problems({ policy: 'credit', tick: 50 })[0]).toMatch(new RegExp(`^${FILE}: scheduler.tick: .*>=100`));
    expect(problems({ policy: 'credit', boost: 'yes' })[0]).toMatch(new RegExp(`^${FILE}: scheduler.boost: expected boolean`));
    expect(problems({ policy: 'io-aware', threshold: -1 })[0]).toMatch(new RegExp(`^${FILE}: scheduler.threshold: `));
    expect(problems({ policy: 'io-aware', 'max-vms': 0 })[0]).toMatch(new RegExp(`^${FILE}: scheduler.max-vms: `));
    expect(problems({ policy: 'credit', guests: { a: { weight: 0 } } })[0]).toMatch(new RegExp(`^${FILE}: scheduler.guests.a.weight: `));
    expect(problems({ policy: 'credit', guests: { a: { cap: 101 } } })[0]).toMatch(new RegExp(`^${FILE}: scheduler.guests.a.cap: `));
  });

  it('relations between fields', () => {
    expect(problems({ policy: 'io-aware', threshold: 100, 'threshold-low': 200 })).toEqual([
      `${FILE}: scheduler.threshold-low: expected at most threshold (100), got 200`,
    ]);
    expect(problems({ policy: 'credit', slice: 10_000, tick: 20_000 })).toEqual([`${FILE}: scheduler.tick: expected at most slice (10000), got 20000`]);
    expect(problems({ policy: 'credit', slice: 10_000, ratelimit: 20_000 })).toEqual([`${FILE}: scheduler.ratelimit: expected at most slice (10000), got 20000`]);
    expect(problems({ policy: 'credit', guests: { c: { weight: 2 } } })).toEqual([
      `${FILE}: scheduler.guests.c: expected the name of a guest or of the driver VM (a, b)`,
    ]);
  });

  it('a driver core that does not exist or is not the driver VM\'s', () => {
    expect(problems({ policy: 'io-aware', 'driver-core': 2 })).toEqual([`${FILE}: scheduler.driver-core: expected a core below cores (2), got 2`]);
    const io = { io: { 'driver-vm': { image: 'driver-vm.elf' } } };
    expect(problems({ policy: 'io-aware', 'driver-core': 0 }, io)).toEqual([
      `${FILE}: scheduler.driver-core: expected the driver VM's core (1: io.driver-vm.core, by default the last core), got 0`,
    ]);
    expect(load({ policy: 'io-aware', 'driver-core': 1 }, io).scheduler).toMatchObject({ 'driver-core': 1 });
  });

  it('reports scheduler problems together with the others', () => {
    const lines = thrown(() => validateSystem({ cores: 0, guests: GUESTS, scheduler: { policy: 'io-aware', threshold: 1, 'threshold-low': 2 } }, FILE), ConfigError).message.split('\n');
    expect(lines).toContain(`${FILE}: scheduler.threshold-low: expected at most threshold (1), got 2`);
    expect(lines.some((l) => l.startsWith(`${FILE}: cores: `))).toBe(true);
  });
});
