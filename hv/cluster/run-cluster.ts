/**
 * Runs a cluster: the master with the cluster file's policy, over a transport. `local` puts the
 * slaves in worker threads (`threads` of them, default one per slave), `nats` in separate
 * processes talking through a NATS server (the file's or `natsUrl`, or a private one started
 * here), `in-process` in this thread. The result is the same for all three; only `host`
 * (replaced processes) differs. Host time is read only inside the transports (NATS heartbeats).
 */
import { InterruptedError, UsageError } from '../errors.ts';
import { type ClusterConfig, DEFAULT_WEIGHTS } from './cluster-file.ts';
import { type ClusterRun, Master, type MasterLink } from './master/master.ts';
import type { SlaveSpec } from './messages.ts';
import { type PolicyName, createPolicy } from './policies.ts';
import { ModelSlave } from './slave/model-slave.ts';
import { SessionSlave } from './slave/session-slave.ts';
import { ENV } from './transport/child-slaves.ts';
import type { NatsSettings } from './transport/envelope.ts';
import { InProcessLink } from './transport/in-process.ts';
import { LocalTransport } from './transport/local.ts';
import { NatsMasterTransport } from './transport/nats-master.ts';
import { type NatsServer, startPrivateNats } from './transport/nats-server.ts';
import type { Workload } from './workload.ts';

export type TransportName = 'local' | 'nats' | 'in-process';
export const TRANSPORTS: readonly TransportName[] = ['local', 'nats', 'in-process'];

export interface ClusterRunOptions {
  transport: TransportName;
  /** NATS server URL (overrides the cluster file's). */
  natsUrl?: string;
  /** Worker threads of the local transport. */
  threads?: number;
  /** Modelled slaves (profile replay). */
  model?: boolean;
  /** Another policy than the file's (the experiment). */
  policy?: PolicyName;
  /** Keep per-quantum samples for the trace. */
  samples?: boolean;
  /** Transport events (rejections, replacements): host-dependent, never part of the results. */
  log(line: string): void;
  /** Sees the transport once it is up (the tests inject faults through it). */
  onTransport?(transport: LocalTransport | NatsMasterTransport | InProcessLink): void;
  /**
   * Settles when the run must stop early (a shutdown signal, with its name): the slaves close
   * their sessions and disks, and runCluster throws InterruptedError.
   */
  stop?: Promise<string>;
  /** Wraps the master's link (the tests count or delay messages through it). */
  wrapLink?(link: MasterLink): MasterLink;
}

export interface HostFacts {
  readonly transport: TransportName;
  /** Slave processes or threads replaced after they died. */
  readonly replacements: number;
}

export function slaveSpecs(config: ClusterConfig): SlaveSpec[] {
  return config.slaves.map((s) => ({
    name: s.name,
    cores: s.cores,
    memory: s.memory,
    vcpusPerCore: s['vcpus-per-core'],
    ioLanes: s['io-lanes'],
    diskTiming: s['disk-timing'],
    timing: s.timing,
    sliceCycles: s['slice-cycles'],
  }));
}

export async function runCluster(config: ClusterConfig, workloads: readonly Workload[], o: ClusterRunOptions): Promise<{ run: ClusterRun; host: HostFacts }> {
  const slaves = slaveSpecs(config);
  const policySpec = typeof config.policy === 'string' ? { name: config.policy, weights: DEFAULT_WEIGHTS } : config.policy;
  const policy = createPolicy(o.policy ?? policySpec.name, { seed: config.seed, weights: policySpec.weights ?? DEFAULT_WEIGHTS });
  const options = { quantum: config.quantum, until: config.until, slaves, workloads, policy, failures: config.failures, images: !o.model, samples: o.samples };
  const transport = await openTransport(config, o);
  try {
    o.onTransport?.(transport.handle);
    const link = o.wrapLink ? o.wrapLink(transport.link) : transport.link;
    const run = await untilStopped(new Master(options, link).run(), o.stop);
    return { run, host: { transport: o.transport, replacements: transport.replacements() } };
  } finally {
    await transport.close();
  }
}

/** The master's run, or InterruptedError when `stop` settles first (the run is then abandoned). */
function untilStopped(run: Promise<ClusterRun>, stop: Promise<string> | undefined): Promise<ClusterRun> {
  if (!stop) return run;
  // An abandoned run may still fail once its transport is gone: that is not news any more.
  run.catch(() => undefined);
  const stopped = stop.then((signal): never => {
    throw new InterruptedError(signal, 'the cluster run was stopped; every slave closed its sessions and disks (no results written)');
  });
  return Promise.race([run, stopped]);
}

interface OpenTransport {
  readonly link: MasterLink;
  readonly handle: LocalTransport | NatsMasterTransport | InProcessLink;
  replacements(): number;
  close(): Promise<void>;
}

async function openTransport(config: ClusterConfig, o: ClusterRunOptions): Promise<OpenTransport> {
  const count = config.slaves.length;
  if (o.transport === 'in-process') {
    const link = new InProcessLink(count, () => (o.model ? new ModelSlave() : new SessionSlave()));
    return { link, handle: link, replacements: () => 0, close: async () => link.close() };
  }
  if (o.transport === 'local') {
    const local = new LocalTransport({ slaves: count, threads: o.threads, model: o.model, log: o.log });
    return { link: local.link, handle: local, replacements: () => local.replacements, close: () => local.close() };
  }
  const { settings, server } = await natsSettings(config, o.natsUrl);
  try {
    const slaves = config.slaves.map((s) => ({ name: s.name, remote: s.remote }));
    const nats = await NatsMasterTransport.open({ nats: settings, slaves, heartbeatTimeoutMs: config.nats?.['heartbeat-timeout'] ?? 10_000, log: o.log });
    const close = async () => {
      await nats.close();
      await server?.stop();
    };
    return { link: nats.link, handle: nats, replacements: () => nats.replacements, close };
  } catch (error) {
    await server?.stop();
    throw error;
  }
}

/**
 * The server and credentials: the command line's or the file's URL with credentials from the file
 * or the environment; without a URL, a private server on 127.0.0.1 with fresh credentials.
 */
async function natsSettings(config: ClusterConfig, url: string | undefined): Promise<{ settings: NatsSettings; server?: NatsServer }> {
  const file = config.nats;
  const cluster = file?.cluster ?? 'hvlab';
  const target = url ?? file?.url;
  if (target === undefined) {
    if (config.slaves.some((s) => s.remote)) throw new UsageError(`${config.source}: nats.url: remote slaves need a NATS server they can reach (nats.url or --nats URL)`);
    return startPrivateNats(cluster);
  }
  const user = file?.user ?? process.env[ENV.user];
  const password = file?.password ?? process.env[ENV.password];
  const secret = file?.secret ?? process.env[ENV.secret];
  if (!user || !password) throw new UsageError(`${config.source}: nats.user and nats.password (or ${ENV.user} and ${ENV.password}): the NATS connection needs credentials`);
  if (!secret || secret.length < 8) throw new UsageError(`${config.source}: nats.secret (or ${ENV.secret}): the messages need a key of at least 8 characters`);
  return { settings: { url: target, user, password, secret, cluster } };
}
