/**
 * One emulated physical core: its clock, the vCPU loaded on it, and the trace of what it did
 * (vCPU residency, switches, idle time). Switch observers learn of every world switch (the I/O
 * system counts the ones into the driver VM).
 */
import { type CostTable, vcpuSwitchCycles } from '../time/cost-model.ts';
import { CoreClock } from '../time/core-clock.ts';
import type { TraceRecorder } from '../trace/recorder.ts';
import type { LoopVcpu } from './vcpu.ts';

/** A core between steps (a checkpoint): its time, who runs, whose context is loaded. */
export interface CoreState {
  readonly now: number;
  readonly running: string | null;
  readonly loaded: string | null;
  readonly residencyStart: number;
}

export type SwitchObserver = (core: number, from: LoopVcpu | undefined, to: LoopVcpu) => void;

export class Core {
  readonly clock: CoreClock;
  /** The vCPU running now (undefined while idle). */
  running: LoopVcpu | undefined;
  /** The vCPU whose context is loaded (stays set across idle periods). */
  private loaded: LoopVcpu | undefined;
  private residencyStart = 0;

  constructor(
    readonly index: number,
    private readonly recorder: TraceRecorder,
    private readonly costs: CostTable,
    private readonly observers: readonly SwitchObserver[],
  ) {
    this.clock = new CoreClock(index);
  }

  get now(): number {
    return this.clock.now;
  }

  saveState(): CoreState {
    return { now: this.now, running: this.running?.name ?? null, loaded: this.loaded?.name ?? null, residencyStart: this.residencyStart };
  }

  /** Puts back a saved state; `vcpu` finds a vCPU by name. */
  restoreState(s: CoreState, vcpu: (name: string | null) => LoopVcpu | undefined): void {
    this.clock.restore(s.now);
    this.running = vcpu(s.running);
    this.loaded = vcpu(s.loaded);
    this.residencyStart = s.residencyStart;
  }

  /** Makes `vcpu` the running vCPU, charging a context switch if another one was loaded. */
  switchTo(vcpu: LoopVcpu): void {
    if (this.running === vcpu) return;
    if (this.running) this.switchOut('preempted');
    if (this.loaded !== vcpu) {
      const cost = vcpuSwitchCycles(this.costs);
      this.recorder.measure('vcpu-switch', cost);
      this.recorder.record({ kind: 'vcpu-switch', ts: this.now, dur: cost, core: this.index, from: this.loaded?.name ?? null, to: vcpu.name });
      this.clock.advance(cost);
      vcpu.account(cost);
      for (const observe of this.observers) observe(this.index, this.loaded, vcpu);
    }
    this.running = vcpu;
    this.loaded = vcpu;
    this.recorder.record({ kind: 'vcpu-switch-in', ts: this.now, core: this.index, guest: vcpu.name, pc: vcpu.pc() });
    this.residencyStart = this.now;
  }

  /** The running vCPU leaves the core (its context stays loaded until another one comes). */
  switchOut(reason: string): void {
    const vcpu = this.running;
    if (!vcpu) return;
    this.recorder.measure('vcpu-run', this.now - this.residencyStart);
    this.recorder.record({ kind: 'vcpu-switch-out', ts: this.now, core: this.index, guest: vcpu.name, pc: vcpu.pc(), reason });
    this.running = undefined;
  }

  /** `vcpu` left this core for another: its context is no longer here. */
  unload(vcpu: LoopVcpu): void {
    if (this.running === vcpu) this.switchOut('migrated');
    if (this.loaded === vcpu) this.loaded = undefined;
  }

  /** Idles until `until` (a vCPU event or the end of the run). */
  idleUntil(until: number): void {
    this.switchOut('idle');
    const from = this.now;
    const idled = this.clock.advanceTo(until);
    if (idled === 0) return;
    this.recorder.measure('idle', idled);
    this.recorder.record({ kind: 'idle', ts: from, dur: idled, core: this.index });
  }
}
