import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { looksLikeElf, parseElf } from '../../hv/core/elf.ts';
import { ImageError } from '../../hv/errors.ts';
import { FIRMWARE } from '../helpers/hv-cli.ts';
import { elfCopy, patchProgramHeader, programHeaders } from '../helpers/elf-bytes.ts';
import { thrown as thrownError } from '../helpers/thrown.ts';

const HELLO = join(FIRMWARE, 'hello.elf');
const COMPUTE = join(FIRMWARE, 'compute.elf');
const FILE = 'guest/hello-copy.elf';

/** Runs `fn`, which must throw; returns the error. */
function thrown(fn: () => unknown): ImageError {
  return thrownError(fn, ImageError, 'HV_IMAGE');
}

describe('parseElf on a real image (hello.elf)', () => {
  const bytes = elfCopy(HELLO);
  const elf = parseElf(bytes, HELLO);

  it('recognises the ELF magic number', () => {
    expect(looksLikeElf(bytes)).toBe(true);
    expect(looksLikeElf(Buffer.from('\x7fEL'))).toBe(false);
    expect(looksLikeElf(Buffer.from('MZ\x90\x00\x03'))).toBe(false);
  });

  it('returns the entry point as written in the header (Thumb bit set)', () => {
    expect(elf.entry).toBe(0xc5);
    expect(elf.entry).toBe(bytes.readUInt32LE(24));
  });

  it('returns both PT_LOAD segments at their physical (load) addresses', () => {
    expect(elf.segments).toHaveLength(2);
    const [text, data] = elf.segments;
    expect(text!.address).toBe(0);
    expect(text!.memorySize).toBe(0x6a4);
    expect(text!.data.length).toBe(0x6a4);
    expect(text!.flags).toBe(5); // R E
    // .data: linked at 0x20000000 (vaddr) but loaded at 0x6a4 in flash (paddr), as QEMU does.
    const headers = programHeaders(bytes);
    expect(headers[1]!.vaddr).toBe(0x20000000);
    expect(data!.address).toBe(headers[1]!.paddr);
    expect(data!.address).toBe(0x6a4);
    expect(data!.memorySize).toBe(4);
    expect(data!.data.length).toBe(4);
    expect(data!.flags).toBe(6); // RW
  });

  it('segment data are the file bytes at p_offset', () => {
    const [text, data] = elf.segments;
    expect(Buffer.from(text!.data).equals(bytes.subarray(0x1000, 0x1000 + 0x6a4))).toBe(true);
    expect(Buffer.from(data!.data).equals(bytes.subarray(0x2000, 0x2004))).toBe(true);
    // The vector table starts the text segment: initial SP, then the reset vector (= entry).
    const view = Buffer.from(text!.data);
    expect(view.readUInt32LE(0)).toBe(0x20400000);
    expect(view.readUInt32LE(4)).toBe(elf.entry);
  });

  it('lists function symbols with the Thumb bit cleared', () => {
    const main = elf.symbols.find((s) => s.name === 'main');
    const reset = elf.symbols.find((s) => s.name === 'Reset_Handler');
    expect(main).toEqual({ name: 'main', address: 0x5f8, size: 64, kind: 'func' });
    expect(reset).toEqual({ name: 'Reset_Handler', address: 0xc4, size: 56, kind: 'func' });
    expect(reset!.address).toBe(elf.entry & ~1);
    for (const s of elf.symbols.filter((x) => x.kind === 'func')) expect(s.address % 2, s.name).toBe(0);
  });

  it('lists data objects (global and local) at their addresses', () => {
    expect(elf.symbols.find((s) => s.name === '__vectors')).toEqual({ name: '__vectors', address: 0, size: 192, kind: 'object' });
    expect(elf.symbols.find((s) => s.name === 'limit')).toEqual({ name: 'limit', address: 0x20000000, size: 4, kind: 'object' });
  });

  it('sorts symbols by address and leaves out sections, files and the null symbol', () => {
    const addresses = elf.symbols.map((s) => s.address);
    expect(addresses).toEqual([...addresses].sort((a, b) => a - b));
    expect(elf.symbols.every((s) => s.name.length > 0)).toBe(true);
    expect(elf.symbols.every((s) => s.kind === 'func' || s.kind === 'object')).toBe(true);
    expect(elf.symbols.some((s) => s.name.endsWith('.c'))).toBe(false);
  });

  it('keeps a .bss-only segment with no file bytes (compute.elf)', () => {
    const compute = parseElf(elfCopy(COMPUTE), COMPUTE);
    expect(compute.segments).toHaveLength(2);
    const bss = compute.segments[1]!;
    expect(bss.address).toBe(0x8f8);
    expect(bss.data.length).toBe(0);
    expect(bss.memorySize).toBe(0x16c00);
  });
});

