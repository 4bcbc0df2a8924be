/**
 * Output files are checked before a run starts, so that a bad path is reported at once (exit
 * status 2) and not after a long run: the file must be creatable (its directory exists and is
 * writable) or, if it exists, a writable regular file. Nothing is created or truncated here.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../errors.ts';

export function checkOutputPath(option: string, file: string): void {
  const path = resolve(file);
  const existing = statOf(path);
  if (existing?.isDirectory()) throw new UsageError(`${option} ${file}: cannot write: EISDIR (it is a directory)`);
  try {
    if (existing) accessSync(path, constants.W_OK);
    else {
      const dir = dirname(path);
      if (!statOf(dir)?.isDirectory()) throw new UsageError(`${option} ${file}: cannot write: ENOENT (no directory ${dirname(file)})`);
      accessSync(dir, constants.W_OK);
    }
  } catch (cause) {
    if (cause instanceof UsageError) throw cause;
    throw new UsageError(`${option} ${file}: cannot write: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`);
  }
}

function statOf(path: string) {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}
