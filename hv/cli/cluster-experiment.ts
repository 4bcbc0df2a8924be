/**
 * `hv experiment cluster [--slaves N] [--workloads N] [--load L] [--policies LIST] [--out DIR]
 * [--mode real|model] [--seed N] [--threads N]`: the dispatch policies on one seeded workload.
 * Prints one row per policy; writes results.json (deterministic), host.json (host time), per
 * policy the cluster log and trace, and times.svg and utilisation.svg into --out.
 */
import type { Command } from 'commander';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BOARDS } from '../../devices/platforms/mps2-an386.ts';
import { UsageError } from '../errors.ts';
import { POLICY_NAMES, type PolicyName } from '../cluster/policies.ts';
import { parseInteger } from './options.ts';
import { makeOutputDirectory, writeOutputFile } from './output-file.ts';

const FIRMWARE = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'firmware', 'build');

export interface ClusterExperimentFlags {
  slaves: number;
  workloads: number;
  load: number;
  policies: string;
  mode: string;
  seed: number;
  threads?: number;
  out?: string;
}

/** `hv experiment cluster ...` under the `experiment` command. */
export function registerClusterExperiment(experiment: Command): void {
  experiment
    .command('cluster')
    .description('the dispatch policies of a hypervisor master on one seeded workload')
    .option('--slaves <N>', 'slaves (2 cores each)', parseInteger('--slaves', 1), 4)
    .option('--workloads <N>', 'generated workloads', parseInteger('--workloads', 1), 40)
    .option('--load <L>', 'offered CPU load (busy cores per core)', parseLoad, 0.8)
    .option('--policies <LIST>', 'comma-separated dispatch policies', POLICY_NAMES.join(','))
    .option('--mode <real|model>', 'emulated slaves, or slaves replaying measured profiles', 'real')
    .option('--seed <N>', 'seed of the workload generator and the random policies', parseInteger('--seed', 0), 1)
    .option('--threads <N>', 'real mode: worker threads (default: one per slave, at most the host cores)', parseInteger('--threads', 1))
    .option('--out <DIR>', 'where results.json, host.json, logs, traces and the charts go', 'out/cluster-experiment')
    .action((flags: ClusterExperimentFlags) => clusterExperiment(flags));
}

function parseLoad(value: string): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || !(n > 0) || n > 10) throw new UsageError(`--load: expected a number above 0 and at most 10, got "${value}"`);
  return n;
}

function parsePolicies(list: string): PolicyName[] {
  const names = list.split(',').map((p) => p.trim()).filter((p) => p !== '');
  const unknown = names.filter((p) => !(POLICY_NAMES as readonly string[]).includes(p));
  if (names.length === 0 || unknown.length > 0) throw new UsageError(`--policies: expected a comma-separated list of ${POLICY_NAMES.join(', ')}; got "${list}"`);
  return names as PolicyName[];
}

async function clusterExperiment(flags: ClusterExperimentFlags): Promise<void> {
  // The cluster, its transports and the charts load when the experiment runs, not with every hv command.
  const [{ json, policyTable, runFiles, writeFiles }, { timesChartSvg, utilisationChartSvg }, { EXPERIMENT_QUANTUM, TRACE_LIMIT, runClusterExperiment }] =
    await Promise.all([import('../experiments/cluster-output.ts'), import('../experiments/cluster-chart.ts'), import('../experiments/cluster.ts')]);
  const policies = parsePolicies(flags.policies);
  if (flags.mode !== 'real' && flags.mode !== 'model') throw new UsageError(`--mode: expected real or model, got "${flags.mode}"`);
  const shown = flags.out ?? 'out/cluster-experiment';
  const out = resolve(shown);
  makeOutputDirectory(out, '--out', shown);
  const mode = flags.mode;
  const threads = flags.threads ?? Math.min(flags.slaves, availableParallelism());
  process.stderr.write(`profiling the workload templates (a run alone each)...\n`);
  const { runs } = await runClusterExperiment({
    ...flags,
    policies,
    mode,
    threads,
    firmwareDir: FIRMWARE,
    onPolicy: (p) => process.stderr.write(`running ${p}...\n`),
    log: (line) => process.stderr.write(`hv cluster: ${line}\n`),
  });
  const results = runs.map((r) => r.result);
  process.stdout.write(`${flags.slaves} slaves (2 cores each), ${flags.workloads} workloads, offered load ${flags.load}, seed ${flags.seed}, ${mode} slaves, quantum ${EXPERIMENT_QUANTUM} cycles\n`);
  process.stdout.write(policyTable(results));
  const settings = { slaves: flags.slaves, workloads: flags.workloads, load: flags.load, seed: flags.seed, mode, quantum: EXPERIMENT_QUANTUM };
  writeOutputFile(join(out, 'results.json'), json({ ...settings, policies: results }));
  writeOutputFile(join(out, 'host.json'), json({ note: 'host time varies between runs', threads, policies: runs.map((r) => ({ name: r.result.name, seconds: Number(r.seconds.toFixed(3)) })) }));
  for (const r of runs) {
    const files = runFiles(r.run, BOARDS['mps2-an386']!.clockHz, { prefix: `${r.result.name}/`, details: false, trace: flags.workloads <= TRACE_LIMIT });
    writeFiles(out, shown, files, writeOutputFile);
  }
  writeOutputFile(join(out, 'times.svg'), await timesChartSvg(results, `completion and queueing by policy (${flags.workloads} workloads, load ${flags.load})`));
  writeOutputFile(join(out, 'utilisation.svg'), await utilisationChartSvg(results, `utilisation of each of the ${flags.slaves} slaves`));
  process.stdout.write(`wrote ${join(shown, 'results.json')}, host.json, times.svg, utilisation.svg and <policy>/dispatch.log${flags.workloads <= TRACE_LIMIT ? ', trace.json' : ''}\n`);
}
