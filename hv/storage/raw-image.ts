/** A raw disk image: the file is the disk, byte for byte. */
import { closeSync, fstatSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { ImageError } from '../errors.ts';
import { type BlockImage, type BlockLocation, SECTOR_SIZE } from './block-image.ts';

export class RawImage implements BlockImage {
  readonly format = 'raw';
  readonly backing = null;
  readonly file: string;
  readonly size: number;
  private fd: number | undefined;

  constructor(file: string, readonly readOnly = false) {
    this.file = resolve(file);
    try {
      this.fd = openSync(this.file, readOnly ? 'r' : 'r+');
    } catch (cause) {
      throw new ImageError(`${file}: cannot open disk image: ${(cause as NodeJS.ErrnoException).code ?? cause}`, { cause });
    }
    const bytes = fstatSync(this.fd).size;
    if (bytes % SECTOR_SIZE !== 0) {
      this.close();
      throw new ImageError(`${file}: raw image size ${bytes} is not a multiple of ${SECTOR_SIZE} bytes`);
    }
    this.size = bytes;
  }

  readSectors(sector: number, count: number): Uint8Array {
    this.checkRange(sector, count);
    const out = new Uint8Array(count * SECTOR_SIZE);
    readSync(this.handle(), out, 0, out.length, sector * SECTOR_SIZE);
    return out;
  }

  writeSectors(sector: number, data: Uint8Array): void {
    if (this.readOnly) throw new ImageError(`${this.file}: image is read-only`);
    if (data.length % SECTOR_SIZE !== 0) throw new ImageError(`${this.file}: write of ${data.length} bytes is not whole sectors`);
    this.checkRange(sector, data.length / SECTOR_SIZE);
    writeSync(this.handle(), data, 0, data.length, sector * SECTOR_SIZE);
  }

  flush(): void {
    fsyncSync(this.handle());
  }

  locate(offset: number): BlockLocation {
    return { image: this, offset, zero: false };
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }

  private handle(): number {
    if (this.fd === undefined) throw new ImageError(`${this.file}: image is closed`);
    return this.fd;
  }

  private checkRange(sector: number, count: number): void {
    if (sector < 0 || count < 0 || (sector + count) * SECTOR_SIZE > this.size) {
      throw new ImageError(`${this.file}: sectors ${sector}..${sector + count - 1} are beyond the end (${this.size / SECTOR_SIZE} sectors)`);
    }
  }
}
