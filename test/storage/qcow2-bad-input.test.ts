/**
 * Bad qcow2 input: every case must end in an ImageError whose message names the file and the
 * reason, never another exception and never wrong data.
 */
import { readFileSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ImageError } from '../../hv/errors.ts';
import { openImage } from '../../hv/storage/open-image.ts';
import { createQcow2 } from '../../hv/storage/qcow2/create.ts';
import { HAVE_QEMU, NEEDS_QEMU, qemuImg, readImageFile, tempDir } from './helpers.ts';

const dir = tempDir();
const CLUSTER = 0x10000;
/** Layout of a fresh 1 MiB hvlab image after one write at offset 0 (see `fresh`). */
const REFTABLE = 0x10000;
const REFBLOCK = 0x20000;
const L1 = 0x30000;
const L2 = 0x40000;
const DATA = 0x50000;
const COPIED = 1n << 63n;

let counter = 0;
/** A 1 MiB v3 image (64 KiB clusters) with its first cluster written (0x5a). */
function fresh(options: { version?: 2 | 3; stem?: string } = {}): string {
  const file = join(dir(), `${options.stem ?? 'bad'}${counter++}.qcow2`);
  createQcow2(file, { size: 1024 * 1024, version: options.version ?? 3 });
  const image = openImage(file);
  image.writeSectors(0, Buffer.alloc(CLUSTER, 0x5a));
  image.close();
  return file;
}

function patch(file: string, edit: (bytes: Buffer) => void): string {
  const bytes = readFileSync(file);
  edit(bytes);
  writeFileSync(file, bytes);
  return file;
}

function expectImageError(action: () => unknown, file: string, reason: RegExp): void {
  let error: unknown;
  try {
    action();
  } catch (e) {
    error = e;
  }
  expect(error, 'expected an ImageError').toBeInstanceOf(ImageError);
  const message = (error as Error).message;
  expect(message).toContain(file);
  expect(message).toMatch(reason);
}

const openRead = (file: string) => () => readImageFile(file);
const openWrite = (file: string) => () => openImage(file).close();

describe('corrupt or truncated headers', () => {
  it('truncated headers', () => {
    const short = fresh();
    truncateSync(short, 40);
    expectImageError(openRead(short), short, /truncated qcow2 header/);
    const shortV3 = fresh();
    truncateSync(shortV3, 90);
    expectImageError(openRead(shortV3), shortV3, /truncated qcow2 version 3 header/);
    const headerOnly = fresh();
    truncateSync(headerOnly, CLUSTER);
    expectImageError(openRead(headerOnly), headerOnly, /L1 table at 0x30000 .* past the end of the file/);
  });

  it('bad magic (format forced), version, cluster_bits, size, header_length', () => {
    const magic = patch(fresh(), (b) => b.writeUInt32BE(0x12345678, 0));
    expectImageError(() => openImage(magic, { format: 'qcow2' }), magic, /not a qcow2 image/);
    const version = patch(fresh(), (b) => b.writeUInt32BE(4, 4));
    expectImageError(openRead(version), version, /unsupported qcow2 version 4/);
    const bits = patch(fresh(), (b) => b.writeUInt32BE(30, 20));
    expectImageError(openRead(bits), bits, /cluster_bits 30 is out of range/);
    const size = patch(fresh(), (b) => b.writeBigUInt64BE(1n << 40n, 24));
    expectImageError(openRead(size), size, /L1 table of 1 entries is too small/);
    const odd = patch(fresh(), (b) => b.writeBigUInt64BE(1000n, 24));
    expectImageError(openRead(odd), odd, /not a multiple of 512/);
    const length = patch(fresh(), (b) => b.writeUInt32BE(100, 100));
    expectImageError(openRead(length), length, /header_length 100 is invalid/);
  });

  it('tables outside the file or misaligned', () => {
    const l1 = patch(fresh(), (b) => b.writeBigUInt64BE(0x7000000n, 40));
    expectImageError(openRead(l1), l1, /L1 table at 0x7000000 .* past the end of the file/);
    const unaligned = patch(fresh(), (b) => b.writeBigUInt64BE(BigInt(L1 + 8), 40));
    expectImageError(openRead(unaligned), unaligned, /L1 table offset 0x30008 is not aligned/);
    const reftable = patch(fresh(), (b) => b.writeBigUInt64BE(0x7000000n, 48));
    expectImageError(openRead(reftable), reftable, /refcount table at 0x7000000 .* past the end/);
    const overlap = patch(fresh(), (b) => b.writeBigUInt64BE(BigInt(REFTABLE), 40));
    expectImageError(openRead(overlap), overlap, /L1 table .* overlaps the refcount table/);
  });

  it('header extensions and backing names that overrun the header cluster', () => {
    const ext = patch(fresh(), (b) => {
      b.writeUInt32BE(0x11112222, 112);
      b.writeUInt32BE(0x100000, 116);
    });
    expectImageError(openRead(ext), ext, /header extension 0x11112222 .* runs past the end/);
    const name = patch(fresh(), (b) => {
      b.writeBigUInt64BE(BigInt(CLUSTER - 4), 8);
      b.writeUInt32BE(100, 16);
    });
    expectImageError(openRead(name), name, /backing file name .* outside the header cluster/);
  });
});

