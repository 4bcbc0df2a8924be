/**
 * Decoding of L1, L2 and refcount-table entries. Every reserved bit must be zero and every host
 * offset aligned: a corrupt entry is reported, never half-trusted. Range checks against the file
 * size happen where the entry is used (cluster-map.ts), because the file grows while writing.
 */
import { FLAG_COMPRESSED, FLAG_COPIED, FLAG_ZERO, type Geometry, OFFSET_MASK } from './format.ts';
import { hex } from './image-file.ts';

/** Reports a corrupt entry: `reason` is completed with the entry's location by the caller. */
export type Fail = (reason: string) => never;

/** What an L2 entry says about one guest cluster. */
export type ClusterEntry =
  | { readonly kind: 'unallocated' }
  /** Reads as zeros; `host` is a preallocated cluster (or 0) that a write may reuse. */
  | { readonly kind: 'zero'; readonly host: number; readonly copied: boolean }
  | { readonly kind: 'data'; readonly host: number; readonly copied: boolean }
  /** `host` is the byte offset of the deflate stream, `sectors` the 512-byte sectors it spans. */
  | { readonly kind: 'compressed'; readonly host: number; readonly sectors: number };

export const UNALLOCATED: ClusterEntry = { kind: 'unallocated' };

const L1_RESERVED = 0x7f00_0000_0000_01ffn; // bits 0-8 and 56-62
const L2_STD_RESERVED = 0x3f00_0000_0000_01fen; // bits 1-8 and 56-61
const REFTABLE_RESERVED = 0x1ffn; // bits 0-8

/** Host offset of the L2 table an L1 entry points to (0: none), or a failure. */
export function decodeL1(raw: bigint, g: Geometry, fail: Fail): number {
  if (raw & L1_RESERVED) fail(`L1 entry ${hex(raw)} has reserved bits set`);
  return alignedOffset(raw & OFFSET_MASK, g, 'L2 table', fail);
}

/** Host offset of a refcount block (0: none), or a failure. */
export function decodeRefcountTableEntry(raw: bigint, g: Geometry, fail: Fail): number {
  if (raw & REFTABLE_RESERVED) fail(`refcount table entry ${hex(raw)} has reserved bits set`);
  if (raw >> 56n) fail(`refcount table entry ${hex(raw)} is beyond the 56-bit offset range`);
  return alignedOffset(raw, g, 'refcount block', fail);
}

export function decodeL2(raw: bigint, g: Geometry, fail: Fail): ClusterEntry {
  if (raw & FLAG_COMPRESSED) return decodeCompressed(raw, g, fail);
  if (raw & L2_STD_RESERVED) fail(`L2 entry ${hex(raw)} has reserved bits set`);
  const copied = (raw & FLAG_COPIED) !== 0n;
  const host = alignedOffset(raw & OFFSET_MASK, g, 'data cluster', fail);
  if (raw & FLAG_ZERO) {
    if (g.version === 2) fail(`L2 entry ${hex(raw)} has the zero flag, which version 2 images do not have`);
    return { kind: 'zero', host, copied };
  }
  if (host === 0) {
    // Offset 0 with the COPIED flag only means something with an external data file.
    if (copied) fail(`L2 entry ${hex(raw)} maps host offset 0 (the header)`);
    return UNALLOCATED;
  }
  return { kind: 'data', host, copied };
}

/**
 * Compressed descriptor: x = 62 - (cluster_bits - 8) low bits of byte offset, then the count of
 * additional 512-byte sectors up to bit 61.
 */
function decodeCompressed(raw: bigint, g: Geometry, fail: Fail): ClusterEntry {
  const shift = BigInt(62 - (g.clusterBits - 8));
  const body = raw & ~(FLAG_COMPRESSED | FLAG_COPIED);
  const host = body & ((1n << shift) - 1n);
  if (host >> 56n) fail(`compressed L2 entry ${hex(raw)} has a host offset beyond 56 bits`);
  if (host === 0n) fail(`compressed L2 entry ${hex(raw)} points into the header`);
  const sectors = Number(body >> shift) + 1;
  return { kind: 'compressed', host: Number(host), sectors };
}

function alignedOffset(offset: bigint, g: Geometry, what: string, fail: Fail): number {
  if (offset & BigInt(g.clusterSize - 1)) fail(`${what} offset ${hex(offset)} is not aligned to a cluster`);
  return Number(offset);
}

/** L2 entry of a standard cluster with refcount one. */
export function encodeData(host: number): bigint {
  return BigInt(host) | FLAG_COPIED;
}

/** L1 entry of an L2 table with refcount one. */
export function encodeL1(host: number): bigint {
  return BigInt(host) | FLAG_COPIED;
}

/** Byte range [start, end) of a compressed cluster's deflate stream in the file. */
export function compressedRange(entry: { host: number; sectors: number }): { start: number; end: number } {
  const start = entry.host;
  return { start, end: start - (start % 512) + entry.sectors * 512 };
}
