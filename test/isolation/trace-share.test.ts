/**
 * The trace's event limit is shared equally by the guests: a guest that floods traps (storm.elf
 * in its mmio mode: a trap per load) fills its own share and no more, and its neighbour's events
 * are all in the trace, exactly as without a limit. The stats say whose events were dropped.
 */
import { describe, expect, it } from 'vitest';
import { validateSystem } from '../../hv/core/system-config.ts';
import { Session } from '../../hv/system/session.ts';
import type { TraceEvent } from '../../hv/trace/events.ts';
import { TraceRecorder } from '../../hv/trace/recorder.ts';
import type { StatsFile } from '../../hv/trace/stats-file.ts';
import { imagePath } from '../helpers/run-system.ts';

const idle = (ts: number): TraceEvent => ({ kind: 'idle', ts, dur: 1, core: 0 });
const trap = (guest: string, ts: number): TraceEvent => ({ kind: 'trap', ts, dur: 42, core: 0, guest, pc: 0, trap: 'mmio', detail: '' });

describe('TraceRecorder shares', () => {
  it('keeps at most an equal share of the limit per guest; events of no guest count against the limit only', () => {
    const r = new TraceRecorder(true, 10);
    r.addGuest('a');
    r.addGuest('b');
    for (let i = 0; i < 100; i++) r.record(trap('a', i));
    for (let i = 0; i < 3; i++) r.record(trap('b', 100 + i));
    r.record(idle(200));
    expect(r.events.filter((e) => 'guest' in e && e.guest === 'a')).toHaveLength(5);
    expect(r.events.filter((e) => 'guest' in e && e.guest === 'b')).toHaveLength(3);
    expect(r.events).toHaveLength(9);
    expect(r.dropped).toBe(95);
    expect(r.droppedByGuest()).toEqual({ a: 95 });
    r.record(idle(201));
    r.record(idle(202));
    expect(r.events).toHaveLength(10);
    expect(r.dropped).toBe(96);
  });
});

async function run(traceLimit?: number): Promise<{ events: readonly TraceEvent[]; stats: StatsFile }> {
  const config = validateSystem(
    {
      cores: 2,
      guests: [
        { name: 'flood', image: imagePath('storm'), core: 0, cmdline: 'mode=mmio' },
        // Its events come after the flood has filled the trace's limit: it sleeps between rounds.
        { name: 'job', image: imagePath('job'), core: 1, cmdline: 'work=10 sleep=20000 rounds=3' },
      ],
    },
    'trace-share.yaml',
  );
  const session = await Session.open(config, { trace: true, traceLimit });
  try {
    session.runUntil({ cycles: 2_000_000 });
    session.finish();
    return { events: [...session.events()], stats: session.results() };
  } finally {
    session.close();
  }
}

describe('a guest flooding the trace', () => {
  it('fills its own share; its neighbour\'s events, later in the run, are all kept', async () => {
    const unlimited = await run();
    const limited = await run(4000);
    const of = (events: readonly TraceEvent[], guest: string) => events.filter((e) => 'guest' in e && e.guest === guest);
    expect(of(unlimited.events, 'flood').length).toBeGreaterThan(20_000);
    expect(of(unlimited.events, 'job')).toContainEqual(expect.objectContaining({ kind: 'guest-stop', state: 'halted' }));
    expect(of(limited.events, 'job')).toEqual(of(unlimited.events, 'job'));
    expect(of(limited.events, 'flood')).toHaveLength(2000);
    expect(limited.stats.trace.droppedByGuest).toEqual({ flood: of(unlimited.events, 'flood').length - 2000 });
    expect(unlimited.stats.trace).toEqual({ droppedEvents: 0 });
  });
});
