import { describe, expect, it } from 'vitest';
import { IoRateMeter } from '../../hv/sched/io-rate.ts';
import { MeteredScheduler } from '../../hv/sched/metered.ts';
import { RoundRobinScheduler } from '../../hv/sched/round-robin.ts';
import type { SchedSignal } from '../../hv/sched/scheduler.ts';
import { type FakeVcpu, fakes } from './fake-vcpu.ts';

const HZ = 1_000_000;
const WINDOW = 10_000; // 1/100 s: one request in the window is 100 per second

describe('IoRateMeter', () => {
  it('counts requests in the window ending now, as requests per virtual second', () => {
    const m = new IoRateMeter<string>(WINDOW, HZ);
    expect(m.rate('a', 0)).toBe(0);
    m.add('a', 1000);
    m.add('a', 2000, 2);
    expect(m.rate('a', 2000)).toBe(300);
    expect(m.rate('a', 10_999)).toBe(300);
    expect(m.rate('a', 11_000)).toBe(200); // the request at 1000 left the window
    expect(m.rate('a', 12_000)).toBe(0);
    expect(m.rate('b', 12_000)).toBe(0);
  });

  it('keeps the peak and reports mean, peak and last rate', () => {
    const m = new IoRateMeter<string>(WINDOW, HZ);
    for (let t = 0; t < 5; t++) m.add('a', t * 1000);
    expect(m.rate('a', 4000)).toBe(500);
    expect(m.report('a', 100_000)).toEqual({ windowCycles: WINDOW, mean: 50, peak: 500, last: 0 });
  });

  it('takes a request signalled a little late in time order, and ignores one already outside the window', () => {
    const m = new IoRateMeter<string>(WINDOW, HZ);
    m.add('a', 5000);
    m.add('a', 4000);
    expect(m.rate('a', 14_500)).toBe(100);
    m.add('a', 1000);
    expect(m.rate('a', 14_500)).toBe(100);
    expect(m.report('a', 14_500).mean).toBe(Math.round((3 * HZ) / 14_500));
  });

  it('stays bounded in memory over a long run', () => {
    const m = new IoRateMeter<string>(WINDOW, HZ);
    for (let t = 0; t < 100_000; t++) {
      m.add('a', t * 100);
      m.rate('a', t * 100);
    }
    expect(m.rate('a', 100_000 * 100)).toBe(9900);
    const window = (m as unknown as { windows: Map<string, { times: number[] }> }).windows.get('a')!;
    expect(window.times.length).toBeLessThan(2300);
  });
});

describe('MeteredScheduler', () => {
  function setup() {
    const seen: Array<SchedSignal<FakeVcpu>> = [];
    const policy = Object.assign(new RoundRobinScheduler<FakeVcpu>(1000), { observe: (s: SchedSignal<FakeVcpu>) => void seen.push(s) });
    const rates: Array<[string, number, number]> = [];
    const delays: number[] = [];
    const placed: Array<[string, number, boolean]> = [];
    const s = new MeteredScheduler(policy, new IoRateMeter<FakeVcpu>(WINDOW, HZ), {
      rate: (v, at, r) => rates.push([v.name, at, r]),
      schedDelay: (_v, d) => delays.push(d),
      placed: (v, core, moved) => placed.push([v.name, core, moved]),
    });
    const [a, b] = fakes('a', 'b');
    s.assign(a!, 0);
    s.assign(b!, 0);
    return { s, a: a!, b: b!, seen, rates, delays, placed };
  }

  it('passes every signal on and sends an io-rate signal when a rate changes', () => {
    const { s, a, seen, rates } = setup();
    s.observe({ kind: 'io-submitted', vcpu: a, at: 100 });
    expect(seen.map((x) => x.kind)).toEqual(['io-submitted', 'io-rate']);
    expect(seen[1]).toEqual({ kind: 'io-rate', vcpu: a, at: 100, rate: 100 });
    // A completion carrying three requests adds the two the notification did not count.
    s.observe({ kind: 'io-completed', vcpu: a, at: 500, latency: 400, requests: 3 });
    expect(rates).toEqual([['a', 100, 100], ['a', 500, 300]]);
    // Nothing changes: no io-rate signal.
    s.observe({ kind: 'blocked', vcpu: a, core: 0, at: 600 });
    expect(seen.filter((x) => x.kind === 'io-rate').length).toBe(2);
  });

  it('lets a rate fall while the vCPU only computes (re-evaluated when it runs)', () => {
    const { s, a, rates } = setup();
    s.observe({ kind: 'io-submitted', vcpu: a, at: 0 });
    s.observe({ kind: 'ran', vcpu: a, core: 0, start: 1000, cycles: 8_999 });
    expect(rates).toEqual([['a', 0, 100]]);
    s.observe({ kind: 'ran', vcpu: a, core: 0, start: 10_000, cycles: 500 });
    expect(rates.at(-1)).toEqual(['a', 10_500, 0]);
  });

  it('measures the scheduling delay from each completion to the next run; none when it completed during a run', () => {
    const { s, a, delays } = setup();
    s.observe({ kind: 'io-completed', vcpu: a, at: 1000, latency: 10, requests: 1 });
    s.observe({ kind: 'woke', vcpu: a, core: 0, at: 1000, reason: 'interrupt' });
    s.observe({ kind: 'ran', vcpu: a, core: 0, start: 4000, cycles: 100 });
    expect(delays).toEqual([3000]);
    // In-context: the completion comes inside the step that is then reported.
    s.observe({ kind: 'io-completed', vcpu: a, at: 5050, latency: 10, requests: 1 });
    s.observe({ kind: 'ran', vcpu: a, core: 0, start: 5000, cycles: 100 });
    expect(delays).toEqual([3000, 0]);
    // A vCPU that stops never ran again: no delay.
    s.observe({ kind: 'io-completed', vcpu: a, at: 6000, latency: 10, requests: 1 });
    s.observe({ kind: 'stopped', vcpu: a, at: 6001 });
    s.observe({ kind: 'ran', vcpu: a, core: 0, start: 7000, cycles: 1 });
    expect(delays).toEqual([3000, 0]);
  });

  it('reports placements at boot and on moves, and forwards the rest to the policy', () => {
    const { s, a, placed } = setup();
    s.move(a, 1);
    expect(placed).toEqual([['a', 0, false], ['b', 0, false], ['a', 1, true]]);
    expect(s.name).toBe('round-robin');
    expect(s.coreOf(a)).toBe(1);
    expect(s.pick(1, 0)).toBe(a);
    expect(s.sliceEnd(1)).toBe(1000);
    expect(s.preemptsOnWake).toBe(false);
    expect(s.rebalance(0, 0)).toEqual([]);
  });
});
