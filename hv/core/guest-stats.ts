/** Counters of one guest for the stats file and the summary table. */
import type { TrapKind } from '../arch/cpu.ts';

export type { GuestReport, GuestState } from '../trace/stats-file.ts';

export interface GuestStatsState {
  instructions: number;
  cycles: number;
  exceptions: Array<[string, number]>;
  traps: Array<[TrapKind, number]>;
  unimplemented: Array<[string, { reads: number; writes: number }]>;
  throttled: { windows: number; firstAt: number } | undefined;
}

export class GuestStats {
  instructions = 0;
  cycles = 0;
  readonly exceptions = new Map<string, number>();
  readonly traps = new Map<TrapKind, number>();
  readonly unimplemented = new Map<string, { reads: number; writes: number }>();
  /** Windows in which the exception budget ran out, and when it first did (none: undefined). */
  throttled: { windows: number; firstAt: number } | undefined;

  /** The counters as plain data (a checkpoint). */
  saveState(): GuestStatsState {
    const { instructions, cycles } = this;
    const throttled = this.throttled && { ...this.throttled };
    const unimplemented = [...this.unimplemented].map(([k, v]) => [k, { ...v }] as [string, { reads: number; writes: number }]);
    return { instructions, cycles, exceptions: [...this.exceptions], traps: [...this.traps], unimplemented, throttled };
  }

  restoreState(s: GuestStatsState): void {
    ({ instructions: this.instructions, cycles: this.cycles } = s);
    this.throttled = s.throttled && { ...s.throttled };
    refill(this.exceptions, s.exceptions);
    refill(this.traps, s.traps);
    refill(this.unimplemented, s.unimplemented.map(([k, v]) => [k, { ...v }] as const));
  }

  countException(name: string): void {
    this.exceptions.set(name, (this.exceptions.get(name) ?? 0) + 1);
  }

  countTrap(kind: TrapKind): void {
    this.traps.set(kind, (this.traps.get(kind) ?? 0) + 1);
  }

  countUnimplemented(device: string, offset: number, write: boolean): void {
    const key = `${device}+0x${offset.toString(16)}`;
    const entry = this.unimplemented.get(key) ?? { reads: 0, writes: 0 };
    if (write) entry.writes++;
    else entry.reads++;
    this.unimplemented.set(key, entry);
  }
}

export function sortedRecord<V>(map: ReadonlyMap<string, V>): Record<string, V> {
  const out: Record<string, V> = {};
  for (const key of [...map.keys()].sort()) out[key] = map.get(key)!;
  return out;
}

function refill<K, V>(map: Map<K, V>, entries: ReadonlyArray<readonly [K, V]>): void {
  map.clear();
  for (const [k, v] of entries) map.set(k, v);
}
