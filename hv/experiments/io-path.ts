/**
 * The I/O-path experiment: the same workload guest (firmware/build/ioload.elf: sequential and
 * random 512-byte and 4 KiB reads and writes, console writes) under each I/O path, each run on a
 * fresh zero-filled raw disk image with the guest on core 0 and the driver VM on core 1 (or, with
 * sharedCore, on core 0 too, where the split path's events become world switches). For each
 * path: I/O latency, the cycles of each phase per I/O, traps and world switches per I/O, I/Os per
 * virtual second, the data the guest read (its checksum) and the disk's content (SHA-256), and
 * the host speed. Everything but the host numbers is deterministic.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateSystem } from '../core/system-config.ts';
import { InternalError } from '../errors.ts';
import { IO_PATHS, type IoPathName } from '../io/io-path.ts';
import { Session } from '../system/session.ts';
import type { DistributionSummary } from '../trace/histogram.ts';
import type { GuestIoReport } from '../trace/stats-file.ts';
import { phaseOrder } from './phase-order.ts';

export interface ExperimentOptions {
  requests: number;
  /** Request size in bytes; 0 = the workload's mix of 512 B and 4 KiB. */
  size: number;
  outDir: string;
  /** Directory of the firmware images (ioload.elf, driver-vm.elf). */
  firmwareDir: string;
  /** Run the driver VM on the guest's core (one core) instead of a core of its own. */
  sharedCore?: boolean;
  /** Disk size in bytes. */
  diskBytes?: number;
}

export interface PathResult {
  readonly path: IoPathName;
  readonly ios: number;
  readonly requests: number;
  readonly bytes: number;
  readonly errors: number;
  readonly latency: DistributionSummary;
  /** Mean cycles per I/O of each phase. */
  readonly phases: Record<string, number>;
  /** The phases in the order they happen in an I/O of this path. */
  readonly phaseOrder: readonly string[];
  readonly trapsPerIo: number;
  readonly worldSwitchesPerIo: number;
  /** Virtual time the workload took, in cycles. */
  readonly cycles: number;
  readonly iosPerVirtualSecond: number;
  readonly readChecksum: string | null;
  readonly diskSha256: string;
  readonly guestExit: number | null;
  /** The trace file, relative to the output directory. */
  readonly trace: string;
}

export interface HostResult {
  readonly path: IoPathName;
  readonly seconds: number;
  readonly iosPerSecond: number;
}

const RUN_LIMIT_CYCLES = 50_000_000_000;

export async function runPath(path: IoPathName, o: ExperimentOptions): Promise<{ result: PathResult; host: HostResult }> {
  const disk = join(o.outDir, `disk-${path}.img`);
  writeFileSync(disk, Buffer.alloc(o.diskBytes ?? 8 << 20));
  const config = validateSystem(
    {
      cores: o.sharedCore ? 1 : 2,
      // No disk cache: the experiment compares the paths on the device itself.
      io: { 'driver-vm': { image: join(o.firmwareDir, 'driver-vm.elf'), core: o.sharedCore ? 0 : 1 }, cache: { policy: 'none' } },
      guests: [{ name: 'ioload', image: join(o.firmwareDir, 'ioload.elf'), core: 0, 'io-path': path, disk, cmdline: `requests=${o.requests} size=${o.size} seed=1` }],
    },
    join(o.outDir, `${path}.yaml`),
  );
  const session = await Session.open(config, { trace: true });
  try {
    const started = process.hrtime.bigint();
    const run = session.runUntil({ cycles: RUN_LIMIT_CYCLES });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    session.finish();
    const lines = session.consoleLines().map((l) => `[${l.guest}] ${l.line}`);
    const stats = session.results();
    const guest = stats.guests.find((g) => g.name === 'ioload')!;
    if (guest.state !== 'halted') throw new InternalError(`io-path experiment (${path}): the workload did not finish (${guest.state}, run ${run.reason}):\n${lines.join('\n')}`);
    // results.json names the trace relative to --out, so it does not depend on where --out is.
    const trace = `trace-${path}.json`;
    session.writeTrace(join(o.outDir, trace));
    const stoppedAt = session.internals.vms.find((v) => v.name === 'ioload')!.exit!.at;
    const order = phaseOrder(session.events());
    session.close();
    const result = { ...summarise(path, { io: guest.io!, summaries: stats.events, cycles: stoppedAt, hz: stats.clockHz, lines, disk, trace, guestExit: guest.exitCode }), phaseOrder: order };
    return { result, host: { path, seconds, iosPerSecond: result.ios / seconds } };
  } finally {
    session.close();
  }
}

/** What one path's run left: its I/O totals, distributions, end time, console, disk and trace. */
interface PathRun {
  io: GuestIoReport;
  summaries: Record<string, DistributionSummary>;
  /** When the workload halted (cycles) and the clock rate. */
  cycles: number;
  hz: number;
  lines: readonly string[];
  disk: string;
  trace: string;
  guestExit: number | null;
}

function summarise(path: IoPathName, { io, summaries, cycles, hz, lines, disk, trace, guestExit }: PathRun): Omit<PathResult, 'phaseOrder'> {
  const ios = Math.max(1, io.ios);
  const phases: Record<string, number> = {};
  for (const name of Object.keys(io.phases).sort()) phases[name] = round(io.phases[name]! / ios);
  const checksum = lines.map((l) => /read checksum (0x[0-9a-f]+)/.exec(l)?.[1]).find((c) => c !== undefined) ?? null;
  return {
    path,
    ios: io.ios,
    requests: io.requests,
    bytes: io.bytes,
    errors: io.errors,
    latency: summaries[`io.latency.${path}`] ?? summaries['io.latency']!,
    phases,
    trapsPerIo: round(io.traps / ios),
    worldSwitchesPerIo: round(io.worldSwitches / ios),
    cycles,
    iosPerVirtualSecond: round(io.ios / (cycles / hz)),
    readChecksum: checksum,
    diskSha256: createHash('sha256').update(readFileSync(disk)).digest('hex'),
    guestExit,
    trace,
  };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

export async function runExperiment(o: ExperimentOptions): Promise<{ results: PathResult[]; host: HostResult[] }> {
  const results: PathResult[] = [];
  const host: HostResult[] = [];
  for (const path of IO_PATHS) {
    const r = await runPath(path, o);
    results.push(r.result);
    host.push(r.host);
  }
  return { results, host };
}
