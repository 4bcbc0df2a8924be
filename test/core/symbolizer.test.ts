import { describe, expect, it } from 'vitest';
import { readImage } from '../../hv/core/image.ts';
import { Symbolizer } from '../../hv/core/symbolizer.ts';
import { imagePath } from '../helpers/run-system.ts';

describe('Symbolizer', () => {
  const s = new Symbolizer([
    { name: 'b', address: 0x200, size: 0, kind: 'func' },
    { name: 'a', address: 0x100, size: 0x20, kind: 'func' },
    { name: 'alias', address: 0x100, size: 0x20, kind: 'object' },
    { name: 'data', address: 0x2000_0000, size: 4, kind: 'object' },
  ]);

  it('names an address after the symbol that contains it, with the offset in hex', () => {
    expect(s.format(0x100)).toBe('a');
    expect(s.format(0x116)).toBe('a+0x16');
    expect(s.format(0x2000_0003)).toBe('data+0x3');
  });

  it('leaves out addresses before the first symbol and past a sized symbol', () => {
    expect(s.format(0xff)).toBeUndefined();
    expect(s.format(0x120)).toBeUndefined();
    expect(s.format(0x2000_0004)).toBeUndefined();
  });

  it('stretches a symbol without a size up to the next one', () => {
    expect(s.format(0x1fff_ffff)).toBe('b+0x1ffffdff');
  });

  it("names the demo fault guest's faulting PC after main", () => {
    const image = readImage(imagePath('fault'));
    const symbols = new Symbolizer(image.symbols);
    expect(symbols.format(0x60a)).toBe('main+0x16');
    expect(symbols.format(0xc0)).toBe('Reset_Handler');
  });
});
