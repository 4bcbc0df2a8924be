/**
 * The Private Peripheral Bus as each guest sees it (hv/arch/armv7m/system-space.ts): routing to
 * SysTick, SCB, NVIC, MPU and DWT, the privilege and access-size rules, and what it reports.
 * Offsets are from 0xE0000000.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { DWT_REG, Dwt } from '../../hv/arch/armv7m/dwt.ts';
import { ExceptionState } from '../../hv/arch/armv7m/exception-state.ts';
import { EXC } from '../../hv/arch/armv7m/exceptions.ts';
import { FaultStatus } from '../../hv/arch/armv7m/fault-status.ts';
import { MPU_REG as MPU, MpuRegisters } from '../../hv/arch/armv7m/mpu-registers.ts';
import { NVIC_REG as NVIC, NvicRegisters } from '../../hv/arch/armv7m/nvic-registers.ts';
import { SCB_REG as SCB, ScbRegisters } from '../../hv/arch/armv7m/scb-registers.ts';
import { PPB_BASE, PPB_OFFSET, SCS_SYSTICK, SystemSpace } from '../../hv/arch/armv7m/system-space.ts';
import { SYSTICK_REG as ST, SysTick } from '../../hv/arch/armv7m/systick.ts';
import { GuestBusError } from '../../hv/trap/mmio.ts';
import { FakeTime } from '../helpers/fake-time.ts';

const IRQ = (n: number) => EXC.IRQ0 + n;
const { SCS, DWT } = PPB_OFFSET;
const SYST = SCS + SCS_SYSTICK;

describe('SystemSpace', () => {
  let state: ExceptionState;
  let scb: ScbRegisters;
  let nvic: NvicRegisters;
  let time: FakeTime;
  let space: SystemSpace;
  let privileged: boolean;
  let written: number;
  let unimplemented: Array<[number, number, boolean]>;

  beforeEach(() => {
    time = new FakeTime();
    state = new ExceptionState(32, 8);
    // DEMCR.TRCENA gates the DWT counter; CortexM wires the SCB's hook to freeze it the same way.
    const dwt = new Dwt(time, () => (scb.demcr & (1 << 24)) !== 0);
    scb = new ScbRegisters(state, new FaultStatus(), {
      currentException: () => 0,
      requestSystemReset: () => {},
      fpContextActive: () => false,
      traceEnableChanging: () => dwt.freeze(),
    });
    nvic = new NvicRegisters(state);
    privileged = true;
    written = 0;
    unimplemented = [];
    space = new SystemSpace({
      systick: new SysTick(time, { refHz: 1_000_000 }, () => state.setPending(EXC.SYSTICK)),
      dwt,
      scb,
      nvic,
      mpu: new MpuRegisters(),
      privileged: () => privileged,
      unimplemented: (offset, size, write) => unimplemented.push([offset, size, write]),
      written: () => written++,
    });
    space.reset();
  });

  const busError = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      expect(error).toBeInstanceOf(GuestBusError);
      return error as GuestBusError;
    }
    throw new Error('no bus error');
  };

  it('routes SCS offsets to SysTick, SCB, NVIC and MPU', () => {
    expect(space.read(SYST + ST.CALIB, 4)).toBe(0x270f);
    expect(space.read(SCS + SCB.CPUID, 4)).toBe(0x410fc240);
    space.write(SCS + NVIC.ISER0, 4, 1);
    expect(state.enabled[IRQ(0)]).toBe(true);
    expect(space.read(SCS + MPU.TYPE, 4)).toBe(0x800);
    expect(space.read(SCS + MPU.TYPE, 2)).toBe(0);
    expect(unimplemented).toEqual([]);
    expect(space.read(SYST + 0x10, 4)).toBe(0); // SysTick window past CALIB
  });

  it('makes unprivileged accesses bus errors, except STIR writes with CCR.USERSETMPEND', () => {
    privileged = false;
    const e = busError(() => space.read(SCS + SCB.CPUID, 4));
    expect([e.address, e.write]).toEqual([PPB_BASE + SCS + SCB.CPUID, false]);
    expect(busError(() => space.write(SCS + NVIC.ISER0, 4, 1)).write).toBe(true);
    expect(state.enabled[IRQ(0)]).toBe(false);
    busError(() => space.write(SCS + NVIC.STIR, 4, 3));
    busError(() => space.read(0x0000, 4));
    expect(state.pending[IRQ(3)]).toBe(false);
    scb.ccr |= 2; // USERSETMPEND
    space.write(SCS + NVIC.STIR, 4, 3);
    expect(state.pending[IRQ(3)]).toBe(true);
    busError(() => space.read(SCS + NVIC.STIR, 4));
    expect(written).toBe(1);
  });

  it('requires word accesses to SysTick', () => {
    expect(busError(() => space.read(SYST + ST.CSR, 1)).address).toBe(PPB_BASE + SYST + ST.CSR);
    expect(busError(() => space.write(SYST + ST.RVR, 2, 5)).address).toBe(PPB_BASE + SYST + ST.RVR);
    expect(space.read(SYST + ST.RVR, 4)).toBe(0);
    space.write(SYST + ST.RVR, 4, 5);
    expect(space.read(SYST + ST.RVR, 4)).toBe(5);
  });

  it('reads unknown PPB addresses as 0, ignores writes to them and reports them', () => {
    expect(space.read(0x0000, 4)).toBe(0); // ITM
    space.write(0x2000, 4, 1); // FPB
    expect(space.read(SCS + 0x00c, 4)).toBe(0); // SCS hole
    expect(space.read(SCS + 0xe00, 2)).toBe(0);
    expect(unimplemented).toEqual([
      [0x0000, 4, false],
      [0x2000, 4, true],
      [SCS + 0x00c, 4, false],
      [SCS + 0xe00, 2, false],
    ]);
  });

  it('calls written after every write', () => {
    space.write(SCS + SCB.ICSR, 4, 1 << 28);
    space.write(SYST + ST.CSR, 4, 0);
    space.write(SCS + NVIC.IPR0, 1, 0x40);
    space.write(SCS + MPU.RBAR, 4, 0);
    space.write(DWT + DWT_REG.CTRL, 4, 0);
    space.write(0x0000, 4, 0);
    expect(written).toBe(6);
    space.read(SCS + SCB.ICSR, 4);
    expect(written).toBe(6);
  });

  it('counts DWT CYCCNT while DEMCR.TRCENA and CYCCNTENA are set, from the value written', () => {
    space.write(SCS + SCB.DEMCR, 4, 1 << 24); // TRCENA
    space.write(DWT + DWT_REG.CTRL, 4, 1); // CYCCNTENA
    time.advance(100);
    expect(space.read(DWT + DWT_REG.CYCCNT, 4)).toBe(100);
    space.write(DWT + DWT_REG.CYCCNT, 4, 5);
    time.advance(10);
    expect(space.read(DWT + DWT_REG.CYCCNT, 4)).toBe(15);
    space.write(DWT + DWT_REG.CTRL, 4, 0);
    time.advance(10);
    expect(space.read(DWT + DWT_REG.CYCCNT, 4)).toBe(15);
  });

  it('does not count DWT CYCCNT for the cycles during which TRCENA was clear', () => {
    space.write(DWT + DWT_REG.CTRL, 4, 1); // CYCCNTENA, TRCENA still clear
    time.advance(100);
    expect(space.read(DWT + DWT_REG.CYCCNT, 4)).toBe(0);
    space.write(SCS + SCB.DEMCR, 4, 1 << 24); // TRCENA
    expect(space.read(DWT + DWT_REG.CYCCNT, 4)).toBe(0);
    time.advance(100);
    expect(space.read(DWT + DWT_REG.CYCCNT, 4)).toBe(100);
  });
});
