/**
 * Creating empty qcow2 images, laid out as `qemu-img create` does: header (with the backing
 * format extension and backing file name), refcount table, refcount blocks, L1 table, each
 * counted once, so that `qemu-img check` finds nothing to report.
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ImageError } from '../../errors.ts';
import { openImage } from '../open-image.ts';
import {
  EXT,
  type Geometry,
  l1EntriesFor,
  makeGeometry,
  MAX_BACKING_NAME_BYTES,
  MAX_CLUSTER_BITS,
  MAX_L1_BYTES,
  MIN_CLUSTER_BITS,
  QCOW2_MAGIC,
  V2_HEADER_LENGTH,
  V3_HEADER_LENGTH,
} from './format.ts';

export interface CreateQcow2Options {
  /** Virtual size in bytes (a multiple of 512); defaults to the backing image's size. */
  size?: number;
  /** log2 of the cluster size, 9..21 (default 16: 64 KiB, as qemu-img). */
  clusterBits?: number;
  /** Backing file name as stored: relative names are relative to the new image's directory. */
  backing?: string;
  /** Backing format (default: detected from the backing file). */
  backingFormat?: 'raw' | 'qcow2';
  /** qcow2 version (default 3; 2 is qemu-img's compat=0.10). */
  version?: 2 | 3;
}

const REFCOUNT_ORDER = 4; // 16-bit refcounts, as qemu-img

interface Layout {
  readonly refcountTableClusters: number;
  readonly refcountBlocks: number;
  readonly l1Size: number;
  readonly l1Clusters: number;
}

export function createQcow2(file: string, options: CreateQcow2Options): void {
  const path = resolve(file);
  const fail = (reason: string): never => {
    throw new ImageError(`${path}: cannot create qcow2 image: ${reason}`);
  };
  const version = options.version ?? 3;
  const clusterBits = options.clusterBits ?? 16;
  if (version !== 2 && version !== 3) fail(`version ${String(version)} is not 2 or 3`);
  if (!Number.isInteger(clusterBits) || clusterBits < MIN_CLUSTER_BITS || clusterBits > MAX_CLUSTER_BITS) {
    fail(`cluster bits ${clusterBits} out of range (${MIN_CLUSTER_BITS}..${MAX_CLUSTER_BITS})`);
  }
  const backing = options.backing === undefined ? null : inspectBacking(path, options.backing, options.backingFormat);
  const size = options.size ?? backing?.size ?? fail('no size given and no backing image');
  if (!Number.isSafeInteger(size) || size < 0 || size % 512 !== 0) fail(`size ${size} is not a multiple of 512 bytes`);
  const g = makeGeometry(version, clusterBits, size, REFCOUNT_ORDER);
  const layout = planLayout(g);
  if (layout.l1Size * 8 > MAX_L1_BYTES) fail(`size ${size} needs an L1 table larger than ${MAX_L1_BYTES} bytes; use larger clusters`);
  const image = Buffer.alloc(clusterCount(layout) * g.clusterSize);
  const headerBytes = encodeHeader(g, layout, backing && { name: options.backing!, format: backing.format });
  if (headerBytes.length > g.clusterSize) fail('the header and backing file name do not fit in one cluster');
  headerBytes.copy(image, 0);
  writeRefcounts(image, g, layout);
  writeFileDurably(path, image);
}

function inspectBacking(path: string, name: string, format: 'raw' | 'qcow2' | undefined): { size: number; format: 'raw' | 'qcow2' } {
  if (Buffer.byteLength(name) > MAX_BACKING_NAME_BYTES) throw new ImageError(`${path}: backing file name is longer than ${MAX_BACKING_NAME_BYTES} bytes`);
  const backingPath = isAbsolute(name) ? name : resolve(dirname(path), name);
  const image = openImage(backingPath, { readOnly: true, format });
  try {
    return { size: image.size, format: image.format };
  } finally {
    image.close();
  }
}

