/**
 * Writes an hvlab CSV trace to a file or to standard output, buffered (a generated trace has
 * millions of lines), with synchronous writes so that output order and content are exact.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { OutputError } from '../../../errors.ts';
import { HVLAB_HEADER, hvlabChainLine, hvlabLine } from '../hvlab-trace.ts';
import type { TraceSink } from './trace-sink.ts';

const FLUSH_AT = 1 << 20;

export class TraceWriter implements TraceSink {
  private readonly fd: number;
  private readonly owned: boolean;
  private parts: string[] = [];
  private pending = 0;
  /** The reading end of a pipe was closed: nothing more is written. */
  private readerGone = false;
  records = 0;

  /** `file` undefined or '-' writes to standard output. */
  constructor(private readonly file?: string) {
    this.owned = file !== undefined && file !== '-';
    try {
      this.fd = this.owned ? openSync(file!, 'w') : 1;
    } catch (cause) {
      throw new OutputError(file!, (cause as NodeJS.ErrnoException).code ?? (cause as Error).message, { cause });
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
    if (this.readerGone) return;
    this.parts.push(text);
    this.pending += text.length;
    if (this.pending >= FLUSH_AT) this.flush();
  }

  private flush(): void {
    if (this.parts.length === 0) return;
    const bytes = Buffer.from(this.parts.join(''), 'utf8');
    this.parts = [];
    this.pending = 0;
    for (let done = 0; done < bytes.length && !this.readerGone; ) {
      try {
        done += writeSync(this.fd, bytes, done);
      } catch (error) {
        this.writeFailed(error as NodeJS.ErrnoException);
      }
    }
  }

  /**
   * A non-blocking stdout pipe may be full for a moment: retry. A reader that went away
   * (`hv trace-gen ... | head`) is no error: the rest is dropped, as other tools do. Anything else
   * (a full disk) is a one-line error naming the output.
   */
  private writeFailed(error: NodeJS.ErrnoException): void {
    if (error.code === 'EAGAIN') return;
    if (error.code === 'EPIPE') {
      this.readerGone = true;
      return;
    }
    throw new OutputError(this.owned && this.file !== undefined ? this.file : 'standard output', error.code ?? error.message, { cause: error });
  }
}
