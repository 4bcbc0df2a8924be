import { describe, expect, it } from 'vitest';
import { hex } from '../hv/format.ts';

describe('hex', () => {
  it('prints 0x and the digits, unpadded by default', () => {
    expect(hex(0)).toBe('0x0');
    expect(hex(0x1f)).toBe('0x1f');
    expect(hex(2 ** 40)).toBe('0x10000000000');
  });

  it('pads to the given number of digits (a 32-bit word with 8)', () => {
    expect(hex(0x60a, 8)).toBe('0x0000060a');
    expect(hex(0xe000ed00, 8)).toBe('0xe000ed00');
  });

  it('shows a negative number as its 32-bit two\'s complement', () => {
    expect(hex(-1, 8)).toBe('0xffffffff');
    expect(hex(0x80000000 | 0)).toBe('0x80000000');
  });
});
