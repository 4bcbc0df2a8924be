/**
 * The I/O of each guest as asynchronous slices, on a track of its own: each I/O (queue
 * notification to completion interrupt) is one slice with its phases nested inside it.
 * Perfetto keys an asynchronous track by category and id (not by tid) and names it after the
 * track's first event, so each guest gets the id `io <guest>` and a zero-length `n` event named
 * `<guest> I/O` before its first I/O. Phases that overlap a sibling without nesting in it (the
 * split path's device work continues after the driver returns) go on a further lane, a track
 * with the id `io <guest> #<lane>` and the same name, so that every track nests exactly.
 */
import type { TraceEvent } from './events.ts';
import type { TraceClock } from './trace-clock.ts';

export const IO_PID = 3;

interface Interval {
  readonly name: string;
  readonly start: number;
  readonly end: number;
  readonly args: Record<string, unknown>;
}

interface Io {
  readonly guest: string;
  readonly begin: Extract<TraceEvent, { kind: 'io-begin' }>;
  end?: Extract<TraceEvent, { kind: 'io-end' }>;
  readonly phases: Array<Extract<TraceEvent, { kind: 'io-phase' }>>;
}

export interface AsyncEvent {
  name: string;
  cat: string;
  ph: 'b' | 'e' | 'n';
  id: string;
  ts: number;
  pid: number;
  tid: number;
  args?: Record<string, unknown>;
}

/** The asynchronous events of every guest's I/O, lane tracks named after the guest. */
export function ioTrackEvents(events: readonly TraceEvent[], clock: TraceClock, endTime: number): AsyncEvent[] {
  const byGuest = new Map<string, Io[]>();
  const open = new Map<string, Io>();
  for (const e of events) {
    if (e.kind === 'io-begin') {
      const io: Io = { guest: e.guest, begin: e, phases: [] };
      open.set(`${e.guest}/${e.id}`, io);
      const list = byGuest.get(e.guest) ?? [];
      list.push(io);
      byGuest.set(e.guest, list);
    } else if (e.kind === 'io-phase') open.get(`${e.guest}/${e.id}`)?.phases.push(e);
    else if (e.kind === 'io-end') {
      const io = open.get(`${e.guest}/${e.id}`);
      if (io) io.end = e;
    }
  }
  const out: AsyncEvent[] = [];
  for (const [guest, ios] of byGuest) out.push(...guestTracks(guest, ios, clock, endTime));
  return out;
}

/** Lays one guest's I/Os and phases out on lanes (lane 0 holds every I/O slice). */
function guestTracks(guest: string, ios: readonly Io[], clock: TraceClock, endTime: number): AsyncEvent[] {
  const lanes: Interval[][] = [[]];
  for (const io of ios) {
    const end = io.end?.ts ?? endTime;
    const slice: Interval = {
      name: `io ${io.begin.device}`,
      start: io.begin.ts,
      end,
      args: { io: io.begin.id, path: io.begin.path, core: io.begin.core, ...(io.end ? { requests: io.end.requests, bytes: io.end.bytes, errors: io.end.errors } : { unfinished: true }) },
    };
    const stacks: Interval[][] = [[slice]];
    lanes[0]!.push(slice);
    const phases = [...io.phases].sort((a, b) => a.ts - b.ts || b.dur - a.dur);
    for (const p of phases) {
      const interval: Interval = { name: p.phase, start: p.ts, end: Math.min(p.ts + p.dur, end), args: { io: p.id, core: p.core } };
      const lane = laneFor(interval, stacks);
      (lanes[lane] ??= []).push(interval);
    }
  }
  const first = ios[0]!.begin.ts;
  return lanes.flatMap((intervals, lane) => {
    const id = lane === 0 ? `io ${guest}` : `io ${guest} #${lane}`;
    const naming: AsyncEvent = { name: `${guest} I/O`, cat: 'io', ph: 'n', id, ts: clock.us(first), pid: IO_PID, tid: 0 };
    return [naming, ...nestedEvents(intervals, id, clock)];
  });
}

/** The lowest lane whose open slices leave room for `interval` nested inside them. */
function laneFor(interval: Interval, stacks: Interval[][]): number {
  for (let lane = 0; ; lane++) {
    const stack = (stacks[lane] ??= []);
    while (stack.length > 0 && stack[stack.length - 1]!.end <= interval.start && stack.length > (lane === 0 ? 1 : 0)) stack.pop();
    const top = stack[stack.length - 1];
    if (!top || interval.end <= top.end) {
      stack.push(interval);
      return lane;
    }
  }
}

/** Begin and end events of properly nested intervals, in an order every viewer nests the same. */
function nestedEvents(intervals: readonly Interval[], id: string, clock: TraceClock): AsyncEvent[] {
  const sorted = [...intervals].sort((a, b) => a.start - b.start || b.end - a.end);
  const out: AsyncEvent[] = [];
  const stack: Interval[] = [];
  const close = (until: number) => {
    while (stack.length > 0 && stack[stack.length - 1]!.end <= until) {
      const done = stack.pop()!;
      out.push({ name: done.name, cat: 'io', ph: 'e', id, ts: clock.us(done.end), pid: IO_PID, tid: 0 });
    }
  };
  for (const interval of sorted) {
    close(interval.start);
    const args = { ...interval.args, cycle: interval.start, cycles: interval.end - interval.start };
    out.push({ name: interval.name, cat: 'io', ph: 'b', id, ts: clock.us(interval.start), pid: IO_PID, tid: 0, args });
    stack.push(interval);
  }
  close(Infinity);
  return out;
}
