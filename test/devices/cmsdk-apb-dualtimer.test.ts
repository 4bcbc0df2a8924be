import { describe, expect, it } from 'vitest';
import { CmsdkApbDualTimer, DUALTIMER_MODULE_REG, DUALTIMER_REG, DUALTIMER_TIMER2 as T2 } from '../../devices/cmsdk-apb-dualtimer.ts';
import { CMSDK_ID_REGS } from '../../devices/device.ts';
import { IrqProbe, fakeContext } from '../helpers/fake-time.ts';

const { LOAD, VALUE, CONTROL, INTCLR, RIS, MIS, BGLOAD } = DUALTIMER_MODULE_REG;
const { TIMERITCR, TIMERITOP } = DUALTIMER_REG;
const ONESHOT = 1 << 0;
const SIZE32 = 1 << 1;
const DIV16 = 1 << 2;
const DIV256 = 2 << 2;
const INTEN = 1 << 5;
const PERIODIC = 1 << 6;
const ENABLE = 1 << 7;

function setup() {
  const ctx = fakeContext();
  const irqs = { timer1: new IrqProbe(), timer2: new IrqProbe(), combined: new IrqProbe() };
  const dev = new CmsdkApbDualTimer('dualtimer', ctx, {
    timer1: irqs.timer1.line,
    timer2: irqs.timer2.line,
    combined: irqs.combined.line,
  });
  dev.reset();
  const r = (offset: number) => dev.read(offset, 4);
  const w = (offset: number, value: number) => dev.write(offset, 4, value);
  return { ctx, time: ctx.time, irqs, dev, r, w };
}

type Setup = ReturnType<typeof setup>;

/** Runs to each of the next `n` interrupts of the timer at `base`, clearing each; their times. */
function expiryTimes(t: Setup, base: number, n: number): number[] {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    t.time.advanceTo(t.time.next);
    expect(t.r(base + MIS)).toBe(1);
    times.push(t.time.now());
    t.w(base + INTCLR, 0);
    expect(t.r(base + RIS)).toBe(0);
  }
  return times;
}

