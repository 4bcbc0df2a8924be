/**
 * A sparse in-memory raw image of any size (terabytes included) for unit tests: only written
 * sectors are stored; the rest read as a pattern derived from the file name and the sector, so
 * that two images never read the same bytes by accident.
 */
import { type BlockImage, type BlockLocation, SECTOR_SIZE } from '../../../hv/storage/block-image.ts';

export class SparseImage implements BlockImage {
  readonly format = 'raw';
  readonly backing = null;
  readonly readOnly = false;
  private readonly sectors = new Map<number, Uint8Array>();
  private readonly salt: number;

  constructor(
    readonly file: string,
    readonly size: number,
  ) {
    let salt = 0;
    for (let i = 0; i < file.length; i++) salt = (salt * 31 + file.charCodeAt(i)) & 0xff;
    this.salt = salt;
  }

  /** The bytes an untouched sector reads as. */
  pattern(sector: number): Uint8Array {
    const out = new Uint8Array(SECTOR_SIZE);
    for (let i = 0; i < SECTOR_SIZE; i++) out[i] = (this.salt + (sector % 251) + i * 7) & 0xff;
    return out;
  }

  readSectors(sector: number, count: number): Uint8Array {
    const out = new Uint8Array(count * SECTOR_SIZE);
    for (let i = 0; i < count; i++) out.set(this.sectors.get(sector + i) ?? this.pattern(sector + i), i * SECTOR_SIZE);
    return out;
  }

  writeSectors(sector: number, data: Uint8Array): void {
    for (let i = 0; i < data.length / SECTOR_SIZE; i++) this.sectors.set(sector + i, data.slice(i * SECTOR_SIZE, (i + 1) * SECTOR_SIZE));
  }

  flush(): void {}

  locate(offset: number): BlockLocation {
    return { image: this, offset, zero: false };
  }

  close(): void {}
}
