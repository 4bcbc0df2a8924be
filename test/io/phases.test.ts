/**
 * The I/O accounting frame every path shares: an I/O begins with the MMIO trap of its
 * notification, which is its first phase and is the very `trap mmio` slice the trap path records
 * (no fictitious trap before it); the path's own work starts when that trap ends; and an I/O's
 * latency is exactly the sum of its phases. Checked on every I/O of the ioload workload under
 * each path, from the trace.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IO_PATHS, type IoPathName } from '../../hv/io/io-path.ts';
import { mmioTrapCycles, defaultCosts } from '../../hv/time/cost-model.ts';
import type { TraceEvent } from '../../hv/trace/events.ts';
import { diskDir, runIo } from '../helpers/io-run.ts';

type Of<K extends TraceEvent['kind']> = Extract<TraceEvent, { kind: K }>;

interface Io {
  begin: Of<'io-begin'>;
  end: Of<'io-end'>;
  phases: Array<Of<'io-phase'>>;
}

const TRAP = mmioTrapCycles(defaultCosts());
const events = {} as Record<IoPathName, readonly TraceEvent[]>;
let disks: ReturnType<typeof diskDir>;

beforeAll(async () => {
  disks = diskDir('hvlab-phases-');
  for (const path of IO_PATHS) {
    const disk = disks.disk(`disk-${path}.img`);
    const run = await runIo([{ name: 'ioload', core: 0, ioPath: path, disk, cmdline: 'requests=3' }], { trace: true });
    expect(run.reports['ioload']).toMatchObject({ state: 'halted', exitCode: 0 });
    events[path] = run.events;
  }
}, 120_000);

afterAll(() => disks?.remove());

function ios(list: readonly TraceEvent[]): Io[] {
  const byId = new Map<number, Io>();
  for (const e of list) {
    if (e.kind === 'io-begin') byId.set(e.id, { begin: e, end: undefined as unknown as Of<'io-end'>, phases: [] });
    else if (e.kind === 'io-phase') byId.get(e.id)!.phases.push(e);
    else if (e.kind === 'io-end') byId.get(e.id)!.end = e;
  }
  return [...byId.values()];
}

describe.each(IO_PATHS)('every I/O of ioload under the %s path', (path) => {
  it('has a latency equal to the sum of its phases', () => {
    const all = ios(events[path]);
    expect(all.length).toBeGreaterThan(20);
    for (const io of all) {
      const sum = io.phases.reduce((a, p) => a + p.dur, 0);
      expect(sum, `I/O ${io.begin.id} (${io.phases.map((p) => `${p.phase} ${p.ts}+${p.dur}`).join(', ')})`).toBe(io.end.ts - io.begin.ts);
    }
  });

  it('begins with its trap phase, which is the trap path\'s own `trap mmio` slice of the notification', () => {
    const traps = new Set(events[path].filter((e): e is Of<'trap'> => e.kind === 'trap' && e.trap === 'mmio' && e.guest === 'ioload').map((e) => `${e.ts}+${e.dur}`));
    for (const io of ios(events[path])) {
      const first = io.phases[0]!;
      expect(first).toMatchObject({ phase: 'trap', ts: io.begin.ts, dur: TRAP });
      expect(traps.has(`${first.ts}+${first.dur}`), `I/O ${io.begin.id}: a trap mmio slice at ${first.ts}`).toBe(true);
    }
  });

  it("starts the path's own work when the trap ends (no phase overlaps the guest's instructions before it)", () => {
    for (const io of ios(events[path])) {
      const [trap, next] = io.phases;
      expect(next!.ts).toBe(trap!.ts + trap!.dur);
    }
  });
});

describe('in-context I/O', () => {
  it('runs its phases back to back on the caller\'s core from the trap to the completion interrupt', () => {
    for (const io of ios(events['in-context'])) {
      let at = io.begin.ts;
      for (const p of io.phases) {
        expect(p.ts, `${p.phase} of I/O ${io.begin.id}`).toBe(at);
        at += p.dur;
      }
      expect(at).toBe(io.end.ts);
    }
  });
});