describe('CmsdkApbDualTimer', () => {
  it('has the TRM register map, the reset values and QEMU identification registers', () => {
    expect(DUALTIMER_MODULE_REG).toEqual({ LOAD: 0x00, VALUE: 0x04, CONTROL: 0x08, INTCLR: 0x0c, RIS: 0x10, MIS: 0x14, BGLOAD: 0x18 });
    expect([T2, DUALTIMER_REG.TIMERITCR, DUALTIMER_REG.TIMERITOP]).toEqual([0x20, 0xf00, 0xf04]);
    const { r, dev } = setup();
    expect(dev.model).toBe('cmsdk-apb-dualtimer');
    expect(dev.size).toBe(0x1000);
    for (const base of [0, T2]) {
      expect(r(base + CONTROL)).toBe(0x20);
      expect(r(base + VALUE)).toBe(0xffffffff);
      expect([r(base + LOAD), r(base + BGLOAD), r(base + RIS), r(base + MIS)]).toEqual([0, 0, 0, 0]);
    }
    expect(r(TIMERITCR)).toBe(0);
    const ids = [];
    for (let off = CMSDK_ID_REGS.PID4; off <= CMSDK_ID_REGS.CID3; off += 4) ids.push(r(off));
    expect(ids).toEqual([0x04, 0x00, 0x00, 0x00, 0x23, 0xb8, 0x1b, 0x00, 0x0d, 0xf0, 0x05, 0xb1]);
  });

  it('free-running 16-bit wraps from 0 to 0xFFFF', () => {
    const { r, w, time, irqs } = setup();
    w(CONTROL, ENABLE | INTEN);
    time.advanceTo(1);
    expect(r(VALUE)).toBe(0xfffffffe); // upper half: the reset value of VALUE
    time.advanceTo(0xfffe);
    expect(irqs.combined.level).toBe(false);
    time.advanceTo(0xffff);
    expect(r(VALUE)).toBe(0xffff0000);
    expect(irqs.timer1.level).toBe(true);
    expect(irqs.combined.level).toBe(true);
    expect(irqs.timer2.level).toBe(false);
    time.advanceTo(0x10000);
    expect(r(VALUE)).toBe(0xffffffff);
  });

  it('free-running 32-bit starts from LOAD and restarts from 0xFFFFFFFF', () => {
    const t = setup();
    t.w(LOAD, 10);
    t.w(CONTROL, ENABLE | SIZE32 | INTEN);
    expect(t.r(VALUE)).toBe(10);
    expect(t.r(LOAD)).toBe(10);
    t.time.advanceTo(10);
    expect(t.r(RIS)).toBe(1);
    t.time.advanceTo(11);
    expect(t.r(VALUE)).toBe(0xffffffff);
    t.time.advanceTo(12);
    expect(t.r(VALUE)).toBe(0xfffffffe);
    t.w(INTCLR, 1);
    expect(t.time.next).toBe(11 + 0xffffffff);
  });

  it('periodic mode reloads from LOAD every LOAD+1 ticks', () => {
    const t = setup();
    t.w(CONTROL, SIZE32 | PERIODIC | INTEN);
    t.w(LOAD, 9);
    t.w(CONTROL, ENABLE | SIZE32 | PERIODIC | INTEN);
    expect([t.r(LOAD), t.r(BGLOAD), t.r(VALUE)]).toEqual([9, 9, 9]);
    expect(expiryTimes(t, 0, 3)).toEqual([9, 19, 29]);
    t.time.advanceTo(30);
    expect(t.r(VALUE)).toBe(9);
  });

  it('stays periodic after a LOAD write while enabled (DDI 0271, unlike QEMU)', () => {
    const t = setup();
    t.w(CONTROL, ENABLE | SIZE32 | PERIODIC | INTEN);
    t.w(LOAD, 4);
    expect(expiryTimes(t, 0, 3)).toEqual([4, 9, 14]);
    t.time.advanceTo(16);
    expect(t.r(VALUE)).toBe(3);
  });

  it('one-shot stops at 0 and a LOAD write restarts it', () => {
    const t = setup();
    t.w(LOAD, 5);
    t.w(CONTROL, ENABLE | SIZE32 | ONESHOT | INTEN);
    expect(expiryTimes(t, 0, 1)).toEqual([5]);
    t.time.advanceTo(50);
    expect(t.r(VALUE)).toBe(0);
    expect(t.r(RIS)).toBe(0);
    expect(t.time.pending).toBe(0);
    t.w(LOAD, 3);
    expect(expiryTimes(t, 0, 1)).toEqual([53]);
    expect(t.time.pending).toBe(0);
  });

  it('divides TIMCLK by 16 and 256', () => {
    const t = setup();
    t.w(LOAD, 2);
    t.w(CONTROL, ENABLE | SIZE32 | PERIODIC | DIV16 | INTEN);
    t.time.advanceTo(15);
    expect(t.r(VALUE)).toBe(2);
    t.time.advanceTo(16);
    expect(t.r(VALUE)).toBe(1);
    expect(expiryTimes(t, 0, 2)).toEqual([32, 80]);

    const u = setup();
    u.w(T2 + LOAD, 1);
    u.w(T2 + CONTROL, ENABLE | SIZE32 | PERIODIC | DIV256 | INTEN);
    expect(expiryTimes(u, T2, 2)).toEqual([256, 768]);
    expect(u.r(T2 + CONTROL)).toBe(ENABLE | SIZE32 | PERIODIC | DIV256 | INTEN);
  });

  it('sets RIS without INTEN lazily, and INTEN then raises the outputs at once', () => {
    const { r, w, time, irqs } = setup();
    w(T2 + CONTROL, SIZE32 | PERIODIC);
    w(T2 + LOAD, 9);
    w(T2 + CONTROL, ENABLE | SIZE32 | PERIODIC);
    expect(time.pending).toBe(0);
    time.advanceTo(8);
    expect(r(T2 + RIS)).toBe(0);
    time.advanceTo(9);
    expect(r(T2 + RIS)).toBe(1);
    expect(r(T2 + MIS)).toBe(0);
    expect(irqs.combined.level).toBe(false);
    w(T2 + CONTROL, ENABLE | SIZE32 | PERIODIC | INTEN);
    expect(irqs.timer2.level).toBe(true);
    expect(irqs.combined.level).toBe(true);
    expect(irqs.timer1.level).toBe(false);
    w(T2 + INTCLR, 0);
    expect(irqs.combined.level).toBe(false);
    expect(time.next).toBe(19);
  });

  it('BGLOAD changes the period from the next reload, not the count', () => {
    const t = setup();
    t.w(CONTROL, SIZE32 | PERIODIC | INTEN);
    t.w(LOAD, 9);
    t.w(CONTROL, ENABLE | SIZE32 | PERIODIC | INTEN);
    t.time.advanceTo(3);
    t.w(BGLOAD, 4);
    expect(t.r(VALUE)).toBe(6);
    expect(t.r(LOAD)).toBe(4);
    expect(expiryTimes(t, 0, 3)).toEqual([9, 14, 19]);
  });

  it('keeps the upper half of LOAD in 16-bit periodic mode', () => {
    const { r, w } = setup();
    w(CONTROL, PERIODIC | INTEN);
    w(LOAD, 0x12345);
    expect(r(LOAD)).toBe(0x12345);
    expect(r(VALUE)).toBe(0x12345);
    w(CONTROL, ENABLE | PERIODIC | INTEN);
    expect(r(VALUE) & 0xffff).toBe(0x2345);
  });

  it('drives the outputs from TIMERITOP in integration test mode', () => {
    const { r, w, irqs, dev, ctx } = setup();
    w(TIMERITCR, 1);
    w(TIMERITOP, 2);
    expect([irqs.timer1.level, irqs.timer2.level, irqs.combined.level]).toEqual([false, true, true]);
    w(TIMERITOP, 1);
    expect([irqs.timer1.level, irqs.timer2.level, irqs.combined.level]).toEqual([true, false, true]);
    w(TIMERITCR, 0);
    expect(irqs.combined.level).toBe(false);
    expect(r(TIMERITOP)).toBe(0);
    expect(r(INTCLR)).toBe(0);
    expect(dev.read(0xfe0, 1)).toBe(0x23);
    expect(dev.read(CONTROL + 1, 1)).toBe(0);
    expect(ctx.unimplementedLog.map((a) => a.offset)).toEqual([TIMERITOP, INTCLR, CONTROL + 1]);
  });

  it('zero-extends byte writes to the whole register', () => {
    const { r, dev } = setup();
    dev.write(CONTROL, 1, 0x1ff);
    expect(r(CONTROL)).toBe(0xef);
  });
});
