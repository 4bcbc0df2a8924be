/** Structural checks of Chrome Trace Event JSON: integer times and exact nesting per track. */

export interface TraceSlice {
  name: string;
  ph: string;
  ts?: number;
  dur?: number;
  pid: number;
  tid: number;
  args?: Record<string, unknown>;
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
    const sorted = [...slices].sort((a, b) => a.ts! - b.ts! || b.dur! - a.dur!);
    const stack: TraceSlice[] = [];
    for (const s of sorted) {
      while (stack.length > 0 && end(stack[stack.length - 1]!) <= s.ts!) stack.pop();
      const parent = stack[stack.length - 1];
      if (parent && end(s) > end(parent)) {
        errors.push(`track ${key}: "${s.name}" [${s.ts}, ${end(s)}) overlaps the end of "${parent.name}" [${parent.ts}, ${end(parent)})`);
      }
      stack.push(s);
    }
  }
  return errors;
}

function end(s: TraceSlice): number {
  return s.ts! + s.dur!;
}

/** Events whose ts or dur is present but not a non-negative integer. */
export function nonIntegerTimes(events: readonly TraceSlice[]): TraceSlice[] {
  const bad = (v: number | undefined) => v !== undefined && !(Number.isInteger(v) && v >= 0);
  return events.filter((e) => bad(e.ts) || bad(e.dur));
}
