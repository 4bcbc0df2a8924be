/** A minimal GDB Remote Serial Protocol client for tests: packets with checksums, no-ack mode. */
import { Socket } from 'node:net';

export class RspClient {
  private buffer = '';
  private waiters: Array<() => void> = [];
  private noAck = false;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buffer += d.toString('latin1');
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static connect(port: number): Promise<RspClient> {
    return new Promise((resolve, reject) => {
      const socket = new Socket();
      socket.once('error', reject);
      socket.connect(port, '127.0.0.1', () => resolve(new RspClient(socket)));
    });
  }

  /** Sends a packet and waits for its reply. */
  async request(data: string): Promise<string> {
    this.send(data);
    return this.reply();
  }

  send(data: string): void {
    let sum = 0;
    for (const c of Buffer.from(data, 'latin1')) sum = (sum + c) & 0xff;
    this.socket.write(`$${data}#${sum.toString(16).padStart(2, '0')}`);
  }

  /** Ctrl-C. */
  interrupt(): void {
    this.socket.write(Buffer.from([3]));
  }

  /** The next packet's data (acknowledged unless in no-ack mode). */
  async reply(timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.buffer = this.buffer.replace(/^\++/, '');
      const match = /^\$([^#]*)#([0-9a-f]{2})/.exec(this.buffer);
      if (match) {
        this.buffer = this.buffer.slice(match[0].length);
        if (!this.noAck) this.socket.write('+');
        return match[1]!;
      }
      if (Date.now() > deadline) throw new Error(`no reply; buffer: ${JSON.stringify(this.buffer)}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }

  async startNoAck(): Promise<void> {
    const ok = await this.request('QStartNoAckMode');
    if (ok !== 'OK') throw new Error(`QStartNoAckMode: ${ok}`);
    this.noAck = true;
  }

  close(): void {
    this.socket.destroy();
  }
}
