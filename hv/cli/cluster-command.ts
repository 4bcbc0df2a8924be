/** The work of `hv cluster run` and `hv cluster slave` (see cluster.ts). */
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
import { json, policyTable, runFiles, workloadRecords, workloadTable, writeFiles } from '../experiments/cluster-output.ts';
import { EXIT_GUEST_FAULTED } from './run.ts';
import { makeOutputDirectory, writeOutputFile } from './output-file.ts';
import { ShutdownSignals } from './shutdown-signals.ts';
import type { ClusterRunOptions, SlaveOptions } from './cluster.ts';

export async function clusterRun(file: string, o: ClusterRunOptions): Promise<number> {
  if (!TRANSPORTS.includes(o.transport as TransportName) || o.transport === 'in-process') {
    throw new UsageError(`--transport: expected local or nats, got "${o.transport}"`);
  }
  if (o.nats !== undefined && o.transport !== 'nats') throw new UsageError('--nats: only with --transport nats');
  const started = process.hrtime.bigint();
  const config = loadClusterFile(file);
  const workloads = clusterWorkloads(config);
  const out = resolve(o.out);
  makeOutputDirectory(out, '--out', o.out);
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

export async function clusterSlave(o: SlaveOptions): Promise<void> {
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
