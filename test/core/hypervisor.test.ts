/**
 * The run loop with fake vCPUs (no engine): time order across cores, slices, idling until an
 * event, resuming a run, stop requests, migration (cost, trace event, monotonic clocks), the
 * scheduler's signals and rebalancing, and wake-up preemption.
 */
import { describe, expect, it } from 'vitest';
import type { StepOutcome } from '../../hv/arch/cpu.ts';
import { Hypervisor } from '../../hv/core/hypervisor.ts';
import type { LoopVcpu, StepResult, VmExit } from '../../hv/core/vcpu.ts';
import { RoundRobinScheduler } from '../../hv/sched/round-robin.ts';
import type { Migration, SchedSignal } from '../../hv/sched/scheduler.ts';
import { CoreClock } from '../../hv/time/core-clock.ts';
import { defaultCosts, vcpuSwitchCycles } from '../../hv/time/cost-model.ts';
import type { TraceEvent } from '../../hv/trace/events.ts';
import { TraceRecorder } from '../../hv/trace/recorder.ts';

const COSTS = defaultCosts();
const SWITCH = vcpuSwitchCycles(COSTS);
const MIGRATE = COSTS.vcpuMigrate.cycles;

interface StepLog {
  vcpu: string;
  core: number;
  start: number;
  deadline: number;
  consumed: number;
}

/**
 * A vCPU that runs `work` cycles in total, then halts; `sleepAt` makes it wait for an interrupt
 * once it has run that many cycles, until the next of its `wakeAt` events fires.
 */
class FakeVcpu implements LoopVcpu {
  placement = new CoreClock(-1);
  floor = 0;
  ran = 0;
  sleeping = false;
  private woken = false;
  exit: VmExit | undefined;

  constructor(
    readonly name: string,
    readonly log: StepLog[],
    private work = Infinity,
    private readonly sleepAt: number[] = [],
    private readonly wakeAt: number[] = [],
  ) {}

  get alive(): boolean {
    return this.exit === undefined;
  }

  get waiting(): boolean {
    return this.sleeping && !this.woken;
  }

  runnable(now: number): boolean {
    return this.alive && now >= this.floor && !this.waiting;
  }

  nextEventTime(): number {
    return this.wakeAt[0] ?? Infinity;
  }

  fireDue(now: number): void {
    while (this.wakeAt.length > 0 && this.wakeAt[0]! <= now) {
      this.wakeAt.shift();
      if (this.sleeping) this.woken = true;
    }
  }

  step(start: number, deadline: number): StepResult {
    if (this.sleeping && this.woken) this.sleeping = this.woken = false;
    const untilSleep = this.sleepAt.length > 0 ? this.sleepAt[0]! - this.ran : Infinity;
    const consumed = Math.max(0, Math.min(deadline - start, this.work - this.ran, untilSleep));
    this.ran += consumed;
    this.log.push({ vcpu: this.name, core: this.placement.index, start, deadline, consumed });
    return { outcome: this.outcome(), consumed, instructions: consumed };
  }

  private outcome(): StepOutcome {
    if (this.ran >= this.work) return { kind: 'halted', exitCode: 0 };
    if (this.sleepAt[0] === this.ran) {
      this.sleepAt.shift();
      this.sleeping = true;
      return { kind: 'sleeping' };
    }
    return { kind: 'ran' };
  }

  account(): void {}

  stop(exit: VmExit): void {
    this.exit = exit;
  }

  requestStop(): void {}

  pc(): number {
    return 0;
  }
}

/** Round-robin that also records signals and can be told to migrate. */
class RecordingScheduler extends RoundRobinScheduler<FakeVcpu> {
  readonly signals: Array<SchedSignal<FakeVcpu>> = [];
  pending: Array<Migration<FakeVcpu>> = [];
  preemptsOnWake = false;

  observe(signal: SchedSignal<FakeVcpu>): void {
    this.signals.push(signal);
  }

