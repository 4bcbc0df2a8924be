/**
 * End to end under `io-aware`: the phase-changing guest (firmware/phased) moves to the driver VM's
 * core during each I/O burst and back during the CPU phase after it, with `vcpu-migrate` events
 * at the times the rule gives: to the driver core once its third request of the burst brings the
 * rate to the threshold (300 per second over a 10 ms window: three requests), back once the
 * window no longer holds any of its requests (below 100 per second). The CPU-bound guest that
 * was on the driver core makes room (swap). The I/O rate appears in the stats and as a counter
 * track. The guest runs its rounds forever; each run stops when the third burst begins.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateSystem } from '../../hv/core/system-config.ts';
import type { SchedIoPath } from '../../hv/experiments/sched-system.ts';
import { Session } from '../../hv/system/session.ts';
import { chromeTrace } from '../../hv/trace/chrome-trace.ts';
import type { TraceEvent } from '../../hv/trace/events.ts';
import type { StatsFile } from '../../hv/trace/stats-file.ts';
import { diskDir } from '../helpers/io-run.ts';
import { imagePath } from '../helpers/run-system.ts';

const WINDOW = 250_000;
const DRIVER_SLICE = 2500;
const SLICE = 25_000;
const DRIVER_CORE = 1;
const ROUNDS = 2;
/** Rounds whose burst and the CPU phase after it are complete when the run stops. */
const BURST = 24;

interface Run {
  events: readonly TraceEvent[];
  stats: StatsFile;
  lines: string[];
}

const disks = diskDir('hvlab-phase-');
const runs = new Map<SchedIoPath, Run>();

async function run(path: SchedIoPath): Promise<Run> {
  const config = validateSystem(
    {
      cores: 2,
      scheduler: { policy: 'io-aware' },
      io: { 'driver-vm': { image: imagePath('driver-vm') }, cache: { policy: 'none' } },
      guests: [
        { name: 'phased', image: imagePath('phased'), 'io-path': path, disk: disks.disk(`${path}.img`), cmdline: `cpu=600000 burst=${BURST}` },
        { name: 'compute', image: imagePath('compute') },
      ],
    },
    'phase-migration.yaml',
  );
  const session = await Session.open(config, { trace: true });
  try {
    session.runUntil({ line: new RegExp(`phased: round ${ROUNDS + 1} io`), cycles: 200_000_000 });
    session.finish();
    return { events: [...session.events()], stats: session.results(), lines: session.consoleLines().map((l) => l.line) };
  } finally {
    session.close();
  }
}

beforeAll(async () => {
  for (const path of ['split', 'in-context'] as const) runs.set(path, await run(path));
}, 300_000);
afterAll(() => disks.remove());

/** Submission times of the guest's I/Os, split into bursts (gaps longer than the window). */
function bursts(events: readonly TraceEvent[]): number[][] {
  const times = events.filter((e) => e.kind === 'io-begin' && e.guest === 'phased').map((e) => e.ts);
  const out: number[][] = [];
  for (const t of times) {
    const last = out.at(-1);
    if (last && t - last.at(-1)! < WINDOW) last.push(t);
    else out.push([t]);
  }
  return out;
}

function migrations(events: readonly TraceEvent[]) {
  return events.flatMap((e) => (e.kind === 'vcpu-migrate' && e.guest === 'phased' ? [{ ts: e.ts, from: e.from, to: e.to }] : []));
}

