/**
 * Constants of the qcow2 on-disk format (QEMU docs/interop/qcow2.txt) and the geometry derived
 * from a header. All numbers on disk are big-endian.
 */

export const QCOW2_MAGIC = 0x514649fb; // "QFI\xfb"
export const V2_HEADER_LENGTH = 72;
export const V3_MIN_HEADER_LENGTH = 104;
/** Header length hvlab writes for version 3: 104 plus the compression-type byte, padded to 8. */
export const V3_HEADER_LENGTH = 112;

/** Offsets of header fields hvlab rewrites in place. */
export const HEADER_OFFSET = {
  refcountTableOffset: 48,
  refcountTableClusters: 56,
  autoclearFeatures: 88,
} as const;

export const MIN_CLUSTER_BITS = 9;
/** QEMU's implementation limit (2 MiB clusters); larger images would not open in QEMU either. */
export const MAX_CLUSTER_BITS = 21;
/** QEMU's limits: 32 MiB of L1 table, 8 MiB of refcount table. */
export const MAX_L1_BYTES = 32 * 1024 * 1024;
export const MAX_REFCOUNT_TABLE_BYTES = 8 * 1024 * 1024;
export const MAX_BACKING_NAME_BYTES = 1023;

export const INCOMPAT = {
  dirty: 0,
  corrupt: 1,
  externalDataFile: 2,
  compressionType: 3,
  extendedL2: 4,
} as const;
export const COMPAT_LAZY_REFCOUNTS = 0;

export const EXT = {
  end: 0x00000000,
  backingFormat: 0xe2792aca,
  featureNameTable: 0x6803f857,
  bitmaps: 0x23852875,
  encryption: 0x0537be77,
  externalDataFile: 0x44415441,
} as const;

/** Bit 63 of L1/L2 entries: the table or cluster has refcount exactly one (may be written in place). */
export const FLAG_COPIED = 1n << 63n;
/** Bit 62 of L2 entries: compressed cluster descriptor. */
export const FLAG_COMPRESSED = 1n << 62n;
/** Bit 0 of a standard L2 entry (version 3): the cluster reads as zeros. */
export const FLAG_ZERO = 1n;
/** Bits 9-55: host offsets of L2 tables, data clusters and refcount blocks. */
export const OFFSET_MASK = ((1n << 56n) - 1n) & ~0x1ffn;

export interface Geometry {
  readonly version: 2 | 3;
  readonly clusterBits: number;
  readonly clusterSize: number;
  /** Guest-visible size in bytes. */
  readonly size: number;
  /** Entries in one L2 table (8 bytes each). */
  readonly l2Entries: number;
  readonly refcountOrder: number;
  /** Refcounts in one refcount block. */
  readonly refcountsPerBlock: number;
}

export function makeGeometry(version: 2 | 3, clusterBits: number, size: number, refcountOrder: number): Geometry {
  const clusterSize = 2 ** clusterBits;
  return {
    version,
    clusterBits,
    clusterSize,
    size,
    l2Entries: clusterSize / 8,
    refcountOrder,
    refcountsPerBlock: (clusterSize * 8) / 2 ** refcountOrder,
  };
}

/** Bytes of guest data one L1 entry (one L2 table) maps. */
function bytesPerL2(g: Geometry): number {
  return g.clusterSize * g.l2Entries;
}

/** L1 entries needed to map `size` guest bytes. */
export function l1EntriesFor(g: Geometry, size: number): number {
  return Math.ceil(size / bytesPerL2(g));
}
