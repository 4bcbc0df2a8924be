/**
 * Which format a guest image file is in. The rule (README "Guest images"): a file with the ELF
 * magic number is an ELF; anything else is a raw binary only when the user says so, with
 * `format: bin` in the system file or a `.bin` file name. A README, an Intel HEX or S-record
 * file, or any other file would otherwise boot as raw bytes and HardFault, so they are refused
 * with what they look like; text and HEX files are refused even when named `.bin`.
 */
import { extname } from 'node:path';
import { ImageError } from '../errors.ts';
import { looksLikeElf } from './elf.ts';

export type ImageFormat = 'elf' | 'bin';

/** How many leading bytes the text checks look at (enough to tell, cheap on large files). */
const SNIFF_BYTES = 4096;

/** The format of `bytes` from file `file`, when the caller did not force one. */
export function detectImageFormat(bytes: Uint8Array, file: string): ImageFormat {
  if (looksLikeElf(bytes)) return 'elf';
  const lookalike = textLookalike(bytes);
  if (lookalike === 'an Intel HEX file' || lookalike === 'a Motorola S-record file') {
    throw new ImageError(
      `${file}: not a guest image: it looks like ${lookalike}; convert it to a raw binary first (arm-none-eabi-objcopy -O binary) or load the ELF`,
    );
  }
  if (lookalike !== undefined) throw new ImageError(`${file}: not a guest image: it looks like ${lookalike}, not an ELF or a binary`);
  if (extname(file).toLowerCase() === '.bin') return 'bin';
  throw new ImageError(`${file}: not an ELF file (no magic number 7f 45 4c 46); a raw binary needs a .bin name or format: bin`);
}

/** "an Intel HEX file", "a text file", ..., or undefined when the bytes are not text. */
export function textLookalike(bytes: Uint8Array): string | undefined {
  const head = bytes.subarray(0, SNIFF_BYTES);
  if (head.length === 0 || !isText(head)) return undefined;
  const lines = Buffer.from(head).toString('latin1').split(/\r?\n/).filter((l) => l.trim() !== '');
  // The last line of the sample may be cut short; judge the complete ones.
  const whole = head.length === bytes.length ? lines : lines.slice(0, -1);
  const sample = whole.length > 0 ? whole : lines;
  if (sample.every((l) => /^:[0-9A-Fa-f]{10,}\s*$/.test(l))) return 'an Intel HEX file';
  if (sample.every((l) => /^S[0-9][0-9A-Fa-f]{6,}\s*$/.test(l))) return 'a Motorola S-record file';
  return 'a text file';
}

/** Printable ASCII and UTF-8 text with common whitespace, and no NUL or other control bytes. */
function isText(bytes: Uint8Array): boolean {
  for (const b of bytes) {
    if (b === 0x09 || b === 0x0a || b === 0x0d || b === 0x0c) continue;
    if (b < 0x20 || b === 0x7f) return false;
  }
  // Bytes >= 0x80 must form valid UTF-8 (a binary has invalid sequences almost at once).
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes.length === SNIFF_BYTES ? trimPartial(bytes) : bytes);
    return true;
  } catch {
    return false;
  }
}

/** Drops an incomplete UTF-8 sequence at the end of a sample cut at SNIFF_BYTES. */
function trimPartial(bytes: Uint8Array): Uint8Array {
  const end = bytes.length;
  for (let i = 1; i <= 3 && end - i >= 0; i++) {
    const b = bytes[end - i]!;
    if ((b & 0xc0) === 0xc0) return bytes.subarray(0, end - i);
    if ((b & 0x80) === 0) break;
  }
  return bytes;
}
