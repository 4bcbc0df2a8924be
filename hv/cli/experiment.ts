/**
 * `hv experiment <name> [options]`: the experiments, one sub-command each with its own options
 * (io-path: hv/cli/experiment-io-path.ts; sched: hv/cli/experiment-sched.ts; cluster:
 * hv/cli/cluster-experiment.ts).
 */
import type { Command } from 'commander';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.ts';
import { registerIoPathExperiment } from './experiment-io-path.ts';
import { registerSchedExperiment } from './experiment-sched.ts';
import { registerClusterExperiment } from './cluster-experiment.ts';

const FIRMWARE = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'firmware', 'build');

export function registerExperimentCommand(program: Command): void {
  const experiment = program
    .command('experiment')
    .description('run an experiment: io-path compares the I/O paths, sched the scheduling policies, cluster the dispatch policies')
    .argument('<name>', 'the experiment: io-path, sched or cluster')
    .action((name: string) => {
      const known = experiment.commands.map((c) => c.name()).join(', ');
      throw new UsageError(`unknown experiment "${name}" (known: ${known})`);
    });
  registerIoPathExperiment(experiment, FIRMWARE);
  registerSchedExperiment(experiment, FIRMWARE);
  registerClusterExperiment(experiment);
}
