/**
 * The run loop with fake vCPUs: under a policy that preempts on wake, a step ends when another
 * vCPU queued on the core can first run: at its next device event, or at its floor when it
 * arrived from a core ahead in time (so a vCPU moved in by a policy can preempt at once).
 */
import { describe, expect, it } from 'vitest';
import type { StepOutcome } from '../../hv/arch/cpu.ts';
import { Hypervisor } from '../../hv/core/hypervisor.ts';
import type { LoopVcpu, StepResult, VmExit } from '../../hv/core/vcpu.ts';
import { RoundRobinScheduler } from '../../hv/sched/round-robin.ts';
import { CoreClock } from '../../hv/time/core-clock.ts';
import { defaultCosts } from '../../hv/time/cost-model.ts';
import { TraceRecorder } from '../../hv/trace/recorder.ts';

/** Runs until each step's deadline; can wait for an interrupt until `wakeAt` (its one device event). */
class FakeLoopVcpu implements LoopVcpu {
  placement = new CoreClock(-1);
  floor = 0;
  alive = true;
  waiting = false;
  wakeAt = Infinity;
  readonly steps: Array<[number, number]> = [];

  constructor(readonly name: string) {}

  runnable(now: number): boolean {
    return this.alive && now >= this.floor && !this.waiting;
  }
  nextEventTime(): number {
    return this.wakeAt;
  }
  fireDue(now: number): void {
    if (now >= this.wakeAt) {
      this.waiting = false;
      this.wakeAt = Infinity;
    }
  }
  step(start: number, deadline: number): StepResult {
    this.steps.push([start, deadline]);
    const outcome: StepOutcome = { kind: 'ran' };
    return { outcome, consumed: deadline - start, instructions: deadline - start };
  }
  account(): void {}
  stop(_exit: VmExit): void {
    this.alive = false;
  }
  requestStop(): void {}
  pc(): number {
    return 0;
  }
}

const SWITCH = 114; // vcpuSwitchCycles of the default cost table

function loop(preemptsOnWake: boolean) {
  const scheduler = Object.assign(new RoundRobinScheduler<FakeLoopVcpu>(10_000), { preemptsOnWake });
  const hv = new Hypervisor<FakeLoopVcpu>(scheduler, { cores: 1, costs: defaultCosts(), recorder: new TraceRecorder(false) });
  const running = new FakeLoopVcpu('running');
  const arriving = new FakeLoopVcpu('arriving');
  hv.addGuest(running, 0);
  hv.addGuest(arriving, 0);
  return { hv, running, arriving };
}

describe('Hypervisor step deadlines under a policy that preempts on wake', () => {
  it('ends the running step at the floor of a vCPU that arrived from a core ahead in time', () => {
    const { hv, running, arriving } = loop(true);
    arriving.floor = 5000;
    hv.run({ untilCycles: 8000 });
    expect(running.steps[0]).toEqual([SWITCH, 5000]);
  });

  it('for a waiting vCPU with a floor ahead, ends the step when both its floor and its event are reached', () => {
    const { hv, running, arriving } = loop(true);
    arriving.floor = 5000;
    arriving.waiting = true;
    arriving.wakeAt = 6000;
    hv.run({ untilCycles: 8000 });
    expect(running.steps[0]).toEqual([SWITCH, 6000]);
  });

  it('ends it at the next device event of a vCPU already here, as before', () => {
    const { hv, running, arriving } = loop(true);
    arriving.waiting = true;
    arriving.wakeAt = 3000;
    hv.run({ untilCycles: 8000 });
    expect(running.steps[0]).toEqual([SWITCH, 3000]);
  });

  it('does not cut steps for a policy that does not preempt on wake', () => {
    const { hv, running, arriving } = loop(false);
    arriving.floor = 5000;
    hv.run({ untilCycles: 8000 });
    expect(running.steps[0]).toEqual([SWITCH, 8000]);
  });
});
