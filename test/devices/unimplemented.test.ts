import { describe, expect, it } from 'vitest';
import { UnimplementedDevice } from '../../devices/unimplemented.ts';
import { fakeContext } from '../helpers/fake-time.ts';

describe('UnimplementedDevice', () => {
  it('reads 0, ignores writes and reports every access', () => {
    const ctx = fakeContext();
    const dev = new UnimplementedDevice('vga', 0x200000, ctx);
    expect(dev.model).toBe('unimplemented');
    expect(dev.size).toBe(0x200000);
    dev.write(0x10, 4, 0xffffffff);
    expect(dev.read(0x10, 4)).toBe(0);
    expect(dev.read(0x1fffff, 1)).toBe(0);
    dev.write(0x3, 2, 0xabcd);
    dev.reset();
    expect(dev.read(0x3, 2)).toBe(0);
    expect(ctx.unimplementedLog).toEqual([
      { device: 'vga', offset: 0x10, size: 4, write: true },
      { device: 'vga', offset: 0x10, size: 4, write: false },
      { device: 'vga', offset: 0x1fffff, size: 1, write: false },
      { device: 'vga', offset: 0x3, size: 2, write: true },
      { device: 'vga', offset: 0x3, size: 2, write: false },
    ]);
  });
});
