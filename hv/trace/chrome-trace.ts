/**
 * Exports trace events as Chrome Trace Event JSON, which ui.perfetto.dev opens.
 *
 * Time: real units, exactly. `ts` and `dur` are microseconds holding whole nanoseconds (a cycle
 * is 40 ns at 25 MHz; see trace-clock.ts), so the timeline reads seconds of virtual time and
 * slices nest exactly; every slice also carries its start cycle and length in cycles
 * (`args.cycle`, `args.cycles`). Tracks: process "cores" has one thread per emulated core with
 * the vCPU residency slices (named after the guest), vCPU switches, idle time, and the cost of
 * each trap, exception entry and return nested inside the residency; process "guests" has one
 * thread per guest with its exception handlers (entry to return, nested as they preempt each
 * other), its start and stop, and its counter tracks (I/O rate and core, with a `scheduler`
 * in the system file); process "I/O" has an asynchronous track per guest with each I/O
 * and its phases nested inside it (chrome-io-tracks.ts). Code addresses carry their symbol
 * (`symbol: "main+0x16"`) when the guest's image has a symbol table.
 */
import { IO_PID, ioTrackEvents } from './chrome-io-tracks.ts';
import type { TraceEvent } from './events.ts';
import { TraceClock } from './trace-clock.ts';

const CORES_PID = 1;
const GUESTS_PID = 2;

interface ChromeEvent {
  name: string;
  cat?: string;
  ph: string;
  ts?: number;
  dur?: number;
  pid: number;
  tid: number;
  s?: string;
  args?: Record<string, unknown>;
}

/** A slice in cycles, converted to real units when written. */
interface CycleSlice {
  readonly name: string;
  readonly cat: string;
  readonly start: number;
  readonly cycles: number;
  readonly pid: number;
  readonly tid: number;
  readonly args: Record<string, unknown>;
}

export interface TraceMetadata {
  clockHz: number;
  coreCount: number;
  guests: readonly string[];
  dropped: number;
  board: string;
  /** Names a guest's code address (`main+0x16`), when its image has symbols. */
  symbolize?: (guest: string, pc: number) => string | undefined;
}

type Stack = Array<{ ts: number; name: string }>;

export function chromeTrace(events: readonly TraceEvent[], meta: TraceMetadata, endTime: number): object {
  const clock = new TraceClock(meta.clockHz);
  const where = (guest: string, pc: number, key = 'pc') => pcArgs(meta, guest, pc, key);
  const out: ChromeEvent[] = [...metadataEvents(meta)];
  const slices: CycleSlice[] = [];
  const guestTid = new Map(meta.guests.map((g, i) => [g, i + 1]));
  const residency = new Map<number, { ts: number; guest: string; pc: number }>();
  const handlers = new Map<string, Stack>();
  for (const e of events) {
    const tid = e.core + 1;
    switch (e.kind) {
      case 'vcpu-switch-in':
        residency.set(e.core, { ts: e.ts, guest: e.guest, pc: e.pc });
        break;
      case 'vcpu-switch-out': {
        const start = residency.get(e.core);
        residency.delete(e.core);
        const args = { guest: e.guest, ...(start ? where(e.guest, start.pc, 'pcIn') : {}), ...where(e.guest, e.pc, 'pcOut'), reason: e.reason };
        if (start) slices.push(slice(start.guest, 'vcpu', start.ts, e.ts - start.ts, CORES_PID, tid, args));
        break;
      }
      case 'vcpu-switch':
        slices.push(slice('vcpu switch', 'hv', e.ts, e.dur, CORES_PID, tid, { from: e.from, to: e.to }));
        break;
      case 'vcpu-migrate':
        slices.push(slice('vcpu migrate', 'hv', e.ts, e.dur, CORES_PID, tid, { guest: e.guest, from: e.from, to: e.to }));
        break;
      case 'idle':
        slices.push(slice('idle', 'hv', e.ts, e.dur, CORES_PID, tid, {}));
        break;
      case 'trap':
        slices.push(slice(`trap ${e.trap}`, 'trap', e.ts, e.dur, CORES_PID, tid, { guest: e.guest, ...where(e.guest, e.pc), detail: e.detail }));
        break;
      case 'exception-entry': {
        const name = e.tailChained ? `tail-chain ${e.exception}` : `exception entry ${e.exception}`;
        slices.push(slice(name, 'exception', e.ts, e.dur, CORES_PID, tid, { guest: e.guest, ...where(e.guest, e.pc) }));
        stack(handlers, e.guest).push({ ts: e.ts, name: e.exception });
        break;
      }
      case 'exception-return': {
        if (e.dur > 0) slices.push(slice(`exception return ${e.exception}`, 'exception', e.ts, e.dur, CORES_PID, tid, { guest: e.guest, ...where(e.guest, e.pc) }));
        const open = stack(handlers, e.guest).pop();
        if (open) slices.push(slice(open.name, 'handler', open.ts, e.ts + e.dur - open.ts, GUESTS_PID, guestTid.get(e.guest) ?? 0, { core: e.core }));
        break;
      }
      case 'io-phase':
        // Phases run on the guest's core (in-context) also appear there, inside its residency.
        if (e.sync) slices.push(slice(`io ${e.phase}`, 'io', e.ts, e.dur, CORES_PID, e.core + 1, { guest: e.guest, io: e.id }));
        break;
      case 'counter':
        out.push({ name: e.name, cat: 'counter', ph: 'C', ts: clock.us(e.ts), pid: GUESTS_PID, tid: 0, args: { ...e.values } });
        break;
      case 'guest-start':
      case 'guest-stop': {
        const args = { ...where(e.guest, e.pc), ...(e.kind === 'guest-stop' ? { state: e.state, detail: e.detail } : {}), cycle: e.ts };
        out.push({ name: e.kind, cat: 'guest', ph: 'i', s: 't', ts: clock.us(e.ts), pid: GUESTS_PID, tid: guestTid.get(e.guest) ?? 0, args });
        break;
      }
    }
  }
  closeOpen(slices, residency, handlers, guestTid, endTime);
  const io = ioTrackEvents(events, clock, endTime);
  if (io.length > 0) out.push(...ioMetadata(), ...io);
  slices.sort((a, b) => a.start - b.start || b.cycles - a.cycles);
  return { traceEvents: [...out, ...slices.map((s) => chromeSlice(s, clock))], otherData: otherData(meta, clock) };
}

