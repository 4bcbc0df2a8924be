/**
 * The modelled slave: instead of emulating its workloads it replays their profiles (CPU use per
 * window of a run alone, measured from a real run), so the same master and policies can be run
 * with thousands of slaves. Its cores are shared as a fluid: in each interval every workload wants
 * the CPU share of its profile's current window; when the wants exceed the cores, each gets the
 * same fraction f of its want, and its run stretches to the time its slowed CPU part needs plus
 * its unchanged waiting part:
 *
 *   progress per cycle = 1 / (want / f + (1 − want))      (solo cycles of its profile)
 *
 * Intervals end at the quantum's end or where a workload crosses a window or finishes. Floating
 * point throughout, in one fixed order, so the same inputs give the same numbers on every host;
 * what it reports is rounded to whole cycles. Console output is not modelled (empty).
 */
import type { Finished, InitBody, Profile, ReportBody, SlaveBody, StepBody, WorkloadStart } from '../messages.ts';
import type { SlaveNode } from './slave-node.ts';

interface Live {
  readonly start: WorkloadStart;
  readonly profile: Profile;
  readonly startedAt: number;
  /** Position in the profile (solo cycles). */
  pos: number;
  /** CPU cycles used. */
  cycles: number;
  cyclesBefore: number;
}

/** Below this many cycles two times are the same (float rounding). */
const EPSILON = 1e-6;

export class ModelSlave implements SlaveNode {
  private cores = 1;
  private name = '';
  private live: Live[] = [];
  private busyTotal = 0;
  /** CPU cycles of the workloads that finished in this quantum, used in it. */
  private finishedBusy = 0;
  private started = 0;
  private failed = false;

  async init(body: InitBody): Promise<SlaveBody> {
    const s = body.slave;
    this.cores = s.cores;
    this.name = s.name;
    return { kind: 'ready', capacity: { cores: s.cores, memory: s.memory, vcpus: s.cores * s.vcpusPerCore } };
  }

  step(body: StepBody): ReportBody {
    const finished: Finished[] = [];
    if (body.fail && !this.failed) {
      this.failed = true;
      for (const w of this.live) finished.push(result(w, 'failed', null, 'node failure', body.from));
      this.live = [];
    }
    if (this.failed) return { kind: 'report', time: body.to, busy: 0, running: [], finished };
    for (const start of body.start) {
      this.started += 1;
      if (start.profile) this.live.push({ start, profile: start.profile, startedAt: body.from, pos: 0, cycles: 0, cyclesBefore: 0 });
      else finished.push({ name: start.name, attempt: start.attempt, state: 'faulted', exitCode: null, detail: 'cannot model: no profile', start: body.from, end: body.from, cycles: 0, instructions: 0, console: [] });
    }
    this.simulate(body.from, body.to, finished);
    return this.report(body.to, finished);
  }

  finish(): SlaveBody {
    return { kind: 'final', stats: { generator: 'hvlab-model', slave: this.name, cores: this.cores, workloads: this.started, busy: Math.round(this.busyTotal) } };
  }

  close(): void {}

  private simulate(from: number, to: number, finished: Finished[]): void {
    let t = from;
    while (t < to - EPSILON && this.live.length > 0) {
      const wants = this.live.map((w) => want(w));
      const total = wants.reduce((a, b) => a + b, 0);
      const share = total > this.cores ? this.cores / total : 1;
      const speeds = wants.map((x) => 1 / (x / share + (1 - x)));
      let dt = to - t;
      this.live.forEach((w, i) => (dt = Math.min(dt, (windowEnd(w) - w.pos) / speeds[i]!)));
      this.live.forEach((w, i) => {
        w.pos += speeds[i]! * dt;
        w.cycles += speeds[i]! * dt * wants[i]!;
      });
      t += dt;
      this.live = this.live.filter((w) => {
        if (w.pos < w.profile.length - EPSILON) return true;
        this.finishedBusy += Math.round(w.cycles) - w.cyclesBefore;
        finished.push(result(w, w.profile.state, w.profile.exitCode, `${w.profile.state} (modelled)`, Math.round(t)));
        return false;
      });
    }
  }

  private report(time: number, finished: Finished[]): ReportBody {
    let busy = this.finishedBusy;
    this.finishedBusy = 0;
    const running = this.live.map((w) => {
      const cycles = Math.round(w.cycles);
      busy += cycles - w.cyclesBefore;
      w.cyclesBefore = cycles;
      return { name: w.start.name, cycles };
    });
    this.busyTotal += busy;
    return { kind: 'report', time, busy, running, finished };
  }
}

/** CPU share its profile wants at its position (0..1). */
function want(w: Live): number {
  const { window, busy } = w.profile;
  const index = Math.min(Math.floor(w.pos / window + EPSILON), busy.length - 1);
  const span = Math.min(window, w.profile.length - index * window);
  return span > 0 ? Math.min(1, busy[index]! / span) : 0;
}

/** Where its current window (or the profile) ends, in solo cycles. */
function windowEnd(w: Live): number {
  const { window, length } = w.profile;
  const index = Math.floor(w.pos / window + EPSILON);
  return Math.min(length, (index + 1) * window);
}

function result(w: Live, state: Finished['state'], exitCode: number | null, detail: string, end: number): Finished {
  const cycles = Math.round(w.cycles);
  return { name: w.start.name, attempt: w.start.attempt, state, exitCode, detail, start: w.startedAt, end, cycles, instructions: cycles, console: [] };
}
