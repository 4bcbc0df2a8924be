/**
 * Backing chains: overlays made by `qemu-img create -b ... -F ...` (qcow2 and raw backing) read
 * through to the base, hvlab writes land in the overlay only (copy-on-write of partial clusters),
 * and hvlab-made overlays are read by QEMU the same way.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openImage, type Qcow2Image } from '../../hv/storage/open-image.ts';
import { createQcow2 } from '../../hv/storage/qcow2/create.ts';
import { HAVE_QEMU, NEEDS_QEMU, patternBytes, qemuCheck, qemuImg, qemuIo, qemuRaw, randomInt, readAll, readImageFile, seededRandom, sha256, tempDir } from './helpers.ts';

const dir = tempDir();
const MiB = 1024 * 1024;

let counter = 0;
/** A fresh sub-name in the temp dir (images refer to each other by relative names). */
function name(stem: string): string {
  return `${stem}-${counter++}`;
}

function qemuBase(format: 'qcow2' | 'raw', size = 4 * MiB): string {
  const file = `${name('base')}.${format}`;
  qemuImg(['create', '-q', '-f', format, file, String(size)], dir());
  const writes = ['write -P 0xab 0 64k', 'write -P 0xcd 100k 3k', 'write -P 0x5a 1M 512', ...(size > 3 * MiB ? ['write -P 0x42 3M 200k'] : [])];
  qemuIo(join(dir(), file), writes, format);
  return file;
}

function qemuOverlay(base: string, format: 'qcow2' | 'raw', size?: number): string {
  const file = `${name('overlay')}.qcow2`;
  qemuImg(['create', '-q', '-f', 'qcow2', '-b', base, '-F', format, file, ...(size ? [String(size)] : [])], dir());
  return file;
}

describe.skipIf(!HAVE_QEMU)(`overlays made by qemu-img create -b${NEEDS_QEMU}`, () => {
  for (const format of ['qcow2', 'raw'] as const) {
    it(`read through to a ${format} base and locate unallocated clusters there`, () => {
      const base = qemuBase(format);
      const overlay = qemuOverlay(base, format);
      qemuIo(join(dir(), overlay), ['write -P 0x11 2k 1k', 'write -P 0x12 2M 64k']);
      const image = openImage(join(dir(), overlay), { readOnly: true }) as Qcow2Image;
      expect(image.info.backingFile).toBe(base);
      expect(image.info.backingFormat).toBe(format);
      expect(image.backing?.format).toBe(format);
      expect(image.backing?.readOnly).toBe(true);
      expect(readAll(image).equals(qemuRaw(join(dir(), overlay), dir()))).toBe(true);
      expect(image.locate(0).image).toBe(image);
      const inBase = image.locate(MiB);
      expect(inBase.image).toBe(image.backing);
      expect(inBase.offset).toBe(MiB);
      expect(inBase.zero).toBe(false);
      // Unallocated in the overlay and (for qcow2) in the base too.
      if (format === 'qcow2') expect(image.locate(2 * MiB + 512 * 1024).zero).toBe(true);
      image.close();
    });

    it(`writes to the overlay (partial clusters copy on write) never change the ${format} base`, () => {
      const base = qemuBase(format);
      const overlay = qemuOverlay(base, format);
      const before = sha256(join(dir(), base));
      const model = qemuRaw(join(dir(), overlay), dir());
      const image = openImage(join(dir(), overlay));
      const random = seededRandom(42);
      for (let i = 0; i < 80; i++) {
        const sectors = 1 + randomInt(random, 40);
        const sector = randomInt(random, model.length / 512 - sectors);
        const data = patternBytes(random, sectors * 512);
        image.writeSectors(sector, data);
        data.copy(model, sector * 512);
      }
      // One sector in the middle of a base cluster: the rest of the cluster must come from the base.
      image.writeSectors((100 * 1024 + 1024) / 512, Buffer.alloc(512, 0xfe));
      Buffer.alloc(512, 0xfe).copy(model, 100 * 1024 + 1024);
      expect(readAll(image).equals(model)).toBe(true);
      image.close();
      expect(sha256(join(dir(), base))).toBe(before);
      const check = qemuCheck(join(dir(), overlay));
      expect(check.code, check.stdout + check.stderr).toBe(0);
      expect(qemuRaw(join(dir(), overlay), dir()).equals(model)).toBe(true);
    });
  }

  it('reads zeros past the end of a shorter base, and writes there', () => {
    const base = qemuBase('qcow2', 2 * MiB);
    const overlay = qemuOverlay(base, 'qcow2', 4 * MiB);
    const image = openImage(join(dir(), overlay));
    expect(image.size).toBe(4 * MiB);
    image.writeSectors((3 * MiB) / 512, Buffer.alloc(512, 0x31));
    image.writeSectors((2 * MiB - 512) / 512, Buffer.alloc(1024, 0x32));
    const ours = readAll(image);
    image.close();
    expect(qemuCheck(join(dir(), overlay)).code).toBe(0);
    expect(ours.equals(qemuRaw(join(dir(), overlay), dir()))).toBe(true);
  });

  it('follows a three-image chain', () => {
    const base = qemuBase('qcow2');
    const middle = qemuOverlay(base, 'qcow2');
    qemuIo(join(dir(), middle), ['write -P 0x21 64k 64k', 'write -P 0x22 1M 4k']);
    const top = qemuOverlay(middle, 'qcow2');
    qemuIo(join(dir(), top), ['write -P 0x31 1M 512']);
    const image = openImage(join(dir(), top), { readOnly: true });
    expect(readAll(image).equals(qemuRaw(join(dir(), top), dir()))).toBe(true);
    expect(image.locate(64 * 1024).image).toBe(image.backing);
    expect(image.locate(0).image).toBe(image.backing?.backing);
    image.close();
  });

  it('opens an overlay whose backing format extension is missing (format detected by magic)', () => {
    const base = qemuBase('qcow2');
    const overlay = qemuOverlay(base, 'qcow2');
    const file = join(dir(), overlay);
    const bytes = readFileSync(file);
    // Turn the backing format extension into an unknown one, which readers must skip.
    const at = bytes.indexOf(Buffer.from([0xe2, 0x79, 0x2a, 0xca]));
    expect(at).toBeGreaterThan(0);
    bytes.writeUInt32BE(0x12345678, at);
    writeFileSync(file, bytes);
    const image = openImage(file, { readOnly: true }) as Qcow2Image;
    expect(image.info.backingFormat).toBeNull();
    expect(image.backing?.format).toBe('qcow2');
    expect(readAll(image).equals(qemuRaw(file, dir()))).toBe(true);
    image.close();
  });
});

