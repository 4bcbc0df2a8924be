/**
 * Guest faults on a real CortexM: escalation to HardFault (HFSR.FORCED), the configurable fault
 * handlers, the CFSR/BFAR bits of each cause, the stacked PC of precise faults, lockup, missing
 * handlers, fault loops and the divide-by-zero trap (ARMv7-M ARM B1.5.14-B1.5.16, B3.2.15-B3.2.18;
 * QEMU 7.2 as summarised in /tmp/research/qemu-mps2.md section 6).
 */
import { describe, expect, it } from 'vitest';
import { ARM_REG as R } from '../../hv/unicorn/constants.ts';
import { type CortexMRig, type RigOptions, STACK_TOP, rigsClosedAfterEach, thumbAddress as ta } from '../helpers/cortex-m-rig.ts';
import { HALT, R0_CCR, REG, SHCSR_BUSFAULTENA, SHCSR_USGFAULTENA } from '../helpers/thumb-m.ts';
import { thumb } from '../helpers/thumb.ts';

const newRig = rigsClosedAfterEach();

const SPIN = [0xe7fe]; // b .
const UDF = [0xde00]; // udf #0
const HANDLER = 0x300;
const CFSR_UNDEFINSTR = 1 << 16;
const CFSR_DIVBYZERO = 1 << 25;
const CFSR_PRECISERR = 1 << 9;
const CFSR_BFARVALID = 1 << 15;
const CFSR_IBUSERR = 1 << 8;
const HFSR_FORCED = 1 << 30;

/** Every fault vector points at a handler that halts the guest (exit 0), unless overridden. */
function start(thread: Buffer, extra: Partial<RigOptions> = {}): CortexMRig {
  const vectors: Record<number, number> = { 0: STACK_TOP, 1: ta(0x100) };
  for (const exc of [3, 4, 5, 6, 11]) vectors[exc] = ta(HANDLER);
  return newRig({
    ...extra,
    vectors: { ...vectors, ...extra.vectors },
    code: [[0x100, thread], [HANDLER, thumb(HALT)], ...(extra.code ?? [])],
  });
}

const unmappedRead = thumb(
  [0xbf00], //         0x100 nop
  [0xf04f, 0x5140], // 0x102 mov.w r1, #0x30000000
  [0x6808], //         0x106 ldr r0, [r1]
  SPIN, //             0x108 b .
);

describe('CortexM fault escalation', () => {
  it('escalates udf to HardFault with HFSR.FORCED and CFSR.UNDEFINSTR when UsageFault is disabled', () => {
    const r = start(thumb([0xbf00], UDF, SPIN)); // 0x100 nop; 0x102 udf #0; b .
    expect(r.run()).toEqual({ kind: 'halted', exitCode: 0 });
    expect(r.entries.map((e) => e.name)).toEqual(['HardFault']);
    expect(r.entries[0]!.frame[6]).toBe(0x102);
    expect(r.ppbRead(REG.HFSR)).toBe(HFSR_FORCED);
    expect(r.ppbRead(REG.CFSR)).toBe(CFSR_UNDEFINSTR);
    expect(r.traps.some((t) => t.kind === 'fault' && t.pc === 0x102)).toBe(true);
  });

  it('takes UsageFault itself when SHCSR.USGFAULTENA is set', () => {
    const r = start(thumb([0xbf00], UDF, SPIN)); // 0x100 nop; 0x102 udf #0; b .
    r.ppbWrite(REG.SHCSR, SHCSR_USGFAULTENA);
    expect(r.run()).toEqual({ kind: 'halted', exitCode: 0 });
    expect(r.entries.map((e) => [e.name, e.frame[6]])).toEqual([['UsageFault', 0x102]]);
    expect(r.ppbRead(REG.HFSR)).toBe(0);
    expect(r.ppbRead(REG.CFSR)).toBe(CFSR_UNDEFINSTR);
    expect(r.ppbRead(REG.SHCSR) & (1 << 3)).toBe(1 << 3); // USGFAULTACT while the handler runs
  });

  it('escalates an SVC executed with PRIMASK set to HardFault', () => {
    const r = start(thumb([0xb672], [0xdf00], SPIN)); // 0x100 cpsid i; 0x102 svc #0; 0x104 b .
    expect(r.run()).toEqual({ kind: 'halted', exitCode: 0 });
    expect(r.entries.map((e) => e.name)).toEqual(['HardFault']);
    expect(r.entries[0]!.frame[6]).toBe(0x104);
    expect(r.ppbRead(REG.HFSR)).toBe(HFSR_FORCED);
    expect(r.cpu.exceptionState.pending[11]).toBe(false);
  });

  it('locks up on a fault inside the HardFault handler', () => {
    // Thread: 0x100 udf #0. HardFault handler: 0x200 nop; 0x202 udf #0; b .
    const r = start(thumb(UDF, SPIN), { code: [[0x200, thumb([0xbf00], UDF, SPIN)]], vectors: { 3: ta(0x200) } });
    const outcome = r.run();
    expect(outcome.kind).toBe('faulted');
    if (outcome.kind !== 'faulted') return;
    expect(outcome.report.reason).toBe('lockup');
    expect(outcome.report.pc).toBe(0x202);
    expect(r.entries.map((e) => e.name)).toEqual(['HardFault']);
  });

  it('stops with no-handler and a full report when the fault vector is 0', () => {
    const r = start(unmappedRead, { vectors: { 3: 0 } });
    r.engine.writeRegister(R.R7, 0x77);
    const outcome = r.run();
    expect(outcome.kind).toBe('faulted');
    if (outcome.kind !== 'faulted') return;
    const report = outcome.report;
    expect(report.reason).toBe('no-handler');
    expect(report.kind).toBe('HardFault');
    expect(report.detail['cfsr']).toBe(CFSR_PRECISERR | CFSR_BFARVALID);
    expect(report.detail['bfar']).toBe(0x30000000);
    expect(report.detail['hfsr']).toBe(HFSR_FORCED);
    expect(report.pc).toBe(0x106);
    expect(report.cause).toMatch(/0x30000000/);
    expect(report.registers).toMatchObject({ r1: 0x30000000, r7: 0x77, pc: 0x106, sp: STACK_TOP, msp: STACK_TOP });
    expect(r.entries).toHaveLength(0);
  });
});

