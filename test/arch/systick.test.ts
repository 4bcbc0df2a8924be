/**
 * SysTick on a fake virtual clock (25 MHz CPU, 1 MHz reference clock: 25 cycles per tick), against
 * the ARMv7-M ARM B3.3 and QEMU 7.2's armv7m_systick as wired on mps2.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { SYSTICK_REG, SysTick } from '../../hv/arch/armv7m/systick.ts';
import { FakeTime } from '../helpers/fake-time.ts';

const { CSR, RVR, CVR, CALIB } = SYSTICK_REG;
const ENABLE = 1;
const TICKINT = 2;
const CLKSOURCE = 4;
const COUNTFLAG = 1 << 16;
const REF = 25; // CPU cycles per reference tick

let time: FakeTime;
let pends: number;
let st: SysTick;

beforeEach(() => {
  time = new FakeTime(25_000_000);
  pends = 0;
  st = new SysTick(time, { refHz: 1_000_000 }, () => pends++);
  st.reset();
});

/** Reads CVR without touching COUNTFLAG. */
const cvr = () => st.read(CVR);

describe('SysTick registers', () => {
  it('resets to CSR 0 (reference clock), RVR 0, CVR 0 and CALIB 0x270F', () => {
    expect(st.read(CSR)).toBe(0);
    expect(st.read(RVR)).toBe(0);
    expect(cvr()).toBe(0);
    expect(st.read(CALIB)).toBe(0x270f);
    expect(st.enabled).toBe(false);
  });

  it('reports NOREF and CLKSOURCE = 1 without a reference clock', () => {
    const noRef = new SysTick(time, { refHz: 0 }, () => pends++);
    noRef.reset();
    expect(noRef.read(CSR)).toBe(CLKSOURCE);
    expect(noRef.read(CALIB)).toBe(0x80000000); // a 32-bit register value, not -2^31
  });

  it('keeps the writable CSR bits and 24 bits of RVR; CALIB and offsets past it ignore writes', () => {
    st.write(CSR, 0xfffffff8 | TICKINT);
    expect(st.read(CSR)).toBe(TICKINT);
    st.write(RVR, 0xffffffff);
    expect(st.read(RVR)).toBe(0xffffff);
    st.write(CALIB, 0);
    expect(st.read(CALIB)).toBe(0x270f);
    expect(st.read(0x10)).toBe(0);
  });
});

