/**
 * Reading a trace file in either format: detection from the first data line, line-numbered
 * errors (`file:line: field: expected ...`, a ConfigError, so the CLI exits 2), and progress.
 */
import { ConfigError, HvError } from '../../errors.ts';
import { HvlabParser } from './hvlab-trace.ts';
import { forEachLine, type LineProgress } from './line-reader.ts';
import { MsrParser } from './msr-trace.ts';
import type { TraceConsumer, TraceFormat } from './trace.ts';

export interface ReadTraceOptions {
  /** The format; detected from the first data line when absent. */
  readonly format?: TraceFormat;
  readonly progress?: LineProgress;
}

export function readTrace(file: string, consumer: TraceConsumer, options: ReadTraceOptions = {}): TraceFormat {
  let format = options.format;
  const msr = new MsrParser();
  const hvlab = new HvlabParser();
  forEachLine(
    file,
    (line, lineNumber) => {
      const where = `${file}:${lineNumber}`;
      format ??= detectFormat(line, where);
      if (format === undefined) return;
      try {
        if (format === 'msr') {
          const record = msr.parse(line, where);
          if (record) consumer.record(record);
          return;
        }
        const parsed = hvlab.parse(line, where);
        if (parsed?.kind === 'record') consumer.record(parsed.record);
        else if (parsed?.kind === 'chain') consumer.chain(parsed.vm, parsed.images);
      } catch (error) {
        // Problems found while using the record (an offset too large, ...) get the line too.
        if (error instanceof HvError && !error.message.startsWith(where)) throw new ConfigError(`${where}: ${error.message}`, { cause: error });
        throw error;
      }
    },
    options.progress,
  );
  return format ?? options.format ?? 'csv';
}

/** The format of the first data line; undefined for lines that tell nothing (blank, comments). */
function detectFormat(line: string, where: string): TraceFormat | undefined {
  if (line.trim() === '' || (line.startsWith('#') && !line.startsWith('#!'))) return undefined;
  if (line.startsWith('#!') || line.startsWith('time_us,')) return 'csv';
  if (line.startsWith('Timestamp,')) return 'msr';
  const fields = line.split(',');
  if (fields.length === 7 && /^(read|write)$/i.test(fields[3]!.trim())) return 'msr';
  if (fields.length === 6 && /^[rw]$/i.test(fields[2]!.trim())) return 'csv';
  throw new ConfigError(`${where}: cannot tell the trace format (expected MSR Cambridge or hvlab CSV lines); use --format`);
}
