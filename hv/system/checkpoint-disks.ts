/**
 * The files a checkpoint depends on, and the disks it carries.
 *
 * Disks: a checkpoint holds the bytes of every file the guests write, as they are at the
 * checkpoint (made consistent first: the image's own metadata caches are flushed; blocks a
 * write-back cache holds dirty are in the cache's saved state). A guest's disk-snapshot
 * overlay (a temporary file) is recreated from them on restore; an image file the user owns
 * (raw or qcow2, written in place) is put back to its contents at the checkpoint before the
 * restored system opens it, as QEMU's loadvm reverts a disk. So a restore never depends on what
 * happened to those files after the checkpoint. The files that are only read (guest images,
 * the driver VM's image, the backing files of every disk) are named by their SHA-256, and a
 * restore refuses to run when one has changed.
 */
import { closeSync, fchmodSync, fsyncSync, ftruncateSync, openSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { CheckpointError } from '../errors.ts';
import { errnoText } from '../input-file.ts';
import { sha256 } from '../lazy-builtins.ts';
import { type SparseBytes, denseBytes, sparseBytes } from '../sparse-bytes.ts';
import type { BlockImage } from '../storage/block-image.ts';
import { openImage } from '../storage/open-image.ts';
import type { BootedSystem } from './boot.ts';

export interface SavedDisk {
  readonly guest: string;
  /** `overlay`: the guest's disk-snapshot overlay; `image`: the image file it writes in place. */
  readonly kind: 'overlay' | 'image';
  /** The image file; for an overlay, the disk it overlays (the overlay itself is a temporary file). */
  readonly file: string;
  readonly bytes: SparseBytes;
}

/** A file the restored system reads, with the hash of its contents at the checkpoint. */
export interface InputFile {
  readonly what: string;
  readonly file: string;
  readonly sha256: string;
}

export function saveDisks(system: BootedSystem): SavedDisk[] {
  return (system.io?.disks() ?? []).map(({ guest, image }) => {
    image.flush();
    const entry = system.config.guests.find((g) => g.name === guest);
    const bytes = sparseBytes(readFileSync(image.file));
    return entry?.['disk-snapshot'] ? { guest, kind: 'overlay', file: entry.disk!, bytes } : { guest, kind: 'image', file: image.file, bytes };
  });
}

/** Every file the restored system will read but not write: images and the disks' backing files. */
export function inputFiles(system: BootedSystem): InputFile[] {
  const files: Array<{ what: string; file: string }> = system.config.guests.map((g) => ({ what: `guest ${g.name}'s image`, file: g.image }));
  const driver = system.config.io?.['driver-vm'];
  if (driver) files.push({ what: 'the driver VM image', file: driver.image });
  for (const { guest, image } of system.io?.disks() ?? []) {
    for (let base: BlockImage | null = image.backing; base !== null; base = base.backing) files.push({ what: `guest ${guest}'s backing disk`, file: base.file });
  }
  return files.map((f) => ({ ...f, sha256: hashFile(f.file) }));
}

/** Refuses a restore when a file the checkpoint depends on changed or is gone. */
export function checkInputs(checkpoint: string, inputs: readonly InputFile[]): void {
  for (const input of inputs) {
    let now: string;
    try {
      now = hashFile(input.file);
    } catch (cause) {
      throw new CheckpointError(`${checkpoint}: mismatched checkpoint: ${input.what} ${input.file} cannot be read (${errnoText(cause)})`, { cause });
    }
    if (now !== input.sha256) throw new CheckpointError(`${checkpoint}: mismatched checkpoint: ${input.what} ${input.file} changed since the checkpoint`);
  }
}

/**
 * Gets the disks ready for the restored system: image files the guests own get their contents
 * back; the overlays are returned (by guest) for the system to start from.
 */
export function prepareDisks(disks: readonly SavedDisk[]): Map<string, Uint8Array> {
  const overlays = new Map<string, Uint8Array>();
  for (const disk of disks) {
    if (disk.kind === 'overlay') overlays.set(disk.guest, denseBytes(disk.bytes));
    else revertImage(disk);
  }
  return overlays;
}

/**
 * Writes the image file back to its saved contents (refused, with the image's own error, while
 * another user has it open). The contents go to a temporary file beside it, renamed over it when
 * whole, so a failure (a full disk, an I/O error) leaves the image as it was.
 */
function revertImage(disk: SavedDisk): void {
  openImage(disk.file, { owner: `the restore of guest "${disk.guest}"` }).close();
  const written = { temporary: undefined as string | undefined };
  try {
    // Through a symbolic link, the file it names is the one to replace.
    const target = realpathSync(disk.file);
    writeImageFile(`${target}.${process.pid}.partial`, disk.bytes, statSync(target).mode & 0o7777, written);
    renameSync(written.temporary!, target);
  } catch (cause) {
    if (written.temporary !== undefined) rmSync(written.temporary, { force: true });
    throw new CheckpointError(`${disk.file}: cannot put guest "${disk.guest}"'s disk back to its contents at the checkpoint (${errnoText(cause)}); the image is unchanged`, { cause });
  }
}

/**
 * Writes `bytes` to `file` (created or emptied; `written.temporary` names it from then on, for
 * the caller to remove on failure) with `mode` as its permissions, synced to the disk.
 */
function writeImageFile(file: string, bytes: SparseBytes, mode: number, written: { temporary?: string }): void {
  const fd = openSync(file, 'w', mode);
  written.temporary = file;
  try {
    ftruncateSync(fd, bytes.size);
    for (const [first, data] of bytes.runs) writeSync(fd, data, 0, data.length, first * bytes.pageSize);
    fchmodSync(fd, mode);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function hashFile(file: string): string {
  return sha256().update(readFileSync(file)).digest('hex');
}
