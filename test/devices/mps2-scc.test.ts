import { describe, expect, it } from 'vitest';
import { Mps2Scc, SCC_REG } from '../../devices/mps2-scc.ts';
import { fakeContext } from '../helpers/fake-time.ts';

const { CFG0, CFG1, CFG2, CFG3, CFG4, CFG5, CFG6, DLL, AID, ID } = SCC_REG;
const { SYS_CFGDATA_RTN: RTN, SYS_CFGDATA_OUT: OUT, SYS_CFGCTRL: CTRL, SYS_CFGSTAT: STAT } = SCC_REG;
const START = 0x80000000;
const WRITE = 1 << 30;
const OSCCLK = 1 << 20;

function setup() {
  const ctx = fakeContext();
  const scc = new Mps2Scc('scc', ctx, {
    id: 0x41043860,
    aid: 0x00200008,
    cfg4: 0x2,
    oscclk: [50_000_000, 24_576_000, 25_000_000],
  });
  scc.reset();
  const r = (offset: number) => scc.read(offset, 4);
  const w = (offset: number, value: number) => scc.write(offset, 4, value);
  return { ctx, scc, r, w };
}

describe('Mps2Scc', () => {
  it('has the AN386 register map and reset values', () => {
    expect(SCC_REG).toEqual({
      CFG0: 0x000, CFG1: 0x004, CFG2: 0x008, CFG3: 0x00c, CFG4: 0x010, CFG5: 0x014, CFG6: 0x018,
      SYS_CFGDATA_RTN: 0x0a0, SYS_CFGDATA_OUT: 0x0a4, SYS_CFGCTRL: 0x0a8, SYS_CFGSTAT: 0x0ac, DLL: 0x100, AID: 0xff8, ID: 0xffc,
    });
    const { r, scc } = setup();
    expect(scc.model).toBe('mps2-scc');
    expect(scc.size).toBe(0x1000);
    expect([CFG0, CFG1, CFG3, CFG4, RTN, OUT, CTRL, STAT, DLL, AID, ID].map(r)).toEqual([
      0, 0, 0, 0x2, 0, 0, 0x00100000, 0, 0xffff0001, 0x00200008, 0x41043860,
    ]);
  });

  it('reads OSCCLK[0] = 50 MHz through SYS_CFG', () => {
    const { r, w } = setup();
    w(CTRL, START | OSCCLK | 0);
    expect(r(RTN)).toBe(50_000_000);
    expect(r(RTN)).toBe(0x02faf080);
    expect(r(STAT)).toBe(1);
    expect(r(CTRL)).toBe(OSCCLK); // START is not stored
    w(CTRL, START | OSCCLK | 1);
    expect(r(RTN)).toBe(24_576_000);
    w(CTRL, START | OSCCLK | 2);
    expect(r(RTN)).toBe(25_000_000);
  });

  it('reports ERROR for an unknown device or function', () => {
    const { r, w } = setup();
    w(CTRL, START | OSCCLK | 0);
    w(CTRL, START | OSCCLK | 3);
    expect(r(STAT)).toBe(3);
    expect(r(RTN)).toBe(50_000_000); // unchanged
    w(CTRL, START | (2 << 20) | 0);
    expect(r(STAT)).toBe(3);
    w(CTRL, START | WRITE | (2 << 20) | 0);
    expect(r(STAT)).toBe(3);
  });

  it('writes OSCCLK through SYS_CFG until reset', () => {
    const { r, w, scc } = setup();
    w(OUT, 12_345_678);
    w(CTRL, START | WRITE | OSCCLK | 1);
    expect(r(STAT)).toBe(1);
    expect(r(CTRL)).toBe((WRITE | OSCCLK | 1) >>> 0);
    w(CTRL, START | OSCCLK | 1);
    expect(r(RTN)).toBe(12_345_678);
    scc.reset();
    w(CTRL, START | OSCCLK | 1);
    expect(r(RTN)).toBe(24_576_000);
  });

  it('stores SYS_CFGCTRL without the reserved bits and clears SYS_CFGSTAT', () => {
    const { r, w } = setup();
    w(CTRL, START | OSCCLK);
    w(CTRL, 0x7fffffff);
    expect(r(CTRL)).toBe(0x43f00fff);
    expect(r(STAT)).toBe(0);
  });

  it('keeps CFG0/CFG1 as written and only DLL bits 31:24', () => {
    const { r, w } = setup();
    w(CFG0, 0xdeadbeef);
    w(CFG1, 0xff);
    w(DLL, 0x12345678);
    expect([r(CFG0), r(CFG1), r(DLL)]).toEqual([0xdeadbeef, 0xff, 0x12ff0001]);
  });

  it('treats CFG2/5/6 as bad offsets and read-only registers as unwritable', () => {
    const { r, w, ctx, scc } = setup();
    expect([CFG2, CFG5, CFG6, 0x200].map(r)).toEqual([0, 0, 0, 0]);
    w(CFG2, 1);
    w(CFG3, 1);
    w(CFG4, 7);
    w(RTN, 7);
    w(STAT, 7);
    w(ID, 7);
    expect([r(CFG2), r(CFG3), r(CFG4), r(RTN), r(STAT), r(ID)]).toEqual([0, 0, 2, 0, 0, 0x41043860]);
    expect(scc.read(ID, 2)).toBe(0x3860);
    expect(ctx.unimplementedLog.slice(0, 10).map((a) => [a.offset, a.write])).toEqual([
      [CFG2, false],
      [CFG5, false],
      [CFG6, false],
      [0x200, false],
      [CFG2, true],
      [CFG3, true],
      [CFG4, true],
      [RTN, true],
      [STAT, true],
      [ID, true],
    ]);
  });
});
