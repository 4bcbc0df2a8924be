/** A raw disk image: the file is the disk, byte for byte. */
import { closeSync, fstatSync, fsyncSync, readSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { ImageError } from '../errors.ts';
import { errnoText, openRegularFile } from '../input-file.ts';
import { type BlockImage, type BlockLocation, SECTOR_SIZE } from './block-image.ts';
import { type ImageLock, lockImage } from './image-lock.ts';

export class RawImage implements BlockImage {
  readonly format = 'raw';
  readonly backing = null;
  readonly file: string;
  readonly size: number;
  private fd: number | undefined;
  private readonly lock: ImageLock;

  /** `owner` names who opens it (e.g. `guest "a"`) in lock conflicts. */
  constructor(file: string, readonly readOnly = false, owner = 'hvlab') {
    this.file = resolve(file);
    const fail = (message: string, cause?: unknown) => new ImageError(message, { cause });
    const fd = openRegularFile(this.file, readOnly ? 'r' : 'r+', `${file}: cannot open disk image`, fail);
    try {
      const bytes = fstatSync(fd).size;
      if (bytes % SECTOR_SIZE !== 0) throw new ImageError(`${file}: raw image size ${bytes} is not a multiple of ${SECTOR_SIZE} bytes`);
      this.lock = lockImage(fd, this.file, readOnly ? 'read' : 'write', owner);
      this.size = bytes;
      this.fd = fd;
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  readSectors(sector: number, count: number): Uint8Array {
    this.checkRange(sector, count);
    const out = new Uint8Array(count * SECTOR_SIZE);
    for (let done = 0; done < out.length; ) {
      const n = this.io('read', () => readSync(this.handle(), out, done, out.length - done, sector * SECTOR_SIZE + done));
      // The file shrank under us (another program truncated it): the rest reads as zeros.
      if (n === 0) break;
      done += n;
    }
    return out;
  }

  writeSectors(sector: number, data: Uint8Array): void {
    if (this.readOnly) throw new ImageError(`${this.file}: image is read-only`);
    if (data.length % SECTOR_SIZE !== 0) throw new ImageError(`${this.file}: write of ${data.length} bytes is not whole sectors`);
    this.checkRange(sector, data.length / SECTOR_SIZE);
    for (let done = 0; done < data.length; ) {
      done += this.io('write', () => writeSync(this.handle(), data, done, data.length - done, sector * SECTOR_SIZE + done));
    }
  }

  flush(): void {
    this.io('fsync', () => fsyncSync(this.handle()));
  }

  locate(offset: number): BlockLocation {
    return { image: this, offset, zero: false };
  }

  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    this.lock.release();
    this.io('close', () => closeSync(fd));
  }

  private handle(): number {
    if (this.fd === undefined) throw new ImageError(`${this.file}: image is closed`);
    return this.fd;
  }

  /** Host I/O errors (EIO, ENOSPC on a sparse file) become ImageErrors naming the file. */
  private io<T>(what: string, op: () => T): T {
    try {
      return op();
    } catch (cause) {
      if (cause instanceof ImageError) throw cause;
      throw new ImageError(`${this.file}: ${what} failed: ${errnoText(cause)}`, { cause });
    }
  }

  private checkRange(sector: number, count: number): void {
    if (sector < 0 || count < 0 || (sector + count) * SECTOR_SIZE > this.size) {
      throw new ImageError(`${this.file}: sectors ${sector}..${sector + count - 1} are beyond the end (${this.size / SECTOR_SIZE} sectors)`);
    }
  }
}
