/**
 * The hypervisor master. It keeps one virtual-resource record per slave and advances the cluster
 * in quanta of virtual time, with conservative synchronisation as in dist-gem5: at each quantum
 * boundary t it takes the reports of the quantum that ended (finished workloads, measured load),
 * applies the modelled node failures due by t, queues the workloads that arrived by t, sends each
 * busy slave its next quantum [t, t + Q) with the workloads decided at the previous boundary, and
 * decides where the queue goes; those decisions start at t + Q (one quantum of dispatch latency,
 * so the slaves never wait for the master). Everything the master decides depends on the slaves'
 * replies and the cluster file only, never on the transport or on host timing.
 */
import { Buffer } from 'node:buffer';
import { InternalError } from '../../errors.ts';
import type { MasterBody, ReportBody, SlaveBody, SlaveSpec, WorkloadStart } from '../messages.ts';
import type { DispatchPolicy } from '../policies.ts';
import { type ResourceRecord, newRecord, release } from '../resources.ts';
import type { Workload } from '../workload.ts';
import { Dispatcher } from './dispatcher.ts';
import { Outcomes, type WorkloadOutcome } from './outcomes.ts';

/** The master's view of a transport: one ordered, exactly-once exchange per slave. */
export interface MasterLink {
  send(slave: number, body: MasterBody): void;
  receive(slave: number): Promise<SlaveBody>;
}

export interface MasterOptions {
  /** Quantum length in cycles. */
  quantum: number;
  /** Virtual time at which the run stops even if workloads are left. */
  until: number;
  slaves: readonly SlaveSpec[];
  workloads: readonly Workload[];
  policy: DispatchPolicy;
  failures: ReadonlyArray<{ readonly slave: string; readonly at: number }>;
  /** Send the images (real slaves) or only the profiles (modelled slaves). */
  images: boolean;
  /** Keep each slave's use per quantum (for the trace). */
  samples?: boolean;
}

export interface SlaveSummary {
  readonly name: string;
  readonly cores: number;
  /** CPU cycles its workloads used. */
  busy: number;
  /** Virtual time of its modelled failure, or null. */
  failedAt: number | null;
  stats: Record<string, unknown>;
}

/** One attempt of a workload on a slave (the trace draws them). */
export interface Run {
  readonly workload: string;
  readonly slave: number;
  readonly start: number;
  readonly end: number;
  readonly state: string;
}

export interface Sample {
  readonly t: number;
  readonly slave: number;
  readonly load: number;
  readonly vcpus: number;
  readonly memory: number;
}

export interface ClusterRun {
  readonly policy: string;
  readonly quantum: number;
  /** Virtual time when the master stopped. */
  readonly end: number;
  readonly outcomes: WorkloadOutcome[];
  readonly log: string[];
  readonly slaves: SlaveSummary[];
  /** Protocol messages exchanged (both directions; no transport-level ones). */
  readonly messages: number;
  readonly lostCycles: number;
  readonly runs: Run[];
  readonly samples: Sample[];
  readonly queue: Array<{ t: number; waiting: number }>;
}

export class Master {
  private readonly records: ResourceRecord[] = [];
  private readonly outcomes: Outcomes;
  private readonly dispatcher: Dispatcher;
  private readonly pending: Workload[][];
  private readonly running: Array<Map<string, { workload: Workload; cycles: number; start: number }>>;
  private readonly sentImages: Array<Set<string>>;
  private readonly summaries: SlaveSummary[];
  private readonly failuresLeft: Array<{ slave: number; at: number }>;
  private readonly runs: Run[] = [];
  private readonly samples: Sample[] = [];
  private readonly queueSamples: Array<{ t: number; waiting: number }> = [];
  private readonly lastSample = new Map<number, Sample>();
  private stepped = new Map<number, number>();
  private failing = new Set<number>();
  private arrived = 0;
  private open: number;
  private messages = 0;
  private lostCycles = 0;