function pcArgs(meta: TraceMetadata, guest: string, pc: number, key: string): Record<string, string> {
  const symbol = meta.symbolize?.(guest, pc);
  const symbolKey = key === 'pc' ? 'symbol' : `${key}Symbol`;
  return symbol ? { [key]: hex(pc), [symbolKey]: symbol } : { [key]: hex(pc) };
}

function slice(name: string, cat: string, start: number, cycles: number, pid: number, tid: number, args: Record<string, unknown>): CycleSlice {
  return { name, cat, start, cycles, pid, tid, args };
}

function chromeSlice(s: CycleSlice, clock: TraceClock): ChromeEvent {
  const args = { ...s.args, cycle: s.start, cycles: s.cycles };
  return { name: s.name, cat: s.cat, ph: 'X', ts: clock.us(s.start), dur: clock.durationUs(s.start, s.cycles), pid: s.pid, tid: s.tid, args };
}

function stack(map: Map<string, Stack>, guest: string): Stack {
  let s = map.get(guest);
  if (!s) {
    s = [];
    map.set(guest, s);
  }
  return s;
}

/** Handlers still running when the run ended are closed at the end time. */
function closeOpen(
  slices: CycleSlice[],
  residency: Map<number, { ts: number; guest: string }>,
  handlers: Map<string, Stack>,
  guestTid: Map<string, number>,
  endTime: number,
): void {
  for (const [core, start] of residency) slices.push(slice(start.guest, 'vcpu', start.ts, endTime - start.ts, CORES_PID, core + 1, { guest: start.guest }));
  for (const [guest, open] of handlers) {
    for (const h of open) slices.push(slice(h.name, 'handler', h.ts, Math.max(0, endTime - h.ts), GUESTS_PID, guestTid.get(guest) ?? 0, { unfinished: true }));
  }
}

function metadataEvents(meta: TraceMetadata): ChromeEvent[] {
  const events: ChromeEvent[] = [
    { name: 'process_name', ph: 'M', pid: CORES_PID, tid: 0, args: { name: 'cores' } },
    { name: 'process_sort_index', ph: 'M', pid: CORES_PID, tid: 0, args: { sort_index: 0 } },
    { name: 'process_name', ph: 'M', pid: GUESTS_PID, tid: 0, args: { name: 'guests' } },
    { name: 'process_sort_index', ph: 'M', pid: GUESTS_PID, tid: 0, args: { sort_index: 1 } },
  ];
  for (let c = 0; c < meta.coreCount; c++) {
    events.push({ name: 'thread_name', ph: 'M', pid: CORES_PID, tid: c + 1, args: { name: `core ${c}` } });
    events.push({ name: 'thread_sort_index', ph: 'M', pid: CORES_PID, tid: c + 1, args: { sort_index: c } });
  }
  meta.guests.forEach((g, i) => {
    events.push({ name: 'thread_name', ph: 'M', pid: GUESTS_PID, tid: i + 1, args: { name: g } });
    events.push({ name: 'thread_sort_index', ph: 'M', pid: GUESTS_PID, tid: i + 1, args: { sort_index: i } });
  });
  return events;
}

/** The "I/O" process (its tracks are the guests' asynchronous I/O tracks). */
function ioMetadata(): ChromeEvent[] {
  return [
    { name: 'process_name', ph: 'M', pid: IO_PID, tid: 0, args: { name: 'I/O' } },
    { name: 'process_sort_index', ph: 'M', pid: IO_PID, tid: 0, args: { sort_index: 2 } },
  ];
}

function otherData(meta: TraceMetadata, clock: TraceClock): Record<string, unknown> {
  return {
    generator: 'hvlab',
    board: meta.board,
    timeUnit: 'us',
    note: 'ts and dur are microseconds of virtual time holding whole nanoseconds; args.cycle and args.cycles are CPU cycles',
    clockHz: meta.clockHz,
    nsPerCycle: clock.nsPerCycle ?? 1e9 / meta.clockHz,
    droppedEvents: meta.dropped,
  };
}

function hex(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
}
