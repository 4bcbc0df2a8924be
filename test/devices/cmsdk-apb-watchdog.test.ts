import { describe, expect, it } from 'vitest';
import { CmsdkApbWatchdog, WDOG_REG } from '../../devices/cmsdk-apb-watchdog.ts';
import { CMSDK_ID_REGS } from '../../devices/device.ts';
import { IrqProbe, fakeContext } from '../helpers/fake-time.ts';

const { LOAD, VALUE, CONTROL, INTCLR, RIS, MIS, LOCK, ITCR, ITOP } = WDOG_REG;
const INTEN = 1;
const RESEN = 2;
const KEY = 0x1acce551;

function setup() {
  const ctx = fakeContext();
  const nmi = new IrqProbe();
  const resets: number[] = [];
  const wdog = new CmsdkApbWatchdog('watchdog', ctx, nmi.line, () => resets.push(ctx.time.now()));
  wdog.reset();
  const r = (offset: number) => wdog.read(offset, 4);
  const w = (offset: number, value: number) => wdog.write(offset, 4, value);
  return { ctx, time: ctx.time, nmi, resets, wdog, r, w };
}

describe('CmsdkApbWatchdog', () => {
  it('has the TRM register map, the reset values and QEMU identification registers', () => {
    expect(WDOG_REG).toEqual({ LOAD: 0x000, VALUE: 0x004, CONTROL: 0x008, INTCLR: 0x00c, RIS: 0x010, MIS: 0x014, LOCK: 0xc00, ITCR: 0xf00, ITOP: 0xf04 });
    const { r, wdog } = setup();
    expect(wdog.model).toBe('cmsdk-apb-watchdog');
    expect(wdog.size).toBe(0x1000);
    expect([r(LOAD), r(VALUE), r(CONTROL), r(RIS), r(MIS), r(LOCK), r(ITCR)]).toEqual([
      0xffffffff, 0xffffffff, 0, 0, 0, 0, 0,
    ]);
    const ids = [];
    for (let off = CMSDK_ID_REGS.PID4; off <= CMSDK_ID_REGS.CID3; off += 4) ids.push(r(off));
    expect(ids).toEqual([0x04, 0x00, 0x00, 0x00, 0x24, 0xb8, 0x1b, 0x00, 0x0d, 0xf0, 0x05, 0xb1]);
  });

  it('counts from reset without scheduling anything while it cannot act', () => {
    const { r, w, time, nmi, resets } = setup();
    expect(time.pending).toBe(0);
    w(CONTROL, 0);
    w(INTCLR, 0);
    expect(time.pending).toBe(0);
    time.advanceTo(1000);
    expect(r(VALUE)).toBe(0xffffffff - 1000);
    time.advanceTo(0xffffffff - 1);
    expect(r(RIS)).toBe(0);
    time.advanceTo(0xffffffff);
    expect(r(RIS)).toBe(1);
    expect(r(MIS)).toBe(0);
    expect(time.pending).toBe(0);
    // Second expiry: the count stops at 0 (QEMU), still with no event and no reset.
    time.advanceTo(3 * 2 ** 32);
    expect(r(VALUE)).toBe(0);
    expect(time.pending).toBe(0);
    expect(nmi.level).toBe(false);
    expect(resets).toEqual([]);
  });

  it('raises the NMI at the first expiry when INTEN is set', () => {
    const { r, w, time, nmi, resets } = setup();
    w(LOAD, 99);
    w(CONTROL, INTEN);
    expect(time.next).toBe(99);
    time.advanceTo(98);
    expect(nmi.level).toBe(false);
    time.advanceTo(99);
    expect(nmi.level).toBe(true);
    expect([r(RIS), r(MIS)]).toEqual([1, 1]);
    // Without RESEN nothing further can happen: no event left.
    expect(time.pending).toBe(0);
    time.advanceTo(300);
    expect(r(VALUE)).toBe(0);
    expect(resets).toEqual([]);
    expect(nmi.rises).toBe(1);
  });

  it('asks for a reset at the second expiry when RESEN is set', () => {
    const { w, time, nmi, resets } = setup();
    w(LOAD, 99);
    w(CONTROL, INTEN | RESEN);
    time.advanceTo(99);
    expect(nmi.level).toBe(true);
    expect(time.next).toBe(199);
    time.advanceTo(1000);
    expect(resets).toEqual([199]);
  });

  it('with RESEN alone schedules only the resetting expiry', () => {
    const { w, time, nmi, resets } = setup();
    w(LOAD, 99);
    w(CONTROL, RESEN);
    expect(time.pending).toBe(1);
    expect(time.next).toBe(199);
    time.advanceTo(1000);
    expect(nmi.rises).toBe(0);
    expect(resets).toEqual([199]);
  });

  it('INTCLR clears the interrupt and reloads the count', () => {
    const { r, w, time, nmi, resets } = setup();
    w(LOAD, 99);
    w(CONTROL, INTEN | RESEN);
    time.advanceTo(150);
    expect(nmi.level).toBe(true);
    w(INTCLR, 0);
    expect(nmi.level).toBe(false);
    expect(r(RIS)).toBe(0);
    expect(r(VALUE)).toBe(99);
    expect(time.next).toBe(249);
    time.advanceTo(249);
    expect(nmi.rises).toBe(2);
    expect(resets).toEqual([]);
  });

  it('raises the NMI as soon as INTEN is set over a pending RIS', () => {
    const { r, w, time, nmi } = setup();
    w(LOAD, 9);
    time.advanceTo(20);
    expect(r(RIS)).toBe(1);
    expect(nmi.level).toBe(false);
    w(CONTROL, INTEN);
    expect(nmi.level).toBe(true);
  });

  it('ignores writes while locked', () => {
    const { r, w, time } = setup();
    w(LOCK, 1);
    expect(r(LOCK)).toBe(1);
    w(CONTROL, INTEN | RESEN);
    w(LOAD, 5);
    expect(r(CONTROL)).toBe(0);
    expect(r(LOAD)).toBe(0xffffffff);
    expect(time.pending).toBe(0);
    w(LOCK, KEY);
    expect(r(LOCK)).toBe(0);
    w(CONTROL, INTEN);
    expect(r(CONTROL)).toBe(INTEN);
    w(LOCK, 0);
    expect(r(LOCK)).toBe(1);
  });

  it('drives its outputs from ITOP in integration test mode', () => {
    const { r, w, nmi, resets, ctx } = setup();
    w(ITCR, 1);
    w(ITOP, 2);
    expect(nmi.level).toBe(true);
    expect(resets).toEqual([]);
    w(ITOP, 1);
    expect(nmi.level).toBe(false);
    expect(resets).toEqual([0]);
    expect(r(ITOP)).toBe(0);
    expect(r(INTCLR)).toBe(0);
    expect(ctx.unimplementedLog.map((a) => a.offset)).toEqual([ITOP, INTCLR]);
  });

  it('reports writes to its read-only registers and leaves them alone', () => {
    const { r, w, ctx } = setup();
    w(VALUE, 5);
    w(RIS, 1);
    w(MIS, 1);
    w(0x018, 1);
    expect([r(VALUE), r(RIS), r(MIS)]).toEqual([0xffffffff, 0, 0]);
    expect(ctx.unimplementedLog.map((a) => [a.offset, a.write])).toEqual([[VALUE, true], [RIS, true], [MIS, true], [0x018, true]]);
  });

  it('stops counting with LOAD = 0', () => {
    const { r, w, time, nmi } = setup();
    w(CONTROL, INTEN | RESEN);
    w(LOAD, 0);
    expect(time.pending).toBe(0);
    time.advanceTo(1000);
    expect(r(VALUE)).toBe(0);
    expect(nmi.level).toBe(false);
  });

  it('reset restarts the count and cancels the expiry event', () => {
    const { r, w, time, wdog } = setup();
    w(LOAD, 99);
    w(CONTROL, INTEN);
    time.advanceTo(50);
    wdog.reset();
    expect(time.pending).toBe(0);
    time.advanceTo(60);
    expect(r(VALUE)).toBe(0xffffffff - 10);
    expect(r(CONTROL)).toBe(0);
  });
});
