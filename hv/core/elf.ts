/**
 * ELF32 little-endian ARM parser (binary-parser for the fixed layouts, explicit bounds checks for
 * everything an offset points at). Produces the loadable segments, the entry point and the symbol
 * table. Segments are placed at their physical address (p_paddr), as QEMU's loader does, so that
 * initialised data sits at its load address in flash and the startup code copies it to RAM.
 */
// The package's export map hides its type declarations; its CommonJS build carries them.
import { Parser } from 'binary-parser/dist/binary_parser.js';
import { ImageError } from '../errors.ts';
import { hex } from '../format.ts';
import { compareSymbolNames } from './symbol-order.ts';

export interface ElfSegment {
  /** Load (physical) address. */
  readonly address: number;
  /** Bytes present in the file (p_filesz). */
  readonly data: Uint8Array;
  /** Size in memory (p_memsz); the rest after `data` is zero-filled. */
  readonly memorySize: number;
  readonly flags: number;
}

export interface ElfSymbol {
  readonly name: string;
  /** Address with the Thumb bit cleared for functions. */
  readonly address: number;
  readonly size: number;
  readonly kind: 'func' | 'object';
}

export interface ElfImage {
  readonly entry: number;
  readonly segments: readonly ElfSegment[];
  readonly symbols: readonly ElfSymbol[];
}

const EM_ARM = 40;
const ET_EXEC = 2;
const ET_DYN = 3;
const PT_LOAD = 1;
const PT_INTERP = 3;
const SHT_SYMTAB = 2;
const STT_OBJECT = 1;
const STT_FUNC = 2;
const ELF_HEADER_SIZE = 52;
const PHDR_SIZE = 32;
const SHDR_SIZE = 40;
const SYM_SIZE = 16;

const headerParser = new Parser()
  .endianness('little')
  .buffer('magic', { length: 4 })
  .uint8('elfClass')
  .uint8('dataEncoding')
  .uint8('identVersion')
  .skip(9)
  .uint16('type')
  .uint16('machine')
  .uint32('version')
  .uint32('entry')
  .uint32('phoff')
  .uint32('shoff')
  .uint32('flags')
  .uint16('ehsize')
  .uint16('phentsize')
  .uint16('phnum')
  .uint16('shentsize')
  .uint16('shnum')
  .uint16('shstrndx');

const programHeaderParser = new Parser()
  .endianness('little')
  .uint32('type')
  .uint32('offset')
  .uint32('vaddr')
  .uint32('paddr')
  .uint32('filesz')
  .uint32('memsz')
  .uint32('flags')
  .uint32('align');

type Header = ReturnType<typeof headerParser.parse>;
/** The fields of a section header that hvlab reads (sh_type, sh_offset, sh_size, sh_link). */
interface SectionHeader {
  type: number;
  offset: number;
  size: number;
  link: number;
}

/**
 * Section headers and symbols are read with plain little-endian loads, not binary-parser: a
 * parser compiles its code on first use, and an image has dozens of sections and hundreds of
 * symbols (an object and a buffer view each), which every `hv run` start paid for.
 */
function sectionHeader(buf: Buffer, off: number): SectionHeader {
  return { type: buf.readUInt32LE(off + 4), offset: buf.readUInt32LE(off + 16), size: buf.readUInt32LE(off + 20), link: buf.readUInt32LE(off + 24) };
}

/** True when the bytes start with the ELF magic number. */
export function looksLikeElf(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
}

/** Parses an ELF32 LE ARM executable; `file` names the image in error messages. */
export function parseElf(bytes: Uint8Array, file: string): ElfImage {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header = parseHeader(buf, file);
  const segments = parseSegments(buf, header, file);
  checkOverlaps(segments, file);
  const symbols = parseSymbols(buf, header, file);
  return { entry: header.entry, segments, symbols };
}

function parseHeader(buf: Buffer, file: string): Header {
  if (!looksLikeElf(buf)) throw new ImageError(`${file}: not an ELF file (bad magic number)`);
  if (buf.length < ELF_HEADER_SIZE) {
    throw new ImageError(`${file}: truncated ELF file (${buf.length} bytes, header needs ${ELF_HEADER_SIZE})`);
  }
  const h = headerParser.parse(buf);
  if (h.elfClass !== 1) throw new ImageError(`${file}: wrong ELF class ${h.elfClass} (need ELFCLASS32 = 1)`);
  if (h.dataEncoding !== 1) {
    throw new ImageError(`${file}: wrong endianness (EI_DATA = ${h.dataEncoding}, need little-endian = 1)`);
  }
  if (h.machine !== EM_ARM) {
    throw new ImageError(`${file}: wrong machine ${h.machine}${machineName(h.machine)}: an ELF for another architecture (need EM_ARM = 40)`);
  }
  if (h.type !== ET_EXEC && h.type !== ET_DYN) {
    throw new ImageError(`${file}: ELF type ${h.type}${typeName(h.type)} is not an executable (need ET_EXEC = 2)`);
  }
  if (h.phnum > 0 && h.phentsize < PHDR_SIZE) {
    throw new ImageError(`${file}: program header entry size ${h.phentsize} is smaller than ${PHDR_SIZE}`);
  }
  return h;
}

