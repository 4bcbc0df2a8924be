/**
 * The hypervisor: vCPUs on M emulated cores, one clock per core. The run loop always advances the
 * core with the smallest clock (so cores stay within a slice of each other): it fires the due
 * device events of the vCPUs queued there, lets the scheduler move vCPUs and pick one, runs it
 * until the earlier of its slice end, its next device event and the end of the run, and charges
 * what it used (a vCPU alone on the only core runs past its slice end: runsAlone). A vCPU's core
 * is one property the hypervisor sets (at boot and when it migrates the vCPU); a vCPU that halts
 * or faults stops alone, the others keep running. run() can be called again to continue where
 * the last call stopped.
 */
import type { StepOutcome } from '../arch/cpu.ts';
import { InternalError } from '../errors.ts';
import type { Migration, SchedSignal, Scheduler } from '../sched/scheduler.ts';
import type { CostTable } from '../time/cost-model.ts';
import type { TraceRecorder } from '../trace/recorder.ts';
import { Core, type CoreState, type SwitchObserver } from './core.ts';
import type { LoopVcpu, VmExit } from './vcpu.ts';

export type EndReason = 'all-stopped' | 'idle' | 'until-cycles' | 'until-line' | 'stopped';

export interface RunLimits {
  /** Stop when virtual time reaches this many cycles. */
  untilCycles?: number;
  /**
   * True (the default): every core stops at exactly `untilCycles`, the steps that cross it are
   * shortened. False: the run stops at the first step boundary at or after it, no step shortened,
   * so that going on gives exactly the run that did not stop (the same steps in the same order:
   * where a checkpoint is taken).
   */
  exact?: boolean;
}

export interface RunResult {
  readonly reason: EndReason;
  /** Virtual time at the end: the largest core clock. */
  readonly cycles: number;
}

/** The loop's state between runs (a checkpoint): cores, where each vCPU is, who started, who waits. */
export interface HypervisorState {
  readonly cores: readonly CoreState[];
  /** Each vCPU's core, in the order of `vcpus`. */
  readonly placement: readonly number[];
  readonly started: readonly string[];
  readonly blocked: readonly string[];
  readonly stalled: number;
}

export interface HypervisorOptions {
  cores: number;
  costs: CostTable;
  recorder: TraceRecorder;
  /** Told of every world switch on any core. */
  switchObservers?: readonly SwitchObserver[];
}

const MAX_STALLED_STEPS = 100_000;
/**
 * How far a vCPU that runs alone (Hypervisor.runsAlone) runs past its slice end: about a
 * millisecond of host time, so pollers (gdb, UART input) and stop requests are still seen often.
 */
const ALONE_RUN_CYCLES = 1 << 20;

export class Hypervisor<V extends LoopVcpu = LoopVcpu> {
  readonly cores: readonly Core[];
  readonly vcpus: V[] = [];
  private readonly started = new Set<V>();
  private readonly blocked = new Set<V>();
  private stopRequest: EndReason | undefined;
  private stalled = 0;
  private readonly recorder: TraceRecorder;
  private readonly costs: CostTable;
  private readonly pollers: Array<() => void> = [];

  constructor(
    readonly scheduler: Scheduler<V>,
    options: HypervisorOptions,
  ) {
    this.recorder = options.recorder;
    this.costs = options.costs;
    const observers = options.switchObservers ?? [];
    this.cores = Array.from({ length: options.cores }, (_, i) => new Core(i, options.recorder, options.costs, observers));
  }

  /** Places a vCPU on `core`'s run queue; it runs from the core's present time on. */
  addGuest(vcpu: V, core: number): void {
    const target = this.core(core);
    vcpu.placement = target.clock;
    vcpu.floor = Math.max(vcpu.floor, target.now);
    this.vcpus.push(vcpu);
    this.scheduler.assign(vcpu, core);
  }

  /** Index of the core `vcpu` is on. */
  coreOf(vcpu: V): number {
    return vcpu.placement.index;
  }

  /**
   * Moves `vcpu` to core `to`: it leaves its core (its context with it), the source core spends
   * the migration cost, a `vcpu-migrate` event is recorded, and the vCPU cannot run on the new
   * core before the time it left the old one (a core behind in time never runs it in its past).
   */
  migrate(vcpu: V, to: number): void {
    const from = this.core(vcpu.placement.index);
    const target = this.core(to);
    if (from === target) return;
    from.unload(vcpu);
    const cost = this.costs.vcpuMigrate.cycles;
    this.recorder.measure('vcpu-migrate', cost);
    this.recorder.record({ kind: 'vcpu-migrate', ts: from.now, dur: cost, core: from.index, guest: vcpu.name, from: from.index, to: target.index });
    from.clock.advance(cost);
    vcpu.account(cost);
    vcpu.floor = Math.max(vcpu.floor, from.now);
    this.scheduler.move(vcpu, target.index);
    vcpu.placement = target.clock;
  }

