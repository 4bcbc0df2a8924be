/**
 * `hv experiment sched`: the same consolidated system (sched-system.ts) under each scheduling
 * policy, for the split and the in-context I/O paths, optionally over a sweep of one parameter.
 * Each run lasts `duration` cycles of virtual time; its numbers (sched-metrics.ts), its trace
 * and its latency and placement data are what the command prints and writes. Everything but the
 * host time is deterministic.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, InternalError, UsageError } from '../errors.ts';
import { Session } from '../system/session.ts';
import { type Placement, type RunMetrics, ioLatencies, placements, runMetrics } from './sched-metrics.ts';
import { type ParamValue, type PolicySpec, type Sweep, type Workload, schedulerParams } from './sched-spec.ts';
import { DRIVER_VM_NAME, type SchedIoPath, buildSystem, plannedGuests } from './sched-system.ts';

export interface SchedExperimentOptions {
  policies: readonly PolicySpec[];
  ioPaths: readonly SchedIoPath[];
  workload: Workload;
  sweep?: Sweep;
  outDir: string;
  firmwareDir: string;
  /** Told before each run (progress). */
  onRun?(label: string, index: number, total: number): void;
}

/** One run: a policy on a path (at one sweep value). */
export interface RunResult extends RunMetrics {
  /** The policy as given to --policies. */
  readonly name: string;
  readonly policy: string;
  readonly ioPath: SchedIoPath;
  readonly sweep?: { readonly param: string; readonly value: ParamValue };
  /** The trace file, relative to the output directory. */
  readonly trace: string;
}

export interface RunOutput {
  readonly result: RunResult;
  /** Every I/O latency, ascending (for the CDF). */
  readonly latencies: readonly number[];
  readonly placements: readonly Placement[];
  readonly hostSeconds: number;
}

interface RunPlan {
  policy: PolicySpec;
  ioPath: SchedIoPath;
  workload: Workload;
  extra: Record<string, ParamValue>;
  sweep?: { param: string; value: ParamValue };
}

export async function runSchedExperiment(o: SchedExperimentOptions): Promise<RunOutput[]> {
  const plans = runPlans(o);
  const workDir = mkdtempSync(join(o.outDir, '.disks-'));
  try {
    const outputs: RunOutput[] = [];
    for (const [i, plan] of plans.entries()) {
      o.onRun?.(`${plan.policy.label} / ${plan.ioPath}${plan.sweep ? ` / ${plan.sweep.param}=${plan.sweep.value}` : ''}`, i + 1, plans.length);
      outputs.push(await runOne(plan, o, workDir));
    }
    return outputs;
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** Path by path, policy by policy, value by value; a policy without the swept parameter runs once. */
function runPlans(o: SchedExperimentOptions): RunPlan[] {
  const plans: RunPlan[] = [];
  for (const ioPath of o.ioPaths) {
    for (const policy of o.policies) {
      const sweep = o.sweep;
      const swept = sweep && (sweep.target === 'workload' || schedulerParams(policy.policy).includes(sweep.param));
      if (!sweep || !swept) {
        plans.push({ policy, ioPath, workload: o.workload, extra: {} });
        continue;
      }
      for (const value of sweep.values) {
        const workload = sweep.target === 'workload' ? { ...o.workload, [sweep.param]: value as number } : o.workload;
        const extra = sweep.target === 'scheduler' ? { [sweep.param]: value } : {};
        plans.push({ policy, ioPath, workload, extra, sweep: { param: sweep.param, value } });
      }
    }
  }
  return plans;
}

async function runOne(plan: RunPlan, o: SchedExperimentOptions, workDir: string): Promise<RunOutput> {
  const config = buildSystem({ ...plan, firmwareDir: o.firmwareDir, workDir });
  const guests = plannedGuests(plan.workload);
  const session = await openSession(config);
  try {
    const started = process.hrtime.bigint();
    session.runUntil({ cycles: plan.workload.duration });
    const hostSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    session.finish();
    const stats = session.results();
    const trouble = stats.guests.filter((g) => g.state === 'faulted' || (g.state === 'halted' && g.exitCode !== 0));
    if (trouble.length > 0) {
      const lines = session.consoleLines().map((l) => `[${l.guest}] ${l.line}`);
      throw new InternalError(`sched experiment (${plan.policy.label}, ${plan.ioPath}): ${trouble.map((g) => g.name).join(', ')} failed:\n${lines.join('\n')}`);
    }
    if (stats.trace.droppedEvents > 0) throw new InternalError(`sched experiment: the trace dropped ${stats.trace.droppedEvents} events; use a shorter --duration`);
    const events = session.events();
    const trace = traceName(plan);
    session.writeTrace(join(o.outDir, trace));
    const shares = config.scheduler?.guests ?? {};
    const driverCore = session.internals.io?.driver?.vm.coreIndex ?? plan.workload.cores - 1;
    const ioGuests = new Set(guests.filter((g) => g.kind !== 'compute').map((g) => g.name));
    const latencies = ioLatencies(events, ioGuests);
    const metrics = runMetrics({ stats, events, guests, duration: plan.workload.duration, driverCore, weight: (vm) => shares[vm]?.weight ?? 256 }, latencies);
    const result: RunResult = { name: plan.policy.label, policy: plan.policy.policy, ioPath: plan.ioPath, ...(plan.sweep ? { sweep: plan.sweep } : {}), ...metrics, trace };
    const placed = placements(events, [...guests.map((g) => g.name), DRIVER_VM_NAME], plan.workload.duration);
    return { result, latencies, placements: placed, hostSeconds };
  } finally {
    session.close();
  }
}

async function openSession(config: Parameters<typeof Session.open>[0]): Promise<Session> {
  try {
    return await Session.open(config, { trace: true });
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

/** trace-<path>-<policy>[-<param>-<value>].json, with the policy's ':' and '=' made file-safe. */
export function runTag(r: { name: string; ioPath: string; sweep?: { param: string; value: ParamValue } }): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9_.-]+/g, '-');
  return `${r.ioPath}-${safe(r.name)}${r.sweep ? `-${safe(r.sweep.param)}-${safe(String(r.sweep.value))}` : ''}`;
}

function traceName(plan: RunPlan): string {
  return `trace-${runTag({ name: plan.policy.label, ioPath: plan.ioPath, sweep: plan.sweep })}.json`;
}
