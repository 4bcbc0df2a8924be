/**
 * Guest images: an ELF32 ARM executable or a raw binary at a load address, read from disk and
 * checked against the guest's memory before anything is written.
 */
import { ImageError } from '../errors.ts';
import { hex } from '../format.ts';
import { readRegularFile } from '../input-file.ts';
import { type ElfSymbol, parseElf } from './elf.ts';
import { detectImageFormat } from './image-format.ts';

export interface ImageSegment {
  readonly address: number;
  readonly data: Uint8Array;
  readonly memorySize: number;
}

export interface GuestImage {
  /**
   * The image as the user named it (relative to the system file, or as given on the command
   * line): what stats show, so that they do not depend on where the checkout is.
   */
  readonly file: string;
  /** The resolved path it was read from (error messages). */
  readonly path: string;
  readonly format: 'elf' | 'bin';
  readonly segments: readonly ImageSegment[];
  readonly entry: number;
  readonly symbols: readonly ElfSymbol[];
  /** Where the reset vector table is (VTOR at reset). */
  readonly vectorTable: number;
}

export interface ImageOptions {
  /** Forces the format; otherwise by image-format.ts's rule (ELF magic, or a .bin name). */
  format?: 'elf' | 'bin';
  /** The name to report the image by (default: `file`). */
  name?: string;
  /** Load address of a raw binary (default 0, where QEMU loads one). */
  loadAddress?: number;
}

export interface MemoryRange {
  readonly name: string;
  readonly base: number;
  readonly size: number;
}

/** Guest images are at most this big: far more than any board's code memory. */
const MAX_IMAGE_BYTES = 256 << 20;

export function readImage(file: string, options: ImageOptions = {}): GuestImage {
  const fail = (message: string, cause?: unknown) => new ImageError(message, { cause });
  const bytes = readRegularFile(file, `${file}: cannot read image`, fail, MAX_IMAGE_BYTES);
  return parseImage(bytes, file, options);
}

/** An image from bytes already in memory (a cluster slave receives them in a message); `file` names it. */
export function parseImage(bytes: Uint8Array, file: string, options: ImageOptions = {}): GuestImage {
  const format = options.format ?? detectImageFormat(bytes, file);
  const names = { file: options.name ?? file, path: file };
  if (format === 'elf') {
    const elf = parseElf(bytes, file);
    return { ...names, format, segments: elf.segments, entry: elf.entry, symbols: elf.symbols, vectorTable: 0 };
  }
  if (bytes.length === 0) throw new ImageError(`${file}: empty binary image`);
  const address = options.loadAddress ?? 0;
  const segment = { address, data: bytes, memorySize: bytes.length };
  return { ...names, format, segments: [segment], entry: address, symbols: [], vectorTable: address };
}

/** Throws unless every segment lies entirely inside one of the guest's memory ranges. */
export function checkPlacement(image: GuestImage, memory: readonly MemoryRange[]): void {
  image.segments.forEach((segment, i) => {
    const end = segment.address + segment.memorySize;
    const fits = memory.some((m) => segment.address >= m.base && end <= m.base + m.size);
    if (!fits) {
      const map = memory.map((m) => `${m.name} ${hex(m.base)}-${hex(m.base + m.size - 1)}`).join(', ');
      throw new ImageError(
        `${image.path}: segment ${i} at ${hex(segment.address)}-${hex(end - 1)} lies outside the guest's memory (${map})`,
      );
    }
  });
}

/** Writes the segments (zero-filling each up to its memory size). */
export function placeImage(image: GuestImage, write: (address: number, bytes: Uint8Array) => void): void {
  for (const segment of image.segments) {
    write(segment.address, segment.data);
    const zeros = segment.memorySize - segment.data.length;
    if (zeros > 0) write(segment.address + segment.data.length, new Uint8Array(zeros));
  }
}
