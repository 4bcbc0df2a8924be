/**
 * WFI sleep and wake-up, semihosting and SysTick interrupts on a real CortexM (ARMv7-M ARM
 * B1.5.19 WFI wake-up; "Semihosting for AArch32 and AArch64" v2.0).
 */
import { describe, expect, it } from 'vitest';
import { ARM_REG as R } from '../../hv/unicorn/constants.ts';
import { STACK_TOP, rigsClosedAfterEach, thumbAddress as ta } from '../helpers/cortex-m-rig.ts';
import { HALT, REG } from '../helpers/thumb-m.ts';
import { thumb } from '../helpers/thumb.ts';

const start = rigsClosedAfterEach();

const SPIN = [0xe7fe]; // b .
const BX_LR = [0x4770]; // bx lr
const WFI = [0xbf30]; // wfi

describe('CortexM WFI', () => {
  const sleeper = thumb(
    WFI, //      0x100 wfi
    [0x2401], // 0x102 movs r4, #1
    SPIN, //     0x104 b .
  );

  it('sleeps until an enabled interrupt is pended, then takes it', () => {
    const r = start({ vectors: { 0: STACK_TOP, 1: ta(0x100), 16: ta(0x200) }, code: [[0x100, sleeper], [0x200, thumb(BX_LR)]] });
    r.ppbWrite(REG.ISER0, 1);
    expect(r.cpu.step()).toEqual({ kind: 'sleeping' });
    expect(r.cpu.sleeping).toBe(true);
    expect(r.cpu.canWake()).toBe(false);
    expect(r.cpu.step()).toEqual({ kind: 'sleeping' });
    expect(r.cpu.pc()).toBe(0x102);
    expect(r.reg(R.R4)).toBe(0);

    r.cpu.setIrq(0, true);
    r.cpu.setIrq(0, false);
    expect(r.cpu.canWake()).toBe(true);
    r.runUntil(() => r.returns.length > 0);
    expect(r.cpu.sleeping).toBe(false);
    expect(r.entries.map((e) => [e.name, e.frame[6]])).toEqual([['IRQ0', 0x102]]);
    r.cpu.step();
    expect(r.reg(R.R4)).toBe(1);
  });

  it('is not woken by a pending interrupt that is disabled', () => {
    const r = start({ vectors: { 0: STACK_TOP, 1: ta(0x100), 16: ta(0x200) }, code: [[0x100, sleeper], [0x200, thumb(BX_LR)]] });
    expect(r.cpu.step()).toEqual({ kind: 'sleeping' });
    r.ppbWrite(REG.ISPR0, 1);
    expect(r.cpu.canWake()).toBe(false);
    expect(r.cpu.step()).toEqual({ kind: 'sleeping' });
    r.ppbWrite(REG.ISER0, 1);
    expect(r.cpu.canWake()).toBe(true);
  });

  it('wakes with PRIMASK set but does not take the interrupt', () => {
    const thread = thumb(
      [0xb672], // 0x100 cpsid i
      WFI, //      0x102 wfi
      [0x2401], // 0x104 movs r4, #1
      SPIN, //     0x106 b .
    );
    const r = start({ vectors: { 0: STACK_TOP, 1: ta(0x100), 16: ta(0x200) }, code: [[0x100, thread], [0x200, thumb(BX_LR)]] });
    r.ppbWrite(REG.ISER0, 1);
    expect(r.cpu.step()).toEqual({ kind: 'sleeping' });
    r.cpu.setIrq(0, true);
    expect(r.cpu.canWake()).toBe(true);
    expect(r.cpu.step()).toEqual({ kind: 'ran' });
    expect(r.cpu.sleeping).toBe(false);
    expect(r.reg(R.R4)).toBe(1);
    expect(r.entries).toHaveLength(0);
    expect(r.cpu.exceptionState.pending[16]).toBe(true);
  });

  it('is not woken by an interrupt that BASEPRI masks', () => {
    const thread = thumb(
      [0x2140], //         0x100 movs r1, #0x40
      [0xf381, 0x8811], // 0x102 msr basepri, r1
      WFI, //              0x106 wfi
      SPIN, //             0x108 b .
    );
    const r = start({ vectors: { 0: STACK_TOP, 1: ta(0x100), 16: ta(0x200) }, code: [[0x100, thread], [0x200, thumb(BX_LR)]] });
    r.ppbWrite(REG.ISER0, 1);
    r.ppbWrite(REG.IPR0, 0x80, 1);
    expect(r.cpu.step()).toEqual({ kind: 'sleeping' });
    r.cpu.setIrq(0, true);
    expect(r.cpu.canWake()).toBe(false);
    r.ppbWrite(REG.IPR0, 0x20, 1);
    expect(r.cpu.canWake()).toBe(true);
  });
});