describe('SysTick counting', () => {
  it('counts reference ticks (25 cycles) with CLKSOURCE = 0, with a period of RVR + 1 ticks', () => {
    st.write(RVR, 9);
    st.write(CSR, ENABLE);
    expect(cvr()).toBe(0);
    time.advance(REF - 1);
    expect(cvr()).toBe(0);
    time.advance(1);
    expect(cvr()).toBe(9); // reloads on the first tick
    time.advance(8 * REF);
    expect(cvr()).toBe(1);
    expect(st.read(CSR) & COUNTFLAG).toBe(0);
    time.advance(REF);
    expect(cvr()).toBe(0);
    expect(st.read(CSR) & COUNTFLAG).toBe(COUNTFLAG); // wrapped after 10 ticks
    time.advance(REF);
    expect(cvr()).toBe(9);
    time.advance(9 * REF);
    expect(st.read(CSR)).toBe(ENABLE | COUNTFLAG); // second wrap: 10 ticks later again
  });

  it('counts CPU cycles with CLKSOURCE = 1', () => {
    st.write(RVR, 99);
    st.write(CSR, ENABLE | CLKSOURCE);
    time.advance(1);
    expect(cvr()).toBe(99);
    time.advance(50);
    expect(cvr()).toBe(49);
    time.advance(48);
    expect(st.read(CSR) & COUNTFLAG).toBe(0);
    time.advance(1);
    expect(st.read(CSR) & COUNTFLAG).toBe(COUNTFLAG);
    time.advance(100);
    expect(st.read(CSR) & COUNTFLAG).toBe(COUNTFLAG);
  });

  it('clears COUNTFLAG when CSR is read, and not when CSR is written', () => {
    st.write(RVR, 4);
    st.write(CSR, ENABLE | CLKSOURCE);
    time.advance(5);
    st.write(CSR, ENABLE | CLKSOURCE);
    expect(st.read(CSR)).toBe(ENABLE | CLKSOURCE | COUNTFLAG);
    expect(st.read(CSR)).toBe(ENABLE | CLKSOURCE);
    time.advance(5);
    expect(st.read(RVR)).toBe(4);
    expect(cvr()).toBe(0);
    expect(st.read(CSR) & COUNTFLAG).toBe(COUNTFLAG);
  });

  it('zeroes the count and clears COUNTFLAG on any CVR write, then reloads on the next tick', () => {
    st.write(RVR, 9);
    st.write(CSR, ENABLE | CLKSOURCE);
    time.advance(10); // wrap
    time.advance(3);
    expect(cvr()).toBe(7);
    st.write(CVR, 0x1234);
    expect(cvr()).toBe(0);
    expect(st.read(CSR) & COUNTFLAG).toBe(0);
    time.advance(1);
    expect(cvr()).toBe(9);
    time.advance(8);
    expect(st.read(CSR) & COUNTFLAG).toBe(0);
    time.advance(1);
    expect(st.read(CSR) & COUNTFLAG).toBe(COUNTFLAG);
  });

  it('pends the exception on every wrap while TICKINT is set, and only then', () => {
    st.write(RVR, 9);
    st.write(CSR, ENABLE | CLKSOURCE);
    time.advance(10);
    expect(pends).toBe(0);
    st.write(CSR, ENABLE | CLKSOURCE | TICKINT);
    time.advance(9);
    expect(pends).toBe(0);
    time.advance(1);
    expect(pends).toBe(1);
    time.advance(30);
    expect(pends).toBe(4);
  });

  it('applies a new RVR at the next reload, not to the count in progress', () => {
    st.write(RVR, 9);
    st.write(CSR, ENABLE | TICKINT);
    time.advance(3 * REF);
    expect(cvr()).toBe(7);
    st.write(RVR, 99);
    expect(cvr()).toBe(7);
    time.advance(7 * REF);
    expect(pends).toBe(1); // wrapped at the old period
    time.advance(REF);
    expect(cvr()).toBe(99);
    time.advance(99 * REF);
    expect(pends).toBe(2);
  });

  it('keeps the reference-tick phase across CSR and RVR writes that do not restart the counter', () => {
    st.write(RVR, 9);
    st.write(CSR, ENABLE);
    time.advance(REF + 5); // 1.2 ticks: CVR = 9
    st.write(CSR, ENABLE | TICKINT);
    st.write(RVR, 9);
    time.advance(9 * REF - 5); // 10 ticks after enabling
    expect(pends).toBe(1);
  });

  it('stops at zero when RVR is 0, with ENABLE still set', () => {
    st.write(RVR, 4);
    st.write(CSR, ENABLE | CLKSOURCE | TICKINT);
    time.advance(2);
    st.write(RVR, 0);
    time.advance(3);
    expect(pends).toBe(1);
    expect(cvr()).toBe(0);
    time.advance(1000);
    expect(pends).toBe(1);
    expect(cvr()).toBe(0);
    expect(st.read(CSR) & ENABLE).toBe(ENABLE);
    expect(time.pending).toBe(0);
  });

  it('freezes while disabled and resumes from the frozen count', () => {
    st.write(RVR, 9);
    st.write(CSR, ENABLE | CLKSOURCE | TICKINT);
    time.advance(4);
    expect(cvr()).toBe(6);
    st.write(CSR, TICKINT | CLKSOURCE);
    time.advance(1000);
    expect(cvr()).toBe(6);
    expect(pends).toBe(0);
    expect(time.pending).toBe(0);
    st.write(CSR, ENABLE | CLKSOURCE | TICKINT);
    time.advance(5);
    expect(cvr()).toBe(1);
    time.advance(1);
    expect(pends).toBe(1);
  });

  it('reset() cancels the wrap event and clears the registers', () => {
    st.write(RVR, 9);
    st.write(CSR, ENABLE | TICKINT);
    st.reset();
    expect(time.pending).toBe(0);
    time.advance(1000);
    expect(pends).toBe(0);
    expect(st.read(CSR)).toBe(0);
    expect(st.read(RVR)).toBe(0);
  });
});

describe('SysTick events', () => {
  it('schedules a wrap only while it would raise the exception: TICKINT set and the exception not pending', () => {
    let pending = false;
    const lazy = new SysTick(time, { refHz: 1_000_000 }, () => (pending = true), () => pending);
    lazy.reset();
    lazy.write(RVR, 1);
    lazy.write(CSR, ENABLE | CLKSOURCE);
    expect(time.pending).toBe(0); // no TICKINT: wraps are computed, never events
    time.advance(101);
    expect(lazy.read(CSR) & COUNTFLAG).toBe(COUNTFLAG);
    lazy.write(CSR, ENABLE | CLKSOURCE | TICKINT);
    expect(time.pending).toBe(1);
    time.advance(2);
    expect(pending).toBe(true);
    expect(time.pending).toBe(0); // pending already: 1,000 more wraps cost no event
    time.advance(2000);
    expect(time.pending).toBe(0);
    expect(lazy.read(CSR) & COUNTFLAG).toBe(COUNTFLAG);
    // Taken (or cleared): the next wrap raises it again, two cycles on.
    pending = false;
    lazy.rearm();
    expect(time.pending).toBe(1);
    expect(time.next).toBe(time.now() + (time.now() % 2 === 0 ? 2 : 1));
  });
});
