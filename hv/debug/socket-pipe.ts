/**
 * A TCP listener for one debugger connection at a time, served by a worker thread so that the
 * main thread may block while a guest is halted: the hypervisor's run loop is synchronous, and a
 * halted guest holds the whole system still inside it (virtual time stands still) while the
 * main thread waits for the debugger's next packet. The worker only moves bytes; it posts what
 * it receives on a message port and bumps a shared counter (Atomics.notify), and the main thread
 * collects messages with receiveMessageOnPort, without its event loop. Bytes to send go to the
 * worker as messages; the worker's own event loop writes them to the socket.
 */
import { MessageChannel, type MessagePort, Worker, receiveMessageOnPort } from 'node:worker_threads';
import { UsageError } from '../errors.ts';

export type PipeEvent =
  | { readonly kind: 'connect' }
  | { readonly kind: 'data'; readonly bytes: Uint8Array }
  | { readonly kind: 'close' };

/** The worker, as plain JavaScript (evaluated, so it runs the same from .ts sources and builds). */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const net = require('node:net');
const { port, host, events, signal } = workerData;
const counter = new Int32Array(signal);
const emit = (message) => { events.postMessage(message); Atomics.add(counter, 0, 1); Atomics.notify(counter, 0); };
let client = null;
const server = net.createServer((socket) => {
  if (client) { socket.end(); return; }
  client = socket;
  socket.setNoDelay(true);
  emit({ kind: 'connect' });
  socket.on('data', (bytes) => emit({ kind: 'data', bytes: new Uint8Array(bytes) }));
  socket.on('close', () => { if (client === socket) client = null; emit({ kind: 'close' }); });
  socket.on('error', () => {});
});
server.on('error', (e) => parentPort.postMessage({ kind: 'error', code: e.code, message: e.message }));
server.listen(port, host, () => parentPort.postMessage({ kind: 'listening', port: server.address().port }));
parentPort.on('message', (m) => {
  if (m.kind === 'send') { if (client) client.write(Buffer.from(m.bytes)); }
  else if (m.kind === 'close') {
    server.close();
    if (client) client.end(() => client && client.destroy());
    parentPort.close();
    events.close();
  }
});
`;

export const DEBUG_HOST = '127.0.0.1';

export class SocketPipe {
  private seen = 0;
  private closed = false;

  private constructor(
    private readonly worker: Worker,
    private readonly events: MessagePort,
    private readonly counter: Int32Array,
    /** The port it listens on (the one asked for, or the one the system chose for 0). */
    readonly port: number,
  ) {}

  /** Listens on `port` of the loopback interface; `what` names the option in errors. */
  static async listen(port: number, what: string): Promise<SocketPipe> {
    const { port1, port2 } = new MessageChannel();
    const signal = new SharedArrayBuffer(4);
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { port, host: DEBUG_HOST, events: port2, signal }, transferList: [port2] });
    const reply = await new Promise<{ kind: string; port?: number; code?: string; message?: string }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    if (reply.kind !== 'listening') {
      await worker.terminate();
      port1.close();
      throw new UsageError(`${what}: cannot listen on ${DEBUG_HOST}:${port}: ${reply.code ?? reply.message}`);
    }
    return new SocketPipe(worker, port1, new Int32Array(signal), reply.port!);
  }

  /** What arrived since the last call (cheap when nothing did: one atomic load). */
  poll(): PipeEvent[] {
    const now = Atomics.load(this.counter, 0);
    if (now === this.seen || this.closed) return [];
    this.seen = now;
    return this.drain();
  }

  /** Blocks the thread until something arrives. */
  wait(): PipeEvent[] {
    for (;;) {
      if (this.closed) return [{ kind: 'close' }];
      const now = Atomics.load(this.counter, 0);
      this.seen = now;
      const events = this.drain();
      if (events.length > 0) return events;
      Atomics.wait(this.counter, 0, now);
    }
  }

  send(bytes: Uint8Array): void {
    if (!this.closed) this.worker.postMessage({ kind: 'send', bytes });
  }

  /** Stops listening; bytes already sent are still delivered. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.worker.postMessage({ kind: 'close' });
    this.events.close();
  }

  private drain(): PipeEvent[] {
    const events: PipeEvent[] = [];
    for (let m = receiveMessageOnPort(this.events); m; m = receiveMessageOnPort(this.events)) events.push(m.message as PipeEvent);
    return events;
  }
}