describe('corrupt L1 and L2 entries', () => {
  it('L1 entry past the end of the file', () => {
    const file = patch(fresh(), (b) => b.writeBigUInt64BE(0x7000000n | COPIED, L1));
    expectImageError(openRead(file), file, /L1 entry 0 .*L2 table at 0x7000000 is past the end of the file/);
  });

  it('L2 entries past the end, with reserved bits, or pointing into metadata', () => {
    const past = patch(fresh(), (b) => b.writeBigUInt64BE(0x7000000n | COPIED, L2));
    expectImageError(openRead(past), past, /guest offset 0x0: data cluster at 0x7000000 is past the end of the file/);
    const reserved = patch(fresh(), (b) => b.writeBigUInt64BE(BigInt(DATA) | 2n | COPIED, L2));
    expectImageError(openRead(reserved), reserved, /reserved bits set/);
    const header = patch(fresh(), (b) => b.writeBigUInt64BE(COPIED, L2));
    expectImageError(openRead(header), header, /maps host offset 0/);
    const l1 = patch(fresh(), (b) => b.writeBigUInt64BE(BigInt(L1) | COPIED, L2));
    expectImageError(openRead(l1), l1, /data cluster at 0x30000 overlaps the L1 table/);
    const unaligned = patch(fresh(), (b) => b.writeBigUInt64BE(BigInt(DATA + 0x200) | COPIED, L2));
    expectImageError(openRead(unaligned), unaligned, /not aligned/);
    const zeroV2 = patch(fresh({ version: 2 }), (b) => b.writeBigUInt64BE(BigInt(DATA) | 1n | COPIED, L2));
    expectImageError(openRead(zeroV2), zeroV2, /zero flag, which version 2 images do not have/);
  });

  it('a writable image refuses to write data over metadata', () => {
    const file = patch(fresh(), (b) => b.writeBigUInt64BE(BigInt(REFBLOCK) | COPIED, L2 + 8));
    const image = openImage(file);
    expectImageError(() => image.writeSectors(CLUSTER / 512, Buffer.alloc(512)), file, /holds the refcount block/);
  });

  it('corrupt compressed clusters', () => {
    // 62 - (16 - 8) = 54 offset bits, then the extra sector count.
    const descriptor = (1n << 62n) | (3n << 54n) | BigInt(DATA + 100);
    const garbage = patch(fresh(), (b) => {
      b.writeBigUInt64BE(descriptor, L2);
      b.fill(0xff, DATA, DATA + 4 * 512);
    });
    expectImageError(openRead(garbage), garbage, /compressed cluster at 0x50064 .* is not valid deflate data/);
    const past = patch(fresh(), (b) => b.writeBigUInt64BE((1n << 62n) | 0x7000000n, L2));
    expectImageError(openRead(past), past, /compressed cluster at 0x7000000 .* past the end/);
  });
});

describe('refcount errors', () => {
  it('refcount block past the end of the file or inside the L1 table', () => {
    const past = patch(fresh(), (b) => b.writeBigUInt64BE(0x7000000n, REFTABLE));
    expectImageError(openRead(past), past, /refcount error: table entry 0: refcount block at 0x7000000 is past the end/);
    const inL1 = patch(fresh(), (b) => b.writeBigUInt64BE(BigInt(L1), REFTABLE));
    expectImageError(openRead(inL1), inL1, /refcount block at 0x30000 overlaps the L1 table/);
  });

  it('metadata with refcount 0 is refused for writing (reading still works)', () => {
    const file = patch(fresh(), (b) => b.writeUInt16BE(0, REFBLOCK + (L2 / CLUSTER) * 2));
    expect(readImageFile(file).subarray(0, 4)).toEqual(Buffer.alloc(4, 0x5a));
    expectImageError(openWrite(file), file, /refcount error: the L2 table of L1 entry 0 at 0x40000 has refcount 0/);
  });

  it('two L1 entries sharing one L2 table', () => {
    const file = patch(fresh(), (b) => b.writeBigUInt64BE(BigInt(L2) | COPIED, L1 + 8));
    lengthenL1(file);
    expectImageError(openWrite(file), file, /cluster 0x40000 is used both as the L2 table of L1 entry 0 and as the L2 table of L1 entry 1/);
  });
});

