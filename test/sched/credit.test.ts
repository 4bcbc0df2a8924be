import { describe, expect, it } from 'vitest';
import { CreditAccounts } from '../../hv/sched/credit-accounts.ts';
import { CreditScheduler, type CreditOptions } from '../../hv/sched/credit.ts';
import { RoleTable } from '../../hv/sched/roles.ts';
import { type FakeVcpu, fakes, ran, rebalance } from './fake-vcpu.ts';

const SLICE = 3000;
const TICK = 1000;

function scheduler(options: Partial<CreditOptions<FakeVcpu>> = {}, roles = new RoleTable<FakeVcpu>()) {
  return new CreditScheduler<FakeVcpu>({ slice: SLICE, tick: TICK, ratelimit: 200, boost: true, steal: true, cores: 1, roles, ...options });
}

function woke(s: CreditScheduler<FakeVcpu>, vcpu: FakeVcpu, at: number): void {
  s.observe({ kind: 'woke', vcpu, core: s.coreOf(vcpu), at, reason: 'interrupt' });
}

describe('Credit accounting', () => {
  it('shares slice x cores among the active vCPUs by weight at each accounting, and debits what runs', () => {
    const weights = new Map<string, number>([['a', 256], ['b', 512]]);
    const acc = new CreditAccounts<{ name: string }>({ slice: SLICE, tick: TICK, cores: 2, boost: true, weight: (v) => weights.get(v.name)!, cap: () => 0 });
    const a = { name: 'a' };
    const b = { name: 'b' };
    acc.open(a);
    acc.open(b);
    acc.debit(a, 0, 2500);
    acc.debit(b, 0, 2500);
    acc.accountUntil(SLICE);
    // 6000 cycles of credit: a gets 2000, b 4000.
    expect(acc.of(a).credit).toBe(-500);
    expect(acc.of(b).credit).toBe(1500);
    expect(acc.of(a).priority).toBe('over');
    expect(acc.of(b).priority).toBe('under');
    expect(acc.accountingAt).toBe(2 * SLICE);
  });

  it('bounds credit below at -slice; a vCPU whose credit passes one slice stops earning and keeps half', () => {
    const acc = new CreditAccounts<{ name: string }>({ slice: SLICE, tick: TICK, cores: 1, boost: true, weight: () => 256, cap: () => 0 });
    const hog = { name: 'hog' };
    const idle = { name: 'idle' };
    acc.open(hog);
    acc.open(idle);
    acc.debit(hog, 0, 50_000);
    acc.accountUntil(SLICE); // 3000 shared: 1500 each
    expect(acc.of(hog).credit).toBe(-SLICE);
    expect(acc.of(idle).credit).toBe(1500);
    acc.accountUntil(2 * SLICE);
    expect(acc.of(idle)).toMatchObject({ credit: 3000, active: true, priority: 'under' });
    expect(acc.of(hog)).toMatchObject({ credit: -1500, priority: 'over' });
    acc.accountUntil(3 * SLICE); // idle would have 4500 > slice
    expect(acc.of(idle)).toMatchObject({ credit: 2250, active: false });
    expect(acc.of(hog)).toMatchObject({ credit: 0, priority: 'under' });
    acc.accountUntil(4 * SLICE); // an inactive vCPU earns nothing: the hog gets it all
    expect(acc.of(idle).credit).toBe(2250);
    expect(acc.of(hog).credit).toBe(SLICE);
    acc.debit(idle, 4 * SLICE + 100, 500); // a short run between ticks: still inactive
    expect(acc.of(idle)).toMatchObject({ credit: 1750, active: false });
    acc.debit(idle, 4 * SLICE + 700, 500); // running when a tick comes makes it active again
    acc.accountUntil(5 * SLICE);
    expect(acc.of(idle)).toMatchObject({ credit: 1250 + 1500, active: true });
  });

  it('parks a capped vCPU below -cap% of a slice until an accounting lifts it', () => {
    const acc = new CreditAccounts<{ name: string }>({ slice: SLICE, tick: TICK, cores: 1, boost: true, weight: () => 256, cap: () => 10 });
    const v = { name: 'v' };
    acc.open(v);
    acc.debit(v, 0, 1000);
    acc.accountUntil(SLICE); // capped at 10 % of a slice: +300
    expect(acc.of(v).credit).toBe(-700);
    expect(acc.of(v).parked).toBe(true);
    acc.accountUntil(4 * SLICE);
    expect(acc.of(v).credit).toBe(200);
    expect(acc.of(v).parked).toBe(false);
  });
});

