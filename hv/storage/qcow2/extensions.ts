/**
 * Header extensions: (type, length, data padded to 8 bytes) records after the header, ending at a
 * type-0 record or at the start of the backing file name. hvlab uses the backing format and the
 * feature name table (for naming unknown feature bits in errors); every other type is skipped, as
 * the specification allows.
 */
import { Parser } from 'binary-parser/dist/binary_parser.js';
import { EXT } from './format.ts';
import { hex, type ImageFile } from './image-file.ts';

export interface HeaderExtensions {
  /** Format of the backing file ("qcow2", "raw", ...), when the extension is present. */
  readonly backingFormat: string | null;
  /** Feature names by "<type>:<bit>" (type 0 incompatible, 1 compatible, 2 autoclear). */
  readonly featureNames: ReadonlyMap<string, string>;
}

const recordHeaderParser = new Parser().endianness('big').uint32('type').uint32('length');

const FEATURE_ENTRY_BYTES = 48;
const featureEntryParser = new Parser()
  .endianness('big')
  .uint8('type')
  .uint8('bit')
  .string('name', { length: 46, encoding: 'utf8', stripNull: true });

/** Longest backing format name accepted (QEMU's own buffer is 16 bytes). */
const MAX_FORMAT_NAME = 32;

/** Parses the extension area `area[start..]`; `area` ends where extensions must end. */
export function parseExtensions(area: Buffer, start: number, file: ImageFile): HeaderExtensions {
  let backingFormat: string | null = null;
  const featureNames = new Map<string, string>();
  // Each record takes at least 8 bytes, so this walks at most one cluster's worth of records.
  for (let offset = start; offset + 8 <= area.length; ) {
    const { type, length } = recordHeaderParser.parse(area.subarray(offset, offset + 8)) as { type: number; length: number };
    if (type === EXT.end) break;
    const dataStart = offset + 8;
    if (dataStart + length > area.length) {
      file.fail(`header extension ${hex(type)} at ${hex(offset)} (${length} bytes) runs past the end of the header area (${area.length} bytes)`);
    }
    const data = area.subarray(dataStart, dataStart + length);
    if (type === EXT.backingFormat) backingFormat = parseBackingFormat(data, file);
    else if (type === EXT.featureNameTable) parseFeatureNames(data, featureNames);
    offset = dataStart + Math.ceil(length / 8) * 8;
  }
  return { backingFormat, featureNames };
}

function parseBackingFormat(data: Buffer, file: ImageFile): string {
  if (data.length === 0 || data.length > MAX_FORMAT_NAME) file.fail(`backing format extension has an invalid length ${data.length}`);
  const end = data.indexOf(0);
  return data.subarray(0, end < 0 ? data.length : end).toString('utf8');
}

function parseFeatureNames(data: Buffer, names: Map<string, string>): void {
  for (let off = 0; off + FEATURE_ENTRY_BYTES <= data.length; off += FEATURE_ENTRY_BYTES) {
    const e = featureEntryParser.parse(data.subarray(off, off + FEATURE_ENTRY_BYTES)) as { type: number; bit: number; name: string };
    names.set(`${e.type}:${e.bit}`, e.name);
  }
}
