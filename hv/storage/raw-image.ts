/** A raw disk image: the file is the disk, byte for byte. */
import { resolve } from 'node:path';
import { ImageError } from '../errors.ts';
import { type BlockImage, type BlockLocation, SECTOR_SIZE } from './block-image.ts';
import { ImageFile } from './qcow2/image-file.ts';

export class RawImage implements BlockImage {
  readonly format = 'raw';
  readonly backing = null;
  readonly file: string;
  readonly size: number;
  /** The file: opened, locked, read and written as every image file is (I/O errors name it). */
  private readonly image: ImageFile;

  /** `owner` names who opens it (e.g. `guest "a"`) in lock conflicts. */
  constructor(file: string, readonly readOnly = false, owner = 'hvlab') {
    this.file = resolve(file);
    this.image = new ImageFile(this.file, readOnly, owner);
    if (this.image.size % SECTOR_SIZE !== 0) {
      this.image.close();
      throw new ImageError(`${file}: raw image size ${this.image.size} is not a multiple of ${SECTOR_SIZE} bytes`);
    }
    this.size = this.image.size;
  }

  readSectors(sector: number, count: number): Uint8Array {
    this.checkRange(sector, count);
    const out = new Uint8Array(count * SECTOR_SIZE);
    // Past the end of the file (another program truncated it) reads as zeros.
    this.image.readInto(out, sector * SECTOR_SIZE);
    return out;
  }

  writeSectors(sector: number, data: Uint8Array): void {
    if (this.readOnly) this.image.fail('image is read-only');
    if (data.length % SECTOR_SIZE !== 0) this.image.fail(`write of ${data.length} bytes is not whole sectors`);
    this.checkRange(sector, data.length / SECTOR_SIZE);
    this.image.write(sector * SECTOR_SIZE, data);
  }

  flush(): void {
    this.image.sync();
  }

  locate(offset: number): BlockLocation {
    return { image: this, offset, zero: false };
  }

  close(): void {
    this.image.close();
  }

  private checkRange(sector: number, count: number): void {
    if (sector < 0 || count < 0 || (sector + count) * SECTOR_SIZE > this.size) {
      this.image.fail(`sectors ${sector}..${sector + count - 1} are beyond the end (${this.size / SECTOR_SIZE} sectors)`);
    }
  }
}