const MACHINES: Record<number, string> = { 3: 'x86', 8: 'MIPS', 20: 'PowerPC', 21: 'PowerPC64', 43: 'SPARC V9', 62: 'x86-64', 83: 'AVR', 94: 'Xtensa', 183: 'AArch64', 243: 'RISC-V' };
const TYPES: Record<number, string> = { 0: 'none', 1: 'relocatable object', 4: 'core dump' };

function machineName(machine: number): string {
  const name = MACHINES[machine];
  return name === undefined ? '' : ` (${name})`;
}

function typeName(type: number): string {
  const name = TYPES[type];
  return name === undefined ? '' : ` (${name})`;
}

function requireRange(buf: Buffer, offset: number, length: number, what: string, file: string): void {
  if (offset + length > buf.length) {
    throw new ImageError(
      `${file}: truncated ELF file: ${what} at offset ${offset} needs ${length} bytes, file has ${buf.length}`,
    );
  }
}

function parseSegments(buf: Buffer, h: Header, file: string): ElfSegment[] {
  requireRange(buf, h.phoff, h.phnum * h.phentsize, 'program header table', file);
  const segments: ElfSegment[] = [];
  for (let i = 0; i < h.phnum; i++) {
    const off = h.phoff + i * h.phentsize;
    const ph = programHeaderParser.parse(buf.subarray(off, off + PHDR_SIZE));
    if (ph.type === PT_INTERP) throw new ImageError(`${file}: a dynamically linked program (it has an interpreter, PT_INTERP), not bare-metal firmware`);
    if (ph.type !== PT_LOAD || ph.memsz === 0) continue;
    if (ph.filesz > ph.memsz) {
      throw new ImageError(`${file}: segment ${i} has file size ${ph.filesz} larger than memory size ${ph.memsz}`);
    }
    requireRange(buf, ph.offset, ph.filesz, `segment ${i} data`, file);
    const data = buf.subarray(ph.offset, ph.offset + ph.filesz);
    segments.push({ address: ph.paddr, data, memorySize: ph.memsz, flags: ph.flags });
  }
  if (segments.length === 0) throw new ImageError(`${file}: no loadable (PT_LOAD) segment`);
  return segments;
}

function checkOverlaps(segments: readonly ElfSegment[], file: string): void {
  const sorted = [...segments].sort((a, b) => a.address - b.address);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const cur = sorted[i]!;
    if (prev.address + prev.memorySize > cur.address) {
      throw new ImageError(
        `${file}: overlapping segments at ${hex(prev.address)}+${hex(prev.memorySize)} and ${hex(cur.address)}+${hex(cur.memorySize)}`,
      );
    }
  }
}

function parseSymbols(buf: Buffer, h: Header, file: string): ElfSymbol[] {
  if (h.shnum === 0 || h.shoff === 0) return [];
  if (h.shentsize < SHDR_SIZE) throw new ImageError(`${file}: section header entry size ${h.shentsize} is too small`);
  requireRange(buf, h.shoff, h.shnum * h.shentsize, 'section header table', file);
  const sections: SectionHeader[] = [];
  for (let i = 0; i < h.shnum; i++) {
    const off = h.shoff + i * h.shentsize;
    sections.push(sectionHeader(buf, off));
  }
  const symtab = sections.find((s) => s.type === SHT_SYMTAB);
  if (!symtab) return [];
  const strtab = sections[symtab.link];
  if (!strtab) throw new ImageError(`${file}: symbol table links to missing string table ${symtab.link}`);
  requireRange(buf, symtab.offset, symtab.size, 'symbol table', file);
  requireRange(buf, strtab.offset, strtab.size, 'symbol string table', file);
  const strings = buf.subarray(strtab.offset, strtab.offset + strtab.size);
  return readSymbols(buf.subarray(symtab.offset, symtab.offset + symtab.size), strings);
}

function readSymbols(table: Buffer, strings: Buffer): ElfSymbol[] {
  const symbols: ElfSymbol[] = [];
  for (let off = SYM_SIZE; off + SYM_SIZE <= table.length; off += SYM_SIZE) {
    // Elf32_Sym: st_name, st_value, st_size (32 bits each), st_info, st_other (8), st_shndx (16).
    const type = table[off + 12]! & 0xf;
    if ((type !== STT_FUNC && type !== STT_OBJECT) || table.readUInt16LE(off + 14) === 0) continue;
    const name = cString(strings, table.readUInt32LE(off));
    if (!name) continue;
    const isFunc = type === STT_FUNC;
    const value = table.readUInt32LE(off + 4);
    symbols.push({ name, address: isFunc ? value & ~1 : value, size: table.readUInt32LE(off + 8), kind: isFunc ? 'func' : 'object' });
  }
  return symbols.sort((a, b) => a.address - b.address || compareSymbolNames(a.name, b.name));
}

function cString(strings: Buffer, offset: number): string {
  if (offset >= strings.length) return '';
  const end = strings.indexOf(0, offset);
  return strings.toString('latin1', offset, end < 0 ? strings.length : end);
}
