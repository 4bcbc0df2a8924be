import { describe, expect, it } from 'vitest';
import { CmsdkApbTimer, TIMER_REG } from '../../devices/cmsdk-apb-timer.ts';
import { CMSDK_ID_REGS } from '../../devices/device.ts';
import { IrqProbe, fakeContext } from '../helpers/fake-time.ts';

const { CTRL, VALUE, RELOAD, INTSTATUS } = TIMER_REG;
const EN = 1;
const IRQEN = 8;

function setup(options?: { pclkHz?: number }) {
  const ctx = fakeContext();
  const irq = new IrqProbe();
  const timer = new CmsdkApbTimer('timer0', ctx, irq.line, options);
  timer.reset();
  const r = (offset: number) => timer.read(offset, 4);
  const w = (offset: number, value: number) => timer.write(offset, 4, value);
  return { ctx, time: ctx.time, irq, timer, r, w };
}

/** Runs to each of the next `n` expiries, acknowledging each, and returns their times. */
function expiryTimes(t: ReturnType<typeof setup>, n: number): number[] {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    t.time.advanceTo(t.time.next);
    expect(t.irq.level).toBe(true);
    times.push(t.time.now());
    t.w(INTSTATUS, 1);
    expect(t.irq.level).toBe(false);
  }
  return times;
}

