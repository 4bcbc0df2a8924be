/**
 * Result files the CLI writes (--stats, --trace, --disk-trace, experiment outputs). A path that
 * cannot be written is bad input (exit status 2), whether that shows when the run starts (a missing
 * directory, a directory, no permission: checked before any guest runs) or only when the bytes go
 * out (a full disk, /dev/full): the message names the option and the file.
 */
import { accessSync, constants, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { HvError, OutputError, UsageError } from '../errors.ts';
import { errnoText } from '../input-file.ts';

/** `--stats out.json` or just `out.json` when no option names the file. */
function label(file: string, option?: string): string {
  return option === undefined ? file : `${option} ${file}`;
}

export function writeOutputFile(file: string, content: string, option?: string): void {
  try {
    writeFileSync(file, content);
  } catch (cause) {
    throw new UsageError(`${label(file, option)}: cannot write: ${errnoText(cause)}`, { cause });
  }
}

/**
 * Creates the output directory `dir` (and its parents) and checks that it can be written: one
 * that cannot is bad input, named by `option` and how the user wrote it (`shown`).
 */
export function makeOutputDirectory(dir: string, option: string, shown = dir): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (cause) {
    throw new UsageError(`${label(shown, option)}: cannot create or write the output directory: ${errnoText(cause)}`, { cause });
  }
}

/**
 * Fails now, before a long run, when `file` can certainly not be written: its directory is
 * missing or not writable, or it is a directory or a read-only file. Creates nothing.
 */
export function checkOutputPath(file: string, option: string): void {
  const path = resolve(file);
  let exists = true;
  try {
    if (statSync(path).isDirectory()) throw new UsageError(`${label(file, option)}: cannot write: EISDIR (it is a directory)`);
  } catch (cause) {
    if (cause instanceof HvError) throw cause;
    if ((cause as NodeJS.ErrnoException).code !== 'ENOENT') throw new UsageError(`${label(file, option)}: cannot write: ${errnoText(cause)}`, { cause });
    exists = false;
  }
  try {
    accessSync(exists ? path : dirname(path), constants.W_OK);
  } catch (cause) {
    throw new UsageError(`${label(file, option)}: cannot write: ${errnoText(cause)}`, { cause });
  }
}

/**
 * Runs `write`, turning a host I/O error (ENOSPC, EIO, ...) into a UsageError that names the
 * option and file; hvlab's own errors pass through unchanged.
 */
export function writingTo<T>(file: string, option: string, write: () => T): T {
  try {
    return write();
  } catch (error) {
    throw asOutputError(error, file, option);
  }
}

/** writingTo for asynchronous work. */
export async function writingToAsync<T>(file: string, option: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    throw asOutputError(error, file, option);
  }
}

/** `error` as a UsageError naming the output when it is a host I/O error, else unchanged. */
export function asOutputError(error: unknown, file: string, option: string): unknown {
  if (error instanceof OutputError && error.file === file) return new UsageError(`${label(file, option)}: cannot write: ${error.reason}`, { cause: error });
  if (error instanceof HvError || !isErrnoError(error)) return error;
  return new UsageError(`${label(file, option)}: cannot write: ${errnoText(error)}`, { cause: error });
}

export function isErrnoError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string' && typeof (error as NodeJS.ErrnoException).syscall === 'string';
}
