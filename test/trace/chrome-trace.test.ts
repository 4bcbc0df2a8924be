import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TraceMetadata, chromeTrace } from '../../hv/trace/chrome-trace.ts';
import type { TraceEvent } from '../../hv/trace/events.ts';
import { type TraceSlice, asyncErrors, nestingErrors, notWholeNanoseconds, ns, textualNanoseconds } from '../helpers/chrome-trace-check.ts';
import { makeTempDir, runHv } from '../helpers/hv-cli.ts';

interface TraceFile {
  traceEvents: TraceSlice[];
  displayTimeUnit?: string;
  otherData: Record<string, unknown>;
}

/** Microseconds of `cycles` at 25 MHz (40 ns per cycle). */
const us = (cycles: number) => (cycles * 40) / 1000;

const tmp = makeTempDir('hvlab-trace-');
let demo: { text: string; trace: TraceFile; stats: any };
let partial: { trace: TraceFile; stats: any };
let fault: { trace: TraceFile; stats: any };

beforeAll(() => {
  const run = (name: string, args: string[]) => {
    const trace = join(tmp.dir, `${name}.trace.json`);
    const stats = join(tmp.dir, `${name}.stats.json`);
    runHv(['run', ...args, '--trace', trace, '--stats', stats]);
    const text = readFileSync(trace, 'utf8');
    return { text, trace: JSON.parse(text) as TraceFile, stats: JSON.parse(readFileSync(stats, 'utf8')) };
  };
  demo = run('demo', ['guests/demo.yaml']);
  partial = run('tasks', ['firmware/build/tasks.elf', '--until-cycles', '300000']);
  fault = run('fault', ['firmware/build/fault.elf']);
}, 240_000);
afterAll(() => tmp.remove());

function threadNames(trace: TraceFile): Map<string, string> {
  const names = new Map<string, string>();
  for (const e of trace.traceEvents) if (e.ph === 'M' && e.name === 'thread_name') names.set(`${e.pid}/${e.tid}`, String(e.args!.name));
  return names;
}

describe('the nesting validator', () => {
  const x = (ts: number, dur: number, tid = 1): TraceSlice => ({ name: `s${ts}`, ph: 'X', ts, dur, pid: 1, tid });

  it('accepts nested, adjacent and zero-length slices', () => {
    expect(nestingErrors([x(0, 100), x(10, 20), x(30, 70), x(30, 0), x(100, 5), x(40, 10), x(45, 5)])).toEqual([]);
  });

  it('rejects a slice that ends after its parent, on the same track only', () => {
    expect(nestingErrors([x(0, 100), x(90, 11)])).toHaveLength(1);
    expect(nestingErrors([x(0, 100), x(90, 11, 2)])).toEqual([]);
    // Times are microseconds holding whole nanoseconds: 1.5 us is fine, 1.5 ns is not.
    expect(notWholeNanoseconds([x(0, 1.5), x(0, 0.0015), x(0.0025, 1), x(-1, 1)])).toHaveLength(3);
  });
});

