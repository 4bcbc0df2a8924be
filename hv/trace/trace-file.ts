/** Writes the Chrome trace of a finished run, one event per line (large traces stream well). */
import { closeSync, openSync, writeSync } from 'node:fs';
import { UsageError } from '../errors.ts';
import { type TraceMetadata, chromeTrace } from './chrome-trace.ts';
import type { TraceEvent } from './events.ts';

/** Writes `events` (of a run that reached `endTime`) as Chrome Trace Event JSON to `file`. */
export function writeChromeTrace(file: string, events: readonly TraceEvent[], meta: TraceMetadata, endTime: number): void {
  const trace = chromeTrace(events, meta, endTime) as { traceEvents: object[]; otherData: object };
  let fd: number;
  try {
    fd = openSync(file, 'w');
  } catch (cause) {
    throw new UsageError(`${file}: cannot write: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`);
  }
  try {
    const chunks = new ChunkedWriter(fd);
    chunks.write('{"traceEvents":[\n');
    trace.traceEvents.forEach((e, i) => chunks.write(`${i === 0 ? '' : ',\n'}${JSON.stringify(e)}`));
    chunks.write(`\n],\n"otherData":${JSON.stringify(trace.otherData)}}\n`);
    chunks.flush();
  } finally {
    closeSync(fd);
  }
}

/** Collects small strings and writes them in ~1 MiB system calls. */
class ChunkedWriter {
  private parts: string[] = [];
  private size = 0;

  constructor(private readonly fd: number) {}

  write(text: string): void {
    this.parts.push(text);
    this.size += text.length;
    if (this.size >= 1 << 20) this.flush();
  }

  flush(): void {
    if (this.parts.length > 0) writeSync(this.fd, this.parts.join(''));
    this.parts = [];
    this.size = 0;
  }
}
