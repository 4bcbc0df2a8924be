/**
 * The cluster trace (Chrome Trace Event JSON; opens in ui.perfetto.dev): one process per node.
 * Process `master` has the dispatch decisions, refusals and failures as instants and the queue
 * length as a counter; each `slave <name>` process has one track per lane (a lane holds one
 * workload at a time, so slices never overlap) with a slice per attempt of a workload, and its
 * use state (load in busy cores, vCPUs placed, memory reserved in MiB) as counters. As in hvlab's
 * other traces, one trace microsecond is one cycle.
 */
import type { ClusterRun, Run } from './master/master.ts';

type TraceEvent = Record<string, unknown>;

export function clusterTrace(run: ClusterRun, clockHz: number): { traceEvents: TraceEvent[]; otherData: Record<string, unknown> } {
  const events: TraceEvent[] = [meta(0, 'process_name', 'master'), { ...meta(0, 'thread_name', 'dispatch'), tid: 0 }];
  for (const line of run.log) events.push(logInstant(line));
  for (const q of run.queue) events.push({ ph: 'C', pid: 0, tid: 0, name: 'queue', ts: q.t, args: { waiting: q.waiting } });
  run.slaves.forEach((s, i) => events.push(meta(i + 1, 'process_name', `slave ${s.name}`)));
  for (const [slave, runs] of bySlave(run.runs)) events.push(...laneSlices(slave + 1, runs));
  for (const s of run.samples) {
    const args = { load: Math.round(s.load * 1000) / 1000, vcpus: s.vcpus, memoryMiB: Math.round(s.memory / (1 << 20)) };
    events.push({ ph: 'C', pid: s.slave + 1, tid: 0, name: 'use', ts: s.t, args });
  }
  const otherData = { generator: 'hvlab cluster', policy: run.policy, timeUnit: 'one trace microsecond is one CPU cycle', clockHz, quantum: run.quantum };
  return { traceEvents: events, otherData };
}

function meta(pid: number, name: string, value: string): TraceEvent {
  return { ph: 'M', pid, tid: 0, name, args: { name: value } };
}

/** A log line `<cycle> <what> ...` as an instant on the master's track. */
function logInstant(line: string): TraceEvent {
  const space = line.indexOf(' ');
  const ts = Number(line.slice(0, space));
  const text = line.slice(space + 1);
  return { ph: 'i', s: 't', pid: 0, tid: 0, ts, name: text.split(' ', 2).join(' '), args: { detail: text } };
}

function bySlave(runs: readonly Run[]): Map<number, Run[]> {
  const map = new Map<number, Run[]>();
  for (const r of runs) {
    if (!map.has(r.slave)) map.set(r.slave, []);
    map.get(r.slave)!.push(r);
  }
  return new Map([...map].sort((a, b) => a[0] - b[0]));
}

/** Slices on the lowest free lane of the slave (interval partitioning by start time). */
function laneSlices(pid: number, runs: Run[]): TraceEvent[] {
  const sorted = [...runs].sort((a, b) => a.start - b.start || a.end - b.end || (a.workload < b.workload ? -1 : 1));
  const laneEnds: number[] = [];
  const events: TraceEvent[] = [];
  for (const r of sorted) {
    let lane = laneEnds.findIndex((end) => end <= r.start);
    if (lane < 0) {
      lane = laneEnds.length;
      events.push({ ...meta(pid, 'thread_name', `lane ${lane}`), tid: lane + 1 });
    }
    laneEnds[lane] = r.end;
    events.push({ ph: 'X', pid, tid: lane + 1, ts: r.start, dur: Math.max(0, r.end - r.start), name: r.workload, args: { state: r.state } });
  }
  return events;
}