  constructor(
    private readonly o: MasterOptions,
    private readonly link: MasterLink,
  ) {
    const n = o.slaves.length;
    this.outcomes = new Outcomes(o.workloads);
    this.open = o.workloads.length;
    this.pending = Array.from({ length: n }, () => []);
    this.running = Array.from({ length: n }, () => new Map());
    this.sentImages = Array.from({ length: n }, () => new Set());
    this.summaries = o.slaves.map((s) => ({ name: s.name, cores: s.cores, busy: 0, failedAt: null, stats: {} }));
    this.failuresLeft = o.failures.map((f) => ({ slave: o.slaves.findIndex((s) => s.name === f.slave), at: f.at })).sort((a, b) => a.at - b.at || a.slave - b.slave);
    this.dispatcher = new Dispatcher(o.policy, this.records);
  }

  async run(): Promise<ClusterRun> {
    await this.initSlaves();
    let t = 0;
    for (;;) {
      await this.collect(t);
      this.applyFailures(t);
      this.admit(t);
      if (this.open === 0 || t >= this.o.until) break;
      this.stepSlaves(t);
      this.decide(t);
      t = this.nextBoundary(t);
    }
    await this.finishSlaves();
    return {
      policy: this.o.policy.name,
      quantum: this.o.quantum,
      end: t,
      outcomes: this.outcomes.all(),
      log: this.outcomes.log,
      slaves: this.summaries,
      messages: this.messages,
      lostCycles: this.lostCycles,
      runs: this.runs,
      samples: this.samples,
      queue: this.queueSamples,
    };
  }

  private async initSlaves(): Promise<void> {
    this.o.slaves.forEach((slave, i) => this.send(i, { kind: 'init', slave, quantum: this.o.quantum }));
    for (let i = 0; i < this.o.slaves.length; i++) {
      const reply = await this.receive(i);
      if (reply.kind !== 'ready') throw new InternalError(`slave ${this.o.slaves[i]!.name} answered init with ${reply.kind}`);
      this.records.push(newRecord(this.o.slaves[i]!.name, i, reply.capacity));
    }
  }

  /** Takes the reports of the slaves stepped at the last boundary (in slave order). */
  private async collect(t: number): Promise<void> {
    for (const r of this.records) if (!this.stepped.has(r.index)) r.load = 0;
    for (const [slave, length] of this.stepped) {
      const reply = await this.receive(slave);
      if (reply.kind !== 'report') throw new InternalError(`slave ${this.o.slaves[slave]!.name} answered a step with ${reply.kind}`);
      this.absorb(slave, reply, length);
    }
    this.stepped = new Map();
    if (this.o.samples) this.sample(t);
  }

  private absorb(slave: number, report: ReportBody, length: number): void {
    const record = this.records[slave]!;
    this.summaries[slave]!.busy += report.busy;
    record.load = report.busy / length;
    record.starting = this.pending[slave]!.length;
    for (const { name, cycles } of report.running) {
      const entry = this.running[slave]!.get(name);
      if (entry) entry.cycles = cycles;
    }
    for (const f of report.finished) {
      if (f.state === 'failed') continue; // already counted as lost when the failure was applied
      const entry = this.running[slave]!.get(f.name);
      if (!entry) throw new InternalError(`slave ${record.name} reported ${f.name}, which it was not running`);
      this.running[slave]!.delete(f.name);
      release(record, entry.workload.demand);
      this.outcomes.finished(f, record.name, report.time);
      this.runs.push({ workload: f.name, slave, start: f.start, end: f.end, state: f.state });
      this.open -= 1;
    }
    this.failing.delete(slave);
  }

  /** Failures due by `t`: the slave goes down, its unfinished workloads go back to the queue. */
  private applyFailures(t: number): void {
    while (this.failuresLeft.length > 0 && this.failuresLeft[0]!.at <= t) {
      const { slave } = this.failuresLeft.shift()!;
      const record = this.records[slave]!;
      if (!record.up) continue;
      record.up = false;
      this.summaries[slave]!.failedAt = t;
      this.failing.add(slave);
      const back: Workload[] = [];
      for (const [name, entry] of this.running[slave]!) {
        this.outcomes.lost(name, record.name, t, entry.cycles);
        this.lostCycles += entry.cycles;
        this.runs.push({ workload: name, slave, start: entry.start, end: t, state: 'lost' });
        back.push(entry.workload);
      }
      for (const w of this.pending[slave]!) {
        this.outcomes.lost(w.name, record.name, t, 0);
        back.push(w);
      }
      this.outcomes.note(t, `fail ${record.name}: ${back.length} workloads back in the queue, ${this.lostCycles} cycles of work lost so far`);
      this.running[slave]!.clear();
      this.pending[slave] = [];
      this.dispatcher.enqueue(back);
    }
  }

