/**
 * The master's side of the NATS transport. Slaves are separate processes: children it starts
 * (`hv cluster slave`) or remote ones someone started on other hosts. A slave process is adopted
 * when it says hello; the master then replays the slave's whole input log to it (the first time
 * that is just `init`). A child that exits, or any slave silent for longer than the heartbeat
 * timeout (host time, only here: it never reaches the results), is dropped; a child is restarted,
 * a remote slave waits for a new process under its name. Every message is authenticated (HMAC),
 * schema-checked and checked for order; a bad one is logged and dropped.
 */
import type { ChildProcess } from 'node:child_process';
import { type Msg, type NatsConnection, connect } from '@nats-io/transport-node';
import { type MasterBody, controlBodySchema, schemaProblem, slaveBodySchema } from '../messages.ts';
import { type Envelope, type NatsSettings, masterSubject, seal, slaveSubject, unseal } from './envelope.ts';
import { spawnSlave, stopChild } from './child-slaves.ts';
import { ReplayLink } from './replay-link.ts';

export interface NatsMasterOptions {
  readonly nats: NatsSettings;
  readonly slaves: ReadonlyArray<{ readonly name: string; readonly remote: boolean }>;
  readonly heartbeatTimeoutMs: number;
  log(line: string): void;
}

interface SlaveProcess {
  readonly name: string;
  readonly remote: boolean;
  child: ChildProcess | undefined;
  instance: string | undefined;
  lastSeen: number;
}

const CHECK_MS = 500;
/** How often the master says which remote slaves it still waits for. */
const WAITING_NOTICE_MS = 10_000;

export class NatsMasterTransport {
  readonly link: ReplayLink;
  /** Slave processes replaced after they died or went silent. */
  replacements = 0;
  private readonly slaves: SlaveProcess[];
  private readonly byName = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;
  private closing = false;
  private lastNotice = Date.now();

  private constructor(
    private readonly nc: NatsConnection,
    private readonly o: NatsMasterOptions,
  ) {
    this.slaves = o.slaves.map((s, i) => {
      this.byName.set(s.name, i);
      return { name: s.name, remote: s.remote, child: undefined, instance: undefined, lastSeen: 0 };
    });
    this.link = new ReplayLink(this.slaves.length, (slave, seq, body) => this.deliver(slave, seq, body));
    nc.subscribe(masterSubject(o.nats.cluster), { callback: (error, msg) => (error ? o.log(`nats: ${error.message}`) : this.onMessage(msg)) });
    this.slaves.forEach((s, i) => !s.remote && this.start(i));
    this.timer = setInterval(() => this.checkHeartbeats(), CHECK_MS);
  }

  static async open(o: NatsMasterOptions): Promise<NatsMasterTransport> {
    const nc = await connect({ servers: o.nats.url, user: o.nats.user, pass: o.nats.password, name: 'hvlab-master', maxReconnectAttempts: -1 });
    return new NatsMasterTransport(nc, o);
  }

  /** The process id of the child hosting `slave` now (undefined for a remote slave). */
  pidOf(slave: number): number | undefined {
    return this.slaves[slave]!.child?.pid;
  }

  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.timer);
    await Promise.all(this.slaves.map((s) => (s.child ? stopChild(s.child) : undefined)));
    await this.nc.drain().catch(() => undefined);
  }

  private start(slave: number): void {
    const s = this.slaves[slave]!;
    const child = spawnSlave(s.name, this.o.nats, this.o.log);
    s.child = child;
    child.once('exit', (code, signal) => {
      if (this.closing || s.child !== child || this.link.isComplete(slave)) return;
      this.drop(slave, `its process exited (${signal ?? `status ${code}`})`);
    });
  }

  /** Forgets the slave's process; a child is restarted, a remote slave waits for a new one. */
  private drop(slave: number, why: string): void {
    const s = this.slaves[slave]!;
    this.link.detach(slave);
    s.instance = undefined;
    this.replacements += 1;
    const old = s.child;
    s.child = undefined;
    if (old && old.exitCode === null && old.signalCode === null) old.kill('SIGKILL');
    if (s.remote) this.o.log(`nats: slave ${s.name} lost (${why}); waiting for a new process: hv cluster slave --name ${s.name}`);
    else {
      this.o.log(`nats: slave ${s.name} lost (${why}); starting a new process and replaying its inputs`);
      this.start(slave);
    }
  }

  private checkHeartbeats(): void {
    const now = Date.now();
    this.slaves.forEach((s, i) => {
      if (s.instance !== undefined && !this.link.isComplete(i) && now - s.lastSeen > this.o.heartbeatTimeoutMs) this.drop(i, `silent for more than ${this.o.heartbeatTimeoutMs} ms`);
    });
    const waiting = this.slaves.filter((s) => s.remote && s.instance === undefined).map((s) => s.name);
    if (waiting.length > 0 && now - this.lastNotice >= WAITING_NOTICE_MS) {
      this.lastNotice = now;
      this.o.log(`nats: waiting for remote slaves ${waiting.join(', ')} (hv cluster slave --nats URL --name NAME on their hosts)`);
    }
  }

  private deliver(slave: number, seq: number, body: MasterBody): void {
    const s = this.slaves[slave]!;
    const envelope: Envelope = { v: 1, cluster: this.o.nats.cluster, from: 'master', to: s.name, instance: s.instance!, seq, body };
    this.nc.publish(slaveSubject(this.o.nats.cluster, s.name), seal(envelope, this.o.nats.secret));
  }

  private onMessage(msg: Msg): void {
    const opened = unseal(msg.data, this.o.nats.secret);
    if ('problem' in opened) return this.reject(opened.problem);
    const e = opened.envelope;
    const slave = this.byName.get(e.from);
    if (e.cluster !== this.o.nats.cluster || e.to !== 'master' || slave === undefined) return this.reject(`misaddressed (${e.from} -> ${e.to} in ${e.cluster})`);
    const s = this.slaves[slave]!;
    if (e.seq === 0) return this.onControl(slave, e);
    if (e.instance !== s.instance) return this.reject(`from ${e.from}: a process that is not the slave's current one`);
    const body = slaveBodySchema.safeParse(e.body);
    if (!body.success) return this.reject(`from ${e.from}: malformed reply: ${schemaProblem(body.error)}`);
    s.lastSeen = Date.now();
    const problem = this.link.reply(slave, e.seq, body.data);
    if (problem) this.reject(`from ${e.from}: ${problem}`);
  }

  private onControl(slave: number, e: Envelope): void {
    const s = this.slaves[slave]!;
    const body = controlBodySchema.safeParse(e.body);
    if (!body.success) return this.reject(`from ${e.from}: malformed control message: ${schemaProblem(body.error)}`);
    if (e.instance === s.instance) {
      s.lastSeen = Date.now();
      return;
    }
    if (body.data.kind !== 'hello') return this.reject(`from ${e.from}: heartbeat of a process that is not the slave's current one`);
    if (s.instance !== undefined) return this.reject(`from ${e.from}: hello from a second process while the current one is alive`);
    s.instance = e.instance;
    s.lastSeen = Date.now();
    this.link.attach(slave);
  }

  private reject(reason: string): void {
    this.o.log(`nats: rejected a message: ${reason}`);
  }
}
