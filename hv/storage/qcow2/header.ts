/**
 * The qcow2 header: fixed fields parsed with binary-parser, then validated against QEMU's rules
 * and the file size, so that nothing later can index outside the file or allocate without bound.
 * Header extensions and feature bits are in extensions.ts and features.ts.
 */
// The package's export map hides its type declarations; its CommonJS build carries them.
import { Parser } from 'binary-parser/dist/binary_parser.js';
import { parseExtensions, type HeaderExtensions } from './extensions.ts';
import {
  type Geometry,
  l1EntriesFor,
  makeGeometry,
  MAX_BACKING_NAME_BYTES,
  MAX_CLUSTER_BITS,
  MAX_L1_BYTES,
  MAX_REFCOUNT_TABLE_BYTES,
  MIN_CLUSTER_BITS,
  QCOW2_MAGIC,
  V2_HEADER_LENGTH,
  V3_MIN_HEADER_LENGTH,
} from './format.ts';
import { hex, type ImageFile } from './image-file.ts';

/** Fields common to versions 2 and 3 (bytes 0-71). */
const commonParser = new Parser()
  .endianness('big')
  .uint32('magic')
  .uint32('version')
  .uint64('backingFileOffset')
  .uint32('backingFileSize')
  .uint32('clusterBits')
  .uint64('size')
  .uint32('cryptMethod')
  .uint32('l1Size')
  .uint64('l1TableOffset')
  .uint64('refcountTableOffset')
  .uint32('refcountTableClusters')
  .uint32('nbSnapshots')
  .uint64('snapshotsOffset');

/** Version 3 fields (bytes 72-103). */
const v3Parser = new Parser()
  .endianness('big')
  .uint64('incompatibleFeatures')
  .uint64('compatibleFeatures')
  .uint64('autoclearFeatures')
  .uint32('refcountOrder')
  .uint32('headerLength');

interface CommonFields {
  magic: number;
  version: number;
  backingFileOffset: bigint;
  backingFileSize: number;
  clusterBits: number;
  size: bigint;
  cryptMethod: number;
  l1Size: number;
  l1TableOffset: bigint;
  refcountTableOffset: bigint;
  refcountTableClusters: number;
  nbSnapshots: number;
  snapshotsOffset: bigint;
}

interface V3Fields {
  incompatibleFeatures: bigint;
  compatibleFeatures: bigint;
  autoclearFeatures: bigint;
  refcountOrder: number;
  headerLength: number;
}

export interface Qcow2Header {
  readonly geometry: Geometry;
  readonly cryptMethod: number;
  readonly l1Size: number;
  readonly l1TableOffset: number;
  readonly refcountTableOffset: number;
  readonly refcountTableClusters: number;
  readonly nbSnapshots: number;
  readonly incompatibleFeatures: bigint;
  readonly compatibleFeatures: bigint;
  readonly autoclearFeatures: bigint;
  readonly headerLength: number;
  /** Compression type byte at offset 104 (0 = zlib), when the header is that long. */
  readonly compressionType: number;
  /** The backing file name as stored, or null. */
  readonly backingFile: string | null;
  readonly extensions: HeaderExtensions;
}

/** Bytes to read first: enough for every fixed field and the compression type. */
export const HEADER_PROBE_BYTES = 112;

/** Parses and validates the header; `first` holds the start of the file (up to one cluster). */
export function parseHeader(first: Buffer, file: ImageFile): Qcow2Header {
  if (first.length < V2_HEADER_LENGTH) file.fail(`truncated qcow2 header (${first.length} bytes, need ${V2_HEADER_LENGTH})`);
  const c = commonParser.parse(first) as CommonFields;
  if (c.magic !== QCOW2_MAGIC) file.fail(`not a qcow2 image (bad magic ${hex(c.magic)})`);
  if (c.version !== 2 && c.version !== 3) file.fail(`unsupported qcow2 version ${c.version} (need 2 or 3)`);
  const v3 = c.version === 3 ? parseV3Fields(first, file) : v2Defaults();
  const geometry = checkGeometry(c, v3, file);
  checkHeaderLength(v3.headerLength, geometry, file);
  const compressionType = v3.headerLength > V3_MIN_HEADER_LENGTH && first.length > 104 ? first[104]! : 0;
  const tables = checkTables(c, geometry, file);
  const backingFile = readBackingName(c, first, v3.headerLength, geometry, file);
  const extensionsEnd = backingFile === null ? Math.min(first.length, geometry.clusterSize) : Number(c.backingFileOffset);
  const extensions = parseExtensions(first.subarray(0, extensionsEnd), v3.headerLength, file);
  return {
    geometry,
    cryptMethod: c.cryptMethod,
    ...tables,
    nbSnapshots: c.nbSnapshots,
    incompatibleFeatures: v3.incompatibleFeatures,
    compatibleFeatures: v3.compatibleFeatures,
    autoclearFeatures: v3.autoclearFeatures,
    headerLength: v3.headerLength,
    compressionType,
    backingFile,
    extensions,
  };
}

