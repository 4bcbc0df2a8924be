/**
 * `hv cluster run <cluster.yaml> [--transport local|nats] [--nats URL] [--out DIR] [--threads N]`:
 * a master and its slaves run the cluster file's workloads; prints where each ran and the
 * policy's figures, writes results.json, dispatch.log, console/<workload>.log,
 * slaves/<slave>.json and trace.json into --out. Exit status 0, or 3 when a workload faulted;
 * SIGINT or SIGTERM stop it (130, 143) after every slave closed its sessions and disks (no
 * results are written then).
 *
 * `hv cluster slave --nats URL --name NAME [--cluster ID]`: one slave process for a master on the
 * NATS transport (credentials from HV_NATS_USER, HV_NATS_PASSWORD and HV_CLUSTER_SECRET).
 *
 * The commands' work is in cluster-command.ts, imported when one runs.
 */
import type { Command } from 'commander';
import { parseInteger } from './options.ts';

export interface ClusterRunOptions {
  transport: string;
  nats?: string;
  out: string;
  threads?: number;
}

export interface SlaveOptions {
  nats: string;
  name: string;
  cluster: string;
}

export function registerClusterCommand(program: Command, setStatus: (status: number) => void): void {
  const cluster = program.command('cluster').description('a hypervisor master dispatching workloads to hypervisor slaves');
  cluster
    .command('run')
    .description('run a cluster file: a master and its slaves, in virtual time')
    .argument('<cluster.yaml>', 'the cluster file')
    .option('--transport <local|nats>', 'worker threads of this process, or slave processes through NATS', 'local')
    .option('--nats <URL>', 'the NATS server (default: the file\'s nats.url, or a private nats-server)')
    .option('--out <DIR>', 'where results.json, dispatch.log, console/, slaves/ and trace.json go', 'out/cluster')
    .option('--threads <N>', 'local transport: worker threads (default one per slave)', parseInteger('--threads', 1))
    .action(async (file: string, options: ClusterRunOptions) => setStatus(await (await import('./cluster-command.ts')).clusterRun(file, options)));
  cluster
    .command('slave')
    .description('serve as one slave of a master on the NATS transport (this host or another)')
    .requiredOption('--nats <URL>', 'the NATS server the master uses')
    .requiredOption('--name <NAME>', 'the slave name, as the cluster file lists it')
    .option('--cluster <ID>', 'the cluster file\'s nats.cluster', 'hvlab')
    .action(async (options: SlaveOptions) => (await import('./cluster-command.ts')).clusterSlave(options));
}
