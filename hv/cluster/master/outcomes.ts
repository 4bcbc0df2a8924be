/**
 * What became of each workload (where it ran, when it started and ended, how, what it printed)
 * and the cluster log: one line per dispatch, refusal, completion and node failure, in virtual
 * time order. Both are deterministic: they depend on the cluster file only.
 */
import type { Finished } from '../messages.ts';
import type { Workload } from '../workload.ts';

export type WorkloadStatus = 'halted' | 'ended' | 'faulted' | 'refused' | 'unfinished';

export interface WorkloadOutcome {
  readonly name: string;
  readonly kind: string;
  readonly arrival: number;
  status: WorkloadStatus;
  /** The slave of its last attempt (null if it was never dispatched). */
  slave: string | null;
  /** Virtual time its last attempt started. */
  start: number | null;
  end: number | null;
  /** start − arrival: waiting in the master's queue (and the lost attempts, after a node failure). */
  queueing: number | null;
  /** end − arrival. */
  completion: number | null;
  attempts: number;
  exitCode: number | null;
  detail: string;
  cycles: number;
  instructions: number;
  /** CPU cycles of attempts lost to node failures. */
  lostCycles: number;
  console: string[];
}

export class Outcomes {
  readonly byName = new Map<string, WorkloadOutcome>();
  readonly log: string[] = [];

  constructor(workloads: readonly Workload[]) {
    for (const w of workloads) {
      this.byName.set(w.name, {
        name: w.name,
        kind: w.kind,
        arrival: w.arrival,
        status: 'unfinished',
        slave: null,
        start: null,
        end: null,
        queueing: null,
        completion: null,
        attempts: 0,
        exitCode: null,
        detail: 'not finished when the run ended',
        cycles: 0,
        instructions: 0,
        lostCycles: 0,
        console: [],
      });
    }
  }

  get(name: string): WorkloadOutcome {
    return this.byName.get(name)!;
  }

  dispatched(w: Workload, slave: string, at: number, start: number, score: number | undefined): void {
    const o = this.get(w.name);
    o.attempts += 1;
    o.slave = slave;
    o.start = start;
    const scored = score === undefined ? '' : ` score ${score.toFixed(4)}`;
    const attempt = o.attempts > 1 ? ` attempt ${o.attempts}` : '';
    this.log.push(`${at} dispatch ${w.name} (${w.kind}) -> ${slave}, starts ${start}${attempt}${scored}`);
  }

  refused(w: Workload, at: number, reason: string): void {
    const o = this.get(w.name);
    o.status = 'refused';
    o.detail = reason;
    this.log.push(`${at} refuse ${w.name} (${w.kind}): ${reason}`);
  }

  finished(f: Finished, slave: string, at: number): void {
    const o = this.get(f.name);
    Object.assign(o, {
      status: f.state === 'failed' ? 'unfinished' : f.state,
      end: f.end,
      exitCode: f.exitCode,
      detail: f.detail,
      cycles: f.cycles,
      instructions: f.instructions,
      console: f.console,
      queueing: f.start - o.arrival,
      completion: f.end - o.arrival,
    });
    this.log.push(`${at} ${f.state} ${f.name} on ${slave} at ${f.end}: ${f.detail}`);
  }

  /** An attempt lost to a node failure: the workload waits for another dispatch. */
  lost(name: string, slave: string, at: number, cycles: number): void {
    const o = this.get(name);
    o.lostCycles += cycles;
    o.start = null;
    this.log.push(`${at} lost ${name} on ${slave} after ${cycles} cycles: back in the queue`);
  }

  note(at: number, text: string): void {
    this.log.push(`${at} ${text}`);
  }

  all(): WorkloadOutcome[] {
    return [...this.byName.values()];
  }
}
