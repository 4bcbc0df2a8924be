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
  if (target === undefined && o.restore === undefined) throw new UsageError('hv run: expected a system (a .yaml system file or a guest image) or --restore FILE');
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

/** Restores `o.restore` for the run; SYSTEM, when given, must be the system it holds. */
export async function restoreForRun(target: string | undefined, o: RunOptions, options: RestoreOptions): Promise<Session> {
  const expect = target === undefined ? undefined : resolveSystem(target, o);
  return Session.restore(o.restore!, { ...options, expect });
}

/** Saves the session to --checkpoint FILE and says so with --verbose. */
export function saveCheckpoint(session: Session, o: RunOptions, notice: (message: string) => void): void {
  const file = o.checkpoint!;
  const info = writingTo(file, '--checkpoint', () => session.checkpoint(file));
  if (o.verbose) notice(`wrote checkpoint ${file} (${info.bytes} bytes) at cycle ${info.cycles}`);
}