describe('CortexM bus faults', () => {
  it('raises a precise BusFault with BFAR for an unmapped read, stacking the faulting load', () => {
    const r = start(unmappedRead);
    r.ppbWrite(REG.SHCSR, SHCSR_BUSFAULTENA);
    expect(r.run()).toEqual({ kind: 'halted', exitCode: 0 });
    expect(r.entries.map((e) => [e.name, e.frame[6]])).toEqual([['BusFault', 0x106]]);
    expect(r.ppbRead(REG.CFSR)).toBe(CFSR_PRECISERR | CFSR_BFARVALID);
    expect(r.ppbRead(REG.BFAR)).toBe(0x30000000);
    expect(r.ppbRead(REG.HFSR)).toBe(0);
  });

  it('raises IBUSERR (without BFAR) for a fetch from unmapped 0x30000000', () => {
    const thread = thumb(
      [0xf240, 0x0001], // movw r0, #1
      [0xf2c3, 0x0000], // movt r0, #0x3000
      [0x4700], //         bx r0
    );
    const r = start(thread);
    r.ppbWrite(REG.SHCSR, SHCSR_BUSFAULTENA);
    expect(r.run()).toEqual({ kind: 'halted', exitCode: 0 });
    expect(r.entries.map((e) => [e.name, e.frame[6]])).toEqual([['BusFault', 0x30000000]]);
    expect(r.ppbRead(REG.CFSR)).toBe(CFSR_IBUSERR);
    expect(r.ppbRead(REG.CFSR) & CFSR_BFARVALID).toBe(0);
  });

  it('turns an unprivileged PPB access into a precise BusFault at the access', () => {
    const thread = thumb(
      [0x2001], //         0x100 movs r0, #1
      [0xf380, 0x8814], // 0x102 msr control, r0   (nPRIV)
      [0xf3bf, 0x8f6f], // 0x106 isb
      [0xf64e, 0x5100], // 0x10a movw r1, #0xED00
      [0xf2ce, 0x0100], // 0x10e movt r1, #0xE000
      [0x6808], //         0x112 ldr r0, [r1]       (CPUID)
      SPIN, //             0x114 b .
    );
    const r = start(thread);
    r.ppbWrite(REG.SHCSR, SHCSR_BUSFAULTENA);
    expect(r.run()).toEqual({ kind: 'halted', exitCode: 0 });
    expect(r.entries.map((e) => [e.name, e.frame[6]])).toEqual([['BusFault', 0x112]]);
    expect(r.ppbRead(REG.CFSR)).toBe(CFSR_PRECISERR | CFSR_BFARVALID);
    expect(r.ppbRead(REG.BFAR)).toBe(0xe000ed00);
  });
});

