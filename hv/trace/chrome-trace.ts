/**
 * Exports trace events as Chrome Trace Event JSON, which ui.perfetto.dev opens.
 *
 * Time unit: one trace microsecond is one CPU cycle (timestamps are integer cycles, so Perfetto's
 * conversion to nanoseconds is exact and slices nest exactly); `otherData` states the unit and the
 * clock rate. Tracks: process "cores" has one thread per emulated core with the vCPU residency
 * slices (named after the guest), vCPU switches, idle time, and the cost of each trap, exception
 * entry and return nested inside the residency; process "guests" has one thread per guest with
 * its exception handlers (entry to return, nested as they preempt each other) and its start and
 * stop, and the counter tracks (a guest's I/O rate and core, with a `scheduler` in the system
 * file); process "I/O" shows every I/O (queue notification to completion interrupt) and its
 * phases as asynchronous slices, per guest.
 */
import type { TraceEvent } from './events.ts';

const CORES_PID = 1;
const GUESTS_PID = 2;
const IO_PID = 3;

interface ChromeEvent {
  name: string;
  id?: string;
  cat?: string;
  ph: string;
  ts?: number;
  dur?: number;
  pid: number;
  tid: number;
  s?: string;
  args?: Record<string, unknown>;
}

export interface TraceMetadata {
  clockHz: number;
  coreCount: number;
  guests: readonly string[];
  dropped: number;
  board: string;
}

export function chromeTrace(events: readonly TraceEvent[], meta: TraceMetadata, endTime: number): object {
  const out: ChromeEvent[] = [...metadataEvents(meta)];
  const slices: ChromeEvent[] = [];
  const guestTid = new Map(meta.guests.map((g, i) => [g, i + 1]));
  const residency = new Map<number, { ts: number; guest: string; pc: number }>();
  const handlers = new Map<string, Array<{ ts: number; name: string }>>();
  let phaseSeq = 0;
  for (const e of events) {
    const tid = e.core + 1;
    switch (e.kind) {
      case 'vcpu-switch-in':
        residency.set(e.core, { ts: e.ts, guest: e.guest, pc: e.pc });
        break;
      case 'vcpu-switch-out': {
        const start = residency.get(e.core);
        residency.delete(e.core);
        if (start) slices.push(slice(start.guest, 'vcpu', start.ts, e.ts - start.ts, CORES_PID, tid, { guest: e.guest, pcIn: hex(start.pc), pcOut: hex(e.pc), reason: e.reason }));
        break;
      }
      case 'vcpu-switch':
        slices.push(slice('vcpu switch', 'hv', e.ts, e.dur, CORES_PID, tid, { from: e.from, to: e.to }));
        break;
      case 'idle':
        slices.push(slice('idle', 'hv', e.ts, e.dur, CORES_PID, tid, {}));
        break;
      case 'trap':
        slices.push(slice(`trap ${e.trap}`, 'trap', e.ts, e.dur, CORES_PID, tid, { guest: e.guest, pc: hex(e.pc), detail: e.detail }));
        break;
      case 'exception-entry': {
        const name = e.tailChained ? `tail-chain ${e.exception}` : `exception entry ${e.exception}`;
        slices.push(slice(name, 'exception', e.ts, e.dur, CORES_PID, tid, { guest: e.guest, pc: hex(e.pc) }));
        stack(handlers, e.guest).push({ ts: e.ts, name: e.exception });
        break;
      }
      case 'exception-return': {
        if (e.dur > 0) slices.push(slice(`exception return ${e.exception}`, 'exception', e.ts, e.dur, CORES_PID, tid, { guest: e.guest, pc: hex(e.pc) }));
        const open = stack(handlers, e.guest).pop();
        if (open) slices.push(slice(open.name, 'handler', open.ts, e.ts + e.dur - open.ts, GUESTS_PID, guestTid.get(e.guest) ?? 0, { core: e.core }));
        break;
      }
      case 'io-begin':
        out.push(asyncEvent('b', `io ${e.device}`, `io-${e.guest}-${e.id}`, e.ts, guestTid.get(e.guest) ?? 0, { path: e.path, core: e.core }));
        break;
      case 'io-end':
        out.push(asyncEvent('e', '', `io-${e.guest}-${e.id}`, e.ts, guestTid.get(e.guest) ?? 0, { requests: e.requests, bytes: e.bytes, errors: e.errors }));
        break;
      case 'io-phase': {
        // Phases of one I/O may overlap (the split path's driver work and its grant copies), so
        // each is its own asynchronous slice rather than a nested one.
        const id = `phase-${e.guest}-${e.id}-${phaseSeq++}`;
        const tid = guestTid.get(e.guest) ?? 0;
        out.push(asyncEvent('b', e.phase, id, e.ts, tid, { io: e.id, core: e.core }), asyncEvent('e', e.phase, id, e.ts + e.dur, tid, {}));
        // Phases run on the guest's core (in-context) also appear there, inside its residency.
        if (e.sync) slices.push(slice(`io ${e.phase}`, 'io', e.ts, e.dur, CORES_PID, e.core + 1, { guest: e.guest, io: e.id }));
        break;
      }
      case 'counter':
        out.push({ name: e.name, cat: 'counter', ph: 'C', ts: e.ts, pid: GUESTS_PID, tid: 0, args: { ...e.values } });
        break;
      case 'guest-start':
      case 'guest-stop': {
        const args = e.kind === 'guest-stop' ? { pc: hex(e.pc), state: e.state, detail: e.detail } : { pc: hex(e.pc) };
        out.push({ name: e.kind, cat: 'guest', ph: 'i', s: 't', ts: e.ts, pid: GUESTS_PID, tid: guestTid.get(e.guest) ?? 0, args });
        break;
      }
    }
  }
  closeOpen(slices, residency, handlers, guestTid, endTime);
  out.push(...ioMetadata(events, meta.guests));
  slices.sort((a, b) => a.ts! - b.ts! || b.dur! - a.dur!);
  return { traceEvents: [...out, ...slices], displayTimeUnit: 'ns', otherData: otherData(meta) };
}