describe('CortexM SysTick interrupt', () => {
  it('enters the SysTick handler when the counter wraps with TICKINT', () => {
    const r = start({ vectors: { 0: STACK_TOP, 1: ta(0x100), 15: ta(0x200) }, code: [[0x100, thumb(SPIN)], [0x200, thumb(BX_LR)]] });
    r.ppbWrite(REG.SYST_RVR, 99);
    r.ppbWrite(REG.SYST_CSR, 0b111); // ENABLE | TICKINT | CLKSOURCE (CPU clock)
    r.cpu.step();
    expect(r.entries).toHaveLength(0);
    r.time.advance(99);
    expect(r.cpu.exceptionState.pending[15]).toBe(false);
    r.time.advance(1);
    expect(r.cpu.exceptionState.pending[15]).toBe(true);
    r.runUntil(() => r.returns.length > 0);
    expect(r.entries.map((e) => e.name)).toEqual(['SysTick']);
  });
});

describe('CortexM semihosting', () => {
  it('writes SYS_WRITE0 strings to the console and halts on SYS_EXIT with code 0', () => {
    const program = thumb(
      [0x2004], //         0x100 movs r0, #4            (SYS_WRITE0)
      [0xf240, 0x1180], // 0x102 movw r1, #0x180
      [0xbeab], //         0x106 bkpt 0xab
      HALT, //             0x108 SYS_EXIT(0x20026)
    );
    const r = start({ vectors: { 0: STACK_TOP, 1: ta(0x100) }, code: [[0x100, program], [0x180, Buffer.from('hello\n\0')]] });
    expect(r.run()).toEqual({ kind: 'halted', exitCode: 0 });
    expect(Buffer.from(r.consoleBytes).toString()).toBe('hello\n');
    expect(r.traps.filter((t) => t.kind === 'semihosting').map((t) => t.pc)).toEqual([0x106, 0x112]);
    expect(r.cpu.pc()).toBe(0x114);
  });

  it('exits with code 1 for any other SYS_EXIT reason', () => {
    const program = thumb(
      [0x2018], //         movs r0, #0x18
      [0x2123], //         movs r1, #0x23
      [0xf2c0, 0x0102], // movt r1, #2              (0x20023, ADP_Stopped_RunTimeErrorUnknown)
      [0xbeab], //         bkpt 0xab
      SPIN,
    );
    const r = start({ vectors: { 0: STACK_TOP, 1: ta(0x100) }, code: [[0x100, program]] });
    expect(r.run()).toEqual({ kind: 'halted', exitCode: 1 });
  });

  it('escalates bkpt 0xab to HardFault when semihosting is off', () => {
    const program = thumb([0x2018], [0xbeab], SPIN); // movs r0, #0x18; bkpt 0xab; b .
    const handler = thumb([0xbf00], SPIN); // nop; b .
    const r = start({ vectors: { 0: STACK_TOP, 1: ta(0x100), 3: ta(0x200) }, code: [[0x100, program], [0x200, handler]], semihosting: false });
    r.runUntil(() => r.entries.length > 0);
    expect(r.entries.map((e) => [e.name, e.frame[6]])).toEqual([['HardFault', 0x102]]);
    expect(r.ppbRead(REG.HFSR)).toBe(1 << 30);
  });
});
