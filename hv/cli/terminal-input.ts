/**
 * The terminal as a guest's UART input (`--uart-input GUEST:-`): what is typed on standard input
 * (a line at a time in a terminal's normal mode) goes to the guest's receive line at the virtual
 * time it arrives. That time depends on the host, so interactive runs are not reproducible; a
 * script file (hv/system/uart-script.ts) is.
 */
import type { UartFeed } from '../system/uart-feed.ts';

export class TerminalInput {
  private ended = false;
  private waiting: (() => void) | undefined;
  private readonly onData = (chunk: Buffer) => {
    this.feed.send(new Uint8Array(chunk));
    this.wake();
  };
  private readonly onEnd = () => {
    this.ended = true;
    this.wake();
  };

  constructor(private readonly feed: UartFeed) {
    process.stdin.on('data', this.onData);
    process.stdin.on('end', this.onEnd);
    process.stdin.resume();
  }

  /** False once standard input has ended. */
  get open(): boolean {
    return !this.ended;
  }

  /** Resolves when input arrives or ends. */
  next(): Promise<void> {
    return new Promise((resolve) => (this.waiting = resolve));
  }

  close(): void {
    process.stdin.off('data', this.onData);
    process.stdin.off('end', this.onEnd);
    process.stdin.pause();
    this.wake();
  }

  private wake(): void {
    const resolve = this.waiting;
    this.waiting = undefined;
    resolve?.();
  }
}
