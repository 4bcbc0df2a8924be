/**
 * The pipeline order of an I/O path's phases: each phase's mean start relative to the start of
 * its I/O, from the run's trace events, earliest first (ties by name, so the order is stable).
 */
import type { TraceEvent } from '../trace/events.ts';

export function phaseOrder(events: readonly TraceEvent[]): string[] {
  const starts = new Map<string, number>();
  const offsets = new Map<string, { sum: number; count: number }>();
  for (const e of events) {
    if (e.kind === 'io-begin') starts.set(`${e.guest}/${e.id}`, e.ts);
    if (e.kind !== 'io-phase') continue;
    const start = starts.get(`${e.guest}/${e.id}`);
    if (start === undefined) continue;
    const o = offsets.get(e.phase) ?? { sum: 0, count: 0 };
    o.sum += e.ts - start;
    o.count++;
    offsets.set(e.phase, o);
  }
  const mean = (phase: string) => offsets.get(phase)!.sum / offsets.get(phase)!.count;
  return [...offsets.keys()].sort((a, b) => mean(a) - mean(b) || a.localeCompare(b));
}

/**
 * One legend order for several paths: phases by their mean relative position in the paths that
 * have them (0 = first, 1 = last), ties by name.
 */
export function mergedOrder(orders: ReadonlyArray<readonly string[]>): string[] {
  const positions = new Map<string, number[]>();
  for (const order of orders) {
    order.forEach((phase, i) => positions.set(phase, [...(positions.get(phase) ?? []), order.length > 1 ? i / (order.length - 1) : 0]));
  }
  const mean = (phase: string) => {
    const p = positions.get(phase)!;
    return p.reduce((a, b) => a + b, 0) / p.length;
  };
  return [...positions.keys()].sort((a, b) => mean(a) - mean(b) || a.localeCompare(b));
}
