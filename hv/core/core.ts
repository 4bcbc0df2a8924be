/**
 * One emulated physical core: its cycle clock, the vCPU loaded on it, and the trace of what it
 * did (vCPU residency, switches, idle time).
 */
import { vcpuSwitchCycles } from '../time/cost-model.ts';
import type { TraceRecorder } from '../trace/recorder.ts';
import type { Vm } from './vm.ts';

export class Core {
  clock = 0;
  /** The vCPU running now (undefined while idle). */
  running: Vm | undefined;
  /** The vCPU whose context is loaded (stays set across idle periods). */
  private loaded: Vm | undefined;
  /** Nothing on this core can ever run again. */
  finished = false;
  /** Told of every vCPU switch on this core (the I/O system counts world switches). */
  onSwitch: ((from: Vm | undefined, to: Vm) => void) | undefined;

  constructor(
    readonly index: number,
    private readonly recorder: TraceRecorder,
  ) {}

  /** Makes `vm` the running vCPU, charging a context switch if another one was loaded. */
  switchTo(vm: Vm): void {
    if (this.running === vm) return;
    if (this.running) this.switchOut('preempted');
    if (this.loaded !== vm) {
      const cost = vcpuSwitchCycles(vm.costs);
      this.recorder.measure('vcpu-switch', cost);
      this.recorder.record({ kind: 'vcpu-switch', ts: this.clock, dur: cost, core: this.index, from: this.loaded?.name ?? null, to: vm.name });
      this.clock += cost;
      vm.stats.cycles += cost;
      this.onSwitch?.(this.loaded, vm);
    }
    this.running = vm;
    this.loaded = vm;
    this.recorder.record({ kind: 'vcpu-switch-in', ts: this.clock, core: this.index, guest: vm.name, pc: vm.cpu.pc() });
    this.residencyStart = this.clock;
  }

  /** The running vCPU leaves the core (its context stays loaded until another one comes). */
  switchOut(reason: string): void {
    const vm = this.running;
    if (!vm) return;
    this.recorder.measure('vcpu-run', this.clock - this.residencyStart);
    this.recorder.record({ kind: 'vcpu-switch-out', ts: this.clock, core: this.index, guest: vm.name, pc: vm.cpu.pc(), reason });
    this.running = undefined;
  }

  /** Idles until `until` (a vCPU event or the end of the run). */
  idleUntil(until: number): void {
    this.switchOut('idle');
    if (until <= this.clock) return;
    this.recorder.measure('idle', until - this.clock);
    this.recorder.record({ kind: 'idle', ts: this.clock, dur: until - this.clock, core: this.index });
    this.clock = until;
  }

  private residencyStart = 0;
}