describe.skipIf(!HAVE_QEMU)(`overlays made by hvlab${NEEDS_QEMU}`, () => {
  for (const version of [2, 3] as const) {
    it(`v${version} overlay of a qcow2 base made by hvlab: QEMU reads the same, check is clean`, () => {
      const base = join(dir(), `${name('hvbase')}.qcow2`);
      createQcow2(base, { size: 3 * MiB, clusterBits: 12, version });
      const baseImage = openImage(base);
      const random = seededRandom(version);
      for (let i = 0; i < 30; i++) baseImage.writeSectors(randomInt(random, 6000), patternBytes(random, 512 * (1 + randomInt(random, 16))));
      baseImage.close();
      const overlay = join(dir(), `${name('hvoverlay')}.qcow2`);
      createQcow2(overlay, { backing: base.split('/').pop()!, version, clusterBits: 16 });
      const before = sha256(base);
      const image = openImage(overlay);
      expect(image.size).toBe(3 * MiB);
      for (let i = 0; i < 30; i++) image.writeSectors(randomInt(random, 6000), patternBytes(random, 512 * (1 + randomInt(random, 16))));
      const ours = readAll(image);
      image.close();
      expect(sha256(base)).toBe(before);
      expect(qemuCheck(overlay).code).toBe(0);
      expect(qemuCheck(base).code).toBe(0);
      expect(qemuRaw(overlay, dir()).equals(ours)).toBe(true);
      expect(qemuImg(['info', overlay])).toMatch(/backing file format: qcow2/);
    });
  }

  it('overlay of a raw base made by hvlab', () => {
    const base = join(dir(), `${name('hvraw')}.raw`);
    writeFileSync(base, patternBytes(seededRandom(9), 2 * MiB));
    const overlay = join(dir(), `${name('hvoverlay')}.qcow2`);
    createQcow2(overlay, { backing: base, backingFormat: 'raw' });
    const image = openImage(overlay);
    image.writeSectors(3, Buffer.alloc(512, 1));
    const ours = readAll(image);
    image.close();
    expect(qemuCheck(overlay).code).toBe(0);
    expect(qemuRaw(overlay, dir()).equals(ours)).toBe(true);
    const copy = join(dir(), `${name('copy')}.qcow2`);
    copyFileSync(overlay, copy);
    expect(readImageFile(copy).equals(ours)).toBe(true);
  });
});
