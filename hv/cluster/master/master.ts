/**
 * The hypervisor master. It keeps one virtual-resource record per slave and advances the cluster
 * in quanta of virtual time, with conservative synchronisation as in dist-gem5: at each quantum
 * boundary t it takes the reports of the quantum that ended at t (finished workloads, measured
 * load), applies the modelled node failures due by t, queues the workloads that arrived by t and
 * decides where the queue goes. Those decisions take effect one quantum later, at t + Q: the
 * master sends them in the quantum [t + Q, t + 2Q) while the slaves still run [t, t + Q), so a
 * slave always has its next quantum before it finishes the current one (the dispatch latency is
 * the lookahead that lets slaves run without waiting for the master or for each other by more
 * than a quantum). Everything the master decides depends on the slaves' replies and the cluster
 * file only, never on the transport or on host timing.
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
  private readonly running: Array<Map<string, { workload: Workload; cycles: number; start: number }>>;
  /** Steps sent whose reports have not been taken, per slave, oldest first. */
  private readonly inFlight: Array<Array<{ from: number; to: number; starts: number }>>;
  private readonly sentImages: Array<Set<string>>;
  private readonly summaries: SlaveSummary[];
  private readonly failuresLeft: Array<{ slave: number; at: number }>;
  private readonly runs: Run[] = [];
  private readonly samples: Sample[] = [];
  private readonly queueSamples: Array<{ t: number; waiting: number }> = [];
  private readonly lastSample = new Map<number, Sample>();
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
    this.running = Array.from({ length: n }, () => new Map());
    this.inFlight = Array.from({ length: n }, () => []);
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
      this.stepSlaves(t + this.o.quantum, this.decide(t));
      t = this.nextBoundary(t);
    }
    await this.collect(Infinity);
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

  /** Takes the reports of the quanta that ended by `t`, slave by slave; a slave without one idled. */
  private async collect(t: number): Promise<void> {
    for (const record of this.records) {
      const steps = this.inFlight[record.index]!;
      if (steps.length === 0 || steps[0]!.to > t) record.load = record.ioLoad = 0;
      while (steps.length > 0 && steps[0]!.to <= t) {
        const step = steps.shift()!;
        const reply = await this.receive(record.index);
        if (reply.kind !== 'report') throw new InternalError(`slave ${record.name} answered a step with ${reply.kind}`);
        this.absorb(record, reply, step);
      }
    }
    if (this.o.samples && t !== Infinity) this.sample(t);
  }

  private absorb(record: ResourceRecord, report: ReportBody, step: { from: number; to: number; starts: number }): void {
    const slave = record.index;
    this.summaries[slave]!.busy += report.busy;
    record.load = report.busy / (step.to - step.from);
    record.ioLoad = report.ioBusy / (step.to - step.from);
    record.starting -= step.starts;
    for (const { name, cycles } of report.running) {
      const entry = this.running[slave]!.get(name);
      if (entry) entry.cycles = cycles;
    }
    for (const f of report.finished) {
      if (f.state === 'failed') continue; // counted as lost when the failure was applied
      const entry = this.running[slave]!.get(f.name);
      if (!entry) throw new InternalError(`slave ${record.name} reported ${f.name}, which it was not running`);
      this.running[slave]!.delete(f.name);
      release(record, entry.workload.demand);
      this.outcomes.finished(f, record.name, report.time);
      this.runs.push({ workload: f.name, slave, start: f.start, end: f.end, state: f.state });
      this.open -= 1;
    }
  }

  /** Failures due by `t`: the slave goes down, its unfinished workloads go back to the queue. */
  private applyFailures(t: number): void {
    while (this.failuresLeft.length > 0 && this.failuresLeft[0]!.at <= t) {
      const { slave } = this.failuresLeft.shift()!;
      const record = this.records[slave]!;
      if (!record.up) continue;
      record.up = false;
      this.summaries[slave]!.failedAt = t;
      const back: Workload[] = [];
      for (const [name, entry] of this.running[slave]!) {
        this.outcomes.lost(name, record.name, t, entry.cycles);
        this.lostCycles += entry.cycles;
        if (entry.start < t) this.runs.push({ workload: name, slave, start: entry.start, end: t, state: 'lost' });
        release(record, entry.workload.demand);
        back.push(entry.workload);
      }
      this.outcomes.note(t, `fail ${record.name}: ${back.length} workloads back in the queue, ${this.lostCycles} cycles of work lost so far`);
      this.running[slave]!.clear();
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

  /** Decides for the queue at `t`; returns the workloads each slave starts at t + Q. */
  private decide(t: number): Workload[][] {
    const starts: Workload[][] = this.records.map(() => []);
    const { decisions, refusals } = this.dispatcher.decide();
    for (const { workload, reason } of refusals) {
      this.outcomes.refused(workload, t, reason);
      this.open -= 1;
    }
    for (const { workload, slave, score } of decisions) {
      starts[slave.index]!.push(workload);
      this.outcomes.dispatched(workload, slave.name, t, t + this.o.quantum, score);
    }
    this.queueSamples.push({ t, waiting: this.dispatcher.waiting });
    return starts;
  }

  /**
   * Sends the quantum [from, from + Q) to every slave that may have work in it: workloads running
   * at the last report, workloads starting at `from`, or a failure due at `from` (the slave then
   * ends everything and runs nothing more).
   */
  private stepSlaves(from: number, starts: Workload[][]): void {
    const to = from + this.o.quantum;
    this.records.forEach((record, slave) => {
      const fail = record.up && this.failuresLeft.some((f) => f.slave === slave && f.at <= from);
      const mine = starts[slave]!;
      if (!record.up || (!fail && this.running[slave]!.size === 0 && mine.length === 0)) return;
      const start = mine.map((w) => this.startOf(slave, w));
      for (const w of mine) this.running[slave]!.set(w.name, { workload: w, cycles: 0, start: from });
      this.send(slave, { kind: 'step', from, to, start, fail });
      this.inFlight[slave]!.push({ from, to, starts: mine.length });
    });
  }

  /** The next boundary; when nothing runs, waits or is in flight, the one of the next arrival. */
  private nextBoundary(t: number): number {
    const next = t + this.o.quantum;
    const busy = this.records.some((r) => r.vcpus > 0) || this.dispatcher.waiting > 0 || this.inFlight.some((s) => s.length > 0);
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
