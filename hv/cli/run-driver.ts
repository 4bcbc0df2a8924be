/**
 * Runs a session to its end in slices of virtual time, so that the command can look up between
 * them: show a progress line, enforce --timeout (host time: the CLI may read it, the hypervisor
 * never does), and take terminal input for a guest's UART. Slicing a run changes nothing in it
 * (the run loop stops every core at the slice's end and resumes exactly; a test checks that the
 * console, the stats and the trace are identical). A run that would end idle while the terminal
 * may still type waits for input instead. A shutdown signal (SIGINT, SIGTERM) ends the run at the
 * next slice boundary, or at once while it waits for input; one that arrived before the first
 * slice (while the system booted) ends it before any guest instruction runs.
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
  for (;;) {
    const signal = options.signals?.received;
    if (signal) return { result: session.stop(), timedOut: false, signal };
    const target = Math.min(until, session.now + SLICE_CYCLES);
    const result = session.runUntil({ cycles: target, line: options.untilLine });
    options.progress?.update(session);
    const goesOn = result.reason === 'until-cycles' && target < until;
    const waitsForInput = result.reason === 'idle' && options.terminal?.open === true;
    if (!goesOn && !waitsForInput) return { result, timedOut: false };
    // Between slices, and while waiting for the terminal, the timeout still counts.
    if (timedOut()) return { result: session.stop(), timedOut: true };
    if (goesOn) await yieldToEventLoop();
    else await waitForInput(session, options);
  }
}

/** Waits for terminal input (or a signal, or the next poll); a debugger may still interrupt. */
async function waitForInput(session: Session, options: DriveOptions): Promise<void> {
  const waits = [options.terminal!.next(), sleep(IDLE_POLL_MS, undefined, { ref: false })];
  await Promise.race(options.signals ? [...waits, options.signals.next()] : waits);
  session.pollAttachments();
}
