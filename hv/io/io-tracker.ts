/**
 * Records every I/O of a guest: one I/O is one queue notification and the requests it carries,
 * from the trap on QueueNotify to the completion interrupt. Each I/O has phases (trap, context
 * save, driver run, device, completion, restore, interrupt injection, ...) measured in cycles;
 * latency and phases go to the stats distributions (`io.latency`, `io.phase.<name>`) and to the
 * trace as asynchronous slices.
 */
import type { TraceRecorder } from '../trace/recorder.ts';
import type { IoPathName } from './io-path.ts';

export interface IoTotals {
  ios: number;
  requests: number;
  bytes: number;
  errors: number;
  /** Traps taken for I/O (notifications, transport registers, driver hypercalls). */
  traps: number;
  /** vCPU (world) switches caused by I/O. */
  worldSwitches: number;
  phases: Record<string, number>;
}

interface OpenIo {
  readonly id: number;
  readonly start: number;
  requests: number;
  bytes: number;
  errors: number;
}

export class IoTracker {
  readonly totals: IoTotals = { ios: 0, requests: 0, bytes: 0, errors: 0, traps: 0, worldSwitches: 0, phases: {} };
  private readonly open = new Map<number, OpenIo>();
  private nextId = 1;

  constructor(
    private readonly recorder: TraceRecorder,
    readonly guest: string,
    readonly path: IoPathName,
    private readonly core: () => number,
  ) {}

  /** An I/O begins at `ts` (the notification trap) on `device`. */
  begin(device: string, ts: number): number {
    const id = this.nextId++;
    this.open.set(id, { id, start: ts, requests: 0, bytes: 0, errors: 0 });
    this.recorder.record({ kind: 'io-begin', ts, core: this.core(), guest: this.guest, id, path: this.path, device });
    return id;
  }

  /**
   * A phase of I/O `id` from `start` for `cycles` cycles. `sync`: the phase runs on the guest's
   * core while the guest waits (the in-context path), so the trace also shows it on that core.
   */
  phase(id: number, name: string, start: number, cycles: number, sync = false): void {
    this.recorder.measure(`io.phase.${name}`, cycles);
    this.totals.phases[name] = (this.totals.phases[name] ?? 0) + cycles;
    this.recorder.record({ kind: 'io-phase', ts: start, dur: cycles, core: this.core(), guest: this.guest, id, phase: name, sync });
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
    this.recorder.measure('io.latency', ts - io.start);
    this.recorder.measure(`io.latency.${this.path}`, ts - io.start);
    this.recorder.record({ kind: 'io-end', ts, core: this.core(), guest: this.guest, id, requests: io.requests, bytes: io.bytes, errors: io.errors });
  }

  /** I/Os begun but not finished (still in flight at the end of a run). */
  get inFlight(): number {
    return this.open.size;
  }
}
