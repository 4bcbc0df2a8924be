/**
 * Compressed clusters (zlib compression type): a raw deflate stream (no zlib or gzip wrapper) at
 * an unaligned host offset, spanning a whole number of 512-byte sectors counted from the sector
 * that holds its first byte. It must inflate to exactly one cluster; output is capped at one
 * cluster so a corrupt stream cannot inflate without bound. hvlab reads these clusters; a write
 * to one rewrites it as a normal cluster (writer.ts).
 */
import { zlib } from '../../lazy-builtins.ts';
import { compressedRange } from './entries.ts';
import type { Geometry } from './format.ts';
import { hex, type ImageFile } from './image-file.ts';

export function inflateCluster(file: ImageFile, g: Geometry, entry: { host: number; sectors: number }): Buffer {
  const { start, end } = compressedRange(entry);
  const what = `compressed cluster at ${hex(start)} (${entry.sectors} sectors)`;
  if (start >= file.size) file.fail(`${what} is past the end of the file (${file.size} bytes)`);
  // The last sector of the stream may lie past the end of the file: the stream ends before it.
  const stream = Buffer.alloc(Math.min(end, file.size) - start);
  file.readInto(stream, start);
  let out: Buffer;
  try {
    // Z_SYNC_FLUSH: a truncated stream yields what it has instead of throwing; checked below.
    const { constants, inflateRawSync } = zlib();
    out = inflateRawSync(stream, { maxOutputLength: g.clusterSize, finishFlush: constants.Z_SYNC_FLUSH });
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const reason = code === 'ERR_BUFFER_TOO_LARGE' ? 'inflates to more than one cluster' : `is not valid deflate data (${(cause as Error).message})`;
    return file.fail(`${what} ${reason}`, cause);
  }
  if (out.length !== g.clusterSize) file.fail(`${what} inflates to ${out.length} bytes, expected ${g.clusterSize}`);
  return out;
}