function asyncEvent(ph: 'b' | 'e', name: string, id: string, ts: number, tid: number, args: Record<string, unknown>): ChromeEvent {
  return { name, cat: 'io', ph, ts, pid: IO_PID, tid, id, args } as ChromeEvent;
}

function slice(name: string, cat: string, ts: number, dur: number, pid: number, tid: number, args: Record<string, unknown>): ChromeEvent {
  return { name, cat, ph: 'X', ts, dur, pid, tid, args };
}

function stack(map: Map<string, Array<{ ts: number; name: string }>>, guest: string): Array<{ ts: number; name: string }> {
  let s = map.get(guest);
  if (!s) {
    s = [];
    map.set(guest, s);
  }
  return s;
}

/** Handlers still running when the run ended are closed at the end time. */
function closeOpen(
  slices: ChromeEvent[],
  residency: Map<number, { ts: number; guest: string }>,
  handlers: Map<string, Array<{ ts: number; name: string }>>,
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

/** The "I/O" process and its per-guest tracks, when the run did I/O. */
function ioMetadata(events: readonly TraceEvent[], guests: readonly string[]): ChromeEvent[] {
  const withIo = new Set(events.filter((e) => e.kind === 'io-begin').map((e) => (e as { guest: string }).guest));
  if (withIo.size === 0) return [];
  const out: ChromeEvent[] = [
    { name: 'process_name', ph: 'M', pid: IO_PID, tid: 0, args: { name: 'I/O' } },
    { name: 'process_sort_index', ph: 'M', pid: IO_PID, tid: 0, args: { sort_index: 2 } },
  ];
  guests.forEach((g, i) => {
    if (withIo.has(g)) out.push({ name: 'thread_name', ph: 'M', pid: IO_PID, tid: i + 1, args: { name: `${g} I/O` } });
  });
  return out;
}

function otherData(meta: TraceMetadata): Record<string, unknown> {
  return {
    generator: 'hvlab',
    board: meta.board,
    timeUnit: 'cycle',
    note: 'timestamps are CPU cycles: 1 us on the timeline = 1 cycle',
    clockHz: meta.clockHz,
    droppedEvents: meta.dropped,
  };
}

function hex(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
}
