/**
 * Runs a session to its end in slices of virtual time, so that the command can look up between
 * them: show a progress line, enforce --timeout (host time: the CLI may read it, the hypervisor
 * never does), and take terminal input for a guest's UART. Slicing a run changes nothing in it
 * (the run loop stops every core at the slice's end and resumes exactly; a test checks that the
 * console, the stats and the trace are identical): a slice ends at the first step boundary at or
 * after its end (no step is shortened, so the steps run in the same order as in one run), only
 * the run's own end (--until-cycles) stops every core exactly. A run that would end idle while the
 * terminal may still type waits for input instead. A checkpoint (--checkpoint-at) is taken at a
 * slice end of its own. A shutdown signal (SIGINT, SIGTERM) ends the run at the next slice
 * boundary, or at once while it waits for input; one that arrived before the first slice (while
 * the system booted) ends it before any guest instruction runs.
 */
import { setTimeout as sleep, setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { RunResult } from '../core/hypervisor.ts';
import type { Session } from '../system/session.ts';
import type { ProgressLine } from './progress-line.ts';
import type { ShutdownSignal, ShutdownSignals } from './shutdown-signals.ts';
import type { TerminalInput } from './terminal-input.ts';

/** Virtual time per slice: 40 ms at 25 MHz, a few ms to a few tens of ms of host time. */
export const SLICE_CYCLES = 1_000_000;
/** While waiting for terminal input: how often the timeout and the debuggers are looked at. */
const IDLE_POLL_MS = 50;

export interface DriveOptions {
  untilCycles?: number;
  untilLine?: RegExp;
  /** Host seconds after which the run stops. */
  timeout?: number;
  progress?: ProgressLine;
  terminal?: TerminalInput;
  /** SIGINT/SIGTERM, caught before the system booted. */
  signals?: ShutdownSignals;
  /** Virtual time at which to call onCheckpoint (at a step boundary; at the end when it is untilCycles). */
  checkpointAt?: number;
  onCheckpoint?(): void;
}

export interface DriveResult {
  readonly result: RunResult;
  readonly timedOut: boolean;
  /** The signal that ended the run early. */
  readonly signal?: ShutdownSignal;
}

export async function driveRun(session: Session, options: DriveOptions): Promise<DriveResult> {
  const started = process.hrtime.bigint();
  const until = options.untilCycles ?? Infinity;
  const timedOut = () => options.timeout !== undefined && Number(process.hrtime.bigint() - started) / 1e9 >= options.timeout;
  const slices = new Slices(session, options, until);
  for (;;) {
    const signal = options.signals?.received;
    if (signal) return { result: session.stop(), timedOut: false, signal };
    const { result, more } = slices.next();
    const waitsForInput = !more && result.reason === 'idle' && options.terminal?.open === true;
    if (!more && !waitsForInput) return { result, timedOut: false };
    // Between slices, and while waiting for the terminal, the timeout still counts.
    if (timedOut()) return { result: session.stop(), timedOut: true };
    if (more) await yieldToEventLoop();
    else await waitForInput(session, options);
  }
}

/** Waits for terminal input (or a signal, or the next poll); a debugger may still interrupt. */
async function waitForInput(session: Session, options: DriveOptions): Promise<void> {
  const waits = [options.terminal!.next(), sleep(IDLE_POLL_MS, undefined, { ref: false })];
  await Promise.race(options.signals ? [...waits, options.signals.next()] : waits);
  session.pollAttachments();
}

/** The slices of a run: where each one stops, and the checkpoint taken at a slice end of its own. */
class Slices {
  /** Where the slices have got to: past the present when every guest sleeps beyond a slice end. */
  private reached: number;
  private checkpointAt: number | undefined;

  constructor(
    private readonly session: Session,
    private readonly options: DriveOptions,
    private readonly until: number,
  ) {
    this.reached = session.now;
    this.checkpointAt = options.checkpointAt;
  }

  /** Runs the next slice; `more` when the run goes on after it. */
  next(): { result: RunResult; more: boolean } {
    const { session, options, until } = this;
    const target = nextStop(this.reached, until, this.checkpointAt);
    const result = session.runUntil({ cycles: target, line: options.untilLine, exact: target >= until });
    this.reached = Math.max(session.now, target);
    options.progress?.update(session);
    const stoppedThere = result.reason === 'until-cycles';
    if (stoppedThere && this.checkpointAt !== undefined && target >= this.checkpointAt) {
      options.onCheckpoint?.();
      this.checkpointAt = undefined;
    }
    return { result, more: stoppedThere && target < until };
  }
}

/** Where the next slice stops: a slice on, the run's end, or the checkpoint's time before it. */
function nextStop(reached: number, until: number, checkpointAt: number | undefined): number {
  const slice = Math.min(until, reached + SLICE_CYCLES);
  return checkpointAt !== undefined && checkpointAt < slice ? checkpointAt : slice;
}
