import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type GuestImage, type MemoryRange, checkPlacement, placeImage, readImage } from '../../hv/core/image.ts';
import { ImageError } from '../../hv/errors.ts';
import { MPS2_AN386 } from '../../devices/platforms/mps2-an386.ts';
import { FIRMWARE, makeTempDir } from '../helpers/hv-cli.ts';
import { elfCopy, patchProgramHeader } from '../helpers/elf-bytes.ts';
import { thrown as thrownError } from '../helpers/thrown.ts';

const HELLO = join(FIRMWARE, 'hello.elf');
const COMPUTE = join(FIRMWARE, 'compute.elf');
const tmp = makeTempDir('hvlab-image-');
afterAll(() => tmp.remove());

const BOARD_MEMORY: readonly MemoryRange[] = MPS2_AN386.memory.map((m) => ({ name: m.name, base: m.base, size: m.size }));

function tempFile(name: string, bytes: Uint8Array): string {
  const file = join(tmp.dir, name);
  writeFileSync(file, bytes);
  return file;
}

function thrown(fn: () => unknown): ImageError {
  return thrownError(fn, ImageError, 'HV_IMAGE');
}

/** Applies placeImage's writes to a sparse byte map. */
function place(image: GuestImage): Map<number, number> {
  const memory = new Map<number, number>();
  placeImage(image, (address, bytes) => bytes.forEach((b, i) => memory.set(address + i, b)));
  return memory;
}

describe('readImage on an ELF file', () => {
  it('recognises the ELF by its magic number and keeps its entry, segments and symbols', () => {
    const image = readImage(HELLO);
    expect(image.file).toBe(HELLO);
    expect(image.format).toBe('elf');
    expect(image.entry).toBe(0xc5);
    expect(image.vectorTable).toBe(0);
    expect(image.segments.map((s) => [s.address, s.memorySize])).toEqual([
      [0, 0x6a4],
      [0x6a4, 4],
    ]);
    expect(image.symbols.find((s) => s.name === 'main')?.address).toBe(0x5f8);
  });

  it('recognises an ELF whatever its file name', () => {
    const file = tempFile('looks-raw.bin', elfCopy(HELLO));
    expect(readImage(file).format).toBe('elf');
  });

  it('reports ELF errors with the file name', () => {
    const b = elfCopy(HELLO);
    b.writeUInt16LE(3, 18);
    const file = tempFile('x86.elf', b);
    const e = thrown(() => readImage(file));
    expect(e.message).toContain(file);
    expect(e.message).toMatch(/wrong machine 3/);
  });

  it('a forced ELF format rejects a file without the magic number', () => {
    const file = tempFile('forced.elf', Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]));
    const e = thrown(() => readImage(file, { format: 'elf' }));
    expect(e.message).toContain(file);
    expect(e.message).toMatch(/not an ELF file/);
  });
});

describe('readImage on a raw binary', () => {
  const code = Buffer.from([0x00, 0x10, 0x00, 0x20, 0x09, 0x10, 0x00, 0x00, 0xfe, 0xe7]);

  it('loads at the load address, with the vector table and entry there', () => {
    const file = tempFile('code.bin', code);
    const image = readImage(file, { loadAddress: 0x1000 });
    expect(image.format).toBe('bin');
    expect(image.file).toBe(file);
    expect(image.vectorTable).toBe(0x1000);
    expect(image.entry).toBe(0x1000);
    expect(image.symbols).toEqual([]);
    expect(image.segments).toHaveLength(1);
    expect(image.segments[0]!.address).toBe(0x1000);
    expect(image.segments[0]!.memorySize).toBe(code.length);
    expect(Buffer.from(image.segments[0]!.data).equals(code)).toBe(true);
  });

  it('defaults to load address 0', () => {
    const image = readImage(tempFile('zero.bin', code));
    expect(image.vectorTable).toBe(0);
    expect(image.segments[0]!.address).toBe(0);
  });

  it('a forced raw format loads even an ELF file byte for byte', () => {
    const bytes = elfCopy(HELLO);
    const image = readImage(HELLO, { format: 'bin', loadAddress: 0x20000000 });
    expect(image.format).toBe('bin');
    expect(image.segments[0]!.address).toBe(0x20000000);
    expect(image.segments[0]!.memorySize).toBe(bytes.length);
    expect(image.vectorTable).toBe(0x20000000);
  });

  it('rejects an empty binary', () => {
    const file = tempFile('empty.bin', new Uint8Array(0));
    const e = thrown(() => readImage(file));
    expect(e.message).toContain(file);
    expect(e.message).toMatch(/empty binary image/);
  });

  it('rejects a missing file, naming it and the reason', () => {
    const file = join(tmp.dir, 'does-not-exist.elf');
    const e = thrown(() => readImage(file));
    expect(e.message).toContain(file);
    expect(e.message).toMatch(/cannot read image: ENOENT/);
  });

  it('rejects a directory', () => {
    const e = thrown(() => readImage(tmp.dir));
    expect(e.message).toContain(tmp.dir);
    expect(e.message).toMatch(/cannot read image: not a regular file \(a directory\)/);
  });
});

