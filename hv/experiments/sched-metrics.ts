/**
 * The numbers of one run of `hv experiment sched`, from its stats and trace events: I/O latency
 * (trap to completion interrupt) percentiles over every I/O guest's I/Os, the scheduling delay
 * (completion to the guest's next run, the `sched.delay` distribution), I/O and CPU throughput
 * per guest, Jain's fairness index of the CPU-bound guests' CPU time over their weights, context
 * switches and migrations per virtual second, the driver core's utilisation, and each guest's
 * placement over time. Latencies are in cycles; rates per virtual second.
 */
import { mean, percentile } from '../statistics.ts';
import type { TraceEvent } from '../trace/events.ts';
import type { StatsFile } from '../trace/stats-file.ts';
import type { PlannedVm, VmKind } from './sched-system.ts';

export interface VmResult {
  readonly name: string;
  readonly kind: VmKind;
  /** Core at the end of the run. */
  readonly core: number;
  readonly ios: number;
  readonly ioPerSecond: number;
  readonly instructionsPerSecond: number;
  /** CPU time, in cycles. */
  readonly cpuCycles: number;
  readonly migrations: number;
}

export interface RunMetrics {
  readonly ioLatency: { p50: number; p99: number; p999: number };
  readonly schedDelay: { p50: number; p99: number };
  /** Mean over the I/O guests of their requests per virtual second. */
  readonly ioPerSecond: number;
  /** Mean over the CPU-bound guests of their instructions per virtual second. */
  readonly cpuInstructionsPerSecond: number;
  readonly fairness: number;
  readonly contextSwitchesPerSecond: number;
  readonly migrationsPerSecond: number;
  /** Share of the run the driver VM's core was busy (not idle). */
  readonly driverCoreUtilisation: number;
  readonly vms: readonly VmResult[];
}

/** One stretch of a guest on one core. */
export interface Placement {
  readonly vm: string;
  readonly core: number;
  readonly from: number;
  readonly to: number;
}

export interface RunInput {
  readonly stats: StatsFile;
  readonly events: readonly TraceEvent[];
  readonly guests: readonly PlannedVm[];
  readonly duration: number;
  readonly driverCore: number;
  readonly weight: (vm: string) => number;
}

export function runMetrics(input: RunInput, latencies: readonly number[]): RunMetrics {
  const { stats, events, duration } = input;
  const seconds = duration / stats.clockHz;
  const perSecond = (n: number) => round(n / seconds);
  const vms = input.guests.map((g) => vmResult(g, input, perSecond));
  const io = vms.filter((v) => v.kind !== 'compute');
  const cpu = vms.filter((v) => v.kind === 'compute');
  const delay = stats.events['sched.delay'];
  return {
    ioLatency: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), p999: percentile(latencies, 99.9) },
    schedDelay: { p50: delay?.p50 ?? 0, p99: delay?.p99 ?? 0 },
    ioPerSecond: roundedMean(io.map((v) => v.ioPerSecond)),
    cpuInstructionsPerSecond: roundedMean(cpu.map((v) => v.instructionsPerSecond)),
    fairness: round(jain(cpu.map((v) => v.cpuCycles / input.weight(v.name))), 4),
    contextSwitchesPerSecond: perSecond(stats.events['vcpu-switch']?.count ?? 0),
    migrationsPerSecond: perSecond(stats.events['vcpu-migrate']?.count ?? 0),
    driverCoreUtilisation: round(busyCycles(events, input.driverCore, duration) / duration, 4),
    vms,
  };
}

function vmResult(g: PlannedVm, input: RunInput, perSecond: (n: number) => number): VmResult {
  const report = input.stats.guests.find((r) => r.name === g.name)!;
  const migrations = input.events.filter((e) => e.kind === 'vcpu-migrate' && e.guest === g.name).length;
  return {
    name: g.name,
    kind: g.kind,
    core: report.core,
    ios: report.io?.requests ?? 0,
    ioPerSecond: perSecond(report.io?.requests ?? 0),
    instructionsPerSecond: perSecond(report.instructions),
    cpuCycles: report.cycles,
    migrations,
  };
}

/** Latency of every completed I/O of `guests` (trap to completion interrupt), ascending. */
export function ioLatencies(events: readonly TraceEvent[], guests: ReadonlySet<string>): number[] {
  const begun = new Map<string, number>();
  const out: number[] = [];
  for (const e of events) {
    if (e.kind === 'io-begin' && guests.has(e.guest)) begun.set(`${e.guest}/${e.id}`, e.ts);
    else if (e.kind === 'io-end' && guests.has(e.guest)) {
      const start = begun.get(`${e.guest}/${e.id}`);
      if (start !== undefined) out.push(e.ts - start);
    }
  }
  return out.sort((a, b) => a - b);
}

/** Each guest's stretches on each core: its start core, then every migration. */
export function placements(events: readonly TraceEvent[], guests: readonly string[], duration: number): Placement[] {
  const current = new Map<string, { core: number; from: number }>();
  const out: Placement[] = [];
  const wanted = new Set(guests);
  for (const e of events) {
    if (e.kind === 'guest-start' && wanted.has(e.guest)) current.set(e.guest, { core: e.core, from: 0 });
    if (e.kind !== 'vcpu-migrate' || !wanted.has(e.guest)) continue;
    const open = current.get(e.guest);
    const at = e.ts + e.dur;
    if (open) out.push({ vm: e.guest, core: open.core, from: open.from, to: at });
    current.set(e.guest, { core: e.to, from: at });
  }
  for (const [vm, open] of current) out.push({ vm, core: open.core, from: open.from, to: Math.max(open.from, duration) });
  return out.sort((a, b) => guests.indexOf(a.vm) - guests.indexOf(b.vm) || a.from - b.from);
}

/**
 * Cycles `core` spent on vCPUs before `until`: their residency, the switches between them, and
 * migrations it carried out while no vCPU was resident (one done meanwhile is inside a residency).
 */
function busyCycles(events: readonly TraceEvent[], core: number, until: number): number {
  let busy = 0;
  let residentSince: number | undefined;
  const add = (from: number, to: number) => (busy += Math.max(0, Math.min(to, until) - Math.min(from, until)));
  for (const e of events) {
    if (e.core !== core) continue;
    if (e.kind === 'vcpu-switch-in') residentSince = e.ts;
    else if (e.kind === 'vcpu-switch-out' && residentSince !== undefined) {
      add(residentSince, e.ts);
      residentSince = undefined;
    } else if (e.kind === 'vcpu-switch' || (e.kind === 'vcpu-migrate' && residentSince === undefined)) add(e.ts, e.ts + e.dur);
  }
  if (residentSince !== undefined) add(residentSince, until);
  return busy;
}

/** Jain's fairness index: 1 when all equal, 1/n when one gets everything. */
export function jain(values: readonly number[]): number {
  const sum = values.reduce((a, b) => a + b, 0);
  const squares = values.reduce((a, b) => a + b * b, 0);
  return squares === 0 ? 1 : (sum * sum) / (values.length * squares);
}

function roundedMean(values: readonly number[]): number {
  return round(mean(values));
}

function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
