/**
 * Opening one qcow2 file: read the header cluster, parse and validate it, check the features.
 * The backing chain is resolved by open-image.ts, which passes the opened backing image in.
 */
import type { BlockImage } from '../block-image.ts';
import { checkFeatures } from './features.ts';
import { MAX_CLUSTER_BITS, MIN_CLUSTER_BITS } from './format.ts';
import { HEADER_PROBE_BYTES, parseHeader, type Qcow2Header } from './header.ts';
import { ImageFile } from './image-file.ts';
import { Qcow2Image } from './qcow2-image.ts';

/** Reads the header cluster (or as much of it as the file has) and parses it. */
export function readQcow2Header(io: ImageFile, readOnly: boolean): Qcow2Header {
  const probe = Buffer.alloc(Math.min(io.size, HEADER_PROBE_BYTES));
  io.readInto(probe, 0);
  // cluster_bits decides how much to read; parseHeader reports a bad value with the full context.
  const clusterBits = probe.length >= 24 ? probe.readUInt32BE(20) : 0;
  const inRange = clusterBits >= MIN_CLUSTER_BITS && clusterBits <= MAX_CLUSTER_BITS;
  const first = inRange ? Buffer.alloc(Math.min(io.size, 2 ** clusterBits)) : probe;
  if (inRange) io.readInto(first, 0);
  const header = parseHeader(first, io);
  checkFeatures(header, readOnly, io);
  return header;
}

/**
 * Opens `path` as qcow2; `openBacking` opens the backing image named in the header (called only
 * when there is one). Everything opened is closed again when opening fails.
 */
export function openQcow2(
  path: string,
  options: { readOnly: boolean; cacheBytes?: number; owner?: string },
  openBacking: (header: Qcow2Header, io: ImageFile) => BlockImage,
): Qcow2Image {
  const { readOnly } = options;
  const io = new ImageFile(path, readOnly, options.owner);
  let backing: BlockImage | null = null;
  try {
    const header = readQcow2Header(io, readOnly);
    if (header.backingFile !== null) backing = openBacking(header, io);
    return new Qcow2Image(io, header, backing, readOnly, options.cacheBytes);
  } catch (error) {
    backing?.close();
    io.close();
    throw error;
  }
}