  /** Ends the run at the next step boundary (e.g. a console line matched --until-line). */
  requestStop(reason: EndReason = 'stopped'): void {
    this.stopRequest ??= reason;
    for (const core of this.cores) core.running?.requestStop();
  }

  /**
   * Stops a live `vcpu` from outside the loop, as if it had halted without an exit code (its
   * session ended it: a cycle budget used up). Its core goes on with the others.
   */
  end(vcpu: V, detail: string): void {
    if (!vcpu.alive) return;
    const core = this.core(vcpu.placement.index);
    const at = Math.max(core.now, vcpu.floor);
    this.stopGuest(core, vcpu, { state: 'halted', exitCode: null, fault: null, at }, detail);
  }

  /**
   * Calls `poll` between steps, when no guest code runs (a debugger looks at its connection
   * there and may hold the whole system still). Returns a function that removes it.
   */
  addPoller(poll: () => void): () => void {
    this.pollers.push(poll);
    return () => {
      const index = this.pollers.indexOf(poll);
      if (index >= 0) this.pollers.splice(index, 1);
    };
  }

  /** Tells the scheduler what happened outside the loop (the I/O system's submissions and completions). */
  signal(signal: SchedSignal<V>): void {
    this.scheduler.observe?.(signal);
  }

  /** Runs until every vCPU stopped or idles for good, a stop request, or `untilCycles`. */
  run(limits: RunLimits = {}): RunResult {
    this.stopRequest = undefined;
    this.recordStarts();
    const reason = this.loop(limits.untilCycles ?? Infinity, limits.exact ?? true);
    return { reason, cycles: this.time() };
  }

  saveState(): HypervisorState {
    const names = (set: ReadonlySet<V>) => this.vcpus.filter((v) => set.has(v)).map((v) => v.name);
    return {
      cores: this.cores.map((c) => c.saveState()),
      placement: this.vcpus.map((v) => v.placement.index),
      started: names(this.started),
      blocked: names(this.blocked),
      stalled: this.stalled,
    };
  }

  /** Puts back a saved state into the hypervisor of a system booted from the same configuration. */
  restoreState(s: HypervisorState): void {
    const byName = new Map(this.vcpus.map((v) => [v.name, v]));
    const vcpu = (name: string | null) => (name === null ? undefined : byName.get(name));
    this.cores.forEach((core, i) => core.restoreState(s.cores[i]!, vcpu));
    this.vcpus.forEach((v, i) => (v.placement = this.core(s.placement[i]!).clock));
    this.started.clear();
    this.blocked.clear();
    for (const name of s.started) this.started.add(byName.get(name)!);
    for (const name of s.blocked) this.blocked.add(byName.get(name)!);
    this.stalled = s.stalled;
  }

  /** Virtual time: the largest core clock. */
  time(): number {
    return Math.max(0, ...this.cores.map((c) => c.now));
  }

  private recordStarts(): void {
    for (const vcpu of this.vcpus) {
      if (this.started.has(vcpu)) continue;
      this.started.add(vcpu);
      const ts = Math.max(vcpu.floor, vcpu.placement.now);
      this.recorder.record({ kind: 'guest-start', ts, core: vcpu.placement.index, guest: vcpu.name, pc: vcpu.pc() });
    }
  }

  private loop(until: number, exact: boolean): EndReason {
    for (;;) {
      for (const poll of this.pollers) poll();
      if (this.stopRequest) return this.stopRequest;
      const next = this.nextCore();
      if (!next) return this.vcpus.some((v) => v.alive) ? 'idle' : 'all-stopped';
      if (next.at >= until) return 'until-cycles';
      this.advance(next.core, next.at, exact ? until : Infinity);
    }
  }

  /**
   * The core that has work soonest: a runnable vCPU at its clock, or a device event (or the floor)
   * of one of its vCPUs later (it idles until then). A core with neither waits without a time
   * (another core may still post an event to it); when every core waits so, the run is over.
   */
  private nextCore(): { core: Core; at: number } | undefined {
    let best: { core: Core; at: number } | undefined;
    for (const core of this.cores) {
      const at = this.readyTime(core);
      if (at !== Infinity && (!best || at < best.at)) best = { core, at };
    }
    return best;
  }

  /** Fires the due events of `core`'s vCPUs, then tells when the earliest of them can run. */
  private readyTime(core: Core): number {
    const now = core.now;
    let at = Infinity;
    for (const vcpu of this.scheduler.queue(core.index)) {
      if (!vcpu.alive) continue;
      vcpu.fireDue(now);
      // Asked once: for a sleeping vCPU it means looking at its pending interrupts.
      const waiting = vcpu.waiting;
      this.noticeWake(vcpu, core, now, waiting);
      at = Math.min(at, this.earliestRun(vcpu, now, waiting));
    }
    return at;
  }

