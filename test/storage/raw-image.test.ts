import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ImageError } from '../../hv/errors.ts';
import { detectFormat, openImage } from '../../hv/storage/open-image.ts';
import { RawImage } from '../../hv/storage/raw-image.ts';
import { tempDir } from './helpers.ts';

const dir = tempDir();

describe('raw images', () => {
  it('reads and writes sectors straight through to the file', () => {
    const file = join(dir(), 'disk.raw');
    writeFileSync(file, Buffer.alloc(8 * 512, 0x11));
    const image = openImage(file);
    expect(image).toBeInstanceOf(RawImage);
    expect(image.format).toBe('raw');
    expect(image.size).toBe(4096);
    expect(image.backing).toBeNull();
    image.writeSectors(2, Buffer.alloc(1024, 0x22));
    image.flush();
    expect(Buffer.from(image.readSectors(1, 4))).toEqual(Buffer.concat([Buffer.alloc(512, 0x11), Buffer.alloc(1024, 0x22), Buffer.alloc(512, 0x11)]));
    expect(image.locate(1024)).toEqual({ image, offset: 1024, zero: false });
    image.close();
    expect(readFileSync(file).subarray(1024, 2048)).toEqual(Buffer.alloc(1024, 0x22));
  });

  it('is detected by the absence of the qcow2 magic', () => {
    const file = join(dir(), 'detect.raw');
    writeFileSync(file, Buffer.alloc(512));
    expect(detectFormat(file)).toBe('raw');
  });

  it('refuses out-of-range access, partial sectors, writes when read-only, and odd sizes', () => {
    const file = join(dir(), 'small.raw');
    writeFileSync(file, Buffer.alloc(1024));
    const ro = openImage(file, { readOnly: true });
    expect(() => ro.readSectors(1, 2)).toThrow(/beyond the end/);
    expect(() => ro.writeSectors(0, Buffer.alloc(512))).toThrow(ImageError);
    ro.close();
    const rw = new RawImage(file);
    expect(() => rw.writeSectors(0, Buffer.alloc(100))).toThrow(/not whole sectors/);
    rw.close();
    const odd = join(dir(), 'odd.raw');
    writeFileSync(odd, Buffer.alloc(1000));
    expect(() => openImage(odd)).toThrow(/not a multiple of 512/);
    expect(() => openImage(join(dir(), 'missing.raw'))).toThrow(ImageError);
  });
});