describe('CmsdkApbTimer', () => {
  it('has the reset values and QEMU identification registers', () => {
    expect(TIMER_REG).toEqual({ CTRL: 0x000, VALUE: 0x004, RELOAD: 0x008, INTSTATUS: 0x00c });
    const { r, timer } = setup();
    expect(timer.model).toBe('cmsdk-apb-timer');
    expect(timer.size).toBe(0x1000);
    expect([r(CTRL), r(VALUE), r(RELOAD), r(INTSTATUS)]).toEqual([0, 0, 0, 0]);
    const ids = [];
    for (let off = CMSDK_ID_REGS.PID4; off <= CMSDK_ID_REGS.CID3; off += 4) ids.push(r(off));
    expect(ids).toEqual([0x04, 0x00, 0x00, 0x00, 0x22, 0xb8, 0x1b, 0x00, 0x0d, 0xf0, 0x05, 0xb1]);
  });

  it('counts down once per tick and reloads after RELOAD+1 ticks', () => {
    const { r, w, time } = setup();
    w(RELOAD, 9);
    w(CTRL, EN);
    const seen: number[] = [];
    for (let t = 0; t <= 21; t++) {
      time.advanceTo(t);
      seen.push(r(VALUE));
    }
    expect(seen).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 9, 8]);
    expect(r(RELOAD)).toBe(9);
  });

  it('RELOAD=9 interrupts every 10 ticks after the first 9', () => {
    const t = setup();
    t.w(RELOAD, 9);
    t.w(CTRL, EN | IRQEN);
    expect(t.time.next).toBe(9);
    t.time.advanceTo(8);
    expect(t.irq.level).toBe(false);
    expect(t.r(INTSTATUS)).toBe(0);
    expect(expiryTimes(t, 4)).toEqual([9, 19, 29, 39]);
  });

  it('keeps the interrupt level up until INTCLEAR, even after IRQEN is cleared', () => {
    const { r, w, time, irq } = setup();
    w(RELOAD, 4);
    w(CTRL, EN | IRQEN);
    time.advanceTo(100);
    expect(irq.level).toBe(true);
    expect(irq.rises).toBe(1);
    expect(r(INTSTATUS)).toBe(1);
    w(CTRL, EN);
    expect(irq.level).toBe(true);
    w(INTSTATUS, 0);
    expect(irq.level).toBe(true);
    w(INTSTATUS, 1);
    expect(irq.level).toBe(false);
    expect(r(INTSTATUS)).toBe(0);
  });

  it('does not interrupt or schedule while IRQEN is clear', () => {
    const { r, w, time, irq } = setup();
    w(RELOAD, 9);
    w(CTRL, EN);
    expect(time.pending).toBe(0);
    time.advanceTo(1000);
    expect(irq.level).toBe(false);
    expect(r(INTSTATUS)).toBe(0);
    expect(r(VALUE)).toBe(9); // 1000 = 9 + 99*10 + 1: reloaded one tick ago
    w(CTRL, EN | IRQEN);
    expect(time.next).toBe(1009);
    time.advanceTo(1009);
    expect(irq.level).toBe(true);
  });

  it('runs one-shot when RELOAD is 0 and stays at 0 after expiring', () => {
    const { r, w, time, irq } = setup();
    w(VALUE, 5);
    w(CTRL, EN | IRQEN);
    time.advanceTo(3);
    expect(r(VALUE)).toBe(2);
    time.advanceTo(5);
    expect(irq.level).toBe(true);
    expect(r(VALUE)).toBe(0);
    w(INTSTATUS, 1);
    time.advanceTo(500);
    expect(r(VALUE)).toBe(0);
    expect(irq.rises).toBe(1);
    expect(time.pending).toBe(0);
    // A non-zero RELOAD restarts the expired timer, periodic.
    w(RELOAD, 4);
    expect(r(VALUE)).toBe(4);
    time.advanceTo(504);
    expect(irq.rises).toBe(2);
  });

  it('does not start counting at VALUE 0 with RELOAD 0', () => {
    const { r, w, time } = setup();
    w(CTRL, EN | IRQEN);
    time.advanceTo(50);
    expect(r(VALUE)).toBe(0);
    expect(time.pending).toBe(0);
  });

  it('freezes VALUE while disabled and resumes from it', () => {
    const { r, w, time } = setup();
    w(RELOAD, 100);
    w(CTRL, EN);
    time.advanceTo(30);
    w(CTRL, 0);
    time.advanceTo(1000);
    expect(r(VALUE)).toBe(70);
    w(CTRL, EN);
    time.advanceTo(1010);
    expect(r(VALUE)).toBe(60);
  });

  it('restarts the count from a VALUE write, then uses RELOAD', () => {
    const t = setup();
    t.w(RELOAD, 100);
    t.w(CTRL, EN | IRQEN);
    t.time.advanceTo(10);
    t.w(VALUE, 5);
    expect(t.r(VALUE)).toBe(5);
    expect(expiryTimes(t, 2)).toEqual([15, 116]);
  });

  it('counts at PCLK, not at the CPU clock', () => {
    const t = setup({ pclkHz: 5_000_000 }); // 5 cycles per tick
    t.w(RELOAD, 3);
    t.w(CTRL, EN | IRQEN);
    t.time.advanceTo(4);
    expect(t.r(VALUE)).toBe(3);
    t.time.advanceTo(5);
    expect(t.r(VALUE)).toBe(2);
    expect(expiryTimes(t, 2)).toEqual([15, 35]);
  });

  it('stops on RELOAD 0 and reports bad offsets', () => {
    const { r, w, time, ctx, timer } = setup();
    w(RELOAD, 50);
    w(CTRL, EN | IRQEN);
    time.advanceTo(20);
    w(RELOAD, 0);
    expect(r(VALUE)).toBe(0);
    expect(time.pending).toBe(0);
    expect(timer.read(0xfe0, 1)).toBe(0x22);
    expect(timer.read(0x10, 4)).toBe(0);
    timer.write(0xfe0, 4, 1);
    expect(ctx.unimplementedLog).toEqual([
      { device: 'timer0', offset: 0x10, size: 4, write: false },
      { device: 'timer0', offset: 0xfe0, size: 4, write: true },
    ]);
  });

  it('reset stops the timer, cancels its event and lowers the line', () => {
    const { r, w, time, irq, timer } = setup();
    w(RELOAD, 3);
    w(CTRL, EN | IRQEN);
    time.advanceTo(3);
    expect(irq.level).toBe(true);
    timer.reset();
    expect(irq.level).toBe(false);
    expect(time.pending).toBe(0);
    expect([r(CTRL), r(VALUE), r(RELOAD)]).toEqual([0, 0, 0]);
  });
});
