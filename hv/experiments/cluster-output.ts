/**
 * What a cluster run leaves behind, for `hv cluster run` and `hv experiment cluster`: the tables
 * printed (where each workload ran; the policy figures) and the files written into the output
 * directory: results.json, the cluster log (dispatch.log), each workload's console output, each
 * slave's stats document and the trace. All of it is deterministic.
 */
import Table from 'cli-table3';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UsageError } from '../errors.ts';
import type { ClusterRun } from '../cluster/master/master.ts';
import type { WorkloadOutcome } from '../cluster/master/outcomes.ts';
import type { PolicyResult } from '../cluster/metrics.ts';
import { clusterTrace } from '../cluster/trace.ts';

const TABLE_STYLE = { head: [], border: [] };

function makeDirectory(dir: string, shown: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (cause) {
    throw new UsageError(`${shown}: cannot create the output directory: ${(cause as Error).message}`);
  }
}

export function workloadTable(outcomes: readonly WorkloadOutcome[]): string {
  const table = new Table({ head: ['workload', 'kind', 'status', 'slave', 'arrival', 'start', 'end', 'queueing', 'completion', 'attempts', 'detail'], style: TABLE_STYLE });
  for (const o of outcomes) {
    table.push([o.name, o.kind, o.status, o.slave ?? '-', o.arrival, o.start ?? '-', o.end ?? '-', o.queueing ?? '-', o.completion ?? '-', o.attempts, o.detail.slice(0, 48)]);
  }
  return `${table.toString()}\n`;
}

export function policyTable(results: readonly PolicyResult[]): string {
  const head = ['policy', 'makespan', 'completion mean', 'completion p99', 'queueing mean', 'queueing p99', 'utilisation mean (min-max)', 'imbalance', 'refused', 'unfinished', 'messages/workload', 'lost cycles'];
  const table = new Table({ head, style: TABLE_STYLE });
  for (const r of results) {
    table.push([r.name, r.makespan, r.completion.mean, r.completion.p99, r.queueing.mean, r.queueing.p99, utilisation(r.utilisation), r.imbalance, r.refused, r.unfinished, r.messagesPerWorkload, r.lostCycles]);
  }
  return `${table.toString()}\n`;
}

function utilisation(values: readonly number[]): string {
  const percent = (x: number) => `${(x * 100).toFixed(1)}%`;
  const mean = values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
  return `${percent(mean)} (${percent(Math.min(...values))}-${percent(Math.max(...values))})`;
}

/** The per-workload records of results.json (console output goes to files of its own). */
export function workloadRecords(outcomes: readonly WorkloadOutcome[]): object[] {
  return outcomes.map(({ console: _console, ...rest }) => rest);
}

export interface OutputFile {
  readonly path: string;
  readonly content: string;
}

export interface RunFileOptions {
  /** Directory prefix of every path (the experiment: one per policy). */
  prefix?: string;
  /** Console output per workload and stats per slave (default true). */
  details?: boolean;
  trace?: boolean;
}

/** The files of one run: the log, console outputs, slave stats and the trace. */
export function runFiles(run: ClusterRun, clockHz: number, o: RunFileOptions = {}): OutputFile[] {
  const prefix = o.prefix ?? '';
  const files: OutputFile[] = [{ path: `${prefix}dispatch.log`, content: lines(run.log) }];
  if (o.details ?? true) {
    for (const w of run.outcomes) if (w.console.length > 0) files.push({ path: join(`${prefix}console`, `${w.name}.log`), content: lines(w.console) });
    for (const s of run.slaves) files.push({ path: join(`${prefix}slaves`, `${s.name}.json`), content: json(s.stats) });
  }
  if (o.trace ?? true) files.push({ path: `${prefix}trace.json`, content: `${JSON.stringify(clusterTrace(run, clockHz))}\n` });
  return files;
}

/** Writes `files` under `dir` (`shown` names it in errors). */
export function writeFiles(dir: string, shown: string, files: readonly OutputFile[], write: (file: string, content: string) => void): void {
  for (const f of files) {
    makeDirectory(dirname(join(dir, f.path)), shown);
    write(join(dir, f.path), f.content);
  }
}

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

function lines(values: readonly string[]): string {
  return values.map((l) => `${l}\n`).join('');
}
