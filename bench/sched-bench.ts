/**
 * Scheduling benchmarks for `npm run bench`:
 *  - host cost of one scheduling decision (rebalance + pick + the `ran` signal, through the I/O
 *    rate meter as the hypervisor calls them) per policy, on 8 fake vCPUs over 2 cores, some of
 *    them sleeping and doing I/O; each policy alternates with round-robin (today's policy) and
 *    the median ratio is reported. Aim: under 1 us per decision, small beside a scheduling
 *    step's guest code (a step runs thousands of guest instructions: tens of us of host time);
 *  - host time of `hv experiment sched` with its defaults (aim: under 60 s on this machine).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SCHEDULER_POLICIES, type SchedulerPolicy } from '../hv/core/scheduler-config.ts';
import { runSchedExperiment } from '../hv/experiments/sched.ts';
import { DEFAULT_WORKLOAD, parsePolicies } from '../hv/experiments/sched-spec.ts';
import { SCHED_IO_PATHS } from '../hv/experiments/sched-system.ts';
import { CreditScheduler } from '../hv/sched/credit.ts';
import { IoAwareScheduler } from '../hv/sched/io-aware.ts';
import { IoRateMeter } from '../hv/sched/io-rate.ts';
import { MeteredScheduler } from '../hv/sched/metered.ts';
import { MicroSliceScheduler } from '../hv/sched/micro-slice.ts';
import { RoleTable } from '../hv/sched/roles.ts';
import { RoundRobinScheduler } from '../hv/sched/round-robin.ts';
import type { SchedulableVcpu, Scheduler } from '../hv/sched/scheduler.ts';

const FIRMWARE = resolve(import.meta.dirname, '..', 'firmware', 'build');
const VCPUS = 8;
const CORES = 2;
const STEP = 2_000;

class BenchVcpu implements SchedulableVcpu {
  alive = true;
  wakeAt = 0;
  constructor(readonly name: string) {}
  runnable(now: number): boolean {
    return now >= this.wakeAt;
  }
}

function policy(name: SchedulerPolicy, roles: RoleTable<BenchVcpu>): Scheduler<BenchVcpu> {
  const common = { roles };
  switch (name) {
    case 'round-robin':
      return new RoundRobinScheduler<BenchVcpu>(25_000);
    case 'credit':
      return new CreditScheduler<BenchVcpu>({ slice: 750_000, tick: 250_000, ratelimit: 25_000, boost: true, steal: true, cores: CORES, ...common });
    case 'micro-slice':
      return new MicroSliceScheduler<BenchVcpu>({ slice: 25_000, microSlices: 4, threshold: 300, thresholdLow: 100, ...common });
    case 'io-aware':
      return new IoAwareScheduler<BenchVcpu>({ slice: 25_000, driverSlice: 2500, driverCore: 1, threshold: 300, thresholdLow: 100, hold: 250_000, maxVms: 4, swap: true, ...common });
  }
}

/** Host nanoseconds per decision over `decisions` decisions of a small synthetic system. */
function decisionCost(name: SchedulerPolicy, decisions: number): number {
  const roles = new RoleTable<BenchVcpu>();
  const s = new MeteredScheduler(policy(name, roles), new IoRateMeter<BenchVcpu>(250_000, 25_000_000));
  const vcpus = Array.from({ length: VCPUS }, (_, i) => new BenchVcpu(`v${i}`));
  vcpus.forEach((v, i) => s.assign(v, i % CORES));
  roles.setDriver(vcpus[VCPUS - 1]!);
  const clocks = new Array<number>(CORES).fill(0);
  const started = process.hrtime.bigint();
  for (let i = 0; i < decisions; i++) {
    const core = i % CORES;
    const now = clocks[core]!;
    for (const m of s.rebalance(core, now)) s.move(m.vcpu, m.to);
    const v = s.pick(core, now);
    clocks[core] = now + STEP;
    if (!v) continue;
    s.observe({ kind: 'ran', vcpu: v, core, start: now, cycles: STEP });
    // Half of the vCPUs do I/O: a request, a short sleep, a completion and a wake-up.
    if (vcpus.indexOf(v) % 2 === 0 && i % 3 === 0) {
      s.observe({ kind: 'io-submitted', vcpu: v, at: now + STEP });
      s.observe({ kind: 'blocked', vcpu: v, core, at: now + STEP });
      v.wakeAt = now + 5 * STEP;
      s.observe({ kind: 'io-completed', vcpu: v, at: v.wakeAt, latency: 4 * STEP, requests: 1 });
      s.observe({ kind: 'woke', vcpu: v, core: s.coreOf(v), at: v.wakeAt, reason: 'interrupt' });
    }
  }
  return Number(process.hrtime.bigint() - started) / decisions;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function decisions(count: number, trials = 5): Promise<void> {
  console.log(`scheduling decision (rebalance + pick + signals, ${VCPUS} vCPUs on ${CORES} cores, through the I/O rate meter; median of ${trials} alternating pairs with round-robin)`);
  for (const name of SCHEDULER_POLICIES) {
    decisionCost(name, count / 10);
    const own: number[] = [];
    const ratios: number[] = [];
    for (let t = 0; t < trials; t++) {
      const base = decisionCost('round-robin', count);
      own.push(decisionCost(name, count));
      ratios.push(own.at(-1)! / base);
    }
    const ns = median(own);
    const ratio = median(ratios);
    const mark = ns < 1000 ? 'PASS' : 'MISS';
    console.log(`  ${name.padEnd(12)} ${ns.toFixed(0).padStart(5)} ns per decision (aim < 1000 ns) ${mark}, ${ratio.toFixed(2)}x round-robin`);
  }
}

async function experimentTime(): Promise<void> {
  const outDir = mkdtempSync(join(tmpdir(), 'hvlab-sched-bench-'));
  try {
    const started = process.hrtime.bigint();
    const outputs = await runSchedExperiment({ policies: parsePolicies(SCHEDULER_POLICIES.join(',')), ioPaths: SCHED_IO_PATHS, workload: { ...DEFAULT_WORKLOAD }, outDir, firmwareDir: FIRMWARE });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const running = outputs.reduce((sum, o) => sum + o.hostSeconds, 0);
    const mark = seconds < 60 ? 'PASS' : 'MISS';
    console.log(`hv experiment sched (defaults: ${outputs.length} runs of ${DEFAULT_WORKLOAD.duration} cycles)`);
    console.log(`  ${seconds.toFixed(1)} s host time, ${running.toFixed(1)} s of it running guests (aim < 60 s) ${mark}`);
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

export async function schedBench(): Promise<void> {
  await decisions(200_000);
  await experimentTime();
}