  /** A live vCPU runs from its floor on unless it waits, then from its next device event. */
  private earliestRun(vcpu: V, now: number, waiting: boolean): number {
    return waiting ? Math.max(now, vcpu.floor, vcpu.nextEventTime()) : Math.max(now, vcpu.floor);
  }

  private noticeWake(vcpu: V, core: Core, now: number, waiting: boolean): void {
    if (!this.blocked.has(vcpu) || waiting) return;
    this.blocked.delete(vcpu);
    this.signal({ kind: 'woke', vcpu, core: core.index, at: Math.max(now, vcpu.floor), reason: 'interrupt' });
  }

  private advance(core: Core, at: number, until: number): void {
    if (at > core.now) return core.idleUntil(Math.min(at, until));
    this.applyMigrations(this.scheduler.rebalance?.(core.index, core.now) ?? []);
    const vcpu = this.scheduler.pick(core.index, core.now);
    if (!vcpu) return core.idleUntil(Math.min(core.now + 1, until));
    core.switchTo(vcpu);
    const start = core.now;
    vcpu.fireDue(start);
    const { outcome, consumed } = vcpu.step(start, this.deadline(core, vcpu, until));
    core.clock.advance(consumed);
    this.checkProgress(consumed, outcome);
    this.signal({ kind: 'ran', vcpu, core: core.index, start, cycles: consumed });
    this.settle(core, vcpu, outcome);
  }

  private deadline(core: Core, running: V, until: number): number {
    const sliceEnd = this.scheduler.sliceEnd(core.index);
    if (this.runsAlone(core, running)) return Math.min(Math.max(sliceEnd, core.now + ALONE_RUN_CYCLES), until);
    let deadline = Math.min(sliceEnd, until);
    if (!this.scheduler.preemptsOnWake) return deadline;
    for (const other of this.scheduler.queue(core.index)) {
      if (other !== running && other.alive) deadline = Math.min(deadline, Math.max(this.wakeTime(other, core.now), core.now + 1));
    }
    return deadline;
  }

  /**
   * True when `running` is the only live vCPU of the only core and the policy decides nothing at
   * its slice ends (Scheduler.runsLonePastSlice; credit's caps, for one, do): then no slice end
   * can change what runs (there is no other core to keep in step or to move it to, and device
   * events split the run where they fall anyway), so its run goes on past the slice end, up to
   * ALONE_RUN_CYCLES. Each stop costs an exact finish and a trip through the loop.
   */
  private runsAlone(core: Core, running: V): boolean {
    if (this.cores.length !== 1 || this.scheduler.runsLonePastSlice !== true) return false;
    for (const other of this.scheduler.queue(core.index)) if (other !== running && other.alive) return false;
    return true;
  }

  /**
   * When `other`, queued on a core at `now`, may next become runnable: at its next device event,
   * or, when it arrived from a core ahead in time, at its floor (like a wake-up, it may preempt).
   */
  private wakeTime(other: V, now: number): number {
    const event = other.nextEventTime();
    if (other.floor <= now) return event;
    return other.waiting ? Math.max(other.floor, event) : other.floor;
  }

  private applyMigrations(moves: ReadonlyArray<Migration<V>>): void {
    for (const move of moves) if (move.vcpu.alive) this.migrate(move.vcpu, move.to);
  }

  private settle(core: Core, vcpu: V, outcome: StepOutcome): void {
    if (outcome.kind === 'halted') this.stopGuest(core, vcpu, { state: 'halted', exitCode: outcome.exitCode, fault: null, at: core.now }, `exit code ${outcome.exitCode}`);
    else if (outcome.kind === 'faulted') {
      const report = outcome.report;
      this.stopGuest(core, vcpu, { state: 'faulted', exitCode: null, fault: report, at: core.now }, `${report.kind}: ${report.description}`);
    } else if (outcome.kind === 'sleeping') {
      core.switchOut('waiting for interrupt');
      this.blocked.add(vcpu);
      this.signal({ kind: 'blocked', vcpu, core: core.index, at: core.now });
    }
  }

  private stopGuest(core: Core, vcpu: V, exit: VmExit, detail: string): void {
    vcpu.stop(exit);
    this.blocked.delete(vcpu);
    this.recorder.record({ kind: 'guest-stop', ts: exit.at, core: core.index, guest: vcpu.name, pc: vcpu.pc(), state: exit.state, detail });
    if (core.running === vcpu) core.switchOut(exit.state);
    this.signal({ kind: 'stopped', vcpu, at: exit.at });
  }

  private checkProgress(consumed: number, outcome: StepOutcome): void {
    this.stalled = consumed === 0 && outcome.kind === 'ran' ? this.stalled + 1 : 0;
    if (this.stalled > MAX_STALLED_STEPS) throw new InternalError('the run loop made no progress in 100000 steps');
  }

  private core(index: number): Core {
    const core = this.cores[index];
    if (!core) throw new InternalError(`no core ${index} (the system has ${this.cores.length})`);
    return core;
  }
}
