/**
 * The hypervisor: N guests, each a VM with its own address space and vCPU, on M emulated cores.
 * The run loop always advances the core with the smallest clock (so cores stay within a slice of
 * each other), lets the scheduler pick a vCPU, runs it until the earlier of its slice end, its
 * next device event and the end of the run, and charges what it used. A guest that halts or
 * faults stops alone; the others keep running.
 */
import type { StepOutcome } from '../arch/cpu.ts';
import { InternalError } from '../errors.ts';
import type { Scheduler } from '../sched/scheduler.ts';
import type { TraceRecorder } from '../trace/recorder.ts';
import { formatFaultReport } from '../arch/armv7m/fault-report.ts';
import { Core } from './core.ts';
import type { Vm } from './vm.ts';

export type EndReason = 'all-stopped' | 'idle' | 'until-cycles' | 'until-line';

export interface RunLimits {
  /** Stop when virtual time reaches this many cycles. */
  untilCycles?: number;
}

export interface RunResult {
  readonly reason: EndReason;
  /** Virtual time at the end: the largest core clock. */
  readonly cycles: number;
}

const MAX_STALLED_STEPS = 100_000;

export class Hypervisor {
  readonly cores: Core[];
  readonly vms: Vm[] = [];
  private stopRequest: EndReason | undefined;
  private stalled = 0;

  constructor(
    coreCount: number,
    readonly scheduler: Scheduler<Vm>,
    readonly recorder: TraceRecorder,
  ) {
    this.cores = Array.from({ length: coreCount }, (_, i) => new Core(i, recorder));
  }

  /** Adds a guest to `core`'s run queue. */
  addGuest(vm: Vm, core: number): void {
    this.vms.push(vm);
    this.scheduler.assign(vm, core);
  }

  coreOf(vm: Vm): number {
    return this.cores.findIndex((c) => this.scheduler.queue(c.index).includes(vm));
  }

  /** Ends the run at the next step boundary (e.g. a console line matched --until-line). */
  requestStop(reason: EndReason): void {
    this.stopRequest ??= reason;
    for (const core of this.cores) core.running?.cpu.requestStop();
  }

  run(limits: RunLimits = {}): RunResult {
    for (const vm of this.vms) {
      this.recorder.record({ kind: 'guest-start', ts: 0, core: this.coreOf(vm), guest: vm.name, pc: vm.cpu.pc() });
    }
    const reason = this.loop(limits.untilCycles ?? Infinity);
    for (const core of this.cores) core.switchOut('end of run');
    return { reason, cycles: Math.max(0, ...this.cores.map((c) => c.clock)) };
  }

  private loop(until: number): EndReason {
    for (;;) {
      if (this.stopRequest) return this.stopRequest;
      const next = this.nextCore();
      if (!next) return this.vms.some((vm) => vm.alive) ? 'idle' : 'all-stopped';
      if (next.at >= until) return 'until-cycles';
      this.advance(next.core, next.at, until);
    }
  }

  /**
   * The core that has work soonest: a runnable vCPU at its clock, or a device event of one of its
   * vCPUs later (it idles until then). A core with neither waits without a time (another core may
   * still post an event to it); when every core waits so, the run is over.
   */
  private nextCore(): { core: Core; at: number } | undefined {
    let best: { core: Core; at: number } | undefined;
    for (const core of this.cores) {
      if (core.finished) continue;
      const queue = this.scheduler.queue(core.index).filter((vm) => vm.alive);
      if (queue.length === 0) {
        core.finished = true;
        continue;
      }
      const at = this.readyTime(core, queue);
      if (at !== Infinity && (!best || at < best.at)) best = { core, at };
    }
    return best;
  }

  private readyTime(core: Core, queue: readonly Vm[]): number {
    if (queue.some((vm) => vm.runnable(core.clock))) return core.clock;
    return Math.max(core.clock, Math.min(...queue.map((vm) => vm.clock.nextEventTime())));
  }

  private advance(core: Core, at: number, until: number): void {
    if (at > core.clock) return core.idleUntil(Math.min(at, until));
    const vm = this.scheduler.pick(core.index, core.clock);
    if (!vm) return core.idleUntil(Math.min(core.clock + 1, until));
    core.switchTo(vm);
    const deadline = Math.min(this.scheduler.sliceEnd(core.index), until);
    const { outcome, consumed } = vm.step(core.clock, deadline);
    core.clock += consumed;
    this.checkProgress(consumed, outcome);
    this.settle(core, vm, outcome);
  }

  private settle(core: Core, vm: Vm, outcome: StepOutcome): void {
    if (outcome.kind === 'halted') this.stopGuest(core, vm, 'halted', outcome.exitCode, null, `exit code ${outcome.exitCode}`);
    else if (outcome.kind === 'faulted') {
      this.stopGuest(core, vm, 'faulted', null, outcome.report, `${outcome.report.kind}: ${outcome.report.description}`);
    } else if (outcome.kind === 'sleeping') core.switchOut('waiting for interrupt');
  }

  private stopGuest(core: Core, vm: Vm, state: 'halted' | 'faulted', exitCode: number | null, report: Vm['fault'], detail: string): void {
    vm.stop(state, exitCode, report);
    if (report) vm.announce(formatFaultReport(report));
    this.recorder.record({ kind: 'guest-stop', ts: core.clock, core: core.index, guest: vm.name, pc: vm.cpu.pc(), state, detail });
    core.switchOut(state);
  }

  private checkProgress(consumed: number, outcome: StepOutcome): void {
    this.stalled = consumed === 0 && outcome.kind === 'ran' ? this.stalled + 1 : 0;
    if (this.stalled > MAX_STALLED_STEPS) throw new InternalError('the run loop made no progress in 100000 steps');
  }
}
