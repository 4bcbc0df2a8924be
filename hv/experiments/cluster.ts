/**
 * `hv experiment cluster`: the dispatch policies compared on one seeded workload. N slaves (2
 * cores, 64 MiB, 4 vCPUs per core and 2 I/O lanes each) get W generated workloads (a mix of
 * CPU-bound, I/O-bound and latency-sensitive templates) arriving at offered load L. Each template
 * is first run alone to measure its profile (its CPU use per quantum); the profiles set the
 * arrival rate for the offered load and, in the modelled mode, are what the slaves replay. In the
 * real mode the slaves emulate every workload (local transport: worker threads).
 */
import { validateCluster } from '../cluster/cluster-file.ts';
import { KINDS, TEMPLATES, type Template, generateWorkloads, templateEntry } from '../cluster/generator.ts';
import type { ClusterRun } from '../cluster/master/master.ts';
import type { Profile } from '../cluster/messages.ts';
import { type PolicyResult, policyResult } from '../cluster/metrics.ts';
import type { PolicyName } from '../cluster/policies.ts';
import { profileAll } from '../cluster/profile.ts';
import { runCluster } from '../cluster/run-cluster.ts';
import { ImageCache, type Workload, byArrival, toWorkload } from '../cluster/workload.ts';

export const EXPERIMENT_QUANTUM = 250_000;
/** Every slave of the experiment: 2 cores, 64 MiB, 4 vCPUs per core, 2 I/O lanes. */
export const EXPERIMENT_SLAVE = { cores: 2, memory: '64MiB', 'io-lanes': 2 } as const;

export interface ClusterExperimentOptions {
  slaves: number;
  workloads: number;
  load: number;
  policies: readonly PolicyName[];
  seed: number;
  mode: 'real' | 'model';
  firmwareDir: string;
  /** Worker threads for the real mode (default one per slave). */
  threads?: number;
  /** Called before each policy's run (progress on the terminal). */
  onPolicy?(policy: PolicyName): void;
  log(line: string): void;
}

export interface ExperimentRun {
  readonly result: PolicyResult;
  readonly run: ClusterRun;
  readonly seconds: number;
}

export async function runClusterExperiment(o: ClusterExperimentOptions): Promise<{ runs: ExperimentRun[]; workloads: Workload[]; profiles: Map<string, Profile> }> {
  const firmware = o.firmwareDir;
  const slaves = Array.from({ length: o.slaves }, (_, i) => ({ name: `s${String(i + 1).padStart(String(o.slaves).length, '0')}`, ...EXPERIMENT_SLAVE }));
  const config = validateCluster({ quantum: EXPERIMENT_QUANTUM, seed: o.seed, slaves, generate: { count: o.workloads, load: o.load, firmware } }, '<experiment>');
  const images = new ImageCache();
  const templates = KINDS.flatMap((kind) => TEMPLATES[kind]);
  const profiled = templates.map((t, i) => toWorkload(templateEntry(`template-${i}`, 0, t, firmware), images));
  await profileAll(profiled, EXPERIMENT_QUANTUM);
  const demand = (t: Template) => sum(profiled[templates.indexOf(t)]!.profile!.busy);
  const entries = generateWorkloads({ ...config.generate!, seed: o.seed, cores: EXPERIMENT_SLAVE.cores * o.slaves, demand });
  const workloads = entries.map((e) => toWorkload(e, images)).sort(byArrival);
  const profiles = await profileAll([...profiled, ...workloads], EXPERIMENT_QUANTUM);
  const runs: ExperimentRun[] = [];
  for (const policy of o.policies) {
    o.onPolicy?.(policy);
    const started = performance.now();
    const transport = o.mode === 'model' ? 'in-process' : 'local';
    const { run } = await runCluster(config, workloads, { transport, model: o.mode === 'model', policy, threads: o.threads, samples: o.workloads <= TRACE_LIMIT, log: o.log });
    runs.push({ result: policyResult(run), run, seconds: (performance.now() - started) / 1000 });
  }
  return { runs, workloads, profiles };
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** Up to this many workloads the experiment writes a trace per policy. */
export const TRACE_LIMIT = 20_000;
