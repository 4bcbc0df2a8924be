/**
 * Images made and written by QEMU (qemu-img create, qemu-io, qemu-img convert -c) read exactly as
 * `qemu-img convert -O raw` shows them, and survive hvlab writes: `qemu-img check` stays clean
 * and QEMU reads back what hvlab wrote.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openImage, type Qcow2Image } from '../../hv/storage/open-image.ts';
import { HAVE_QEMU, NEEDS_QEMU, patternBytes, qemuCheck, qemuImg, qemuIo, qemuRaw, randomInt, readAll, seededRandom, tempDir } from './helpers.ts';

const dir = tempDir();
const SIZE = 4 * 1024 * 1024;

/** qemu-img -o options, and whether the image has v3 zero clusters. */
const VARIANTS = [
  { name: 'v2 (compat=0.10)', options: 'compat=0.10', version: 2 },
  { name: 'v3 (compat=1.1)', options: 'compat=1.1', version: 3 },
  { name: 'v3, 4 KiB clusters', options: 'compat=1.1,cluster_size=4096', version: 3 },
  { name: 'v2, 512-byte clusters', options: 'compat=0.10,cluster_size=512', version: 2 },
  { name: 'v3, 512-byte clusters, 1-bit refcounts', options: 'cluster_size=512,refcount_bits=1', version: 3 },
  { name: 'v3, 64-bit refcounts, lazy refcounts', options: 'refcount_bits=64,lazy_refcounts=on', version: 3 },
  { name: 'v3, 2 MiB clusters', options: 'cluster_size=2M', version: 3 },
] as const;

/** Data, zero writes over allocated and unallocated clusters, and a discard. */
const QEMU_WRITES = [
  'write -P 0xab 0 64k',
  'write -P 0xcd 100k 3k',
  'write -P 0x5a 1M 512',
  'write -z 2M 128k',
  'write -P 0x77 3M 256k',
  'write -z 3M 64k',
  'discard 3200k 64k',
];

let counter = 0;
function qemuImage(options: string): string {
  const file = join(dir(), `q${counter++}.qcow2`);
  qemuImg(['create', '-q', '-f', 'qcow2', '-o', options, file, String(SIZE)]);
  qemuIo(file, QEMU_WRITES);
  return file;
}

/** Seeded writes of 1 to 300 sectors, applied to the image and to `model`. */
function randomWrites(file: string, model: Buffer, seed: number, count: number): void {
  const random = seededRandom(seed);
  const image = openImage(file);
  for (let i = 0; i < count; i++) {
    const sectors = 1 + randomInt(random, 300);
    const sector = randomInt(random, model.length / 512 - sectors);
    const data = patternBytes(random, sectors * 512);
    image.writeSectors(sector, data);
    data.copy(model, sector * 512);
    if (random() < 0.1) image.flush();
  }
  image.close();
}

describe.skipIf(!HAVE_QEMU)(`qcow2 images made by QEMU${NEEDS_QEMU}`, () => {
  for (const variant of VARIANTS) {
    describe(variant.name, () => {
      it('reads identically to qemu-img convert -O raw', () => {
        const file = qemuImage(variant.options);
        const image = openImage(file, { readOnly: true }) as Qcow2Image;
        expect(image.format).toBe('qcow2');
        expect(image.info.version).toBe(variant.version);
        expect(image.size).toBe(SIZE);
        expect(readAll(image).equals(qemuRaw(file, dir()))).toBe(true);
        const data = image.locate(0);
        expect(data.image).toBe(image);
        expect(data.zero).toBe(false);
        // Zeroed with write -z (a whole cluster unless clusters are 2 MiB) and never written.
        if (image.info.clusterSize <= 64 * 1024) expect(image.locate(2 * 1024 * 1024).zero).toBe(true);
        expect(image.locate(SIZE - 512).zero).toBe(image.info.clusterSize <= 64 * 1024);
        image.close();
      });

      it('takes random hvlab writes that qemu-img check accepts and QEMU reads back', () => {
        const file = qemuImage(variant.options);
        const model = qemuRaw(file, dir());
        randomWrites(file, model, 1000 + counter, 60);
        const check = qemuCheck(file);
        expect(check.code, check.stdout + check.stderr).toBe(0);
        expect(qemuRaw(file, dir()).equals(model)).toBe(true);
      });
    });
  }

  it('writes into v3 preallocated zero clusters in place', () => {
    const file = qemuImage('compat=1.1');
    const model = qemuRaw(file, dir());
    const image = openImage(file);
    // 3M..3M+64k was written, then zeroed with write -z: an allocated cluster with the zero flag.
    expect(image.locate(3 * 1024 * 1024).zero).toBe(true);
    const data = Buffer.alloc(1024, 0xee);
    image.writeSectors((3 * 1024 * 1024 + 4096) / 512, data);
    data.copy(model, 3 * 1024 * 1024 + 4096);
    image.close();
    expect(qemuCheck(file).code).toBe(0);
    expect(qemuRaw(file, dir()).equals(model)).toBe(true);
  });

  for (const compat of ['0.10', '1.1']) {
    it(`reads compressed clusters (compat=${compat}) and rewrites them on partial writes`, () => {
      const src = join(dir(), `compressible-${compat}.raw`);
      const text = Buffer.from('hvlab compressed cluster test line\n'.repeat(60000)).subarray(0, 2 * 1024 * 1024);
      writeFileSync(src, text);
      const file = join(dir(), `compressed-${compat}.qcow2`);
      qemuImg(['convert', '-c', '-O', 'qcow2', '-o', `compat=${compat}`, src, file]);
      expect(qemuImg(['check', file])).toMatch(/compressed clusters/);
      const image = openImage(file, { readOnly: true });
      expect(readAll(image).equals(text)).toBe(true);
      image.close();
      const model = Buffer.from(text);
      randomWrites(file, model, 77, 40);
      const check = qemuCheck(file);
      expect(check.code, check.stdout + check.stderr).toBe(0);
      expect(qemuRaw(file, dir()).equals(model)).toBe(true);
    });
  }

  it('clears autoclear bits (persistent bitmaps) before writing, as the specification requires', () => {
    const file = qemuImage('compat=1.1');
    qemuImg(['bitmap', '--add', file, 'dirty-tracking']);
    expect(readFileSync(file).readBigUInt64BE(88)).toBe(1n);
    const model = qemuRaw(file, dir());
    randomWrites(file, model, 5, 10);
    expect(readFileSync(file).readBigUInt64BE(88)).toBe(0n);
    // QEMU now treats the bitmaps as stale and their clusters as leaked: no corruption.
    expect(qemuCheck(file).code).toBe(3);
    expect(qemuRaw(file, dir()).equals(model)).toBe(true);
  });

  it('reads the active state of an image with internal snapshots (read-only)', () => {
    const file = qemuImage('compat=1.1');
    qemuImg(['snapshot', '-c', 'first', file]);
    qemuIo(file, ['write -P 0x99 0 32k', 'write -P 0x98 1500k 8k']);
    const image = openImage(file, { readOnly: true }) as Qcow2Image;
    expect(image.info.snapshots).toBe(1);
    expect(readAll(image).equals(qemuRaw(file, dir()))).toBe(true);
    image.close();
  });
});
