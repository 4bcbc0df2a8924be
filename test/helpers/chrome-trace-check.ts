/**
 * Structural checks of Chrome Trace Event JSON as Perfetto imports it: times are microseconds
 * holding whole nanoseconds (Perfetto converts a number's text to integer nanoseconds), complete
 * slices ('X') nest exactly per (pid, tid) thread track, and asynchronous slices ('b'/'e', with
 * 'n' instants) nest exactly per track, which Perfetto keys by category and id (not by tid).
 */

export interface TraceSlice {
  name: string;
  ph: string;
  ts?: number;
  dur?: number;
  pid: number;
  tid: number;
  cat?: string;
  id?: string;
  args?: Record<string, unknown>;
}

/** Microseconds as whole nanoseconds (the value must hold whole nanoseconds: see notWholeNanoseconds). */
export function ns(us: number): number {
  return Math.round(us * 1000);
}

/**
 * Slices ('X') on each (pid, tid) track must nest exactly: sorted by start then longest first, a
 * stack per track, every slice ends at or before the end of the slice that encloses it. Returns
 * one message per violation (empty when the trace is well nested).
 */
export function nestingErrors(events: readonly TraceSlice[]): string[] {
  const tracks = new Map<string, TraceSlice[]>();
  for (const e of events) {
    if (e.ph !== 'X') continue;
    const key = `${e.pid}/${e.tid}`;
    let list = tracks.get(key);
    if (!list) tracks.set(key, (list = []));
    list.push(e);
  }
  const errors: string[] = [];
  for (const [key, slices] of tracks) {
    const sorted = [...slices].sort((a, b) => ns(a.ts!) - ns(b.ts!) || ns(b.dur!) - ns(a.dur!));
    const stack: TraceSlice[] = [];
    for (const s of sorted) {
      while (stack.length > 0 && end(stack[stack.length - 1]!) <= ns(s.ts!)) stack.pop();
      const parent = stack[stack.length - 1];
      if (parent && end(s) > end(parent)) {
        errors.push(`track ${key}: "${s.name}" [${ns(s.ts!)}, ${end(s)}) ns overlaps the end of "${parent.name}" [${ns(parent.ts!)}, ${end(parent)}) ns`);
      }
      stack.push(s);
    }
  }
  return errors;
}

/**
 * Asynchronous slices per (cat, id) track, in file order made stable by time: every 'e' closes
 * the innermost open 'b' of the same name at or after its start, and nothing is left open.
 */
export function asyncErrors(events: readonly TraceSlice[]): string[] {
  const tracks = new Map<string, TraceSlice[]>();
  for (const e of events) {
    if (e.ph !== 'b' && e.ph !== 'e' && e.ph !== 'n') continue;
    const key = `${e.cat ?? ''}/${e.id ?? ''}`;
    if (e.id === undefined) return [`async event "${e.name}" has no id`];
    let list = tracks.get(key);
    if (!list) tracks.set(key, (list = []));
    list.push(e);
  }
  const errors: string[] = [];
  for (const [key, list] of tracks) {
    const sorted = list.map((e, i) => ({ e, i })).sort((a, b) => ns(a.e.ts!) - ns(b.e.ts!) || a.i - b.i);
    const stack: TraceSlice[] = [];
    for (const { e } of sorted) {
      if (e.ph === 'b') stack.push(e);
      else if (e.ph === 'e') {
        const open = stack.pop();
        if (!open || open.name !== e.name) errors.push(`track ${key}: "${e.name}" ends at ${ns(e.ts!)} ns but "${open?.name ?? 'nothing'}" is open`);
      }
    }
    for (const open of stack) errors.push(`track ${key}: "${open.name}" from ${ns(open.ts!)} ns never ends`);
  }
  return errors;
}

function end(s: TraceSlice): number {
  return ns(s.ts!) + ns(s.dur!);
}

/** Events whose ts or dur is present but negative or not a whole number of nanoseconds. */
export function notWholeNanoseconds(events: readonly TraceSlice[]): TraceSlice[] {
  const bad = (v: number | undefined) => v !== undefined && !(v >= 0 && Math.abs(v * 1000 - Math.round(v * 1000)) < 1e-6);
  return events.filter((e) => bad(e.ts) || bad(e.dur));
}

/**
 * The trace's `"ts":` and `"dur":` numbers as written, converted to nanoseconds by moving the
 * decimal point (what Perfetto's JSON importer does with a number's text); undefined for any
 * number with more than three decimals.
 */
export function textualNanoseconds(text: string): number[] | undefined {
  const out: number[] = [];
  for (const m of text.matchAll(/"(?:ts|dur)":(-?\d+)(?:\.(\d+))?(?=[,}])/g)) {
    const fraction = m[2] ?? '';
    if (fraction.length > 3) return undefined;
    out.push(Number(m[1]) * 1000 + Number(fraction.padEnd(3, '0')));
  }
  return out;
}
