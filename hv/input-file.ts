/**
 * Opening the files a user names (guest images, system files, cost files, disk images): only
 * regular files are accepted. `/dev/zero` would otherwise be read forever, a FIFO would block, and
 * a directory would fail deep inside a parser; each is refused up front with what it is.
 */
import { type Stats, closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';

/** Builds the caller's error class (ImageError, ConfigError, ...) from a message naming the file. */
export type FileError = (message: string, cause?: unknown) => Error;

/** What a non-regular file is, for messages: "a directory", "a character device", ... */
export function fileKind(stats: Stats): string {
  if (stats.isFile()) return 'a regular file';
  if (stats.isDirectory()) return 'a directory';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** The errno code of a failed file operation (ENOENT, EACCES, ...), else the message. */
export function errnoText(cause: unknown): string {
  const e = cause as NodeJS.ErrnoException | undefined;
  return e?.code ?? (cause instanceof Error ? cause.message : String(cause));
}

/**
 * Throws unless `fd` is a regular file; `describe` is prefixed to the reason, e.g.
 * "fw.elf: cannot read image" + ": not a regular file (a character device)".
 */
export function requireRegularFile(fd: number, describe: string, fail: FileError): Stats {
  const stats = fstatSync(fd);
  if (!stats.isFile()) throw fail(`${describe}: not a regular file (${fileKind(stats)})`);
  return stats;
}

/**
 * Opens `file` (non-blocking, so that a FIFO cannot hang the open), checks that it is a regular
 * file and returns the descriptor; the caller closes it. `describe` prefixes every message.
 */
export function openRegularFile(file: string, flags: 'r' | 'r+', describe: string, fail: FileError): number {
  const mode = (flags === 'r' ? constants.O_RDONLY : constants.O_RDWR) | constants.O_NONBLOCK;
  let fd: number;
  try {
    fd = openSync(file, mode);
  } catch (cause) {
    throw fail(`${describe}: ${errnoText(cause)}`, cause);
  }
  try {
    requireRegularFile(fd, describe, fail);
    return fd;
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/** Reads a whole regular file; `maxBytes` bounds what a configuration file may be. */
export function readRegularFile(file: string, describe: string, fail: FileError, maxBytes = Number.MAX_SAFE_INTEGER): Buffer {
  const fd = openRegularFile(file, 'r', describe, fail);
  try {
    const size = fstatSync(fd).size;
    if (size > maxBytes) throw fail(`${describe}: ${size} bytes is more than the ${maxBytes}-byte limit`);
    return readFileSync(fd);
  } catch (cause) {
    if (cause instanceof Error && !('errno' in cause)) throw cause;
    throw fail(`${describe}: ${errnoText(cause)}`, cause);
  } finally {
    closeSync(fd);
  }
}
