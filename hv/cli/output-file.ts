/** Writing result files; a path that cannot be written is bad input (exit status 2). */
import { writeFileSync } from 'node:fs';
import { UsageError } from '../errors.ts';

export function writeOutputFile(file: string, content: string): void {
  try {
    writeFileSync(file, content);
  } catch (cause) {
    throw new UsageError(`${file}: cannot write: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`);
  }
}