describe('parseElf rejects bad input with an ImageError naming the file and the reason', () => {
  it('not an ELF file (bad magic)', () => {
    const e = thrown(() => parseElf(Buffer.from('this is not an ELF image at all, just text'), FILE));
    expect(e.message).toContain(FILE);
    expect(e.message).toMatch(/not an ELF file \(bad magic/);
  });

  it('wrong class (EI_CLASS = 2, ELF64)', () => {
    const b = elfCopy(HELLO);
    b[4] = 2;
    const e = thrown(() => parseElf(b, FILE));
    expect(e.message).toContain(FILE);
    expect(e.message).toMatch(/wrong ELF class 2/);
  });

  it('wrong endianness (EI_DATA = 2, big-endian)', () => {
    const b = elfCopy(HELLO);
    b[5] = 2;
    const e = thrown(() => parseElf(b, FILE));
    expect(e.message).toContain(FILE);
    expect(e.message).toMatch(/wrong endianness \(EI_DATA = 2/);
  });

  it('wrong machine (e_machine = 3, x86)', () => {
    const b = elfCopy(HELLO);
    b.writeUInt16LE(3, 18);
    const e = thrown(() => parseElf(b, FILE));
    expect(e.message).toContain(FILE);
    expect(e.message).toMatch(/wrong machine 3 \(x86\): an ELF for another architecture \(need EM_ARM = 40\)/);
  });

  it('truncated inside the ELF header', () => {
    const b = elfCopy(HELLO).subarray(0, 30);
    const e = thrown(() => parseElf(b, FILE));
    expect(e.message).toContain(FILE);
    expect(e.message).toMatch(/truncated/);
    expect(e.message).toContain('30 bytes');
  });

  it('truncated inside the program header table', () => {
    const b = elfCopy(HELLO).subarray(0, 52 + 32 + 10);
    const e = thrown(() => parseElf(b, FILE));
    expect(e.message).toContain(FILE);
    expect(e.message).toMatch(/truncated/);
    expect(e.message).toContain('program header table');
  });

  it('truncated inside segment data', () => {
    const b = elfCopy(HELLO).subarray(0, 0x1000 + 0x100);
    const e = thrown(() => parseElf(b, FILE));
    expect(e.message).toContain(FILE);
    expect(e.message).toMatch(/truncated/);
    expect(e.message).toContain('segment 0 data');
  });

  it('overlapping PT_LOAD segments', () => {
    const b = elfCopy(HELLO);
    // Move the .data load image into the middle of the text segment (0x000-0x6a3).
    patchProgramHeader(b, 1, 'paddr', 0x600);
    const e = thrown(() => parseElf(b, FILE));
    expect(e.message).toContain(FILE);
    expect(e.message).toMatch(/overlapping segments/);
    expect(e.message).toContain('0x0+0x6a4');
    expect(e.message).toContain('0x600+0x4');
  });

  it('overlap is found whatever the program header order', () => {
    const b = elfCopy(HELLO);
    // Segment 0 now starts inside segment 1: [0x6a4, 0x6a8) and [0x6a6, ...).
    patchProgramHeader(b, 0, 'paddr', 0x6a6);
    const e = thrown(() => parseElf(b, FILE));
    expect(e.message).toMatch(/overlapping segments/);
  });

  it('touching and separate segments are not overlapping', () => {
    // hello.elf as built: segment 1 starts exactly where segment 0 ends (0x6a4).
    expect(parseElf(elfCopy(HELLO), FILE).segments[1]!.address).toBe(0x6a4);
    const b = elfCopy(HELLO);
    patchProgramHeader(b, 1, 'paddr', 0x800);
    expect(parseElf(b, FILE).segments[1]!.address).toBe(0x800);
    patchProgramHeader(b, 1, 'paddr', 0x6a3);
    expect(() => parseElf(b, FILE)).toThrow(/overlapping segments/);
  });

  it('a segment whose file size exceeds its memory size', () => {
    const b = elfCopy(HELLO);
    patchProgramHeader(b, 1, 'memsz', 2);
    const e = thrown(() => parseElf(b, FILE));
    expect(e.message).toContain(FILE);
    expect(e.message).toMatch(/segment 1 has file size 4 larger than memory size 2/);
  });

  it('no loadable segment', () => {
    const b = elfCopy(HELLO);
    b.writeUInt16LE(0, 44); // e_phnum = 0
    const e = thrown(() => parseElf(b, FILE));
    expect(e.message).toContain(FILE);
    expect(e.message).toMatch(/no loadable/);
  });
});