  private admit(t: number): void {
    const arrivals: Workload[] = [];
    while (this.arrived < this.o.workloads.length && this.o.workloads[this.arrived]!.arrival <= t) {
      arrivals.push(this.o.workloads[this.arrived++]!);
    }
    this.dispatcher.enqueue(arrivals);
  }

  /** Sends the quantum [t, t + Q) to every slave with work (and to one failing now). */
  private stepSlaves(t: number): void {
    const to = t + this.o.quantum;
    this.records.forEach((record, slave) => {
      const failing = this.failing.has(slave);
      if (!failing && (!record.up || (this.running[slave]!.size === 0 && this.pending[slave]!.length === 0))) return;
      const start = this.pending[slave]!.map((w) => this.startOf(slave, w));
      for (const w of this.pending[slave]!) this.running[slave]!.set(w.name, { workload: w, cycles: 0, start: t });
      this.pending[slave] = [];
      this.send(slave, { kind: 'step', from: t, to, start, fail: failing });
      this.stepped.set(slave, this.o.quantum);
    });
  }

  private decide(t: number): void {
    const { decisions, refusals } = this.dispatcher.decide();
    for (const { workload, reason } of refusals) {
      this.outcomes.refused(workload, t, reason);
      this.open -= 1;
    }
    for (const { workload, slave, score } of decisions) {
      this.pending[slave.index]!.push(workload);
      this.outcomes.dispatched(workload, slave.name, t, t + this.o.quantum, score);
    }
    this.queueSamples.push({ t, waiting: this.dispatcher.waiting });
  }

  /** The next boundary; when nothing runs, waits or is about to start, the one of the next arrival. */
  private nextBoundary(t: number): number {
    const next = t + this.o.quantum;
    const busy = this.records.some((r) => r.vcpus > 0) || this.dispatcher.waiting > 0 || this.stepped.size > 0;
    if (busy || this.arrived >= this.o.workloads.length) return next;
    const arrival = this.o.workloads[this.arrived]!.arrival;
    return Math.max(next, Math.ceil(arrival / this.o.quantum) * this.o.quantum);
  }

  private async finishSlaves(): Promise<void> {
    this.o.slaves.forEach((_, i) => this.send(i, { kind: 'finish' }));
    for (let i = 0; i < this.o.slaves.length; i++) {
      const reply = await this.receive(i);
      if (reply.kind !== 'final') throw new InternalError(`slave ${this.o.slaves[i]!.name} answered finish with ${reply.kind}`);
      this.summaries[i]!.stats = reply.stats;
    }
  }

  private startOf(slave: number, w: Workload): WorkloadStart {
    const sent = this.sentImages[slave]!;
    const withData = this.o.images && !sent.has(w.image.sha256);
    if (withData) sent.add(w.image.sha256);
    const image = { label: w.image.label, sha256: w.image.sha256, ...(withData ? { data: Buffer.from(w.image.bytes).toString('base64') } : {}) };
    const attempt = this.outcomes.get(w.name).attempts;
    return { name: w.name, attempt, budget: w.budget, image, guest: w.guest, ...(w.profile ? { profile: w.profile } : {}) };
  }

  private sample(t: number): void {
    for (const r of this.records) {
      const last = this.lastSample.get(r.index);
      if (last && last.load === r.load && last.vcpus === r.vcpus && last.memory === r.memory) continue;
      const s = { t, slave: r.index, load: r.load, vcpus: r.vcpus, memory: r.memory };
      this.lastSample.set(r.index, s);
      this.samples.push(s);
    }
  }

  private send(slave: number, body: MasterBody): void {
    this.messages += 1;
    this.link.send(slave, body);
  }

  private async receive(slave: number): Promise<SlaveBody> {
    const body = await this.link.receive(slave);
    this.messages += 1;
    return body;
  }
}