describe.each(['split', 'in-context'] as const)('io-aware with the phase-changing guest (%s path)', (path) => {
  it('runs its rounds', () => {
    const { lines } = runs.get(path)!;
    expect(lines.filter((l) => l.startsWith('phased: round'))).toEqual(
      Array.from({ length: ROUNDS + 1 }, (_, i) => [`phased: round ${i + 1} cpu`, `phased: round ${i + 1} io`]).flat(),
    );
  });

  it('moves to the driver core during each burst and back after it, two moves per round', () => {
    const { events } = runs.get(path)!;
    const b = bursts(events).slice(0, ROUNDS);
    expect(b.length).toBe(ROUNDS);
    const moves = migrations(events);
    expect(moves.map((m) => [m.from, m.to])).toEqual(Array.from({ length: ROUNDS }, () => [[0, DRIVER_CORE], [DRIVER_CORE, 0]]).flat());
    b.forEach((burst, round) => {
      expect(burst.length).toBe(BURST);
      const there = moves[2 * round]!;
      const back = moves[2 * round + 1]!;
      // There: once the third request is counted, at the guest's next scheduling point on its core.
      expect(there.ts).toBeGreaterThan(burst[2]!);
      if (path === 'split') expect(there.ts).toBeLessThan(burst[3]!);
      else expect(there.ts).toBeLessThanOrEqual(burst[2]! + SLICE);
      // Back: once the window no longer holds the burst's last request; the policy looks at each
      // of the guest's turns on the driver core (its short slice) and the guest then moves.
      const last = burst.at(-1)!;
      expect(back.ts).toBeGreaterThanOrEqual(last + WINDOW);
      expect(back.ts).toBeLessThanOrEqual(last + WINDOW + 2 * DRIVER_SLICE + 1000);
    });
  });

  it('records the I/O rate in the stats and as counter tracks of rate and core in the trace', () => {
    const { events, stats } = runs.get(path)!;
    const rate = stats.guests.find((g) => g.name === 'phased')!.io!.rate!;
    expect(rate.windowCycles).toBe(WINDOW);
    expect(rate.peak).toBeGreaterThanOrEqual(300);
    expect(rate.mean).toBeGreaterThan(0);
    expect(rate.last).toBe(0);
    expect(stats.events['sched.delay']?.count).toBeGreaterThanOrEqual(ROUNDS * BURST);
    const counters = events.filter((e) => e.kind === 'counter');
    const rates = counters.filter((e) => e.name === 'io rate phased').map((e) => e.values['requests/s']!);
    expect(Math.max(...rates)).toBe(rate.peak);
    expect(rates[0]).toBe(0);
    expect(rates.at(-1)).toBe(0);
    const cores = counters.filter((e) => e.name === 'core phased').map((e) => e.values['core']);
    expect(cores).toEqual([0, ...Array.from({ length: ROUNDS }, () => [DRIVER_CORE, 0]).flat()]);
    const chrome = chromeTrace(events, { clockHz: 25_000_000, coreCount: 2, guests: ['phased', 'compute', 'driver-vm'], dropped: 0, board: 'mps2-an386' }, stats.cycles) as {
      traceEvents: Array<{ ph: string; name: string; args?: Record<string, unknown> }>;
    };
    const tracks = new Set(chrome.traceEvents.filter((e) => e.ph === 'C').map((e) => e.name));
    expect([...tracks].sort()).toEqual(['core compute', 'core driver-vm', 'core phased', 'io rate compute', 'io rate driver-vm', 'io rate phased']);
    for (const e of chrome.traceEvents.filter((x) => x.ph === 'C')) for (const v of Object.values(e.args!)) expect(typeof v).toBe('number');
  });

  it('makes room: the CPU-bound guest on the driver core goes to the mover\'s home core, once', () => {
    const { events } = runs.get(path)!;
    const moved = events.filter((e) => e.kind === 'vcpu-migrate' && e.guest === 'compute');
    expect(moved.map((e) => e.kind === 'vcpu-migrate' && [e.from, e.to])).toEqual([[DRIVER_CORE, 0]]);
    // Decided together with the guest's move (each recorded at its source core's time).
    const all = events.filter((e) => e.kind === 'vcpu-migrate');
    expect(all.slice(0, 2).map((e) => e.kind === 'vcpu-migrate' && e.guest)).toEqual(['phased', 'compute']);
  });
});
