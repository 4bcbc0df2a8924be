/**
 * Reads a text file line by line, synchronously, in 1 MiB chunks: fast enough for
 * multi-gigabyte traces without holding them in memory, and with the byte position for a
 * progress bar. A file that cannot be opened, or is not a regular file, is bad input (UsageError
 * naming it).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { UsageError } from '../../errors.ts';

const CHUNK = 1 << 20;

export interface LineProgress {
  (bytesRead: number, totalBytes: number): void;
}

/** Calls `visit` with each line (without its line end) and its 1-based number. */
export function forEachLine(file: string, visit: (line: string, lineNumber: number) => void, progress?: LineProgress): void {
  const fd = openTrace(file);
  try {
    const total = fstatSync(fd).size;
    const decoder = new StringDecoder('utf8');
    const buffer = Buffer.allocUnsafe(CHUNK);
    let carry = '';
    let lineNumber = 0;
    let bytesRead = 0;
    for (;;) {
      const n = readSync(fd, buffer, 0, CHUNK, null);
      const text = n > 0 ? carry + decoder.write(buffer.subarray(0, n)) : carry + decoder.end();
      let start = 0;
      for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', start)) {
        visit(stripCr(text.slice(start, end)), ++lineNumber);
        start = end + 1;
      }
      carry = text.slice(start);
      bytesRead += n;
      progress?.(bytesRead, total);
      if (n === 0) break;
    }
    if (carry.length > 0) visit(stripCr(carry), ++lineNumber);
  } finally {
    closeSync(fd);
  }
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/**
 * Opens a trace, refusing anything but a regular file: a directory cannot be read, and a device
 * or a pipe (/dev/zero, /dev/urandom) could be read forever.
 */
function openTrace(file: string): number {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (cause) {
    throw new UsageError(`${file}: cannot read trace: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`);
  }
  const stat = fstatSync(fd);
  if (stat.isFile()) return fd;
  closeSync(fd);
  throw new UsageError(`${file}: cannot read trace: not a regular file (${stat.isDirectory() ? 'a directory' : 'a device, pipe or socket'})`);
}
