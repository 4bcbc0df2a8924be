/**
 * Runs for the checkpoint tests: an uninterrupted run to a virtual time, a run that stops where a
 * condition first holds (at a step boundary: the run can go on as if it had not stopped) and saves
 * a checkpoint there, and a restored run to the same time. Their console lines, stats and trace
 * events are compared as strings.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { type SystemConfig, validateSystem } from '../../hv/core/system-config.ts';
import { type RestoreOptions, Session } from '../../hv/system/session.ts';
import { statsJson } from '../../hv/trace/stats-file.ts';

export interface Outcome {
  readonly lines: string;
  readonly stats: string;
  readonly events: string;
}

/** Runs `session` to `until` (or its end), finishes and closes it; what it printed, counted and traced. */
export function finishRun(session: Session, until?: number): Outcome {
  try {
    session.runUntil(until === undefined ? {} : { cycles: until });
    session.finish();
    return {
      lines: session.consoleLines().map((l) => `[${l.guest}] ${l.line}`).join('\n'),
      stats: statsJson(session.results()),
      events: JSON.stringify(session.events()),
    };
  } finally {
    session.close();
  }
}

/** Sets up a session just opened (UART input, ...). */
export type Prepare = (session: Session) => void;

export async function uninterrupted(config: SystemConfig, until?: number, prepare?: Prepare): Promise<Outcome> {
  const session = await Session.open(config, { trace: true });
  prepare?.(session);
  return finishRun(session, until);
}

export interface CheckpointOptions {
  /** Cycles between two looks at a probe (default 2000). */
  step?: number;
  /** Virtual time after which a probe is given up (default 50 M cycles). */
  limit?: number;
  prepare?: Prepare;
}

/** A condition on a running session, looked at between slices of `step` cycles. */
export type Probe = (session: Session) => boolean;

/**
 * Opens `config`, runs until `at` (a virtual time, or the first slice end at which a probe holds,
 * looking every `step` cycles up to `limit`), saves a checkpoint to `file` and closes the session;
 * returns the checkpoint's virtual time, or undefined when the probe never held.
 */
export async function checkpointWhere(config: SystemConfig, at: number | Probe, file: string, options: CheckpointOptions = {}): Promise<number | undefined> {
  const { step = 2_000, limit = 50_000_000 } = options;
  const session = await Session.open(config, { trace: true });
  options.prepare?.(session);
  try {
    if (typeof at === 'number') session.runUntil({ cycles: at, exact: false });
    else {
      // Slice ends advance even while every guest sleeps past them.
      for (let reached = session.now; !at(session); reached = Math.max(session.now, reached + step)) {
        if (reached >= limit || session.runUntil({ cycles: reached + step, exact: false }).reason !== 'until-cycles') return undefined;
      }
    }
    return session.checkpoint(file).cycles;
  } finally {
    session.close();
  }
}

export async function restoredRun(file: string, until?: number, options: RestoreOptions = {}): Promise<Outcome> {
  return finishRun(await Session.restore(file, { trace: true, ...options }), until);
}

/** A temporary directory for checkpoint files, removed by `remove()`. */
export function checkpointDir(): { file(name: string): string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'hvlab-checkpoint-'));
  return { file: (name) => join(dir, name), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A system file with some top-level fields changed (validated as the file itself would be). */
export function systemWith(file: string, changes: Record<string, unknown>): SystemConfig {
  const data = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  return validateSystem({ ...data, ...changes }, file);
}

/** The points of a run the tests checkpoint at besides fixed times. */
export const PROBES = {
  /** A live guest waits for an interrupt (WFI). */
  asleep: (s: Session) => s.internals.vms.some((vm) => vm.alive && vm.cpu.sleeping),
  /** The emulated path has requests waiting for the block controller (one command in flight). */
  emulatedWaiting: (s: Session) => ioOf(s).guests.some((g) => g.path.name === 'emulated' && (g.path.saveState() as { waiting: unknown[] }).waiting.length > 0),
  /** A split-path I/O is at the driver VM (in its mailbox or being served). */
  splitAtDriver: (s: Session) => ioOf(s).guests.some((g) => g.path.name === 'split' && g.tracker.saveState().open.length > 0 && (g.path.saveState() as unknown[]).length === 0),
  /** A split-path completion is on its way from the driver VM to the frontend. */
  splitCompletion: (s: Session) => ioOf(s).guests.some((g) => g.path.name === 'split' && (g.path.saveState() as unknown[]).length > 0),
  /** The driver VM's own block controller command (slot 0) is in flight. */
  driverCommand: (s: Session) => (ioOf(s).platform.blockController.saveState() as { slots: ReadonlyArray<{ command?: unknown }> }).slots[0]!.command !== undefined,
} satisfies Record<string, Probe>;

function ioOf(s: Session) {
  const io = s.internals.io;
  if (!io) throw new Error('the system has no I/O');
  return io;
}
