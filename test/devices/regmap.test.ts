/** The register-table helper: stored and computed registers, write masks, W1C, and reporting. */
import { describe, expect, it } from 'vitest';
import { RegisterMap } from '../../devices/regmap.ts';
import { InternalError } from '../../hv/errors.ts';
import { fakeContext } from '../helpers/fake-time.ts';
import { thrown } from '../helpers/thrown.ts';

function rig() {
  const ctx = fakeContext();
  const log: string[] = [];
  let count = 7;
  const regs = new RegisterMap('dev', ctx, [
    { offset: 0x00, name: 'CTRL', reset: 0x20, writable: 0x0f, write: (v, size) => log.push(`ctrl ${v} ${size}`) },
    { offset: 0x04, name: 'COUNT', read: () => count++, write: (v) => (count = v) },
    { offset: 0x08, name: 'STATUS', reset: 0b1111, w1c: 0b0101 },
    { offset: 0x0c, name: 'ID', reset: 0x1234 },
    { offset: 0x10, name: 'KICK', write: () => log.push('kick') },
    { offset: 0x14, name: 'WIDE', reset: 0, writable: 0xffffffff },
  ], [0xaa, 0xbb]);
  const reported = () => ctx.unimplementedLog.map((a) => `${a.write ? 'w' : 'r'}${a.size} ${a.offset.toString(16)}`);
  return { regs, log, reported };
}

describe('RegisterMap', () => {
  it('starts with the reset values, reads stored registers and calls read handlers', () => {
    const { regs } = rig();
    expect(regs.values.CTRL).toBe(0x20);
    expect([regs.read(0x00, 4), regs.read(0x08, 4), regs.read(0x0c, 4)]).toEqual([0x20, 0b1111, 0x1234]);
    expect([regs.read(0x04, 4), regs.read(0x04, 4)]).toEqual([7, 8]);
  });

  it('stores only the writable bits, then runs the write handler with the value and size', () => {
    const { regs, log } = rig();
    expect(regs.write(0x00, 2, 0xff)).toBe(true);
    expect(regs.values.CTRL).toBe(0x2f);
    expect(log).toEqual(['ctrl 255 2']);
    regs.write(0x14, 4, -1);
    expect(regs.values.WIDE).toBe(0xffffffff);
  });

  it('clears the W1C bits written as 1 and no others', () => {
    const { regs } = rig();
    regs.write(0x08, 4, 0b0011);
    expect(regs.values.STATUS).toBe(0b1110);
    regs.write(0x08, 4, 0xffffffff);
    expect(regs.values.STATUS).toBe(0b1010);
  });

  it('reports reads of write-only registers, writes to read-only ones and offsets with no register', () => {
    const { regs, log, reported } = rig();
    expect(regs.read(0x10, 4)).toBe(0);
    expect(regs.write(0x0c, 4, 1)).toBe(false);
    expect(regs.values.ID).toBe(0x1234);
    expect(regs.read(0x18, 1)).toBe(0);
    expect(regs.write(0x18, 2, 1)).toBe(false);
    expect(regs.write(0x10, 4, 0)).toBe(true);
    expect(log).toEqual(['kick']);
    expect(reported()).toEqual(['r4 10', 'w4 c', 'r1 18', 'w2 18']);
  });

  it('serves the CMSDK ID bytes at 0xFD0 as read-only registers', () => {
    const { regs, reported } = rig();
    expect([regs.read(0xfd0, 4), regs.read(0xfd4, 4), regs.read(0xfd8, 4)]).toEqual([0xaa, 0xbb, 0]);
    regs.write(0xfd0, 4, 1);
    expect(reported()).toEqual(['r4 fd8', 'w4 fd0']);
  });

  it('reset puts the stored registers back and leaves computed ones to their device', () => {
    const { regs } = rig();
    regs.write(0x00, 4, 0xf);
    regs.write(0x08, 4, 0xf);
    regs.write(0x04, 4, 100);
    regs.reset();
    expect([regs.read(0x00, 4), regs.read(0x08, 4), regs.read(0x04, 4)]).toEqual([0x20, 0b1111, 100]);
  });

  it('takes word registers only, one per offset (a table that breaks this is a bug in hvlab)', () => {
    const ctx = fakeContext();
    expect(thrown(() => new RegisterMap('dev', ctx, [{ offset: 0x02, name: 'A', reset: 0 }]), InternalError, 'HV_INTERNAL').message).toBe('dev: register A at a misaligned or taken offset 2');
    thrown(() => new RegisterMap('dev', ctx, [{ offset: 0x04, name: 'A', reset: 0 }, { offset: 0x04, name: 'B', reset: 0 }]), InternalError, 'HV_INTERNAL');
    const regs = new RegisterMap('dev', ctx, [{ offset: 0x04, name: 'A', reset: 5 }]);
    expect([regs.read(0x04, 4), regs.read(0x05, 1)]).toEqual([5, 0]);
    expect(ctx.unimplementedLog).toEqual([{ device: 'dev', offset: 0x05, size: 1, write: false }]);
  });
});
