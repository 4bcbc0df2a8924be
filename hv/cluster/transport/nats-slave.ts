/**
 * A slave process on the NATS transport (`hv cluster slave --nats URL --name NAME`, on this host or
 * another). It announces itself with `hello` once a second until the master sends it `init`,
 * then sends a heartbeat once a second (host time: this is the transport's liveness signal, never
 * part of the results). It takes only messages from the master, for its own process (instance),
 * with a valid MAC and schema and the next sequence number; anything else is logged and dropped.
 * It exits after answering `finish`, or when `stop` settles (a shutdown signal); either way it
 * closes its sessions first (their disks and temporary directories).
 */
import { randomUUID } from 'node:crypto';
import { type NatsConnection, type Msg, connect } from '@nats-io/transport-node';
import { type MasterBody, type SlaveBody, masterBodySchema, schemaProblem } from '../messages.ts';
import { SessionSlave } from '../slave/session-slave.ts';
import { type SlaveFactory, SlaveDriver } from '../slave/slave-node.ts';
import { type Envelope, type NatsSettings, masterSubject, seal, slaveSubject, unseal } from './envelope.ts';

const HEARTBEAT_MS = 1000;

export interface SlaveProcessOptions {
  readonly nats: NatsSettings;
  readonly name: string;
  /** Transport events (rejected messages); host-dependent, never results. */
  log(line: string): void;
  create?: SlaveFactory;
  /** Settles when the process must stop early (a shutdown signal): the slave closes and returns. */
  stop?: Promise<unknown>;
}

export async function runNatsSlave(o: SlaveProcessOptions): Promise<void> {
  const nc = await connect({ servers: o.nats.url, user: o.nats.user, pass: o.nats.password, name: `hvlab-slave-${o.name}`, maxReconnectAttempts: -1 });
  const slave = new NatsSlave(nc, o);
  try {
    // After a stop, a late failure of the abandoned service is not news any more.
    if (o.stop) slave.served.catch(() => undefined);
    await (o.stop ? Promise.race([slave.served, o.stop]) : slave.served);
  } finally {
    slave.close();
    await nc.drain().catch(() => undefined);
  }
}

class NatsSlave {
  private readonly instance = randomUUID();
  private readonly driver: SlaveDriver;
  private expected = 1;
  private replies = 0;
  private initialised = false;
  private chain: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;
  private finished!: () => void;
  private failed!: (error: Error) => void;
  /** Settles when the slave has answered finish (or failed). */
  readonly served = new Promise<void>((resolve, reject) => {
    this.finished = resolve;
    this.failed = reject;
  });

  constructor(
    private readonly nc: NatsConnection,
    private readonly o: SlaveProcessOptions,
  ) {
    this.driver = new SlaveDriver(o.create ?? (() => new SessionSlave()));
    nc.subscribe(slaveSubject(o.nats.cluster, o.name), { callback: (error, msg) => (error ? this.failed(error) : this.onMessage(msg)) });
    this.publish(0, { kind: 'hello' });
    this.timer = setInterval(() => this.publish(0, { kind: this.initialised ? 'heartbeat' : 'hello' }), HEARTBEAT_MS);
  }

  close(): void {
    clearInterval(this.timer);
    this.driver.close();
  }

  private onMessage(msg: Msg): void {
    const opened = unseal(msg.data, this.o.nats.secret);
    if ('problem' in opened) return this.reject(opened.problem);
    const e = opened.envelope;
    if (e.cluster !== this.o.nats.cluster || e.from !== 'master' || e.to !== this.o.name) return this.reject(`misaddressed (${e.from} -> ${e.to} in ${e.cluster})`);
    if (e.instance !== this.instance) return this.reject('addressed to another process of this slave');
    const body = masterBodySchema.safeParse(e.body);
    if (!body.success) return this.reject(`malformed input: ${schemaProblem(body.error)}`);
    if (e.seq !== this.expected) return this.reject(`out of order: expected input ${this.expected}, got ${e.seq}`);
    this.expected += 1;
    this.chain = this.chain.then(() => this.handle(body.data)).catch((error: Error) => this.failed(error));
  }

  private async handle(body: MasterBody): Promise<void> {
    const reply = await this.driver.handle(body);
    this.initialised = true;
    this.replies += 1;
    this.publish(this.replies, reply);
    if (reply.kind === 'final') {
      await this.nc.flush();
      this.finished();
    }
  }

  private publish(seq: number, body: SlaveBody | { kind: 'hello' | 'heartbeat' }): void {
    const envelope: Envelope = { v: 1, cluster: this.o.nats.cluster, from: this.o.name, to: 'master', instance: this.instance, seq, body };
    this.nc.publish(masterSubject(this.o.nats.cluster), seal(envelope, this.o.nats.secret));
  }

  private reject(reason: string): void {
    this.o.log(`slave ${this.o.name}: rejected a message: ${reason}`);
  }
}
