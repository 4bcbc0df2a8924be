/**
 * Writes an hvlab CSV trace to a file or to standard output, buffered (a generated trace has
 * millions of lines), with synchronous writes so that output order and content are exact.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { UsageError } from '../../../errors.ts';
import { HVLAB_HEADER, hvlabChainLine, hvlabLine } from '../hvlab-trace.ts';

const FLUSH_AT = 1 << 20;

export class TraceWriter {
  private readonly fd: number;
  private readonly owned: boolean;
  private parts: string[] = [];
  private pending = 0;
  records = 0;

  /** `file` undefined or '-' writes to standard output. */
  constructor(private readonly file?: string) {
    this.owned = file !== undefined && file !== '-';
    try {
      this.fd = this.owned ? openSync(file!, 'w') : 1;
    } catch (cause) {
      throw new UsageError(`${file}: cannot write: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`);
    }
  }

  comment(text: string): void {
    this.push(`# ${text}\n`);
  }

  chain(vm: string, images: readonly string[]): void {
    this.push(hvlabChainLine(vm, images));
  }

  header(): void {
    this.push(`${HVLAB_HEADER}\n`);
  }

  record(timeUs: number, vm: string, write: boolean, image: string, offset: number, size: number): void {
    this.push(hvlabLine(timeUs, vm, write, image, offset, size));
    this.records++;
  }

  close(): void {
    this.flush();
    if (this.owned) closeSync(this.fd);
  }

  private push(text: string): void {
    this.parts.push(text);
    this.pending += text.length;
    if (this.pending >= FLUSH_AT) this.flush();
  }

  private flush(): void {
    if (this.parts.length === 0) return;
    const bytes = Buffer.from(this.parts.join(''), 'utf8');
    this.parts = [];
    this.pending = 0;
    for (let done = 0; done < bytes.length; ) {
      try {
        done += writeSync(this.fd, bytes, done);
      } catch (error) {
        // A non-blocking stdout pipe may be full for a moment: retry.
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      }
    }
  }
}
