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
 */
import type { Command } from 'commander';
import { join, resolve } from 'node:path';
import { BOARDS } from '../../devices/platforms/mps2-an386.ts';
import { InterruptedError, UsageError } from '../errors.ts';
import { loadClusterFile } from '../cluster/cluster-file.ts';
import { NAME_PATTERN } from '../cluster/messages.ts';
import { policyResult } from '../cluster/metrics.ts';
import { TRANSPORTS, type TransportName, runCluster } from '../cluster/run-cluster.ts';
import { ENV } from '../cluster/transport/child-slaves.ts';
import { runNatsSlave } from '../cluster/transport/nats-slave.ts';
import { clusterWorkloads } from '../cluster/workload.ts';
import { json, makeDirectory, policyTable, runFiles, workloadRecords, workloadTable, writeFiles } from '../experiments/cluster-output.ts';
import { EXIT_GUEST_FAULTED } from './run.ts';
import { parseInteger } from './options.ts';
import { writeOutputFile } from './output-file.ts';
import { ShutdownSignals } from './shutdown-signals.ts';

interface RunOptions {
  transport: string;
  nats?: string;
  out: string;
  threads?: number;
}

interface SlaveOptions {
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
    .action(async (file: string, options: RunOptions) => setStatus(await clusterRun(file, options)));
  cluster
    .command('slave')
    .description('serve as one slave of a master on the NATS transport (this host or another)')
    .requiredOption('--nats <URL>', 'the NATS server the master uses')
    .requiredOption('--name <NAME>', 'the slave name, as the cluster file lists it')
    .option('--cluster <ID>', 'the cluster file\'s nats.cluster', 'hvlab')
    .action(async (options: SlaveOptions) => clusterSlave(options));
}

async function clusterRun(file: string, o: RunOptions): Promise<number> {
  if (!TRANSPORTS.includes(o.transport as TransportName) || o.transport === 'in-process') {
    throw new UsageError(`--transport: expected local or nats, got "${o.transport}"`);
  }
  if (o.nats !== undefined && o.transport !== 'nats') throw new UsageError('--nats: only with --transport nats');
  const started = process.hrtime.bigint();
  const config = loadClusterFile(file);
  const workloads = clusterWorkloads(config);
  const out = resolve(o.out);
  makeDirectory(out, o.out);
  const log = (line: string) => process.stderr.write(`hv cluster: ${line}\n`);
  const signals = ShutdownSignals.install((m) => process.stderr.write(`hv: ${m}\n`), 'stopping the cluster run: the slaves close their sessions and disks');
  const { run, host } = await runCluster(config, workloads, { transport: o.transport as TransportName, natsUrl: o.nats, threads: o.threads, samples: true, log, stop: signals.next() }).finally(() => signals.remove());
  const result = policyResult(run);
  process.stdout.write(`cluster ${file}: ${config.slaves.length} slaves, ${workloads.length} workloads, policy ${run.policy}, quantum ${run.quantum} cycles\n`);
  process.stdout.write(workloadTable(run.outcomes));
  process.stdout.write(policyTable([result]));
  writeOutputFile(join(out, 'results.json'), json({ policies: [result], workloads: workloadRecords(run.outcomes) }));
  writeFiles(out, o.out, runFiles(run, BOARDS['mps2-an386']!.clockHz), writeOutputFile);
  process.stdout.write(`wrote ${join(o.out, 'results.json')}, dispatch.log, trace.json, console/ and slaves/\n`);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stderr.write(`host: ${seconds.toFixed(2)} s, transport ${host.transport}, ${host.replacements} slave processes replaced\n`);
  return run.outcomes.some((w) => w.status === 'faulted') ? EXIT_GUEST_FAULTED : 0;
}

async function clusterSlave(o: SlaveOptions): Promise<void> {
  if (!NAME_PATTERN.test(o.name)) throw new UsageError(`--name: expected 1-32 letters, digits, "_", "." or "-", got "${o.name}"`);
  if (!NAME_PATTERN.test(o.cluster)) throw new UsageError(`--cluster: expected 1-32 letters, digits, "_", "." or "-", got "${o.cluster}"`);
  if (!/^(nats|tls):\/\/[^@/\s]+$/.test(o.nats)) throw new UsageError(`--nats: expected a URL such as nats://host:4222 (credentials come from ${ENV.user} and ${ENV.password}), got "${o.nats}"`);
  const user = process.env[ENV.user];
  const password = process.env[ENV.password];
  const secret = process.env[ENV.secret];
  if (!user || !password || !secret) throw new UsageError(`${ENV.user}, ${ENV.password} and ${ENV.secret} must be set (the NATS credentials and the cluster's message key)`);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const signals = ShutdownSignals.install((m) => process.stderr.write(`hv: ${m}\n`), `stopping slave ${o.name}: its sessions and disks close`);
  try {
    await runNatsSlave({ nats: { url: o.nats, user, password, secret, cluster: o.cluster }, name: o.name, log, stop: signals.next() });
  } finally {
    signals.remove();
  }
  if (signals.received) throw new InterruptedError(signals.received, `slave ${o.name} stopped; its sessions and disks are closed`);
}
