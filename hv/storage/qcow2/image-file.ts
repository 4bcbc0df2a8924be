/**
 * Synchronous positioned I/O on one image file (raw and qcow2 alike): opened as a regular file,
 * locked, with every failure turned into an ImageError that names the file. Tracks the file size itself (appends move it) so that "past the end of the file"
 * checks see clusters this process has written.
 */
import { closeSync, fstatSync, fsyncSync, readSync, writeSync } from 'node:fs';
import { HvError, ImageError } from '../../errors.ts';
import { errnoText, openRegularFile } from '../../input-file.ts';
import { type ImageLock, lockImage } from '../image-lock.ts';

export class ImageFile {
  /** Current size of the file in bytes. */
  size: number;
  private fd: number | undefined;
  private readonly lock: ImageLock;

  constructor(
    /** The path as shown in error messages (resolved). */
    readonly path: string,
    readonly readOnly: boolean,
    /** Who opens it (e.g. `guest "a"`), named in lock conflicts (image-lock.ts). */
    owner = 'hvlab',
  ) {
    const fail = (message: string, cause?: unknown) => new ImageError(message, { cause });
    const fd = openRegularFile(path, readOnly ? 'r' : 'r+', `${path}: cannot open disk image`, fail);
    try {
      this.size = fstatSync(fd).size;
      this.lock = lockImage(fd, path, readOnly ? 'read' : 'write', owner);
      this.fd = fd;
    } catch (cause) {
      closeSync(fd);
      if (cause instanceof HvError) throw cause;
      throw new ImageError(`${path}: cannot open disk image: ${errnoText(cause)}`, { cause });
    }
  }

  /** Throws an ImageError naming this file. */
  fail(reason: string, cause?: unknown): never {
    throw new ImageError(`${this.path}: ${reason}`, cause === undefined ? undefined : { cause });
  }

  /** Reads exactly `length` bytes; a range past the end of the file is corrupt metadata. */
  read(offset: number, length: number, what: string): Buffer {
    if (offset + length > this.size) {
      this.fail(`${what} at offset ${hex(offset)} (${length} bytes) is past the end of the file (${this.size} bytes)`);
    }
    const out = Buffer.alloc(length);
    this.readInto(out, offset);
    return out;
  }

  /**
   * Reads into `dest` from `offset`; bytes past the end of the file read as zeros (as in a sparse
   * file: the tail of the last data cluster may not have been written out).
   */
  readInto(dest: Uint8Array, offset: number): void {
    const available = Math.max(0, Math.min(dest.length, this.size - offset));
    let done = 0;
    while (done < available) {
      const n = this.io(() => readSync(this.handle(), dest, done, available - done, offset + done), 'read');
      if (n === 0) break;
      done += n;
    }
    dest.fill(0, done);
  }

  write(offset: number, data: Uint8Array): void {
    if (this.readOnly) this.fail('image is read-only');
    let done = 0;
    while (done < data.length) {
      done += this.io(() => writeSync(this.handle(), data, done, data.length - done, offset + done), 'write');
    }
    this.size = Math.max(this.size, offset + data.length);
  }

  sync(): void {
    if (this.readOnly) return;
    this.io(() => fsyncSync(this.handle()), 'fsync');
  }

  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    this.lock.release();
    this.io(() => closeSync(fd), 'close');
  }

  get closed(): boolean {
    return this.fd === undefined;
  }

  private handle(): number {
    if (this.fd === undefined) this.fail('image is closed');
    return this.fd;
  }

  private io<T>(op: () => T, what: string): T {
    try {
      return op();
    } catch (cause) {
      if (cause instanceof ImageError) throw cause;
      return this.fail(`${what} failed: ${errnoText(cause)}`, cause);
    }
  }
}

export function hex(value: number | bigint): string {
  return `0x${value.toString(16)}`;
}
