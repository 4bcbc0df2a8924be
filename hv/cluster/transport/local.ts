/**
 * The local transport (the default; nothing to install): slaves in worker threads of this
 * process, one per slave unless `threads` says fewer (then each thread runs its slaves one after
 * the other), so slaves run in parallel on the host's cores. Every message is schema-checked on
 * arrival. A worker that dies is replaced and its slaves' inputs replayed (see ReplayLink).
 */
import { Worker } from 'node:worker_threads';
import { InternalError } from '../../errors.ts';
import { type MasterBody, schemaProblem, slaveBodySchema } from '../messages.ts';
import { ReplayLink } from './replay-link.ts';

export type ToWorker = { type: 'input'; slave: number; seq: number; body: MasterBody } | { type: 'close' };
type FromWorker =
  | { type: 'reply'; slave: number; seq: number; body: unknown }
  | { type: 'rejected'; slave: number; reason: string }
  | { type: 'error'; slave: number; message: string; stack: string };

export interface LocalOptions {
  /** Number of slaves. */
  slaves: number;
  /** Worker threads (default and at most: one per slave). */
  threads?: number;
  /** Modelled slaves (profile replay) instead of emulating guests. */
  model?: boolean;
  /** Receives transport events: rejected messages, replaced workers (host-dependent, not results). */
  log(line: string): void;
}

const BOOTSTRAP = new URL('./worker-bootstrap.mjs', import.meta.url);
const ENTRY = new URL('./local-worker.ts', import.meta.url).href;

export class LocalTransport {
  readonly link: ReplayLink;
  private readonly workers: Worker[] = [];
  private readonly exited = new Set<Worker>();
  private closing = false;
  /** Workers replaced after they died. */
  replacements = 0;

  constructor(private readonly o: LocalOptions) {
    this.link = new ReplayLink(o.slaves, (slave, seq, body) => this.workerOf(slave).postMessage({ type: 'input', slave, seq, body } satisfies ToWorker));
    const threads = Math.max(1, Math.min(o.threads ?? o.slaves, o.slaves));
    for (let t = 0; t < threads; t++) this.workers.push(this.spawn(t));
    for (let s = 0; s < o.slaves; s++) this.link.attach(s);
  }

  /** Ends the worker hosting `slave` abruptly, as a crash would (the tests' fault injection). */
  async crash(slave: number): Promise<void> {
    await this.workerOf(slave).terminate();
  }

  /**
   * Asks every worker to close its slaves (their sessions, disks and temporary directories) and
   * waits until each has ended; a worker that already died has nothing left to close.
   */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w) => this.stop(w)));
  }

  private stop(worker: Worker): Promise<void> {
    if (this.exited.has(worker)) return Promise.resolve();
    const ended = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage({ type: 'close' } satisfies ToWorker);
    return ended;
  }

  private workerOf(slave: number): Worker {
    return this.workers[slave % this.workers.length]!;
  }

  private hosted(thread: number): number[] {
    return Array.from({ length: this.o.slaves }, (_, s) => s).filter((s) => s % this.workers.length === thread);
  }

  private spawn(thread: number): Worker {
    const worker = new Worker(BOOTSTRAP, { workerData: { entry: ENTRY, model: this.o.model ?? false } });
    worker.on('message', (m: FromWorker) => this.onMessage(m));
    worker.on('error', (error) => this.o.log(`worker ${thread} failed: ${error.message}`));
    worker.on('exit', () => {
      this.exited.add(worker);
      this.onExit(thread, worker);
    });
    return worker;
  }

  private onMessage(m: FromWorker): void {
    if (m.type === 'error') return this.link.fail(new InternalError(`slave ${m.slave} failed: ${m.stack || m.message}`));
    if (m.type === 'rejected') return this.o.log(`slave ${m.slave} rejected an input: ${m.reason}`);
    const parsed = slaveBodySchema.safeParse(m.body);
    if (!parsed.success) return this.o.log(`rejected a reply of slave ${m.slave}: ${schemaProblem(parsed.error)}`);
    const problem = this.link.reply(m.slave, m.seq, parsed.data);
    if (problem) this.o.log(`rejected a reply of slave ${m.slave}: ${problem}`);
  }

  /** A worker that ends while the run goes on died: a new one takes its slaves and their logs. */
  private onExit(thread: number, worker: Worker): void {
    if (this.closing || this.workers[thread] !== worker) return;
    const slaves = this.hosted(thread);
    for (const s of slaves) this.link.detach(s);
    this.replacements += 1;
    this.o.log(`worker ${thread} (slaves ${slaves.join(', ')}) died: replaced, inputs replayed`);
    this.workers[thread] = this.spawn(thread);
    for (const s of slaves) this.link.attach(s);
  }
}
