/** Reading and patching copies of real ELF images for parser tests. */
import { readFileSync } from 'node:fs';

export const PHDR_SIZE = 32;

export interface ProgramHeader {
  index: number;
  type: number;
  offset: number;
  vaddr: number;
  paddr: number;
  filesz: number;
  memsz: number;
  flags: number;
}

/** A fresh, mutable copy of a file's bytes. */
export function elfCopy(file: string): Buffer {
  return Buffer.from(readFileSync(file));
}

export function programHeaders(elf: Buffer): ProgramHeader[] {
  const phoff = elf.readUInt32LE(28);
  const phentsize = elf.readUInt16LE(42);
  const phnum = elf.readUInt16LE(44);
  return Array.from({ length: phnum }, (_, index) => {
    const o = phoff + index * phentsize;
    return {
      index,
      type: elf.readUInt32LE(o),
      offset: elf.readUInt32LE(o + 4),
      vaddr: elf.readUInt32LE(o + 8),
      paddr: elf.readUInt32LE(o + 12),
      filesz: elf.readUInt32LE(o + 16),
      memsz: elf.readUInt32LE(o + 20),
      flags: elf.readUInt32LE(o + 24),
    };
  });
}

/** Overwrites a 32-bit field of program header `index` (field offsets as in Elf32_Phdr). */
export function patchProgramHeader(elf: Buffer, index: number, field: 'offset' | 'paddr' | 'filesz' | 'memsz', value: number): void {
  const fieldOffset = { offset: 4, paddr: 12, filesz: 16, memsz: 20 }[field];
  const phoff = elf.readUInt32LE(28);
  const phentsize = elf.readUInt16LE(42);
  elf.writeUInt32LE(value >>> 0, phoff + index * phentsize + fieldOffset);
}
