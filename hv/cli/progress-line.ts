/**
 * A one-line progress display on standard error for long runs, only when standard error is a
 * terminal (piped or captured output never contains it, so standard output and files stay
 * reproducible): virtual time reached, share of --until-cycles, and host speed. It appears after
 * a second of host time and is erased when the run ends.
 */
import type { Session } from '../system/session.ts';

const SHOW_AFTER_MS = 1000;
const REDRAW_MS = 250;

export class ProgressLine {
  private readonly started = Date.now();
  private lastDraw = 0;
  private shown = false;

  private constructor(
    private readonly untilCycles: number | undefined,
    private readonly hz: number,
  ) {}

  /** A progress line, or undefined when standard error is not a terminal. */
  static create(untilCycles: number | undefined, hz: number): ProgressLine | undefined {
    return process.stderr.isTTY ? new ProgressLine(untilCycles, hz) : undefined;
  }

  update(session: Session): void {
    const now = Date.now();
    if (now - this.started < SHOW_AFTER_MS || now - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = now;
    this.shown = true;
    const cycles = session.now;
    const share = this.untilCycles ? ` (${((100 * cycles) / this.untilCycles).toFixed(1)}% of --until-cycles)` : '';
    const seconds = (now - this.started) / 1000;
    const mcps = cycles / seconds / 1e6;
    process.stderr.write(`\r\x1b[Khv: ${(cycles / this.hz).toFixed(3)} s virtual, cycle ${cycles}${share}, ${mcps.toFixed(1)} M cycles per host second`);
  }

  stop(): void {
    if (this.shown) process.stderr.write('\r\x1b[K');
    this.shown = false;
  }
}
