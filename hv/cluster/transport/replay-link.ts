/**
 * The master's side of a transport that can lose slave processes: it keeps every input sent to
 * each slave (its log) and hands the master each slave's replies in order, exactly once. When a
 * slave's process dies, the transport attaches a new one and this link replays the whole log to
 * it; the new process computes the same replies (a slave is a function of its inputs), and the
 * replies the master already has are checked against a digest of the originals and dropped. A
 * reply that is not the next one the current process owes is rejected (and logged by the caller).
 */
import { createHash } from 'node:crypto';
import { InternalError } from '../../errors.ts';
import type { MasterLink } from '../master/master.ts';
import type { MasterBody, SlaveBody } from '../messages.ts';

/** Carries an input to the process that currently hosts a slave. */
export type Deliver = (slave: number, seq: number, body: MasterBody) => void;

interface SlaveState {
  readonly log: MasterBody[];
  /** Digests of the replies received so far (index = seq − 1). */
  readonly digests: string[];
  readonly inbox: SlaveBody[];
  waiter: { resolve(body: SlaveBody): void; reject(error: Error): void } | undefined;
  /** A process is attached and has been given the log. */
  attached: boolean;
  /** The seq the attached process owes next. */
  next: number;
}

export class ReplayLink implements MasterLink {
  private readonly slaves: SlaveState[];
  private failure: Error | undefined;
  /** Inputs re-sent to replacement processes (not protocol messages: for the operator's log). */
  replayed = 0;

  constructor(
    count: number,
    private readonly deliver: Deliver,
  ) {
    this.slaves = Array.from({ length: count }, () => ({ log: [], digests: [], inbox: [], waiter: undefined, attached: false, next: 1 }));
  }

  send(slave: number, body: MasterBody): void {
    const s = this.slaves[slave]!;
    s.log.push(body);
    if (s.attached) this.deliver(slave, s.log.length, body);
  }

  receive(slave: number): Promise<SlaveBody> {
    if (this.failure) return Promise.reject(this.failure);
    const s = this.slaves[slave]!;
    const body = s.inbox.shift();
    if (body) return Promise.resolve(body);
    return new Promise((resolve, reject) => {
      s.waiter = { resolve, reject };
    });
  }

  /** A process now hosts `slave`: it is given every input so far, in order. */
  attach(slave: number): void {
    const s = this.slaves[slave]!;
    s.attached = true;
    s.next = 1;
    this.replayed += s.digests.length;
    s.log.forEach((body, i) => this.deliver(slave, i + 1, body));
  }

  /** The process hosting `slave` is gone (its replies from now on are stale). */
  detach(slave: number): void {
    this.slaves[slave]!.attached = false;
  }

  isAttached(slave: number): boolean {
    return this.slaves[slave]!.attached;
  }

  /** True when the slave has answered `finish`: its exchange is over and its process may end. */
  isComplete(slave: number): boolean {
    const s = this.slaves[slave]!;
    return s.log.at(-1)?.kind === 'finish' && s.digests.length === s.log.length;
  }

  /** A reply of the attached process: undefined when taken, otherwise why it was rejected. */
  reply(slave: number, seq: number, body: SlaveBody): string | undefined {
    const s = this.slaves[slave]!;
    if (!s.attached) return 'no process is attached for this slave';
    if (seq !== s.next) return `out of order: expected reply ${s.next}, got ${seq}`;
    if (seq > s.log.length) return `reply ${seq} to an input never sent (${s.log.length} sent)`;
    s.next += 1;
    const digest = createHash('sha256').update(JSON.stringify(body)).digest('hex');
    if (seq <= s.digests.length) {
      if (s.digests[seq - 1] !== digest) this.fail(new InternalError(`slave ${slave}: the replayed reply ${seq} differs from the original (the slave is not deterministic)`));
      return undefined;
    }
    s.digests.push(digest);
    if (s.waiter) {
      const waiter = s.waiter;
      s.waiter = undefined;
      waiter.resolve(body);
    } else s.inbox.push(body);
    return undefined;
  }

  /** Ends the run with an error (a slave failed in a way a replacement cannot fix). */
  fail(error: Error): void {
    this.failure ??= error;
    for (const s of this.slaves) {
      s.waiter?.reject(this.failure);
      s.waiter = undefined;
    }
  }
}
