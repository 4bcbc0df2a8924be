/**
 * Checkpoints in `hv run`: --checkpoint FILE saves the whole system (at --checkpoint-at CYCLES,
 * or where the run stops, before its end is printed); --restore FILE boots the system a
 * checkpoint holds and goes on from there (SYSTEM is then optional: given, it must be the system
 * the checkpoint holds). The system's shape comes from the checkpoint, so the options that
 * would change it are refused with --restore.
 */
import { checkpointConfig } from '../system/checkpoint.ts';
import type { SystemConfig } from '../core/system-config.ts';
import { UsageError } from '../errors.ts';
import { type RestoreOptions, Session } from '../system/session.ts';
import { writingTo } from './output-file.ts';
import type { RunOptions } from './run-options.ts';
import { resolveSystem } from './run-setup.ts';

/** Options that shape the system: it comes from the checkpoint with --restore. */
const SHAPE_OPTIONS: ReadonlyArray<readonly [keyof RunOptions, string]> = [
  ['cores', '--cores'],
  ['timing', '--timing'],
  ['cmdline', '--cmdline'],
  ['codeSize', '--code-size'],
  ['sramSize', '--sram-size'],
  ['gdbWait', '--gdb-wait'],
];

export function checkCheckpointOptions(target: string | undefined, o: RunOptions): void {
  if (target === undefined && o.restore === undefined) throw new UsageError('expected a system file (.yaml) or a guest image to run, or --restore FILE');
  if (o.checkpointAt !== undefined && o.checkpoint === undefined) throw new UsageError('--checkpoint-at: expected --checkpoint FILE (where to save the checkpoint)');
  if (o.restore === undefined) return;
  for (const [key, flag] of SHAPE_OPTIONS) {
    if (o[key] !== undefined) throw new UsageError(`${flag} cannot be used with --restore: the system comes from the checkpoint`);
  }
  if (o.gdb.length > 0) throw new UsageError('--gdb cannot be used with --restore (a checkpoint holds no debugger)');
  if (o.uartInput.length > 0) throw new UsageError('--uart-input cannot be used with --restore: the checkpoint holds the UART input not yet delivered');
}

/** The system to run: SYSTEM's, or the checkpoint's with --restore (for --dry-run). */
export function systemOf(target: string | undefined, o: RunOptions): SystemConfig {
  return o.restore === undefined ? resolveSystem(target!, o) : checkpointConfig(o.restore);
}

/**
 * The session a run drives: SYSTEM booted, or with --restore the checkpoint's system (SYSTEM,
 * when given, must be the one it holds), whose console lines so far are printed first: the
 * output is then that of the run it continues.
 */
export async function openForRun(target: string | undefined, o: RunOptions, options: RestoreOptions): Promise<Session> {
  if (o.restore === undefined) return Session.open(resolveSystem(target!, o), { cores: o.cores, ...options });
  const session = await Session.restore(o.restore, { ...options, expect: target === undefined ? undefined : resolveSystem(target, o) });
  for (const l of session.consoleLines()) options.onConsole?.(l.guest, l.line);
  return session;
}

/** What a run does about --checkpoint: when the driver saves, and what happens when the run has stopped. */
export interface CheckpointPlan {
  readonly checkpointAt?: number;
  onCheckpoint?(): void;
  /** Saves where the run stopped (no --checkpoint-at), or warns that --checkpoint-at was never reached. */
  afterRun(): void;
}

export function checkpointPlan(session: Session, o: RunOptions, notice: (message: string) => void): CheckpointPlan {
  const file = o.checkpoint;
  if (file === undefined) return { afterRun: () => {} };
  let saved = false;
  const save = () => {
    const info = writingTo(file, '--checkpoint', () => session.checkpoint(file));
    saved = true;
    if (o.verbose) notice(`wrote checkpoint ${file} (${info.bytes} bytes) at cycle ${info.cycles}`);
  };
  const afterRun = () => {
    if (o.checkpointAt === undefined) save();
    else if (!saved) notice(`warning: --checkpoint-at ${o.checkpointAt}: the run stopped at cycle ${session.now}, before it; no checkpoint was written`);
  };
  return { checkpointAt: o.checkpointAt, onCheckpoint: save, afterRun };
}