describe('checkPlacement', () => {
  it('accepts a real image on the board memory map', () => {
    expect(() => checkPlacement(readImage(HELLO), BOARD_MEMORY)).not.toThrow();
    expect(() => checkPlacement(readImage(COMPUTE), BOARD_MEMORY)).not.toThrow();
  });

  it('rejects a segment whose load address is outside every memory range', () => {
    const b = elfCopy(HELLO);
    patchProgramHeader(b, 1, 'paddr', 0x30000000);
    const file = tempFile('unmapped.elf', b);
    const image = readImage(file);
    const e = thrown(() => checkPlacement(image, BOARD_MEMORY));
    expect(e.message).toContain(file);
    expect(e.message).toContain('segment 1 at 0x30000000-0x30000003');
    expect(e.message).toMatch(/outside the guest's memory/);
    expect(e.message).toContain('ssram1 0x0-0x3fffff');
  });

  it('rejects a segment that does not fit into reduced memory', () => {
    const image = readImage(HELLO);
    const small: MemoryRange[] = [
      { name: 'code', base: 0, size: 0x400 },
      { name: 'sram', base: 0x20000000, size: 0x10000 },
    ];
    const e = thrown(() => checkPlacement(image, small));
    expect(e.message).toContain(HELLO);
    expect(e.message).toContain('segment 0 at 0x0-0x6a3');
    expect(e.message).toContain('code 0x0-0x3ff');
  });

  it('rejects a segment straddling two adjacent ranges (it must lie inside one)', () => {
    const image = readImage(HELLO);
    const split: MemoryRange[] = [
      { name: 'lo', base: 0, size: 0x400 },
      { name: 'hi', base: 0x400, size: 0x400 },
    ];
    expect(() => checkPlacement(image, split)).toThrow(ImageError);
  });

  it('counts the zero-filled part (.bss) of a segment', () => {
    const image = readImage(COMPUTE); // segment 1: 0x8f8 + 0x16c00 bytes
    const tight: MemoryRange[] = [{ name: 'code', base: 0, size: 0x8f8 + 0x16c00 }];
    expect(() => checkPlacement(image, tight)).not.toThrow();
    const short: MemoryRange[] = [{ name: 'code', base: 0, size: 0x8f8 + 0x16c00 - 1 }];
    const e = thrown(() => checkPlacement(image, short));
    expect(e.message).toContain('segment 1 at 0x8f8-0x174f7');
  });

  it('checks a raw binary at its load address', () => {
    const file = tempFile('high.bin', new Uint8Array(16).fill(1));
    expect(() => checkPlacement(readImage(file, { loadAddress: 0x20000000 }), BOARD_MEMORY)).not.toThrow();
    const e = thrown(() => checkPlacement(readImage(file, { loadAddress: 0x003ffff8 }), BOARD_MEMORY));
    expect(e.message).toContain('segment 0 at 0x3ffff8-0x400007');
  });
});

describe('placeImage', () => {
  it('writes every segment at its load address', () => {
    const image = readImage(HELLO);
    const bytes = elfCopy(HELLO);
    const memory = place(image);
    expect(memory.size).toBe(0x6a4 + 4);
    for (let i = 0; i < 0x6a4; i++) {
      if (memory.get(i) !== bytes[0x1000 + i]) throw new Error(`byte at 0x${i.toString(16)} differs`);
    }
    expect([0, 1, 2, 3].map((i) => memory.get(0x6a4 + i))).toEqual([...bytes.subarray(0x2000, 0x2004)]);
  });

  it('zero-fills each segment up to its memory size', () => {
    const image: GuestImage = {
      file: 'synthetic',
      path: '/synthetic',
      format: 'elf',
      entry: 0x101,
      symbols: [],
      vectorTable: 0,
      segments: [
        { address: 0x100, data: Uint8Array.from([1, 2, 3]), memorySize: 8 },
        { address: 0x2000, data: new Uint8Array(0), memorySize: 4 },
      ],
    };
    const memory = place(image);
    expect([...Array(8).keys()].map((i) => memory.get(0x100 + i))).toEqual([1, 2, 3, 0, 0, 0, 0, 0]);
    expect(memory.get(0x108)).toBeUndefined();
    expect([...Array(4).keys()].map((i) => memory.get(0x2000 + i))).toEqual([0, 0, 0, 0]);
    expect(memory.get(0x2004)).toBeUndefined();
    expect(memory.size).toBe(12);
  });

  it('zero-fills the .bss-only segment of compute.elf', () => {
    const memory = place(readImage(COMPUTE));
    expect(memory.size).toBe(0x8f8 + 0x16c00);
    expect(memory.get(0x8f8)).toBe(0);
    expect(memory.get(0x8f8 + 0x16c00 - 1)).toBe(0);
    expect(memory.has(0x8f8 + 0x16c00)).toBe(false);
  });
});
