/** Lines to a file or standard error, written in large chunks (execution logs can be long). */
import { closeSync, openSync, writeSync } from 'node:fs';
import { UsageError } from '../errors.ts';

const CHUNK_CHARS = 1 << 16;

export class LineSink {
  private parts: string[] = [];
  private size = 0;

  private constructor(private readonly fd: number, private readonly owned: boolean) {}

  /** Lines to `file` (created or truncated), or to standard error without one. */
  static open(file: string | undefined, option: string): LineSink {
    if (file === undefined) return new LineSink(2, false);
    try {
      return new LineSink(openSync(file, 'w'), true);
    } catch (cause) {
      throw new UsageError(`${option} ${file}: cannot write: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`);
    }
  }

  write(line: string): void {
    this.parts.push(line, '\n');
    this.size += line.length + 1;
    if (this.size >= CHUNK_CHARS) this.flush();
  }

  flush(): void {
    if (this.parts.length > 0) writeSync(this.fd, this.parts.join(''));
    this.parts = [];
    this.size = 0;
  }

  close(): void {
    this.flush();
    if (this.owned) closeSync(this.fd);
  }
}
