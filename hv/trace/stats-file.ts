/**
 * The stats file: for each guest its state, instructions, cycles, exceptions and traps by kind,
 * console counters and fault report; for each event kind the count, min, p50, p99 and max in
 * cycles. Only virtual quantities appear, so the same run gives a byte-identical file.
 */
import type { GuestReport } from '../core/guest-stats.ts';
import type { DistributionSummary } from './histogram.ts';

export interface StatsFile {
  generator: 'hvlab';
  board: string;
  clockHz: number;
  cores: number;
  endReason: string;
  cycles: number;
  guests: GuestReport[];
  events: Record<string, DistributionSummary>;
  trace: { droppedEvents: number };
}

export function statsJson(stats: StatsFile): string {
  return `${JSON.stringify(stats, null, 2)}\n`;
}
