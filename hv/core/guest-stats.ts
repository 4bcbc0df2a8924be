/** Counters of one guest for the stats file and the summary table. */
import type { FaultReport, TrapKind } from '../arch/cpu.ts';
import type { ConsoleStats } from './guest-console.ts';
import type { IoPathName } from '../io/io-path.ts';
import type { IoTotals } from '../io/io-tracker.ts';

export type GuestState = 'running' | 'halted' | 'faulted';

export class GuestStats {
  instructions = 0;
  cycles = 0;
  readonly exceptions = new Map<string, number>();
  readonly traps = new Map<TrapKind, number>();
  readonly unimplemented = new Map<string, { reads: number; writes: number }>();

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

/** The stats-file record of one guest. */
export interface GuestReport {
  name: string;
  state: GuestState;
  exitCode: number | null;
  core: number;
  image: string;
  instructions: number;
  cycles: number;
  exceptions: Record<string, number>;
  traps: Record<string, number>;
  console: ConsoleStats;
  unimplemented: Record<string, { reads: number; writes: number }>;
  fault: FaultReport | null;
  /** For guests with an I/O path: what their I/O did. */
  io?: GuestIoReport;
}

/** A guest's I/O totals (cycles per phase summed over all I/Os) and the path it uses. */
export type GuestIoReport = IoTotals & { path: IoPathName };

export function sortedRecord<V>(map: ReadonlyMap<string, V>): Record<string, V> {
  const out: Record<string, V> = {};
  for (const key of [...map.keys()].sort()) out[key] = map.get(key)!;
  return out;
}
