/**
 * What the trace readers produce: one record per I/O request, and the disk chains a trace may
 * declare. Records are handed to the consumer one at a time and the object is reused (a trace
 * has millions of lines), so consumers must copy what they keep.
 */

export const TRACE_FORMATS = ['msr', 'csv'] as const;
export type TraceFormat = (typeof TRACE_FORMATS)[number];

export interface TraceRecord {
  /** Virtual time in cycles since the trace's first request (25 MHz). */
  time: number;
  /** The VM (or host) that issued the request. */
  vm: string;
  write: boolean;
  /** The image file that holds the data (for reads through an overlay, the base when shared). */
  image: string;
  /** Byte offset and length in that image. */
  offset: number;
  size: number;
}

export interface TraceConsumer {
  record(record: TraceRecord): void;
  /** A VM's disk chain, top image first (hvlab CSV `#! chain` lines). */
  chain(vm: string, images: readonly string[]): void;
}

/** Parses a non-negative decimal integer strictly (digits only, below 2^53); -1 when malformed. */
export function parseUint(text: string): number {
  if (text.length === 0 || text.length > 16) return -1;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n <= Number.MAX_SAFE_INTEGER ? n : -1;
}

/** What parseUint accepts, for error messages. */
export const UINT_EXPECTED = 'expected a non-negative integer below 2^53';