describe('CreditScheduler', () => {
  it('runs UNDER before OVER, and the longest waiting first within a priority', () => {
    const s = scheduler();
    const [a, b, c] = fakes('a', 'b', 'c');
    for (const v of [a!, b!, c!]) s.assign(v, 0);
    Object.assign(s.accounts.of(a!), { priority: 'over', credit: -5000 });
    expect(s.pick(0, 0)?.name).toBe('b');
    expect(s.pick(0, SLICE)?.name).toBe('c');
    expect(s.pick(0, 2 * SLICE - 1)?.name).toBe('c');
  });

  it('keeps the running vCPU for its slice, deciding again at every tick', () => {
    const s = scheduler({ ratelimit: 0 });
    const [a, b] = fakes('a', 'b');
    s.assign(a!, 0);
    s.assign(b!, 0);
    expect(s.pick(0, 100)?.name).toBe('a');
    expect(s.sliceEnd(0)).toBe(TICK);
    expect(s.pick(0, TICK)?.name).toBe('a');
    expect(s.sliceEnd(0)).toBe(2 * TICK);
    expect(s.pick(0, 2 * TICK)?.name).toBe('a');
    expect(s.sliceEnd(0)).toBe(SLICE);
    expect(s.pick(0, SLICE + 100)?.name).toBe('b');
  });

  it('decides at least every ratelimit cycles, keeping the running vCPU when nothing outranks it', () => {
    const s = scheduler();
    const [a, b] = fakes('a', 'b');
    s.assign(a!, 0);
    s.assign(b!, 0);
    expect(s.pick(0, 100)?.name).toBe('a');
    expect(s.sliceEnd(0)).toBe(300);
    expect(s.pick(0, 300)?.name).toBe('a');
    expect(s.sliceEnd(0)).toBe(500);
    expect(s.pick(0, 900)?.name).toBe('a');
    expect(s.sliceEnd(0)).toBe(TICK);
  });

  it('BOOSTs a vCPU that wakes with credit: it preempts the running one once the rate limit has passed', () => {
    const s = scheduler();
    const [cpu, io] = fakes('cpu', 'io');
    s.assign(cpu!, 0);
    s.assign(io!, 0);
    io!.sleepingUntil = 150;
    expect(s.pick(0, 0)?.name).toBe('cpu');
    woke(s, io!, 150);
    expect(s.accounts.of(io!).priority).toBe('boost');
    // Within the rate limit the running vCPU stays, and the policy decides again when it ends.
    expect(s.pick(0, 150)?.name).toBe('cpu');
    expect(s.sliceEnd(0)).toBe(200);
    expect(s.pick(0, 200)?.name).toBe('io');
  });

  it('does not BOOST a waking vCPU that is OVER, nor one when boost is off', () => {
    const s = scheduler();
    const [over] = fakes('over');
    s.assign(over!, 0);
    s.accounts.of(over!).priority = 'over';
    woke(s, over!, 10);
    expect(s.accounts.of(over!).priority).toBe('over');
    const off = scheduler({ boost: false });
    const [v] = fakes('v');
    off.assign(v!, 0);
    woke(off, v!, 10);
    expect(off.accounts.of(v!).priority).toBe('under');
  });

  it('a BOOSTed vCPU loses BOOST when a tick passes while it runs', () => {
    const s = scheduler();
    const [v] = fakes('v');
    s.assign(v!, 0);
    woke(s, v!, 100);
    ran(s, v!, 0, 100, 800);
    expect(s.accounts.of(v!).priority).toBe('boost');
    ran(s, v!, 0, 900, 200);
    expect(s.accounts.of(v!).priority).toBe('under');
  });

  it('never picks a parked vCPU', () => {
    const s = scheduler();
    const [v] = fakes('v');
    s.assign(v!, 0);
    s.accounts.of(v!).parked = true;
    expect(s.pick(0, 0)).toBeUndefined();
  });

  it('a core whose best is OVER steals a waiting UNDER vCPU from another core', () => {
    const s = scheduler({ cores: 2 });
    const [run0, wait0, over1] = fakes('run0', 'wait0', 'over1');
    s.assign(run0!, 0);
    s.assign(wait0!, 0);
    s.assign(over1!, 1);
    s.accounts.of(over1!).priority = 'over';
    expect(s.pick(0, 0)?.name).toBe('run0');
    expect(rebalance(s, 1, 10)).toEqual([['wait0', 1]]);
    expect(s.pick(1, 10)?.name).toBe('wait0');
  });

  it('never steals the vCPU running on the other core, nor an OVER one', () => {
    const s = scheduler({ cores: 2 });
    const [run0, over0, over1] = fakes('run0', 'over0', 'over1');
    s.assign(run0!, 0);
    s.assign(over0!, 0);
    s.assign(over1!, 1);
    s.accounts.of(over0!).priority = 'over';
    s.accounts.of(over1!).priority = 'over';
    expect(s.pick(0, 0)?.name).toBe('run0');
    expect(rebalance(s, 1, 10)).toEqual([]);
  });

  it('hands a vCPU waiting on a busy core to an idle core', () => {
    const s = scheduler({ cores: 2 });
    const [a, b, sleeper] = fakes('a', 'b', 'sleeper');
    s.assign(a!, 0);
    s.assign(b!, 0);
    s.assign(sleeper!, 1);
    sleeper!.sleepingUntil = 1e9;
    expect(s.pick(0, 0)?.name).toBe('a');
    expect(rebalance(s, 0, 50)).toEqual([['b', 1]]);
    expect(rebalance(s, 0, 60)).toEqual([]);
  });

  it('never moves a pinned vCPU, nor one to a core it may not use', () => {
    const roles = new RoleTable<FakeVcpu>();
    const s = scheduler({ cores: 2 }, roles);
    const [a, b, c] = fakes('a', 'b', 'c');
    s.assign(a!, 0);
    s.assign(b!, 0);
    s.assign(c!, 0);
    roles.pin(b!);
    roles.limitCores(c!, 1);
    expect(s.pick(0, 0)?.name).toBe('a');
    expect(rebalance(s, 0, 10)).toEqual([]);
    const over = fakes('over')[0]!;
    s.assign(over, 1);
    s.accounts.of(over).priority = 'over';
    expect(rebalance(s, 1, 10)).toEqual([]);
  });

  it('does not move a vCPU again before it has run where it was moved (no ping-pong between two busy cores)', () => {
    const s = scheduler({ cores: 2 });
    const [over0, io, over1] = fakes('over0', 'io', 'over1');
    s.assign(over0!, 0);
    s.assign(over1!, 1);
    for (const v of [over0!, over1!]) Object.assign(s.accounts.of(v), { priority: 'over', credit: -1 });
    expect(s.pick(0, 0)?.name).toBe('over0');
    expect(s.pick(1, 0)?.name).toBe('over1');
    s.assign(io!, 0); // waits on core 0 behind over0's turn
    expect(rebalance(s, 1, 10)).toEqual([['io', 1]]);
    // Core 0's best is OVER too, but io has not run on core 1 yet: it stays there.
    expect(rebalance(s, 0, 20)).toEqual([]);
    ran(s, io!, 1, 30, 100);
    expect(rebalance(s, 0, 200)).toEqual([['io', 0]]);
  });

  it('moves nothing with steal off', () => {
    const s = scheduler({ cores: 2, steal: false });
    const [a, b] = fakes('a', 'b');
    s.assign(a!, 0);
    s.assign(b!, 0);
    s.pick(0, 0);
    expect(s.rebalance(0, 10)).toEqual([]);
  });
});
