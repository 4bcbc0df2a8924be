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

type Residency = { ts: number; guest: string; pc: number };
type EventOf<K extends TraceEvent['kind']> = Extract<TraceEvent, { kind: K }>;

/** What the export builds up while it reads the events in order. */
class TraceBuilder {
  readonly clock: TraceClock;
  readonly out: ChromeEvent[];
  readonly slices: CycleSlice[] = [];
  readonly guestTid: Map<string, number>;
  /** The vCPU resident on each core since its switch-in. */
  readonly residency = new Map<number, Residency>();
  /** Each guest's exception handlers in progress, innermost last. */
  readonly handlers = new Map<string, Stack>();

  constructor(readonly meta: TraceMetadata) {
    this.clock = new TraceClock(meta.clockHz);
    this.out = [...metadataEvents(meta)];
    this.guestTid = new Map(meta.guests.map((g, i) => [g, i + 1]));
  }

  where(guest: string, pc: number, key = 'pc'): Record<string, string> {
    return pcArgs(this.meta, guest, pc, key);
  }

  onCore(name: string, cat: string, e: { ts: number; core: number }, cycles: number, args: Record<string, unknown>): void {
    this.slices.push(slice(name, cat, e.ts, cycles, CORES_PID, e.core + 1, args));
  }

  tidOf(guest: string): number {
    return this.guestTid.get(guest) ?? 0;
  }
}

/** How each kind of event becomes Chrome events (I/O events become async tracks separately). */
const HANDLERS: { [K in TraceEvent['kind']]?: (e: EventOf<K>, b: TraceBuilder) => void } = {
  'vcpu-switch-in': (e, b) => b.residency.set(e.core, { ts: e.ts, guest: e.guest, pc: e.pc }),
  'vcpu-switch-out': (e, b) => {
    const start = b.residency.get(e.core);
    b.residency.delete(e.core);
    if (!start) return;
    const args = { guest: e.guest, ...b.where(e.guest, start.pc, 'pcIn'), ...b.where(e.guest, e.pc, 'pcOut'), reason: e.reason };
    b.slices.push(slice(start.guest, 'vcpu', start.ts, e.ts - start.ts, CORES_PID, e.core + 1, args));
  },
  'vcpu-switch': (e, b) => b.onCore('vcpu switch', 'hv', e, e.dur, { from: e.from, to: e.to }),
  'vcpu-migrate': (e, b) => b.onCore('vcpu migrate', 'hv', e, e.dur, { guest: e.guest, from: e.from, to: e.to }),
  idle: (e, b) => b.onCore('idle', 'hv', e, e.dur, {}),
  trap: (e, b) => b.onCore(`trap ${e.trap}`, 'trap', e, e.dur, { guest: e.guest, ...b.where(e.guest, e.pc), detail: e.detail }),
  'exception-entry': (e, b) => {
    const name = e.tailChained ? `tail-chain ${e.exception}` : `exception entry ${e.exception}`;
    b.onCore(name, 'exception', e, e.dur, { guest: e.guest, ...b.where(e.guest, e.pc) });
    stack(b.handlers, e.guest).push({ ts: e.ts, name: e.exception });
  },
  'exception-return': (e, b) => {
    if (e.dur > 0) b.onCore(`exception return ${e.exception}`, 'exception', e, e.dur, { guest: e.guest, ...b.where(e.guest, e.pc) });
    const open = stack(b.handlers, e.guest).pop();
    if (open) b.slices.push(slice(open.name, 'handler', open.ts, e.ts + e.dur - open.ts, GUESTS_PID, b.tidOf(e.guest), { core: e.core }));
  },
  // Phases run on the guest's core (in-context) also appear there, inside its residency.
  'io-phase': (e, b) => {
    if (e.sync) b.onCore(`io ${e.phase}`, 'io', e, e.dur, { guest: e.guest, io: e.id });
  },
  counter: (e, b) => b.out.push({ name: e.name, cat: 'counter', ph: 'C', ts: b.clock.us(e.ts), pid: GUESTS_PID, tid: 0, args: { ...e.values } }),
  'guest-start': (e, b) => guestInstant(e, b, {}),
  'guest-stop': (e, b) => guestInstant(e, b, { state: e.state, detail: e.detail }),
};

function guestInstant(e: EventOf<'guest-start' | 'guest-stop'>, b: TraceBuilder, extra: Record<string, unknown>): void {
  const args = { ...b.where(e.guest, e.pc), ...extra, cycle: e.ts };
  b.out.push({ name: e.kind, cat: 'guest', ph: 'i', s: 't', ts: b.clock.us(e.ts), pid: GUESTS_PID, tid: b.tidOf(e.guest), args });
}

export function chromeTrace(events: readonly TraceEvent[], meta: TraceMetadata, endTime: number): object {
  const b = new TraceBuilder(meta);
  for (const e of events) (HANDLERS[e.kind] as ((e: TraceEvent, b: TraceBuilder) => void) | undefined)?.(e, b);
  closeOpen(b.slices, b.residency, b.handlers, b.guestTid, endTime);
  const io = ioTrackEvents(events, b.clock, endTime);
  if (io.length > 0) b.out.push(...ioMetadata(), ...io);
  b.slices.sort((x, y) => x.start - y.start || y.cycles - x.cycles);
  return { traceEvents: [...b.out, ...b.slices.map((x) => chromeSlice(x, b.clock))], otherData: otherData(meta, b.clock) };
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
