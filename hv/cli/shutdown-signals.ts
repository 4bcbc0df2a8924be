/**
 * SIGINT and SIGTERM as a request to shut down through the command's normal ending (the one
 * shutdown path: the run stops, what the user asked for is written, the disks are flushed and
 * closed, temporary files removed), instead of Node's default of dying on the spot. Handlers are
 * installed before anything is booted, so a signal that arrives while the CLI is busy (booting,
 * or inside a slice of the run, which is synchronous) is seen at the next point the command
 * looks (`received`): for `hv run`, the next slice boundary. The command then exits with
 * 128 + the signal's number, as shells report a process ended by a signal (130, 143).
 */
import { constants } from 'node:os';

export const SHUTDOWN_SIGNALS = ['SIGINT', 'SIGTERM'] as const;
export type ShutdownSignal = (typeof SHUTDOWN_SIGNALS)[number];

/** The exit status for a command ended by `signal`: 128 + its number (SIGINT 130, SIGTERM 143). */
export function signalExitStatus(signal: ShutdownSignal): number {
  return 128 + constants.signals[signal];
}

export class ShutdownSignals {
  private first: ShutdownSignal | undefined;
  private readonly waiters: Array<(signal: ShutdownSignal) => void> = [];
  private readonly handlers = new Map<ShutdownSignal, () => void>();

  private constructor(
    private readonly notice: (message: string) => void,
    private readonly plan: string,
  ) {}

  /** Catches SIGINT and SIGTERM from now on; on the first, `notice` is told `plan` (what happens now). */
  static install(notice: (message: string) => void, plan: string): ShutdownSignals {
    const signals = new ShutdownSignals(notice, plan);
    for (const name of SHUTDOWN_SIGNALS) {
      const handler = () => signals.receive(name);
      signals.handlers.set(name, handler);
      process.on(name, handler);
    }
    return signals;
  }

  /** The first signal received, if any. */
  get received(): ShutdownSignal | undefined {
    return this.first;
  }

  /** Resolves with the first signal (at once when one was received already). */
  next(): Promise<ShutdownSignal> {
    if (this.first) return Promise.resolve(this.first);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Gives the signals back to Node's default handling. */
  remove(): void {
    for (const [name, handler] of this.handlers) process.off(name, handler);
    this.handlers.clear();
  }

  private receive(signal: ShutdownSignal): void {
    if (this.first) {
      // The shutdown is under way: it flushes the disks, and cutting it short would lose data.
      this.notice(`${signal}: already shutting down (after ${this.first})`);
      return;
    }
    this.first = signal;
    this.notice(`${signal}: ${this.plan}`);
    for (const resolve of this.waiters.splice(0)) resolve(signal);
  }
}
