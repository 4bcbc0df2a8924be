import { describe, expect, it } from 'vitest';
import { BitBand } from '../../devices/bitband.ts';
import { GuestBusError } from '../../hv/trap/mmio.ts';

const BASE = 0x20000000;

/** 1 MiB of little-endian memory at BASE that logs the accesses the bit-band makes. */
function memory() {
  const bytes = new Uint8Array(0x100000);
  const log: string[] = [];
  const target = {
    base: BASE,
    read(address: number, size: number): number {
      log.push(`r${size}@${(address - BASE).toString(16)}`);
      let v = 0;
      for (let i = size - 1; i >= 0; i--) v = v * 256 + bytes[address - BASE + i]!;
      return v;
    },
    write(address: number, size: number, value: number): void {
      log.push(`w${size}@${(address - BASE).toString(16)}=${value.toString(16)}`);
      for (let i = 0; i < size; i++) bytes[address - BASE + i] = Math.floor(value / 256 ** i) & 0xff;
    },
  };
  return { bytes, log, bb: new BitBand('bitband-sram', target) };
}

/** Alias offset of bit `bit` of byte `byte` for word accesses. */
const alias = (byte: number, bit: number) => byte * 32 + bit * 4;

describe('BitBand', () => {
  it('is a 32 MiB window', () => {
    const { bb } = memory();
    expect(bb.model).toBe('bitband');
    expect(bb.size).toBe(0x2000000);
  });

  it('word writes set and clear single bits with a read-modify-write of the word', () => {
    const { bb, bytes, log } = memory();
    bytes[0x10] = 0xaa;
    bb.write(alias(0x10, 0), 4, 1);
    expect(bytes[0x10]).toBe(0xab);
    bb.write(alias(0x10, 1), 4, 0xfffffffe); // only bit 0 of the value counts
    expect(bytes[0x10]).toBe(0xa9);
    expect(log).toEqual(['r4@10', 'w4@10=ab', 'r4@10', 'w4@10=a9']);
  });

  it('reads back each bit of memory', () => {
    const { bb, bytes } = memory();
    bytes[0x43] = 0x80;
    bytes[0xfffff] = 0x01;
    expect(bb.read(alias(0x43, 7), 4)).toBe(1);
    expect(bb.read(alias(0x43, 6), 4)).toBe(0);
    expect(bb.read(alias(0xfffff, 0), 4)).toBe(1);
    expect(bb.read(0x1fffffc, 4)).toBe(0); // bit 7 of the last byte
  });

  it('handles bit 31 of a word', () => {
    const { bb, bytes, log } = memory();
    bb.write(alias(0x43, 7), 4, 1);
    expect(log).toEqual(['r4@40', 'w4@40=80000000']);
    expect(bytes[0x43]).toBe(0x80);
    expect(bb.read(alias(0x43, 7), 4)).toBe(1);
    bb.write(alias(0x43, 7), 4, 0);
    expect(bytes[0x43]).toBe(0);
  });

  it('byte and halfword accesses address the bit within the byte or halfword', () => {
    const { bb, bytes, log } = memory();
    bb.write(alias(0x11, 2), 2, 1);
    expect(log).toEqual(['r2@10', 'w2@10=400']);
    expect(bytes[0x11]).toBe(0x04);
    bb.write(alias(0x23, 5), 1, 1);
    expect(log.slice(2)).toEqual(['r1@23', 'w1@23=20']);
    expect(bytes[0x23]).toBe(0x20);
    expect(bb.read(alias(0x23, 5), 1)).toBe(1);
    expect(bb.read(alias(0x11, 2), 2)).toBe(1);
  });

  it('round-trips a pattern written bit by bit', () => {
    const { bb, bytes } = memory();
    const pattern = [0x5a, 0xc3, 0x00, 0xff, 0x81];
    pattern.forEach((byte, i) => {
      for (let bit = 0; bit < 8; bit++) bb.write(alias(0x800 + i, bit), 4, (byte >> bit) & 1);
    });
    expect([...bytes.slice(0x800, 0x805)]).toEqual(pattern);
    const back = pattern.map((_, i) => {
      let v = 0;
      for (let bit = 0; bit < 8; bit++) v |= bb.read(alias(0x800 + i, bit), 1) << bit;
      return v;
    });
    expect(back).toEqual(pattern);
  });

  it('rejects accesses wider than a word', () => {
    const { bb } = memory();
    expect(() => bb.read(0, 8)).toThrow(GuestBusError);
  });
});
