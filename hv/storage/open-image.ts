/**
 * Opening disk images by format, with their backing chains. The format comes from the caller or
 * from the file's magic number (qcow2's "QFI\xfb"; anything else is raw). A qcow2 backing file
 * name is relative to the overlay's directory; its format comes from the backing format header
 * extension when present, else from its magic. Backing images are always opened read-only, and
 * the chain is checked for missing files, loops and excessive depth before anything is read.
 * Every file of the chain is locked while open (image-lock.ts): one writer, or readers only.
 */
import { closeSync, readSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import { ImageError } from '../errors.ts';
import { errnoText, openRegularFile } from '../input-file.ts';
import type { BlockImage } from './block-image.ts';
import { QCOW2_MAGIC } from './qcow2/format.ts';
import type { Qcow2Header } from './qcow2/header.ts';
import type { ImageFile } from './qcow2/image-file.ts';
import { openQcow2 } from './qcow2/open.ts';
import { RawImage } from './raw-image.ts';

export type { Qcow2Image } from './qcow2/qcow2-image.ts';

export type ImageFormat = 'raw' | 'qcow2';

export interface OpenImageOptions {
  /** Open without write access (default false). Backing images are read-only regardless. */
  readOnly?: boolean;
  /** Skip detection and open as this format. */
  format?: ImageFormat;
  /**
   * Metadata cache per kind (L2 tables, refcount blocks) of each qcow2 image in the chain, in
   * bytes (default 4 MiB, at least 4 tables). Small values force early write-back.
   */
  cacheBytes?: number;
  /** Who opens the image, e.g. `guest "a"`: lock conflicts name it (default "hvlab"). */
  owner?: string;
}

/** Longest backing chain accepted (overlay included): deep enough for any real use. */
export const MAX_CHAIN_LENGTH = 64;

export function openImage(file: string, options: OpenImageOptions = {}): BlockImage {
  const path = resolve(file);
  const format = options.format ?? detectFormat(path);
  const owner = options.owner ?? 'hvlab';
  return openInChain(path, { readOnly: options.readOnly ?? false, cacheBytes: options.cacheBytes, owner }, format, []);
}

/** 'qcow2' when the file starts with the qcow2 magic number, else 'raw'. */
export function detectFormat(file: string): ImageFormat {
  const magic = Buffer.alloc(4);
  const describe = `${file}: cannot open disk image`;
  const fd = openRegularFile(file, 'r', describe, (message, cause) => new ImageError(message, { cause }));
  try {
    const n = readSync(fd, magic, 0, 4, 0);
    return n === 4 && magic.readUInt32BE(0) === QCOW2_MAGIC ? 'qcow2' : 'raw';
  } catch (cause) {
    throw new ImageError(`${describe}: ${errnoText(cause)}`, { cause });
  } finally {
    closeSync(fd);
  }
}

interface ChainOptions {
  readonly readOnly: boolean;
  readonly cacheBytes: number | undefined;
  readonly owner: string;
}

/** `chain` holds the real paths of the overlays above `path`, top first. */
function openInChain(path: string, options: ChainOptions, format: ImageFormat, chain: readonly string[]): BlockImage {
  const parent = chain[chain.length - 1];
  const owner = parent === undefined ? options.owner : `${options.owner} (as the backing file of ${basename(parent)})`;
  if (format === 'raw') return new RawImage(path, options.readOnly, owner);
  return openQcow2(path, { ...options, owner }, (header, io) => openBacking(header, io, options, [...chain, realPath(path)]));
}

function openBacking(header: Qcow2Header, io: ImageFile, options: ChainOptions, chain: readonly string[]): BlockImage {
  const name = header.backingFile!;
  if (name.startsWith('json:')) io.fail(`backing file "${name}": json: pseudo-protocol names are not supported`);
  const path = isAbsolute(name) ? name : resolve(dirname(io.path), name);
  let real: string;
  try {
    real = realpathSync(path);
  } catch (cause) {
    return io.fail(`backing file "${name}" (${path}) cannot be opened: ${(cause as NodeJS.ErrnoException).code ?? cause}`, cause);
  }
  if (chain.includes(real)) io.fail(`backing file loop: ${[...chain, real].join(' -> ')}`);
  if (chain.length >= MAX_CHAIN_LENGTH) io.fail(`backing chain is longer than ${MAX_CHAIN_LENGTH} images`);
  const format = backingFormat(header.extensions.backingFormat, io) ?? detectFormat(path);
  return openInChain(path, { ...options, readOnly: true }, format, chain);
}

function backingFormat(name: string | null, io: ImageFile): ImageFormat | null {
  if (name === null) return null;
  if (name === 'raw' || name === 'qcow2') return name;
  return io.fail(`backing format "${name}" is not supported (only raw and qcow2)`);
}

function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