describe('the trace file of a demo run', () => {
  it('is valid JSON with traceEvents in microseconds of virtual time (40 ns per cycle), no display unit', () => {
    expect(Array.isArray(demo.trace.traceEvents)).toBe(true);
    expect(demo.trace.traceEvents.length).toBeGreaterThan(1000);
    // Perfetto once read displayTimeUnit "ns" as the unit of ts: the file leaves it out.
    expect(demo.trace.displayTimeUnit).toBeUndefined();
    expect(demo.trace.otherData).toMatchObject({ generator: 'hvlab', board: 'mps2-an386', timeUnit: 'us', clockHz: 25_000_000, nsPerCycle: 40, droppedEvents: 0 });
    // One event per line, as written for streaming.
    expect(demo.text.split('\n').length).toBeGreaterThan(demo.trace.traceEvents.length);
  });

  it('names the processes, each core and each guest', () => {
    const procs = demo.trace.traceEvents.filter((e) => e.ph === 'M' && e.name === 'process_name');
    expect(procs.map((e) => [e.pid, e.args!.name])).toEqual([
      [1, 'cores'],
      [2, 'guests'],
    ]);
    const names = threadNames(demo.trace);
    expect(names.get('1/1')).toBe('core 0');
    expect(names.get('1/2')).toBe('core 1');
    expect([1, 2, 3, 4].map((tid) => names.get(`2/${tid}`))).toEqual(['hello', 'tasks', 'fault', 'compute']);
    expect(names.size).toBe(6);
  });

  it('puts every event on a named track', () => {
    const names = threadNames(demo.trace);
    for (const e of demo.trace.traceEvents) {
      if (e.ph === 'M') continue;
      expect(names.has(`${e.pid}/${e.tid}`), JSON.stringify(e)).toBe(true);
    }
  });

  it('has whole-nanosecond ts and dur as written (at most three decimals), and no slice beyond the end of the run', () => {
    expect(notWholeNanoseconds(demo.trace.traceEvents)).toEqual([]);
    // The text itself, as Perfetto converts it: every number has at most three decimals.
    const written = textualNanoseconds(demo.text);
    expect(written).toBeDefined();
    expect(written!.length).toBeGreaterThan(demo.trace.traceEvents.length);
    for (const e of demo.trace.traceEvents) {
      if (e.ph === 'X') expect(ns(e.ts!) + ns(e.dur!)).toBeLessThanOrEqual(demo.stats.cycles * 40);
    }
  });

  it('keeps the cycles of every slice in its args, equal to its time at 40 ns per cycle', () => {
    const slices = demo.trace.traceEvents.filter((e) => e.ph === 'X');
    for (const e of slices) {
      expect(ns(e.ts!)).toBe((e.args!.cycle as number) * 40);
      expect(ns(e.dur!)).toBe((e.args!.cycles as number) * 40);
    }
  });

  it('names code addresses after their symbols', () => {
    const stop = demo.trace.traceEvents.find((e) => e.name === 'guest-stop' && e.tid === 3)!;
    expect(stop.args).toMatchObject({ pc: '0x0000060a', symbol: 'main+0x16' });
    const traps = demo.trace.traceEvents.filter((e) => e.name === 'trap mmio');
    expect(traps.length).toBeGreaterThan(0);
    expect(traps.every((e) => typeof e.args!.symbol === 'string')).toBe(true);
  });

  it('has vCPU residency slices named after the guests on their cores', () => {
    const residency = demo.trace.traceEvents.filter((e) => e.ph === 'X' && (e as { cat?: string }).cat === 'vcpu');
    const onCore = (tid: number) => new Set(residency.filter((e) => e.tid === tid).map((e) => e.name));
    expect(onCore(1)).toEqual(new Set(['hello', 'fault']));
    expect(onCore(2)).toEqual(new Set(['tasks', 'compute']));
    // Per core, residency slices never overlap each other.
    for (const tid of [1, 2]) {
      const slices = residency.filter((e) => e.tid === tid).sort((a, b) => a.ts! - b.ts!);
      for (let i = 1; i < slices.length; i++) expect(slices[i]!.ts!).toBeGreaterThanOrEqual(slices[i - 1]!.ts! + slices[i - 1]!.dur!);
    }
  });

  it('has a guest-start and a guest-stop instant per guest', () => {
    const instants = demo.trace.traceEvents.filter((e) => e.ph === 'i');
    for (const tid of [1, 2, 3, 4]) {
      expect(instants.filter((e) => e.tid === tid && e.pid === 2).map((e) => e.name)).toEqual(['guest-start', 'guest-stop']);
    }
    const stop = instants.find((e) => e.name === 'guest-stop' && e.tid === 3)!;
    expect(stop.args).toMatchObject({ state: 'faulted', pc: '0x0000060a' });
  });

  it('has the handler slices of the tasks guest on its guest track', () => {
    const handlers = demo.trace.traceEvents.filter((e) => e.ph === 'X' && e.pid === 2 && e.tid === 2);
    expect(new Set(handlers.map((e) => e.name))).toEqual(new Set(['SVCall', 'PendSV', 'SysTick']));
    const total = Object.values(demo.stats.guests[1].exceptions as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(handlers).toHaveLength(total);
  });

  it('nests slices exactly on every (pid, tid) track', () => {
    expect(nestingErrors(demo.trace.traceEvents)).toEqual([]);
  });
});

describe('the trace file of a run stopped by --until-cycles', () => {
  it('closes open slices at the end of the run and still nests exactly', () => {
    expect(partial.stats.cycles).toBe(300000);
    expect(notWholeNanoseconds(partial.trace.traceEvents)).toEqual([]);
    expect(nestingErrors(partial.trace.traceEvents)).toEqual([]);
    const slices = partial.trace.traceEvents.filter((e) => e.ph === 'X');
    expect(Math.max(...slices.map((e) => ns(e.ts!) + ns(e.dur!)))).toBe(300000 * 40);
    const stop = partial.trace.traceEvents.filter((e) => e.name === 'guest-stop');
    expect(stop).toEqual([]);
  });
});

describe('the trace file of a guest stopped by a fault', () => {
  it('puts the fault trap inside the residency of the faulting vCPU', () => {
    const slices = fault.trace.traceEvents.filter((e) => e.ph === 'X' && e.pid === 1);
    const residency = slices.find((e) => (e as { cat?: string }).cat === 'vcpu')!;
    const trap = slices.find((e) => e.name === 'trap fault')!;
    expect(trap).toBeDefined();
    expect(ns(trap.ts!) + ns(trap.dur!)).toBeLessThanOrEqual(ns(residency.ts!) + ns(residency.dur!));
    // The residency ends where the run ends: the guest's cycles.
    expect((residency.args!.cycle as number) + (residency.args!.cycles as number)).toBe(fault.stats.cycles);
    expect(nestingErrors(fault.trace.traceEvents)).toEqual([]);
  });
});

describe('chromeTrace()', () => {
  const meta: TraceMetadata = { clockHz: 25_000_000, coreCount: 2, guests: ['a', 'b'], dropped: 3, board: 'mps2-an386' };
  type Out = { traceEvents: Array<TraceSlice & { cat?: string; id?: string }>; otherData: Record<string, unknown> };
  const X = (out: object) => (out as Out).traceEvents.filter((e) => e.ph === 'X');
  /** A slice's [name, start cycle, cycles, tid] from its args (the times are checked separately). */
  const inCycles = (e: TraceSlice) => [e.name, e.args!.cycle, e.args!.cycles, e.tid];

  it('pairs switch-in and switch-out into a residency slice on the core track, in microseconds with the cycles in args', () => {
    const events: TraceEvent[] = [
      { kind: 'vcpu-switch', ts: 0, dur: 102, core: 1, from: null, to: 'b' },
      { kind: 'vcpu-switch-in', ts: 102, core: 1, guest: 'b', pc: 0xc4 },
      { kind: 'trap', ts: 150, dur: 42, core: 1, guest: 'b', pc: 0x570, trap: 'mmio', detail: 'uart0' },
      { kind: 'vcpu-switch-out', ts: 500, core: 1, guest: 'b', pc: 0x600, reason: 'preempted' },
      { kind: 'idle', ts: 500, dur: 100, core: 1 },
    ];
    const out = chromeTrace(events, meta, 600) as Out;
    expect(X(out)).toEqual([
      { name: 'vcpu switch', cat: 'hv', ph: 'X', ts: 0, dur: us(102), pid: 1, tid: 2, args: { from: null, to: 'b', cycle: 0, cycles: 102 } },
      { name: 'b', cat: 'vcpu', ph: 'X', ts: us(102), dur: us(398), pid: 1, tid: 2, args: { guest: 'b', pcIn: '0x000000c4', pcOut: '0x00000600', reason: 'preempted', cycle: 102, cycles: 398 } },
      { name: 'trap mmio', cat: 'trap', ph: 'X', ts: us(150), dur: us(42), pid: 1, tid: 2, args: { guest: 'b', pc: '0x00000570', detail: 'uart0', cycle: 150, cycles: 42 } },
      { name: 'idle', cat: 'hv', ph: 'X', ts: us(500), dur: us(100), pid: 1, tid: 2, args: { cycle: 500, cycles: 100 } },
    ]);
    expect(out.otherData.droppedEvents).toBe(3);
  });

  it('writes times that are whole nanoseconds even where 40 ns steps are not exact binary fractions', () => {
    const events: TraceEvent[] = [
      { kind: 'vcpu-switch-in', ts: 7, core: 0, guest: 'a', pc: 0 },
      { kind: 'trap', ts: 7, dur: 3, core: 0, guest: 'a', pc: 0, trap: 'svc', detail: '' },
      { kind: 'trap', ts: 10, dur: 7, core: 0, guest: 'a', pc: 0, trap: 'svc', detail: '' },
      { kind: 'vcpu-switch-out', ts: 17, core: 0, guest: 'a', pc: 0, reason: 'idle' },
    ];
    const text = JSON.stringify(chromeTrace(events, meta, 20));
    // 7 cycles = 0.28 us, 10 cycles = 0.4 us, 17 cycles = 0.68 us: written exactly, not 0.27999999.
    expect(text).toContain('"ts":0.28,"dur":0.4,');
    expect(text).toContain('"ts":0.28,"dur":0.12,');
    expect(text).toContain('"ts":0.4,"dur":0.28,');
    expect(textualNanoseconds(text)).toEqual([280, 400, 280, 120, 400, 280]);
    expect(nestingErrors(X(JSON.parse(text)))).toEqual([]);
  });

  it('rounds monotonically at a clock whose period is not whole nanoseconds, so slices still nest', () => {
    const odd = { ...meta, clockHz: 24_000_000 };
    const events: TraceEvent[] = [
      { kind: 'vcpu-switch-in', ts: 1, core: 0, guest: 'a', pc: 0 },
      { kind: 'trap', ts: 1, dur: 1, core: 0, guest: 'a', pc: 0, trap: 'svc', detail: '' },
      { kind: 'trap', ts: 2, dur: 1, core: 0, guest: 'a', pc: 0, trap: 'svc', detail: '' },
      { kind: 'vcpu-switch-out', ts: 3, core: 0, guest: 'a', pc: 0, reason: 'idle' },
    ];
    const slices = X(chromeTrace(events, odd, 3));
    // 41.667 ns per cycle: cycles 1, 2, 3 are at 42, 83 and 125 ns.
    expect(slices.map((e) => [ns(e.ts!), ns(e.dur!)])).toEqual([
      [42, 83],
      [42, 41],
      [83, 42],
    ]);
    expect(notWholeNanoseconds(slices)).toEqual([]);
    expect(nestingErrors(slices)).toEqual([]);
  });

  it('makes a handler slice from entry to the end of the return, nested by preemption', () => {
    const events: TraceEvent[] = [
      { kind: 'exception-entry', ts: 100, dur: 12, core: 0, guest: 'a', pc: 0x200, exception: 'SysTick', tailChained: false },
      { kind: 'exception-entry', ts: 130, dur: 12, core: 0, guest: 'a', pc: 0x300, exception: 'IRQ0', tailChained: false },
      { kind: 'exception-return', ts: 160, dur: 10, core: 0, guest: 'a', pc: 0x210, exception: 'IRQ0' },
      { kind: 'exception-return', ts: 200, dur: 10, core: 0, guest: 'a', pc: 0x100, exception: 'SysTick' },
    ];
    const slices = X(chromeTrace(events, meta, 1000));
    const handlers = slices.filter((e) => e.cat === 'handler');
    expect(handlers.map((e) => [e.name, e.args!.cycle, e.args!.cycles, e.pid, e.tid])).toEqual([
      ['SysTick', 100, 110, 2, 1],
      ['IRQ0', 130, 40, 2, 1],
    ]);
    const onCore = slices.filter((e) => e.cat === 'exception').map(inCycles);
    expect(onCore).toEqual([
      ['exception entry SysTick', 100, 12, 1],
      ['exception entry IRQ0', 130, 12, 1],
      ['exception return IRQ0', 160, 10, 1],
      ['exception return SysTick', 200, 10, 1],
    ]);
    expect(nestingErrors(slices)).toEqual([]);
  });

  it('puts tail-chained handlers next to each other', () => {
    const events: TraceEvent[] = [
      { kind: 'exception-entry', ts: 100, dur: 12, core: 1, guest: 'b', pc: 0x200, exception: 'SysTick', tailChained: false },
      { kind: 'exception-return', ts: 150, dur: 0, core: 1, guest: 'b', pc: 0x300, exception: 'SysTick' },
      { kind: 'exception-entry', ts: 150, dur: 6, core: 1, guest: 'b', pc: 0x300, exception: 'PendSV', tailChained: true },
      { kind: 'exception-return', ts: 190, dur: 10, core: 1, guest: 'b', pc: 0x100, exception: 'PendSV' },
    ];
    const slices = X(chromeTrace(events, meta, 1000));
    const handlers = slices.filter((e) => e.cat === 'handler');
    expect(handlers.map((e) => [e.name, e.args!.cycle, (e.args!.cycle as number) + (e.args!.cycles as number), e.tid])).toEqual([
      ['SysTick', 100, 150, 2],
      ['PendSV', 150, 200, 2],
    ]);
    const core = slices.filter((e) => e.cat === 'exception').map((e) => e.name);
    // A zero-cost return (into the tail-chain) leaves no slice of its own.
    expect(core).toEqual(['exception entry SysTick', 'tail-chain PendSV', 'exception return PendSV']);
    expect(nestingErrors(slices)).toEqual([]);
  });

  it('closes unfinished handlers and residencies at the end time', () => {
    const events: TraceEvent[] = [
      { kind: 'vcpu-switch-in', ts: 0, core: 0, guest: 'a', pc: 0xc4 },
      { kind: 'exception-entry', ts: 300, dur: 12, core: 0, guest: 'a', pc: 0x200, exception: 'SysTick', tailChained: false },
      { kind: 'exception-entry', ts: 320, dur: 12, core: 0, guest: 'a', pc: 0x240, exception: 'NMI', tailChained: false },
    ];
    const slices = X(chromeTrace(events, meta, 500));
    expect(slices.find((e) => e.cat === 'vcpu')).toMatchObject({ name: 'a', ts: 0, dur: us(500), pid: 1, tid: 1 });
    const handlers = slices.filter((e) => e.cat === 'handler');
    expect(handlers.map((e) => [e.name, e.ts, e.dur, e.args])).toEqual([
      ['SysTick', us(300), us(200), { unfinished: true, cycle: 300, cycles: 200 }],
      ['NMI', us(320), us(180), { unfinished: true, cycle: 320, cycles: 180 }],
    ]);
    expect(nestingErrors(slices)).toEqual([]);
  });

  it('emits guest-start and guest-stop as thread-scoped instants on the guest track, with symbols', () => {
    const events: TraceEvent[] = [
      { kind: 'guest-start', ts: 0, core: 1, guest: 'b', pc: 0xc4 },
      { kind: 'guest-stop', ts: 77, core: 1, guest: 'b', pc: 0x5a8, state: 'halted', detail: 'exit code 0' },
    ];
    const symbolize = (guest: string, pc: number) => (guest === 'b' && pc === 0xc4 ? 'Reset_Handler' : undefined);
    const out = chromeTrace(events, { ...meta, symbolize }, 77) as Out;
    const instants = out.traceEvents.filter((e) => e.ph === 'i');
    expect(instants).toEqual([
      { name: 'guest-start', cat: 'guest', ph: 'i', s: 't', ts: 0, pid: 2, tid: 2, args: { pc: '0x000000c4', symbol: 'Reset_Handler', cycle: 0 } },
      { name: 'guest-stop', cat: 'guest', ph: 'i', s: 't', ts: us(77), pid: 2, tid: 2, args: { pc: '0x000005a8', state: 'halted', detail: 'exit code 0', cycle: 77 } },
    ]);
  });

  it('sorts slices by start time, longest first on ties', () => {
    const events: TraceEvent[] = [
      { kind: 'idle', ts: 50, dur: 5, core: 0 },
      { kind: 'vcpu-switch', ts: 10, dur: 3, core: 0, from: 'a', to: 'b' },
      { kind: 'idle', ts: 10, dur: 30, core: 1 },
    ];
    const slices = X(chromeTrace(events, meta, 100));
    expect(slices.map((e) => [e.args!.cycle, e.args!.cycles])).toEqual([
      [10, 30],
      [10, 3],
      [50, 5],
    ]);
  });

  it("puts each guest's I/O on one asynchronous track with its phases nested, overlapping phases on a second lane", () => {
    const io = (guest: string, id: number, ts: number, end: number, phases: Array<[string, number, number]>): TraceEvent[] => [
      { kind: 'io-begin', ts, core: 0, guest, id, path: 'split', device: 'blk' },
      ...phases.map(([phase, start, dur]): TraceEvent => ({ kind: 'io-phase', ts: start, core: 0, guest, id, phase, dur, sync: false })),
      { kind: 'io-end', ts: end, core: 0, guest, id, requests: 1, bytes: 512, errors: 0 },
    ];
    const events = [
      ...io('a', 1, 100, 400, [['trap', 100, 10], ['driver run', 120, 100], ['device', 200, 150], ['interrupt injection', 360, 10]]),
      ...io('b', 1, 150, 300, [['trap', 150, 10]]),
      ...io('a', 2, 500, 600, [['trap', 500, 10]]),
    ];
    const out = chromeTrace(events, meta, 1000) as Out;
    const async = out.traceEvents.filter((e) => ['b', 'e', 'n'].includes(e.ph));
    expect(asyncErrors(async)).toEqual([]);
    // One track per guest (and a lane for the device work that outlives the driver run), each named after the guest.
    expect([...new Set(async.map((e) => e.id))]).toEqual(['io a', 'io a #1', 'io b']);
    expect(async.filter((e) => e.ph === 'n').map((e) => [e.id, e.name])).toEqual([
      ['io a', 'a I/O'],
      ['io a #1', 'a I/O'],
      ['io b', 'b I/O'],
    ]);
    expect(async.every((e) => e.pid === 3 && e.cat === 'io')).toBe(true);
    const lane0 = async.filter((e) => e.id === 'io a' && e.ph !== 'n').map((e) => `${e.ph} ${e.name} ${e.args?.cycle ?? ''}`);
    expect(lane0).toEqual([
      'b io blk 100', 'b trap 100', 'e trap ', 'b driver run 120', 'e driver run ', 'b interrupt injection 360', 'e interrupt injection ', 'e io blk ',
      'b io blk 500', 'b trap 500', 'e trap ', 'e io blk ',
    ]);
    expect(async.filter((e) => e.id === 'io a #1' && e.ph === 'b').map((e) => e.name)).toEqual(['device']);
  });
});
