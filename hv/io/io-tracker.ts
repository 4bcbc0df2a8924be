/**
 * Records every I/O of a guest: one I/O is one queue notification and the requests it carries,
 * from the trap on QueueNotify to the completion interrupt. Each I/O has phases (trap, context
 * save, driver run, device, completion, restore, interrupt injection, ...) measured in cycles;
 * latency and phases go to the stats distributions (`io.latency`, `io.phase.<name>`), to the
 * trace as asynchronous slices, and to whoever observes I/O (the scheduler's I/O signals).
 */
import type { TrapSpan } from '../core/vm-accounting.ts';
import type { VirtualTime } from '../time/virtual-time.ts';
import type { Histogram } from '../trace/histogram.ts';
import type { TraceRecorder } from '../trace/recorder.ts';
import type { IoTotals } from '../trace/stats-file.ts';

/** Told of each I/O as it is submitted and completed (the scheduler's I/O rate signals). */
export interface IoObserver {
  submitted(at: number): void;
  completed(at: number, latency: number, requests: number): void;
}

interface OpenIo {
  start: number;
  requests: number;
  bytes: number;
  errors: number;
}

export class IoTracker {
  readonly totals: IoTotals = { ios: 0, requests: 0, bytes: 0, errors: 0, traps: 0, worldSwitches: 0, coalesced: 0, phases: {} };
  private readonly open = new Map<number, OpenIo>();
  /** Records of ended I/Os, reused by the next ones: no allocation per I/O. */
  private readonly spare: OpenIo[] = [];
  /** Distributions by phase name, looked up once each (no key string built per phase). */
  private readonly phaseHistograms = new Map<string, Histogram>();
  private latencyHistogram: Histogram | undefined;
  private pathLatencyHistogram: Histogram | undefined;
  private nextId = 1;

  constructor(
    private readonly recorder: TraceRecorder,
    readonly guest: string,
    readonly path: string,
    /** The core the guest is on now. */
    private readonly core: () => number,
    private readonly observer: IoObserver | undefined,
  ) {}

  /** Totals, the I/Os in progress and the next I/O number (a checkpoint). */
  saveState(): { totals: IoTotals; open: Array<[number, OpenIo]>; nextId: number } {
    const open = [...this.open].map(([id, io]) => [id, { ...io }] as [number, OpenIo]);
    return { totals: structuredClone(this.totals), open, nextId: this.nextId };
  }

  restoreState(s: ReturnType<IoTracker['saveState']>): void {
    Object.assign(this.totals, structuredClone(s.totals));
    this.open.clear();
    for (const [id, io] of s.open) this.open.set(id, { ...io });
    this.nextId = s.nextId;
  }

  /**
   * A notification of `device` arrived with the MMIO trap `trap`: the I/O begins when the trap
   * does, and the trap is its first phase (the trap itself is charged by the trap path).
   */
  beginNotify(device: string, trap: TrapSpan): number {
    const id = this.nextId++;
    const io = this.spare.pop() ?? { start: 0, requests: 0, bytes: 0, errors: 0 };
    io.start = trap.start;
    io.requests = io.bytes = io.errors = 0;
    this.open.set(id, io);
    if (this.recorder.keepsEvents) this.recorder.record({ kind: 'io-begin', ts: trap.start, core: this.core(), guest: this.guest, id, path: this.path, device });
    this.phase(id, 'trap', trap.start, trap.cycles);
    this.observer?.submitted(trap.start);
    return id;
  }

  /**
   * A phase of I/O `id` from `start` for `cycles` cycles. `sync`: the phase runs on the guest's
   * core while the guest waits (the in-context path), so the trace also shows it on that core.
   */
  phase(id: number, name: string, start: number, cycles: number, sync = false): void {
    let histogram = this.phaseHistograms.get(name);
    if (!histogram) this.phaseHistograms.set(name, (histogram = this.recorder.histogram(`io.phase.${name}`)));
    histogram.add(cycles);
    this.totals.phases[name] = (this.totals.phases[name] ?? 0) + cycles;
    if (this.recorder.keepsEvents) this.recorder.record({ kind: 'io-phase', ts: start, dur: cycles, core: this.core(), guest: this.guest, id, phase: name, sync });
  }

  /** Hypervisor work of I/O `id` on `clock` (the guest's): recorded as a phase from now and charged. */
  charge(id: number, name: string, cycles: number, clock: VirtualTime & { charge(cycles: number): void }, sync = false): void {
    this.phase(id, name, clock.now(), cycles, sync);
    clock.charge(cycles);
  }

  /** Requests served by I/O `id` (bytes moved, errors answered). */
  served(id: number, requests: number, bytes: number, errors: number): void {
    const io = this.open.get(id);
    if (!io) return;
    io.requests += requests;
    io.bytes += bytes;
    io.errors += errors;
  }

  trap(): void {
    this.totals.traps++;
  }

  /** A notification merged into an I/O still waiting to be served (it opens no I/O of its own). */
  coalesced(): void {
    this.totals.coalesced++;
  }

  worldSwitch(): void {
    this.totals.worldSwitches++;
  }

  /** I/O `id` is complete at `ts` (its completion interrupt is injected). */
  end(id: number, ts: number): void {
    const io = this.open.get(id);
    if (!io) return;
    this.open.delete(id);
    const t = this.totals;
    t.ios++;
    t.requests += io.requests;
    t.bytes += io.bytes;
    t.errors += io.errors;
    const latency = ts - io.start;
    (this.latencyHistogram ??= this.recorder.histogram('io.latency')).add(latency);
    (this.pathLatencyHistogram ??= this.recorder.histogram(`io.latency.${this.path}`)).add(latency);
    if (this.recorder.keepsEvents) this.recorder.record({ kind: 'io-end', ts, core: this.core(), guest: this.guest, id, requests: io.requests, bytes: io.bytes, errors: io.errors });
    this.observer?.completed(ts, latency, io.requests);
    this.spare.push(io);
  }
}
