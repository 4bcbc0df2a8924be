/**
 * The modelled slave: instead of emulating its workloads it replays their profiles (CPU use per
 * window of a run alone, measured from a real run), so the same master and policies can be run
 * with thousands of slaves. Its cores are shared as a fluid: in each interval every workload wants
 * the CPU share of its profile's current window; when the wants exceed the cores, each gets the
 * same fraction f of its want, and its run stretches to the time its slowed CPU part needs plus
 * its unchanged waiting part:
 *
 *   progress per cycle = 1 / (want / f + (1 − want))      (solo cycles of its profile)
 *   CPU used per cycle = want · progress per cycle
 *
 * f is the largest fraction at which the CPU used by all fits the cores (found by bisection: a
 * workload that waits part of the time uses more than f · want, so f = cores / Σ want would
 * overcommit the cores).
 *
 * Intervals end at the quantum's end or where a workload crosses a window or finishes. Floating
 * point throughout, in one fixed order, so the same inputs give the same numbers on every host;
 * what it reports is rounded to whole cycles. Console output is not modelled (empty), nor is
 * contention for the disk: a workload's disk time (reported as I/O pressure) follows its profile.
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
  /** Disk time of its requests. */
  io: number;
  ioBefore: number;
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
  /** Scratch for the interval's wants and progress rates (the simulation's inner loop allocates nothing). */
  private wants = new Float64Array(16);
  private speeds = new Float64Array(16);
  private finishedIo = 0;
  private started = 0;
  private failed = false;

  async init(body: InitBody): Promise<SlaveBody> {
    const s = body.slave;
    this.cores = s.cores;
    this.name = s.name;
    return { kind: 'ready', capacity: { cores: s.cores, memory: s.memory, vcpus: s.cores * s.vcpusPerCore, io: s.ioLanes } };
  }

  step(body: StepBody): ReportBody {
    const finished: Finished[] = [];
    if (body.fail && !this.failed) {
      this.failed = true;
      for (const w of this.live) finished.push(result(w, 'failed', null, 'node failure', body.from));
      this.live = [];
    }
    if (this.failed) return { kind: 'report', time: body.to, busy: 0, ioBusy: 0, running: [], finished };
    for (const start of body.start) {
      this.started += 1;
      if (start.profile) this.live.push({ start, profile: start.profile, startedAt: body.from, pos: 0, cycles: 0, cyclesBefore: 0, io: 0, ioBefore: 0 });
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
      const n = this.live.length;
      if (this.wants.length < n) this.grow(n);
      const { wants, speeds } = this;
      for (let i = 0; i < n; i++) wants[i] = want(this.live[i]!, this.live[i]!.profile.busy);
      const share = fairShare(wants, n, this.cores);
      let dt = to - t;
      for (let i = 0; i < n; i++) {
        speeds[i] = 1 / (wants[i]! / share + (1 - wants[i]!));
        dt = Math.min(dt, (windowEnd(this.live[i]!) - this.live[i]!.pos) / speeds[i]!);
      }
      for (let i = 0; i < n; i++) {
        const w = this.live[i]!;
        const solo = speeds[i]! * dt;
        w.io += solo * want(w, w.profile.io);
        w.pos += solo;
        w.cycles += solo * wants[i]!;
      }
      t += dt;
      if (this.live.some((w) => w.pos >= w.profile.length - EPSILON)) this.retire(t, finished);
    }
  }

  /** Takes the workloads that reached the end of their profile out, in their order. */
  private retire(t: number, finished: Finished[]): void {
    this.live = this.live.filter((w) => {
      if (w.pos < w.profile.length - EPSILON) return true;
      this.finishedBusy += Math.round(w.cycles) - w.cyclesBefore;
      this.finishedIo += Math.round(w.io) - w.ioBefore;
      finished.push(result(w, w.profile.state, w.profile.exitCode, `${w.profile.state} (modelled)`, Math.round(t)));
      return false;
    });
  }

  private grow(n: number): void {
    this.wants = new Float64Array(2 * n);
    this.speeds = new Float64Array(2 * n);
  }

  private report(time: number, finished: Finished[]): ReportBody {
    let busy = this.finishedBusy;
    let ioBusy = this.finishedIo;
    this.finishedBusy = 0;
    this.finishedIo = 0;
    const running = this.live.map((w) => {
      const cycles = Math.round(w.cycles);
      const io = Math.round(w.io);
      busy += cycles - w.cyclesBefore;
      ioBusy += io - w.ioBefore;
      w.cyclesBefore = cycles;
      w.ioBefore = io;
      return { name: w.start.name, cycles };
    });
    this.busyTotal += busy;
    return { kind: 'report', time, busy, ioBusy, running, finished };
  }
}

/** The CPU used per cycle by the first `n` workloads of `wants` when each gets the fraction `f` of its want. */
function cpuUsed(wants: Float64Array, n: number, f: number): number {
  let used = 0;
  for (let i = 0; i < n; i++) used += wants[i]! / (wants[i]! / f + (1 - wants[i]!));
  return used;
}

/**
 * The fraction f (0..1] at which the workloads use at most the cores: 1 when they fit; cores / Σ
 * want when every want is 0 or 1 (then CPU used = f · Σ want); otherwise by bisection below that
 * (a workload that waits part of the time uses at least f · want, so the root is at most there).
 */
function fairShare(wants: Float64Array, n: number, cores: number): number {
  if (cpuUsed(wants, n, 1) <= cores) return 1;
  let total = 0;
  let whole = true;
  for (let i = 0; i < n; i++) {
    total += wants[i]!;
    whole &&= wants[i] === 0 || wants[i] === 1;
  }
  if (whole) return cores / total;
  let low = 0;
  let high = Math.min(1, cores / total);
  for (let i = 0; i < 32; i++) {
    const mid = (low + high) / 2;
    if (cpuUsed(wants, n, mid) > cores) high = mid;
    else low = mid;
  }
  return low;
}

/** The share of its current window that `series` (CPU or disk time per window) fills (0..1). */
function want(w: Live, series: readonly number[]): number {
  if (series.length === 0) return 0;
  const { window } = w.profile;
  const index = Math.min(Math.floor(w.pos / window + EPSILON), series.length - 1);
  const span = Math.min(window, w.profile.length - index * window);
  return span > 0 ? Math.min(1, series[index]! / span) : 0;
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