function parseV3Fields(first: Buffer, file: ImageFile): V3Fields {
  if (first.length < V3_MIN_HEADER_LENGTH) {
    file.fail(`truncated qcow2 version 3 header (${first.length} bytes, need ${V3_MIN_HEADER_LENGTH})`);
  }
  return v3Parser.parse(first.subarray(V2_HEADER_LENGTH)) as V3Fields;
}

function v2Defaults(): V3Fields {
  return { incompatibleFeatures: 0n, compatibleFeatures: 0n, autoclearFeatures: 0n, refcountOrder: 4, headerLength: V2_HEADER_LENGTH };
}

function checkGeometry(c: CommonFields, v3: V3Fields, file: ImageFile): Geometry {
  if (c.clusterBits < MIN_CLUSTER_BITS || c.clusterBits > MAX_CLUSTER_BITS) {
    file.fail(`cluster_bits ${c.clusterBits} is out of range (${MIN_CLUSTER_BITS}..${MAX_CLUSTER_BITS})`);
  }
  if (v3.refcountOrder > 6) file.fail(`refcount_order ${v3.refcountOrder} is out of range (0..6)`);
  if (c.size > BigInt(Number.MAX_SAFE_INTEGER)) file.fail(`virtual size ${c.size} is too large`);
  const size = Number(c.size);
  if (size % 512 !== 0) file.fail(`virtual size ${size} is not a multiple of 512 bytes`);
  return makeGeometry(c.version as 2 | 3, c.clusterBits, size, v3.refcountOrder);
}

function checkHeaderLength(length: number, g: Geometry, file: ImageFile): void {
  if (g.version === 2) return;
  if (length < V3_MIN_HEADER_LENGTH || length % 8 !== 0 || length > g.clusterSize) {
    file.fail(`header_length ${length} is invalid (need a multiple of 8 from ${V3_MIN_HEADER_LENGTH} to the cluster size)`);
  }
}

function checkTables(c: CommonFields, g: Geometry, file: ImageFile) {
  if (c.l1Size * 8 > MAX_L1_BYTES) file.fail(`L1 table of ${c.l1Size} entries is larger than ${MAX_L1_BYTES} bytes`);
  if (c.l1Size < l1EntriesFor(g, g.size)) {
    file.fail(`L1 table of ${c.l1Size} entries is too small for the virtual size ${g.size}`);
  }
  const l1TableOffset = checkTableOffset(c.l1TableOffset, c.l1Size * 8, 'L1 table', g, file);
  if (c.refcountTableClusters === 0) file.fail('refcount table has zero clusters');
  const refcountBytes = c.refcountTableClusters * g.clusterSize;
  if (refcountBytes > MAX_REFCOUNT_TABLE_BYTES) file.fail(`refcount table of ${c.refcountTableClusters} clusters is larger than ${MAX_REFCOUNT_TABLE_BYTES} bytes`);
  const refcountTableOffset = checkTableOffset(c.refcountTableOffset, refcountBytes, 'refcount table', g, file);
  if (c.nbSnapshots > 65536) file.fail(`snapshot count ${c.nbSnapshots} is too large`);
  if (c.nbSnapshots > 0) checkTableOffset(c.snapshotsOffset, 0, 'snapshot table', g, file);
  const l1End = l1TableOffset + c.l1Size * 8;
  if (c.l1Size > 0 && l1TableOffset < refcountTableOffset + refcountBytes && refcountTableOffset < l1End) {
    file.fail(`L1 table at ${hex(l1TableOffset)} overlaps the refcount table at ${hex(refcountTableOffset)}`);
  }
  return { l1Size: c.l1Size, l1TableOffset, refcountTableOffset, refcountTableClusters: c.refcountTableClusters };
}

/** A table must be cluster-aligned, not in the header cluster, and lie inside the file. */
function checkTableOffset(offset: bigint, bytes: number, what: string, g: Geometry, file: ImageFile): number {
  if (bytes === 0 && offset === 0n) return 0;
  if (offset % BigInt(g.clusterSize) !== 0n) file.fail(`${what} offset ${hex(offset)} is not aligned to a cluster`);
  if (offset === 0n) file.fail(`${what} offset is 0 (the header cluster)`);
  if (offset + BigInt(bytes) > BigInt(file.size)) {
    file.fail(`${what} at ${hex(offset)} (${bytes} bytes) is past the end of the file (${file.size} bytes)`);
  }
  return Number(offset);
}

function readBackingName(c: CommonFields, first: Buffer, headerLength: number, g: Geometry, file: ImageFile): string | null {
  if (c.backingFileOffset === 0n) return null;
  const offset = c.backingFileOffset;
  const length = c.backingFileSize;
  if (length === 0 || length > MAX_BACKING_NAME_BYTES) file.fail(`backing file name length ${length} is invalid (1..${MAX_BACKING_NAME_BYTES})`);
  if (offset < BigInt(headerLength) || offset + BigInt(length) > BigInt(g.clusterSize)) {
    file.fail(`backing file name at ${hex(offset)} (${length} bytes) is outside the header cluster`);
  }
  const end = Number(offset) + length;
  if (end > first.length) file.fail(`truncated header: backing file name ends at ${end}, file has ${first.length} bytes`);
  const name = first.subarray(Number(offset), end);
  if (name.includes(0)) file.fail('backing file name contains a NUL byte');
  return name.toString('utf8');
}
