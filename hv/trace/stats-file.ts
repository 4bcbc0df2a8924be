/**
 * The stats file: for each guest its state, instructions, cycles, exceptions and traps by kind,
 * console counters, I/O totals and fault report; for each event kind the count, min, p50, p99
 * and max in cycles. Only virtual quantities appear, so the same run gives a byte-identical file.
 * The record types live here, with their exporter, so that every layer that fills them in
 * (core, io, system) depends on the stats layer and not on each other.
 */
import type { FaultReport } from '../arch/cpu.ts';
import type { DistributionSummary } from './histogram.ts';

export type GuestState = 'running' | 'halted' | 'faulted';

export interface ConsoleStats {
  bytes: number;
  lines: number;
  dropped: number;
}

/** What the I/O of one guest did (cycles per phase summed over all its I/Os). */
export interface IoTotals {
  ios: number;
  requests: number;
  bytes: number;
  errors: number;
  /** Traps taken for I/O (notifications, transport registers, driver hypercalls). */
  traps: number;
  /** vCPU (world) switches caused by I/O. */
  worldSwitches: number;
  /** Notifications merged into an I/O that was still waiting to be served (split path). */
  coalesced: number;
  phases: Record<string, number>;
}

/** A guest's I/O rate as the scheduler measured it (requests per virtual second). */
export interface IoRateStats {
  /** The measuring window, in cycles. */
  windowCycles: number;
  /** Over the whole run. */
  mean: number;
  /** The highest windowed rate. */
  peak: number;
  /** The windowed rate at the end of the run. */
  last: number;
}

/** A guest's I/O totals and the path it uses; `rate` with a `scheduler` in the system file. */
export type GuestIoReport = IoTotals & { path: string; rate?: IoRateStats };

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
  /**
   * Only for a guest whose exception budget ran out: in how many windows, and when first (its
   * asynchronous exceptions were held, and it stalled after a synchronous one, until each ended).
   */
  throttled?: { windows: number; firstAt: number };
}

export interface StatsFile {
  generator: 'hvlab';
  board: string;
  clockHz: number;
  cores: number;
  endReason: string;
  cycles: number;
  guests: GuestReport[];
  events: Record<string, DistributionSummary>;
  /** Trace events dropped past the trace's limit; per guest (only those that lost any, when any did). */
  trace: { droppedEvents: number; droppedByGuest?: Record<string, number> };
}

export function statsJson(stats: StatsFile): string {
  return `${JSON.stringify(stats, null, 2)}\n`;
}