  rebalance(): ReadonlyArray<Migration<FakeVcpu>> {
    return this.pending.splice(0);
  }
}

function rig(cores: number, slice = 1000) {
  const recorder = new TraceRecorder(true);
  const scheduler = new RecordingScheduler(slice);
  const hv = new Hypervisor<FakeVcpu>(scheduler, { cores, costs: COSTS, recorder });
  const log: StepLog[] = [];
  const add = (name: string, core: number, work = Infinity, sleepAt: number[] = [], wakeAt: number[] = []) => {
    const v = new FakeVcpu(name, log, work, sleepAt, wakeAt);
    hv.addGuest(v, core);
    return v;
  };
  const events = <K extends TraceEvent['kind']>(kind: K) => recorder.events.filter((e): e is Extract<TraceEvent, { kind: K }> => e.kind === kind);
  return { hv, scheduler, log, add, recorder, events };
}

describe('the run loop', () => {
  it('always advances the core with the smallest clock, so steps start in time order', () => {
    const { hv, log, add } = rig(2, 1000);
    add('a', 0, 5000);
    add('b', 1, 3000);
    expect(hv.run().reason).toBe('all-stopped');
    const starts = log.map((s) => s.start);
    expect(starts).toEqual([...starts].sort((x, y) => x - y));
    expect(log.filter((s) => s.vcpu === 'a').reduce((t, s) => t + s.consumed, 0)).toBe(5000);
    expect(hv.cores.map((c) => c.now)).toEqual([SWITCH + 5000, SWITCH + 3000]);
  });

  it('gives each vCPU of a core its slice in turn, paying a switch when another one was loaded', () => {
    const { hv, log, add } = rig(1, 1000);
    add('a', 0, 2000);
    add('b', 0, 2000);
    hv.run();
    // The slice starts at the pick, so the switch is part of it; each step ends at its slice end.
    expect(log.map((s) => s.vcpu)).toEqual(['a', 'b', 'a', 'b', 'a', 'b']);
    log.forEach((s, i) => {
      const sliceStart = i === 0 ? 0 : log[i - 1]!.start + log[i - 1]!.consumed;
      expect(s.start).toBe(sliceStart + SWITCH);
      if (i < 4) expect(s.start + s.consumed).toBe(sliceStart + 1000);
    });
    expect(log.filter((s) => s.vcpu === 'a').reduce((t, s) => t + s.consumed, 0)).toBe(2000);
  });

  it('lets a vCPU alone on the only core run past its slice ends, 2^20 cycles a step or up to the end of the run', () => {
    const { hv, log, add } = rig(1, 1000);
    add('a', 0, 3_000_000, [], [5000]);
    hv.run({ untilCycles: 2_000_000 });
    // Each step runs on for 2^20 cycles (not 1000; the vCPU's own events split its steps), then up to the end of the run.
    expect(log.map((s) => s.deadline)).toEqual([SWITCH + (1 << 20), 2_000_000]);
  });

  it('keeps the slice when the only core has another live vCPU, or there are two cores', () => {
    const two = rig(1, 1000);
    two.add('a', 0, 3000);
    two.add('b', 0, 3000);
    two.hv.run();
    // Until 'a' halts; then 'b' is alone and runs on.
    const last = two.log.at(-1)!;
    expect(two.log.length).toBeGreaterThan(4);
    expect(two.log.slice(0, -1).every((s) => s.deadline - s.start <= 1000)).toBe(true);
    expect([last.vcpu, last.deadline - last.start]).toEqual(['b', 1 << 20]);
    const cores = rig(2, 1000);
    cores.add('a', 0, 3000);
    cores.hv.run();
    expect(cores.log.map((s) => s.consumed)).toEqual([1000 - SWITCH, 1000, 1000, SWITCH]);
  });

  it('keeps the slice of a lone vCPU when the policy decides something at slice ends (credit caps)', () => {
    const { hv, scheduler, log, add } = rig(1, 1000);
    Object.defineProperty(scheduler, 'runsLonePastSlice', { value: false });
    add('a', 0, 3000);
    hv.run();
    expect(log.map((s) => s.consumed)).toEqual([1000 - SWITCH, 1000, 1000, SWITCH]);
  });

  it('idles a core until the device event that wakes its sleeping vCPU, and reports the wake-up', () => {
    const { hv, scheduler, add, events } = rig(1);
    const a = add('a', 0, 1000, [100], [5000]);
    hv.run();
    expect(a.exit?.state).toBe('halted');
    const idle = events('idle');
    expect(idle).toEqual([{ kind: 'idle', ts: SWITCH + 100, dur: 5000 - SWITCH - 100, core: 0 }]);
    const kinds = scheduler.signals.map((s) => `${s.kind}@${'at' in s ? s.at : s.start}`);
    expect(kinds).toEqual([`ran@${SWITCH}`, `blocked@${SWITCH + 100}`, 'woke@5000', 'ran@5000', 'stopped@5900']);
  });

  it("ends with 'idle' when live vCPUs wait for nothing, and with 'all-stopped' when all have stopped", () => {
    const one = rig(1);
    one.add('sleeper', 0, Infinity, [10]);
    expect(one.hv.run().reason).toBe('idle');
    const two = rig(1);
    two.add('done', 0, 10);
    expect(two.hv.run().reason).toBe('all-stopped');
  });

  it('resumes where it stopped: two runs give the steps of one, and guest-start is recorded once', () => {
    const whole = rig(2, 700);
    whole.add('a', 0);
    whole.add('b', 1);
    whole.add('c', 1);
    whole.hv.run({ untilCycles: 6000 });
    const split = rig(2, 700);
    split.add('a', 0);
    split.add('b', 1);
    split.add('c', 1);
    expect(split.hv.run({ untilCycles: 2500 }).reason).toBe('until-cycles');
    expect(split.hv.run({ untilCycles: 6000 })).toEqual({ reason: 'until-cycles', cycles: split.hv.time() });
    // A step cut at the first limit continues as a second step of the same vCPU on the same core.
    const merged = (log: StepLog[]) => {
      const out: Array<[string, number, number, number]> = [];
      for (const s of log) {
        const last = [...out].reverse().find((o) => o[1] === s.core);
        if (last && last[0] === s.vcpu && last[2] + last[3] === s.start) last[3] += s.consumed;
        else out.push([s.vcpu, s.core, s.start, s.consumed]);
      }
      return out.sort((x, y) => x[2] - y[2] || x[1] - y[1]);
    };
    expect(split.log.length).toBeGreaterThan(whole.log.length);
    expect(merged(split.log)).toEqual(merged(whole.log));
    expect(split.events('guest-start').map((e) => e.guest)).toEqual(['a', 'b', 'c']);
  });

  it('honours a stop request at the next step boundary and clears it for the next run', () => {
    const { hv, add, log } = rig(1);
    add('a', 0);
    hv.requestStop('until-line');
    expect(hv.run({ untilCycles: 10_000 }).reason).toBe('until-cycles');
    const steps = log.length;
    expect(steps).toBeGreaterThan(0);
    hv.requestStop('until-line');
    // A stop request made during a run ends that run (the CLI's --until-line).
    const stopping = rig(1);
    const v = stopping.add('a', 0);
    stopping.add('b', 0); // so that 'a' is not alone, which would run up to the end in one step
    let calls = 0;
    const step = v.step.bind(v);
    v.step = (start, deadline) => {
      if (++calls === 2) stopping.hv.requestStop('until-line');
      return step(start, deadline);
    };
    expect(stopping.hv.run({ untilCycles: 100_000 }).reason).toBe('until-line');
    expect(calls).toBe(2);
    expect(stopping.hv.run({ untilCycles: 100_000 }).reason).toBe('until-cycles');
  });

  it('never latches a core as finished: a core whose vCPUs stopped runs a vCPU that migrates to it', () => {
    const { hv, add, log } = rig(2);
    add('short', 1, 500);
    const b = add('b', 0, 3000);
    hv.run({ untilCycles: 1500 });
    expect(log.filter((s) => s.core === 1).map((s) => s.vcpu)).toEqual(['short']);
    hv.migrate(b, 1);
    hv.run();
    expect(log.filter((s) => s.core === 1).map((s) => s.vcpu)).toContain('b');
    expect(b.exit?.state).toBe('halted');
  });
});

