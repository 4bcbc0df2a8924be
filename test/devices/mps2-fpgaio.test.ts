import { describe, expect, it } from 'vitest';
import { FPGAIO_REG, Mps2FpgaIo } from '../../devices/mps2-fpgaio.ts';
import { fakeContext } from '../helpers/fake-time.ts';

const { LED0, DBGCTRL, BUTTON, CLK1HZ, CLK100HZ, COUNTER, PRESCALE, PSCNTR, SWITCH, MISC } = FPGAIO_REG;
const HZ = 25_000_000;

function setup(options?: { prescaleClockHz?: number; leds?: number }) {
  const ctx = fakeContext(HZ);
  const dev = new Mps2FpgaIo('fpgaio', ctx, options ?? { prescaleClockHz: HZ, leds: 2 });
  dev.reset();
  const r = (offset: number) => dev.read(offset, 4);
  const w = (offset: number, value: number) => dev.write(offset, 4, value);
  return { ctx, time: ctx.time, dev, r, w };
}

describe('Mps2FpgaIo', () => {
  it('has the AN386 register map, reads zero everywhere at reset and masks LED0 to the LEDs', () => {
    expect(FPGAIO_REG).toEqual({ LED0: 0x00, DBGCTRL: 0x04, BUTTON: 0x08, CLK1HZ: 0x10, CLK100HZ: 0x14, COUNTER: 0x18, PRESCALE: 0x1c, PSCNTR: 0x20, SWITCH: 0x28, MISC: 0x4c });
    const { r, w, dev } = setup();
    expect(dev.model).toBe('mps2-fpgaio');
    expect(dev.size).toBe(0x1000);
    expect([LED0, BUTTON, CLK1HZ, CLK100HZ, COUNTER, PRESCALE, PSCNTR, MISC].map(r)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    w(LED0, 0xff);
    expect(r(LED0)).toBe(3);
    w(MISC, 0x12345678);
    expect(r(MISC)).toBe(0x12345678);
  });

  it('counts COUNTER at the prescale clock with PRESCALE 0 (QEMU: 0x27968 after ~6.5 ms)', () => {
    const { r, time } = setup();
    time.advanceTo(0x27968);
    expect(r(COUNTER)).toBe(0x27968);
    expect(r(PSCNTR)).toBe(0);
    time.advanceTo(0x27968 + 1000);
    expect(r(COUNTER)).toBe(0x27968 + 1000);
    expect(time.pending).toBe(0);
  });

  it('derives CLK1HZ and CLK100HZ from virtual time', () => {
    const { r, time } = setup();
    time.advanceTo(249_999);
    expect([r(CLK1HZ), r(CLK100HZ)]).toEqual([0, 0]);
    time.advanceTo(250_000);
    expect([r(CLK1HZ), r(CLK100HZ)]).toEqual([0, 1]);
    time.advanceTo(HZ - 1);
    expect([r(CLK1HZ), r(CLK100HZ)]).toEqual([0, 99]);
    time.advanceTo(HZ);
    expect([r(CLK1HZ), r(CLK100HZ)]).toEqual([1, 100]);
    time.advanceTo(7 * HZ + 3 * 250_000);
    expect([r(CLK1HZ), r(CLK100HZ)]).toEqual([7, 703]);
  });

  it('re-bases CLK1HZ and CLK100HZ on a write', () => {
    const { r, w, time } = setup();
    time.advanceTo(HZ / 2);
    w(CLK1HZ, 5);
    w(CLK100HZ, 1000);
    expect([r(CLK1HZ), r(CLK100HZ)]).toEqual([5, 1000]);
    time.advanceTo(HZ / 2 + HZ - 1);
    expect([r(CLK1HZ), r(CLK100HZ)]).toEqual([5, 1099]);
    time.advanceTo(HZ / 2 + HZ);
    expect([r(CLK1HZ), r(CLK100HZ)]).toEqual([6, 1100]);
  });

  it('reloads PSCNTR from PRESCALE one tick after 0, incrementing COUNTER', () => {
    const { r, w, time } = setup();
    w(PRESCALE, 4);
    const at = (t: number) => {
      time.advanceTo(t);
      return [r(COUNTER), r(PSCNTR)];
    };
    expect(at(1)).toEqual([1, 4]);
    expect(at(2)).toEqual([1, 3]);
    expect(at(5)).toEqual([1, 0]);
    expect(at(6)).toEqual([2, 4]);
    expect(at(1000)).toEqual([200, 0]);
    expect(at(1001)).toEqual([201, 4]);
    expect(r(PRESCALE)).toBe(4);
  });

  it('gives the same counts however often it is read', () => {
    const a = setup();
    const b = setup();
    a.w(PRESCALE, 6);
    b.w(PRESCALE, 6);
    for (let t = 1; t <= 100; t += 3) {
      a.time.advanceTo(t);
      a.r(COUNTER);
    }
    b.time.advanceTo(100);
    a.time.advanceTo(100);
    expect([a.r(COUNTER), a.r(PSCNTR)]).toEqual([15, 5]);
    expect([b.r(COUNTER), b.r(PSCNTR)]).toEqual([15, 5]);
  });

  it('lets the guest set COUNTER and PSCNTR', () => {
    const { r, w, time } = setup();
    time.advanceTo(100);
    w(COUNTER, 0xfffffffe);
    w(PSCNTR, 10);
    time.advanceTo(110);
    expect([r(COUNTER), r(PSCNTR)]).toEqual([0xfffffffe, 0]);
    time.advanceTo(113);
    expect(r(COUNTER)).toBe(1); // wrapped at 32 bits
  });

  it('uses the prescale clock, not the CPU clock', () => {
    const { r, time } = setup({ prescaleClockHz: 1_000_000 });
    time.advanceTo(24);
    expect(r(COUNTER)).toBe(0);
    time.advanceTo(25);
    expect(r(COUNTER)).toBe(1);
    time.advanceTo(2500);
    expect(r(COUNTER)).toBe(100);
  });

  it('has no DBGCTRL or SWITCH on mps2', () => {
    const { r, w, ctx } = setup();
    w(DBGCTRL, 0xff);
    expect(r(DBGCTRL)).toBe(0);
    expect(r(SWITCH)).toBe(0);
    w(BUTTON, 1);
    expect(r(BUTTON)).toBe(0);
    expect(r(0x100)).toBe(0);
    expect(ctx.unimplementedLog.map((a) => [a.offset, a.write])).toEqual([
      [DBGCTRL, true],
      [DBGCTRL, false],
      [SWITCH, false],
      [BUTTON, true],
      [0x100, false],
    ]);
  });
});