describe('CortexM fault loops and division', () => {
  it('stops a handler that returns to the faulting instruction forever with fault-loop', () => {
    const r = start(thumb(UDF, SPIN), { vectors: { 6: ta(0x200) }, code: [[0x200, thumb([0x4770])]], faultLoopLimit: 5 }); // bx lr
    r.ppbWrite(REG.SHCSR, SHCSR_USGFAULTENA);
    const outcome = r.run(100);
    expect(outcome.kind).toBe('faulted');
    if (outcome.kind !== 'faulted') return;
    expect(outcome.report.reason).toBe('fault-loop');
    expect(outcome.report.pc).toBe(0x100);
    expect(outcome.report.description).toMatch(/5 times/);
    expect(r.entries.filter((e) => e.name === 'UsageFault')).toHaveLength(4);
  });

  it('does not take a handler that skips the faulting instruction for a fault loop', () => {
    const probe = thumb(
      [0x2400], //         0x100 movs r4, #0
      [0xf04f, 0x5140], // 0x102 mov.w r1, #0x30000000
      [0x6808], //         0x106 ldr r0, [r1]     (BusFault every time)
      [0x3401], //         0x108 adds r4, #1
      [0x2c14], //         0x10a cmp r4, #20
      [0xd1fb], //         0x10c bne 0x106
      HALT, //             0x10e exit(0)
    );
    const skip = thumb(
      [0x9806], // ldr r0, [sp, #24]   (stacked PC)
      [0x3002], // adds r0, #2
      [0x9006], // str r0, [sp, #24]
      [0x4770], // bx lr
    );
    const r = start(probe, { vectors: { 5: ta(0x200) }, code: [[0x200, skip]], faultLoopLimit: 5 });
    r.ppbWrite(REG.SHCSR, SHCSR_BUSFAULTENA);
    expect(r.run(200)).toEqual({ kind: 'halted', exitCode: 0 });
    expect(r.reg(R.R4)).toBe(20);
    expect(r.entries.filter((e) => e.name === 'BusFault')).toHaveLength(20);
  });

  it('traps udiv by zero as UsageFault DIVBYZERO at the udiv once the guest sets CCR.DIV_0_TRP', () => {
    const thread = thumb(
      R0_CCR, //           0x100 movw/movt r0, CCR
      [0x6801], //         0x108 ldr r1, [r0]
      [0xf041, 0x0110], // 0x10a orr.w r1, r1, #0x10   (DIV_0_TRP)
      [0x6001], //         0x10e str r1, [r0]
      [0x2107], //         0x110 movs r1, #7
      [0x2200], //         0x112 movs r2, #0
      [0xfbb1, 0xf0f2], // 0x114 udiv r0, r1, r2
      SPIN, //             0x118 b .
    );
    const r = start(thread);
    r.ppbWrite(REG.SHCSR, SHCSR_USGFAULTENA);
    expect(r.run()).toEqual({ kind: 'halted', exitCode: 0 });
    expect(r.entries.map((e) => [e.name, e.frame[6]])).toEqual([['UsageFault', 0x114]]);
    expect(r.entries[0]!.frame.slice(0, 3)).toEqual([0xe000ed14, 7, 0]);
    expect(r.ppbRead(REG.CFSR)).toBe(CFSR_DIVBYZERO);
    expect(r.ppbRead(REG.CCR) & 0x10).toBe(0x10);
  });

  it.each([
    ['inside an IT block', 0x100, [[0x2a00], [0xbf08]], 0x118],
    ['in code run from SRAM', 0x20000100, [[0xbf00], [0xbf00]], 0x20000118],
  ])('traps udiv by zero %s', (_where, base, before, udivAt) => {
    const thread = thumb(
      R0_CCR, //           +0x00 movw/movt r0, CCR
      [0x6801], //         +0x08 ldr r1, [r0]
      [0xf041, 0x0110], // +0x0a orr.w r1, r1, #0x10   (DIV_0_TRP)
      [0x6001], //         +0x0e str r1, [r0]
      [0x2107], //         +0x10 movs r1, #7
      [0x2200], //         +0x12 movs r2, #0
      ...before, //        +0x14 cmp r2, #0; it eq   (or two nops)
      [0xfbb1, 0xf0f2], // +0x18 udiv(eq) r0, r1, r2
      SPIN, //             +0x1c b .
    );
    const r = start(thumb(SPIN), { vectors: { 1: ta(base) }, code: [[base, thread]] });
    r.ppbWrite(REG.SHCSR, SHCSR_USGFAULTENA);
    expect(r.run()).toEqual({ kind: 'halted', exitCode: 0 });
    expect(r.entries.map((e) => [e.name, e.frame[6]])).toEqual([['UsageFault', udivAt]]);
    expect(r.ppbRead(REG.CFSR)).toBe(CFSR_DIVBYZERO);
  });

  it('lets udiv by zero return 0 while CCR.DIV_0_TRP is clear', () => {
    const thread = thumb(
      [0x2005], //         0x100 movs r0, #5
      [0x2107], //         0x102 movs r1, #7
      [0x2200], //         0x104 movs r2, #0
      [0xfbb1, 0xf0f2], // 0x106 udiv r0, r1, r2
      [0x2401], //         0x10a movs r4, #1
      SPIN, //             0x10c b .
    );
    const r = start(thread);
    r.ppbWrite(REG.SHCSR, SHCSR_USGFAULTENA);
    expect(r.cpu.step()).toEqual({ kind: 'ran' });
    expect(r.reg(R.R0)).toBe(0);
    expect(r.reg(R.R4)).toBe(1);
    expect(r.entries).toHaveLength(0);
    expect(r.ppbRead(REG.CFSR)).toBe(0);
  });
});