/** Header, refcount table and blocks, then L1: counts that cover themselves. */
function planLayout(g: Geometry): Layout {
  const l1Size = l1EntriesFor(g, g.size);
  const l1Clusters = Math.max(1, Math.ceil((l1Size * 8) / g.clusterSize));
  let refcountTableClusters = 1;
  let refcountBlocks = 1;
  for (;;) {
    const total = 1 + refcountTableClusters + refcountBlocks + l1Clusters;
    const blocks = Math.ceil(total / g.refcountsPerBlock);
    const tableClusters = Math.ceil((blocks * 8) / g.clusterSize);
    if (blocks === refcountBlocks && tableClusters === refcountTableClusters) break;
    refcountBlocks = blocks;
    refcountTableClusters = tableClusters;
  }
  return { refcountTableClusters, refcountBlocks, l1Size, l1Clusters };
}

function clusterCount(l: Layout): number {
  return 1 + l.refcountTableClusters + l.refcountBlocks + l.l1Clusters;
}

function encodeHeader(g: Geometry, l: Layout, backing: { name: string; format: string } | null): Buffer {
  const headerLength = g.version === 3 ? V3_HEADER_LENGTH : V2_HEADER_LENGTH;
  const extensions = [backing ? extension(EXT.backingFormat, Buffer.from(backing.format)) : null, Buffer.alloc(8)];
  const name = backing ? Buffer.from(backing.name) : Buffer.alloc(0);
  const h = Buffer.alloc(headerLength);
  const backingOffset = headerLength + extensions.reduce((n, e) => n + (e?.length ?? 0), 0);
  h.writeUInt32BE(QCOW2_MAGIC, 0);
  h.writeUInt32BE(g.version, 4);
  h.writeBigUInt64BE(BigInt(backing ? backingOffset : 0), 8);
  h.writeUInt32BE(name.length, 16);
  h.writeUInt32BE(g.clusterBits, 20);
  h.writeBigUInt64BE(BigInt(g.size), 24);
  h.writeUInt32BE(l.l1Size, 36);
  h.writeBigUInt64BE(BigInt((1 + l.refcountTableClusters + l.refcountBlocks) * g.clusterSize), 40);
  h.writeBigUInt64BE(BigInt(g.clusterSize), 48);
  h.writeUInt32BE(l.refcountTableClusters, 56);
  if (g.version === 3) {
    h.writeUInt32BE(REFCOUNT_ORDER, 96);
    h.writeUInt32BE(headerLength, 100);
  }
  return Buffer.concat([h, ...extensions.filter((e): e is Buffer => e !== null), name]);
}

/** One header extension record, data padded to 8 bytes. */
function extension(type: number, data: Buffer): Buffer {
  const out = Buffer.alloc(8 + Math.ceil(data.length / 8) * 8);
  out.writeUInt32BE(type, 0);
  out.writeUInt32BE(data.length, 4);
  data.copy(out, 8);
  return out;
}

/** Refcount table entries for the blocks, and refcount 1 for every cluster of the image. */
function writeRefcounts(image: Buffer, g: Geometry, l: Layout): void {
  const tableOffset = g.clusterSize;
  const firstBlock = 1 + l.refcountTableClusters;
  for (let i = 0; i < l.refcountBlocks; i++) {
    image.writeBigUInt64BE(BigInt((firstBlock + i) * g.clusterSize), tableOffset + i * 8);
  }
  for (let c = 0; c < clusterCount(l); c++) {
    const block = firstBlock + Math.floor(c / g.refcountsPerBlock);
    image.writeUInt16BE(1, block * g.clusterSize + (c % g.refcountsPerBlock) * 2);
  }
}

function writeFileDurably(path: string, data: Buffer): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'w');
    for (let done = 0; done < data.length; ) done += writeSync(fd, data, done, data.length - done, done);
    fsyncSync(fd);
  } catch (cause) {
    throw new ImageError(`${path}: cannot write image: ${(cause as NodeJS.ErrnoException).code ?? cause}`, { cause });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