describe('migration', () => {
  it('moves the vCPU to the new queue, charges the source core, records vcpu-migrate, and keeps the vCPU out of its past', () => {
    const { hv, scheduler, add, log, events } = rig(2, 1000);
    const a = add('a', 0, 20_000);
    add('filler', 0, 20_000);
    add('late', 1, 500);
    hv.run({ untilCycles: 8000 });
    const from = hv.cores[0]!.now;
    expect(from).toBeGreaterThan(hv.cores[1]!.now);
    hv.migrate(a, 1);
    expect(scheduler.queue(1)).toContain(a);
    expect(scheduler.queue(0)).not.toContain(a);
    expect(hv.coreOf(a)).toBe(1);
    expect(a.floor).toBe(from + MIGRATE);
    expect(hv.cores[0]!.now).toBe(from + MIGRATE);
    expect(events('vcpu-migrate')).toEqual([{ kind: 'vcpu-migrate', ts: from, dur: MIGRATE, core: 0, guest: 'a', from: 0, to: 1 }]);
    const before = log.length;
    hv.run({ untilCycles: 30_000 });
    const first = log.slice(before).find((s) => s.vcpu === 'a')!;
    expect(first.core).toBe(1);
    expect(first.start).toBeGreaterThanOrEqual(from + MIGRATE);
  });

  it('costs a vCPU switch when the vCPU comes back to a core it left (its context went with it)', () => {
    const { hv, add, events } = rig(2, 1000);
    const a = add('a', 0, 10_000);
    hv.run({ untilCycles: 500 });
    hv.migrate(a, 1);
    hv.run({ untilCycles: 3000 });
    hv.migrate(a, 0);
    hv.run();
    expect(events('vcpu-switch').map((e) => `${e.core}:${e.to}`)).toEqual(['0:a', '1:a', '0:a']);
  });

  it('carries out the migrations a policy asks for before it picks', () => {
    const { hv, scheduler, add, log } = rig(2, 1000);
    const a = add('a', 0, 4000);
    add('b', 1, 4000);
    hv.run({ untilCycles: 1500 });
    scheduler.pending.push({ vcpu: a, to: 1 });
    hv.run();
    const after = log.filter((s) => s.vcpu === 'a' && s.start >= 1500);
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((s) => s.core === 1)).toBe(true);
  });

  it('ignores a migration to the core the vCPU is already on', () => {
    const { hv, add, events } = rig(2);
    const a = add('a', 0, 100);
    hv.migrate(a, 0);
    expect(events('vcpu-migrate')).toEqual([]);
    expect(hv.coreOf(a)).toBe(0);
  });
});

describe('wake-up preemption', () => {
  it('without it, a vCPU woken by an event waits for the running one to use its slice', () => {
    const { hv, add, log } = rig(1, 10_000);
    add('io', 0, 50, [10], [2000]);
    add('busy', 0);
    hv.run({ untilCycles: 30_000 });
    const woken = log.filter((s) => s.vcpu === 'io')[1]!;
    expect(woken.start).toBeGreaterThan(10_000);
  });

  it('with it, the step of the running vCPU ends at the other vCPU\'s event, so a policy can switch there', () => {
    const { hv, scheduler, add, log } = rig(1, 10_000);
    scheduler.preemptsOnWake = true;
    add('io', 0, 50, [10], [2000]);
    add('busy', 0);
    hv.run({ untilCycles: 30_000 });
    const busySteps = log.filter((s) => s.vcpu === 'busy');
    expect(busySteps.some((s) => s.start + s.consumed === 2000)).toBe(true);
  });
});