/** Makes the L1 table two entries long (the virtual size stays, the table may be larger). */
function lengthenL1(file: string): void {
  patch(file, (b) => b.writeUInt32BE(2, 36));
}

describe('unsupported features', () => {
  it('encryption', () => {
    const aes = patch(fresh(), (b) => b.writeUInt32BE(1, 32));
    expectImageError(openRead(aes), aes, /encrypted images are not supported \(crypt_method 1 = AES\)/);
    const luks = patch(fresh(), (b) => b.writeUInt32BE(2, 32));
    expectImageError(openRead(luks), luks, /crypt_method 2 = LUKS/);
  });

  it('incompatible feature bits', () => {
    const cases: Array<[number, RegExp]> = [
      [1, /marked corrupt/],
      [2, /external data files .* not supported/],
      [3, /non-zlib compression/],
      [4, /extended L2 entries/],
      [9, /unknown incompatible feature bit 9/],
    ];
    for (const [bit, reason] of cases) {
      const file = patch(fresh(), (b) => b.writeBigUInt64BE(1n << BigInt(bit), 72));
      expectImageError(openRead(file), file, reason);
    }
  });

  it('names unknown feature bits from the feature name table', () => {
    const file = patch(fresh(), (b) => {
      b.writeBigUInt64BE(1n << 9n, 72);
      b.writeUInt32BE(0x6803f857, 112);
      b.writeUInt32BE(48, 116);
      b.writeUInt8(0, 120);
      b.writeUInt8(9, 121);
      b.write('frobnication', 122);
    });
    expectImageError(openRead(file), file, /unknown incompatible feature bit 9 \("frobnication"\)/);
  });

  it('compression type field without the feature bit', () => {
    const file = patch(fresh(), (b) => b.writeUInt8(1, 104));
    expectImageError(openRead(file), file, /compression type 1 is not supported/);
  });

  it('dirty images open read-only only; snapshots block writing', () => {
    const dirty = patch(fresh(), (b) => b.writeBigUInt64BE(1n, 72));
    expect(readImageFile(dirty).readUInt8(0)).toBe(0x5a);
    expectImageError(openWrite(dirty), dirty, /image is dirty/);
    const snapshots = patch(fresh(), (b) => {
      b.writeUInt32BE(1, 60);
      b.writeBigUInt64BE(BigInt(DATA), 64);
    });
    expectImageError(openWrite(snapshots), snapshots, /internal snapshots/);
  });
});

describe('backing files', () => {
  it('a missing backing file', () => {
    const base = fresh({ stem: 'gone' });
    const overlay = join(dir(), `overlay${counter++}.qcow2`);
    createQcow2(overlay, { backing: base });
    renameSync(base, `${base}.moved`);
    expectImageError(openRead(overlay), overlay, /backing file ".*gone.*" .* cannot be opened: ENOENT/);
  });

  it('backing file loops (self and two-image)', () => {
    const c = fresh({ stem: 'loopc' });
    const a = join(dir(), `loopa${counter}.qcow2`);
    const b = join(dir(), `loopb${counter++}.qcow2`);
    createQcow2(a, { backing: c.split('/').pop()! });
    createQcow2(b, { backing: a.split('/').pop()! });
    const rename = (file: string, from: string, to: string) =>
      patch(file, (bytes) => bytes.write(to.split('/').pop()!, bytes.indexOf(from.split('/').pop()!)));
    expect(c.split('/').pop()!.length).toBe(a.split('/').pop()!.length);
    rename(a, c, b);
    expectImageError(openRead(a), a, /backing file loop: .*loopa.* -> .*loopb.* -> .*loopa/);
    rename(a, b, a);
    expectImageError(openRead(a), a, /backing file loop/);
  });

  it('an unsupported backing format', () => {
    const base = fresh();
    const overlay = join(dir(), `fmt${counter++}.qcow2`);
    createQcow2(overlay, { backing: base });
    patch(overlay, (b) => b.write('vmdk\0', b.indexOf('qcow2')));
    expectImageError(openRead(overlay), overlay, /backing format "vmdk" is not supported/);
  });
});

describe.skipIf(!HAVE_QEMU)(`QEMU-made images with refused states${NEEDS_QEMU}`, () => {
  it('refuses writing to images with internal snapshots, reads them', () => {
    const file = join(dir(), `snap${counter++}.qcow2`);
    qemuImg(['create', '-q', '-f', 'qcow2', file, '1M']);
    qemuImg(['snapshot', '-c', 'one', file]);
    expect(readImageFile(file).length).toBe(1024 * 1024);
    expectImageError(openWrite(file), file, /internal snapshots/);
  });
});
