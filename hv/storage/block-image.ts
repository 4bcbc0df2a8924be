/**
 * The block-image interface: a VM disk image file (raw or qcow2) as a sequence of 512-byte
 * sectors, with an optional backing image (qcow2 overlays). Every implementation reads and
 * writes through synchronous file I/O, so that the virtual clock, not the host, decides when
 * things happen.
 */

export const SECTOR_SIZE = 512;

/** Where the data of a guest-visible range comes from, for caches that share blocks. */
export interface BlockLocation {
  /** The image file that holds the data (after following the backing chain). */
  readonly image: BlockImage;
  /** Offset of the range in that image's guest-visible address space. */
  readonly offset: number;
  /** True when no image in the chain holds data there (it reads as zeros). */
  readonly zero: boolean;
}

export interface BlockImage {
  /** Path of the image file (as given when opened, resolved). */
  readonly file: string;
  readonly format: 'raw' | 'qcow2';
  /** Guest-visible size in bytes (a multiple of SECTOR_SIZE). */
  readonly size: number;
  /** The backing image (qcow2 overlays), or null. */
  readonly backing: BlockImage | null;
  readonly readOnly: boolean;
  /** Reads `count` sectors starting at `sector`. */
  readSectors(sector: number, count: number): Uint8Array;
  /** Writes whole sectors starting at `sector` (data length is a multiple of SECTOR_SIZE). */
  writeSectors(sector: number, data: Uint8Array): void;
  /** Makes every completed write durable (metadata included). */
  flush(): void;
  /**
   * Which image in the chain holds the bytes at guest offset `offset` (within one cluster or
   * block of this image), so that a cache can key shared base-image blocks once.
   */
  locate(offset: number): BlockLocation;
  close(): void;
}
