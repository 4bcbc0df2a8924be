import { describe, expect, it } from 'vitest';
import { CMSDK_ID_REGS, OrGate, readIdRegister, sizeMask } from '../../devices/device.ts';

describe('OrGate', () => {
  it('drives the OR of its inputs, and only when that OR changes', () => {
    const out: boolean[] = [];
    const gate = new OrGate(3, (high) => out.push(high));
    const [a, b, c] = [gate.input(0), gate.input(1), gate.input(2)];
    a(false);
    expect(out).toEqual([]);
    a(true);
    b(true);
    a(false);
    expect(out).toEqual([true]);
    b(false);
    expect(out).toEqual([true, false]);
    c(true);
    c(true);
    c(false);
    expect(out).toEqual([true, false, true, false]);
  });
});

describe('sizeMask', () => {
  it('truncates to the access size, a word as unsigned', () => {
    expect([sizeMask(0x12345678, 1), sizeMask(0x12345678, 2), sizeMask(-1, 4), sizeMask(0x1ff, 4)]).toEqual([0x78, 0x5678, 0xffffffff, 0x1ff]);
  });
});

describe('readIdRegister', () => {
  it('maps 0xFD0-0xFFF onto the ID bytes, one per word; other offsets are not ID registers', () => {
    expect(CMSDK_ID_REGS).toEqual({ PID4: 0xfd0, CID3: 0xffc });
    const ids = [4, 0, 0, 0, 0x22, 0xb8, 0x1b, 0, 0x0d, 0xf0, 0x05, 0xb1];
    expect([readIdRegister(ids, 0xfd0), readIdRegister(ids, 0xfe0), readIdRegister(ids, 0xffc)]).toEqual([4, 0x22, 0xb1]);
    expect([readIdRegister(ids, 0xfcc), readIdRegister(ids, 0x1000), readIdRegister(ids, 0)]).toEqual([undefined, undefined, undefined]);
  });
});
